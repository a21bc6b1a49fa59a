fn main() {
    let t = tch::Tensor::from_slice(&[1.0f32, 2.0]);
    println!(
        "{:?} mkldnn={} openmp={}",
        t.sum(tch::Kind::Float),
        tch::utils::has_mkldnn(),
        tch::utils::has_openmp()
    );
}
