//! The facts written to `environment.json`: machine, OS, libtorch and tch,
//! threads, math-library flags, device, and the harness's git commit.

use serde::{Deserialize, Serialize};
use tch::Device;

/// Everything about the machine and software that could change a result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    /// CPU brand string.
    pub cpu_model: String,
    /// Logical CPUs.
    pub logical_cores: usize,
    /// Physical cores, when known.
    pub physical_cores: Option<usize>,
    /// Total RAM in bytes.
    pub ram_bytes: u64,
    /// OS name and version.
    pub os: String,
    /// Kernel version.
    pub kernel: String,
    /// libtorch version as found next to the loaded `libtorch_cpu.so`.
    pub libtorch_version: String,
    /// Folder of the loaded `libtorch_cpu.so`.
    pub libtorch_lib_dir: String,
    /// tch crate version the harness was built with.
    pub tch_version: String,
    /// rnnbench version.
    pub rnnbench_version: String,
    /// Git commit of the harness (with `-dirty` when the tree had changes), or `unknown`.
    pub git_commit: String,
    /// Intra-op threads libtorch actually uses.
    pub threads: i32,
    /// Inter-op threads libtorch uses.
    pub interop_threads: i32,
    /// libtorch built with MKL.
    pub mkl: bool,
    /// libtorch built with oneDNN (MKL-DNN); libtorch's CPU LSTM uses its RNN kernel.
    pub mkldnn: bool,
    /// libtorch built with OpenMP.
    pub openmp: bool,
    /// Which CPU kernel the LSTM runs on under this process's `--kernel`:
    /// libtorch's choice, `onednn` or `native` (libtorch's GRU and RNN have
    /// no oneDNN path and always use `native`), or `onednn-fused` under
    /// `--kernel onednn` ([`super::kernel::cpu_lstm_kernel`]).
    pub cpu_lstm_kernel: String,
    /// Whether libtorch may use oneDNN (off under `--kernel native`).
    #[serde(default)]
    pub onednn_enabled: Option<bool>,
    /// Whether subnormal floats are flushed to zero (`--flush-denormal on`,
    /// where the CPU supports it).
    #[serde(default)]
    pub flush_denormal: Option<bool>,
    /// The interference signals this machine gives (`epochs.csv` columns
    /// left empty otherwise).
    #[serde(default)]
    pub interference_signals: Vec<String>,
    /// The allocator settings the workers train under
    /// ([`super::allocator::keep_freed_memory`]); absent in runs from before
    /// rnnbench set them (glibc's defaults).
    #[serde(default)]
    pub allocator: Option<super::allocator::AllocatorSetting>,
    /// Device used: `cpu` or `cuda:N`.
    pub device: String,
    /// Number of CUDA devices visible (0 on CPU-only set-ups).
    pub cuda_devices: i64,
    /// cuDNN version (e.g. 91002), when CUDA is used.
    pub cudnn_version: Option<i64>,
    /// CUDA runtime version, when CUDA is used.
    pub cuda_runtime_version: Option<i64>,
    /// Whether libtorch may use cuDNN, when CUDA is used.
    pub cudnn_enabled: Option<bool>,
    /// cuDNN's benchmark mode (autotuning, not reproducible), when CUDA is
    /// used: rnnbench sets it off.
    pub cudnn_benchmark: Option<bool>,
    /// GPU name, total memory and driver version from `nvidia-smi`, when CUDA
    /// is used and the tool is there.
    pub gpu: Option<GpuInfo>,
}

/// One GPU as `nvidia-smi` describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GpuInfo {
    /// Product name.
    pub name: String,
    /// Total memory in bytes.
    pub memory_bytes: u64,
    /// NVIDIA driver version.
    pub driver_version: String,
}

/// Asks `nvidia-smi` about GPU `index`; `None` without the tool.
fn gpu_info(index: usize) -> Option<GpuInfo> {
    let output = std::process::Command::new("nvidia-smi")
        .args([
            "--query-gpu=name,memory.total,driver_version",
            "--format=csv,noheader,nounits",
        ])
        .arg(format!("--id={index}"))
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let text = String::from_utf8_lossy(&output.stdout);
    let fields: Vec<&str> = text.trim().split(", ").collect();
    let [name, memory_mib, driver] = fields.as_slice() else {
        return None;
    };
    Some(GpuInfo {
        name: name.to_string(),
        memory_bytes: memory_mib.trim().parse::<u64>().ok()? * 1024 * 1024,
        driver_version: driver.to_string(),
    })
}

impl Environment {
    /// Probes the current process (after threads and device are set, and
    /// libtorch's switches for `kernel`, [`super::kernel::apply`]).
    pub fn probe(device: Device, kernel: crate::config::KernelChoice) -> Environment {
        let mut system = sysinfo::System::new().ok();
        if let Some(system) = system.as_mut() {
            system.refresh_cpu_all();
            system.refresh_memory();
        }
        let cpu_model = system
            .as_ref()
            .and_then(|s| s.cpus().first().map(|c| c.brand().trim().to_string()))
            .unwrap_or_else(|| "unknown".to_string());
        let (libtorch_lib_dir, libtorch_version) = loaded_libtorch();
        let mkldnn = tch::utils::has_mkldnn();
        let on_cuda = matches!(device, Device::Cuda(_));
        Environment {
            cpu_model,
            logical_cores: system.as_ref().map_or(0, |s| s.cpus().len()),
            physical_cores: sysinfo::System::physical_core_count().ok(),
            ram_bytes: system.as_ref().map_or(0, |s| s.total_memory()),
            os: sysinfo::System::long_os_version()
                .unwrap_or_else(|_| std::env::consts::OS.to_string()),
            kernel: sysinfo::System::kernel_version().unwrap_or_default(),
            libtorch_version,
            libtorch_lib_dir,
            tch_version: env!("RNNBENCH_TCH_VERSION").to_string(),
            rnnbench_version: env!("CARGO_PKG_VERSION").to_string(),
            git_commit: git_commit(),
            threads: tch::get_num_threads(),
            interop_threads: tch::get_num_interop_threads(),
            mkl: tch::utils::has_mkl(),
            mkldnn,
            openmp: tch::utils::has_openmp(),
            cpu_lstm_kernel: super::kernel::cpu_lstm_kernel(kernel).name().to_string(),
            onednn_enabled: Some(super::kernel::onednn_enabled()),
            flush_denormal: Some(flush_denormal_now()),
            interference_signals: super::interference::available_signals()
                .into_iter()
                .map(str::to_string)
                .collect(),
            allocator: Some(super::allocator::AllocatorSetting::of_this_process()),
            device: super::device::device_name(device),
            cuda_devices: if on_cuda {
                tch::Cuda::device_count()
            } else {
                0
            },
            cudnn_version: on_cuda.then(tch::utils::version_cudnn),
            cuda_runtime_version: on_cuda.then(tch::utils::version_cudart),
            cudnn_enabled: on_cuda.then(tch::Cuda::user_enabled_cudnn),
            cudnn_benchmark: on_cuda.then_some(false),
            gpu: match device {
                Device::Cuda(i) => gpu_info(i),
                _ => None,
            },
        }
    }
}

/// Whether the calling thread flushes subnormal floats to zero (the FTZ bit
/// of MXCSR on x86-64; `false` elsewhere).
fn flush_denormal_now() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        #[allow(deprecated)]
        // SAFETY: reads the MXCSR register of this thread.
        let mxcsr = unsafe { std::arch::x86_64::_mm_getcsr() };
        mxcsr & 0x8000 != 0
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The folder of the `libtorch_cpu.so` mapped into this process and the
/// version recorded beside it (`build-version`, or a wheel's `version.py`).
fn loaded_libtorch() -> (String, String) {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
    let Some(path) = maps
        .lines()
        .filter_map(|l| l.split_whitespace().nth(5))
        .find(|p| p.ends_with("/libtorch_cpu.so"))
    else {
        return ("unknown".into(), "unknown".into());
    };
    let lib = std::path::Path::new(path)
        .parent()
        .unwrap_or(std::path::Path::new("/"));
    let root = lib.parent().unwrap_or(lib);
    let version = std::fs::read_to_string(root.join("build-version"))
        .ok()
        .map(|v| v.trim().to_string())
        .or_else(|| {
            let text = std::fs::read_to_string(root.join("version.py")).ok()?;
            let line = text.lines().find(|l| l.starts_with("__version__"))?;
            Some(
                line.split('\'')
                    .nth(1)
                    .or_else(|| line.split('"').nth(1))?
                    .to_string(),
            )
        })
        .unwrap_or_else(|| "unknown".into());
    (lib.display().to_string(), version)
}

/// `git rev-parse HEAD` of the source tree the binary was built from, with
/// `-dirty` when uncommitted changes exist; `unknown` without git.
fn git_commit() -> String {
    let dir = env!("CARGO_MANIFEST_DIR");
    let run = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match run(&["rev-parse", "HEAD"]) {
        Some(commit) => {
            let dirty = run(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty());
            if dirty {
                format!("{commit}-dirty")
            } else {
                commit
            }
        }
        None => "unknown".into(),
    }
}
