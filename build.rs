//! Embeds libtorch's lib folder as the RUNPATH of every binary, test and bench,
//! so they run without `LD_LIBRARY_PATH`. (An `LD_LIBRARY_PATH` set at run time
//! still wins: that is how one binary is pointed at a CUDA libtorch.)
fn main() {
    if let Ok(dir) = std::env::var("DEP_TCH_LIBTORCH_LIB") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
}
