//! Embeds libtorch's lib folder as the RUNPATH of every binary, test and bench,
//! relative to the binary (`$ORIGIN/…`), so they run without `LD_LIBRARY_PATH`
//! and still run when the checkout is moved. (An `LD_LIBRARY_PATH` set at run
//! time still wins: that is how one binary is pointed at a CUDA libtorch.)
//! Also records the tch version for `environment.json`.
//! Compiles `src/probe/gpu_stats.cpp`, the few lines of C++ that read
//! libtorch's device-allocator statistics, and `src/probe/kernel_switch.cpp`,
//! the oneDNN and flush-denormal switches, and `src/train/fused_adam.cpp`,
//! libtorch's fused Adam (tch exposes none of these), into the
//! binaries; and `src/model/onednn_rnn.cpp`, the fused oneDNN cells, into a
//! shared library of its own, `librnnbench_onednn.so` (linked against the
//! oneDNN that `scripts/setup-onednn` puts in `./onednn`, or the folder
//! `RNNBENCH_ONEDNN` names), which the binaries load only when the fused
//! kernel is first used: without oneDNN they start and run every other kernel.
use std::path::{Path, PathBuf};

fn main() {
    let mut shim = None;
    if let Ok(dir) = std::env::var("DEP_TCH_LIBTORCH_LIB") {
        let lib = Path::new(&dir);
        for rpath in origin_paths(&profile_dir(), lib) {
            println!("cargo:rustc-link-arg=-Wl,-rpath,{rpath}");
        }
        let include = lib
            .parent()
            .map(|root| root.join("include"))
            .unwrap_or_default();
        println!("cargo:rerun-if-changed=src/probe/gpu_stats.cpp");
        println!("cargo:rerun-if-changed=src/probe/kernel_switch.cpp");
        println!("cargo:rerun-if-changed=src/train/fused_adam.cpp");
        cc::Build::new()
            .cpp(true)
            .std("c++17")
            .include(&include)
            .include(include.join("torch/csrc/api/include"))
            .define("_GLIBCXX_USE_CXX11_ABI", "1")
            .flag_if_supported("-w")
            .file("src/probe/gpu_stats.cpp")
            .file("src/probe/kernel_switch.cpp")
            .file("src/train/fused_adam.cpp")
            .compile("rnnbench_gpu_stats");
        shim = build_onednn_shim(&include, lib);
    }
    // The shim's place for src/model/onednn.rs: relative to the profile
    // folder (target/release), and absolute; empty without oneDNN.
    let (relative, absolute) = shim
        .map(|so| {
            let relative = pathdiff::diff_paths(&so, profile_dir()).unwrap_or_default();
            (relative.display().to_string(), so.display().to_string())
        })
        .unwrap_or_default();
    println!("cargo:rustc-env=RNNBENCH_ONEDNN_SHIM_REL={relative}");
    println!("cargo:rustc-env=RNNBENCH_ONEDNN_SHIM_ABS={absolute}");
    println!("cargo:rerun-if-changed=Cargo.lock");
    let lock = std::fs::read_to_string("Cargo.lock").unwrap_or_default();
    let version = lock
        .split("[[package]]")
        .find(|p| p.contains("name = \"tch\"\n"))
        .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = \"")))
        .map(|v| v.trim_end_matches('"').to_string())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=RNNBENCH_TCH_VERSION={version}");
}

/// The build's profile folder (`target/release`): `OUT_DIR` is
/// `<profile>/build/<package>-<hash>/out`.
fn profile_dir() -> PathBuf {
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    out.ancestors()
        .nth(3)
        .expect("OUT_DIR is <profile>/build/<package>/out")
        .to_path_buf()
}

/// RUNPATH entries that reach `target` from a binary in the profile folder
/// (`compare`, `report`) or one level below it (`deps/` for tests and
/// benches, `examples/`): `$ORIGIN/<relative>` and `$ORIGIN/../<relative>`.
fn origin_paths(profile: &Path, target: &Path) -> Vec<String> {
    match pathdiff::diff_paths(target, profile) {
        Some(relative) => vec![
            format!("$ORIGIN/{}", relative.display()),
            format!("$ORIGIN/../{}", relative.display()),
        ],
        None => vec![target.display().to_string()],
    }
}

/// With a oneDNN folder (`include/oneapi/dnnl`, `lib/libdnnl.so.3`), builds
/// the oneDNN cell shim as `OUT_DIR/librnnbench_onednn.so`: oneDNN's headers
/// before libtorch's (libtorch ships another oneDNN version's headers),
/// linked against libtorch and oneDNN, with a RUNPATH to oneDNN's lib folder
/// relative to itself. Returns its path; `None` (and a warning) without
/// oneDNN.
fn build_onednn_shim(torch_include: &Path, torch_lib: &Path) -> Option<PathBuf> {
    println!("cargo:rerun-if-changed=src/model/onednn_rnn.cpp");
    println!("cargo:rerun-if-env-changed=RNNBENCH_ONEDNN");
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let root = std::env::var("RNNBENCH_ONEDNN")
        .map(PathBuf::from)
        .unwrap_or_else(|_| manifest.join("onednn"));
    println!("cargo:rerun-if-changed={}", root.join("version").display());
    let header = root.join("include/oneapi/dnnl/dnnl.hpp");
    let lib = root.join("lib");
    if !(header.is_file() && lib.join("libdnnl.so.3").is_file()) {
        println!(
            "cargo:warning=oneDNN not found in {} (run scripts/setup-onednn): --kernel onednn will be unavailable",
            root.display()
        );
        return None;
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let so = out.join("librnnbench_onednn.so");
    let compiler = cc::Build::new()
        .cpp(true)
        .std("c++17")
        .pic(true)
        .include(root.join("include"))
        .define("RNNBENCH_ONEDNN", None)
        .include(torch_include)
        .include(torch_include.join("torch/csrc/api/include"))
        .define("_GLIBCXX_USE_CXX11_ABI", "1")
        .flag_if_supported("-w")
        .get_compiler();
    let mut cmd = compiler.to_command();
    cmd.arg("-shared")
        .arg("-o")
        .arg(&so)
        .arg(manifest.join("src/model/onednn_rnn.cpp"))
        .arg(format!("-L{}", torch_lib.display()))
        .args(["-ltorch_cpu", "-lc10"])
        .arg(format!("-L{}", lib.display()))
        .arg("-ldnnl");
    let relative = pathdiff::diff_paths(&lib, &out).unwrap_or_else(|| lib.clone());
    cmd.arg(format!("-Wl,-rpath,$ORIGIN/{}", relative.display()));
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("cannot run the C++ compiler for the oneDNN shim: {e}"));
    assert!(status.success(), "the oneDNN shim did not compile: {cmd:?}");
    Some(so)
}
