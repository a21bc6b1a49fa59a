//! Embeds libtorch's lib folder as the RUNPATH of every binary, test and bench,
//! so they run without `LD_LIBRARY_PATH`. (An `LD_LIBRARY_PATH` set at run time
//! still wins: that is how one binary is pointed at a CUDA libtorch.)
//! Also records the tch version for `environment.json`.
fn main() {
    if let Ok(dir) = std::env::var("DEP_TCH_LIBTORCH_LIB") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
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
