//! Embeds libtorch's lib folder as the RUNPATH of every binary, test and bench,
//! so they run without `LD_LIBRARY_PATH`. (An `LD_LIBRARY_PATH` set at run time
//! still wins: that is how one binary is pointed at a CUDA libtorch.)
//! Also records the tch version for `environment.json`.
//! Compiles `src/probe/gpu_stats.cpp`, the few lines of C++ that read
//! libtorch's device-allocator statistics, and `src/probe/kernel_switch.cpp`,
//! the oneDNN and flush-denormal switches (tch exposes neither).
fn main() {
    if let Ok(dir) = std::env::var("DEP_TCH_LIBTORCH_LIB") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
        let lib = std::path::Path::new(&dir);
        let include = lib
            .parent()
            .map(|root| root.join("include"))
            .unwrap_or_default();
        println!("cargo:rerun-if-changed=src/probe/gpu_stats.cpp");
        println!("cargo:rerun-if-changed=src/probe/kernel_switch.cpp");
        cc::Build::new()
            .cpp(true)
            .std("c++17")
            .include(&include)
            .include(include.join("torch/csrc/api/include"))
            .define("_GLIBCXX_USE_CXX11_ABI", "1")
            .flag_if_supported("-w")
            .file("src/probe/gpu_stats.cpp")
            .file("src/probe/kernel_switch.cpp")
            .compile("rnnbench_gpu_stats");
    }
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
