//! Embeds libtorch's lib folder as the RUNPATH of every binary, test and bench,
//! so they run without `LD_LIBRARY_PATH`. (An `LD_LIBRARY_PATH` set at run time
//! still wins: that is how one binary is pointed at a CUDA libtorch.)
//! Also records the tch version for `environment.json`.
//! Compiles `src/probe/gpu_stats.cpp`, the few lines of C++ that read
//! libtorch's device-allocator statistics, and `src/probe/kernel_switch.cpp`,
//! the oneDNN and flush-denormal switches (tch exposes neither), and
//! `src/model/onednn_rnn.cpp`, the fused oneDNN cells (linked against the
//! oneDNN that `scripts/setup-onednn` puts in `./onednn`, or the folder
//! `RNNBENCH_ONEDNN` names; without one it is built to report it is missing).
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
        build_onednn_shim(&include);
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

/// Compiles the oneDNN cell shim; with a oneDNN folder (`include/oneapi/dnnl`,
/// `lib/libdnnl.so.3`), defines `RNNBENCH_ONEDNN`, puts its headers before
/// libtorch's (libtorch ships another oneDNN version's headers), links it
/// and records its lib folder as a RUNPATH.
fn build_onednn_shim(torch_include: &std::path::Path) {
    println!("cargo:rerun-if-changed=src/model/onednn_rnn.cpp");
    println!("cargo:rerun-if-env-changed=RNNBENCH_ONEDNN");
    let manifest =
        std::path::PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let root = std::env::var("RNNBENCH_ONEDNN")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| manifest.join("onednn"));
    println!("cargo:rerun-if-changed={}", root.join("version").display());
    let header = root.join("include/oneapi/dnnl/dnnl.hpp");
    let lib = root.join("lib");
    let found = header.is_file() && lib.join("libdnnl.so.3").is_file();
    let mut build = cc::Build::new();
    build.cpp(true).std("c++17");
    if found {
        build
            .include(root.join("include"))
            .define("RNNBENCH_ONEDNN", None);
    }
    build
        .include(torch_include)
        .include(torch_include.join("torch/csrc/api/include"))
        .define("_GLIBCXX_USE_CXX11_ABI", "1")
        .flag_if_supported("-w")
        .file("src/model/onednn_rnn.cpp")
        .compile("rnnbench_onednn");
    if found {
        println!("cargo:rustc-link-search=native={}", lib.display());
        println!("cargo:rustc-link-lib=dylib=dnnl");
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());
    } else {
        println!(
            "cargo:warning=oneDNN not found in {} (run scripts/setup-onednn): --kernel onednn will be unavailable",
            root.display()
        );
    }
}
