use rnnbench::model::{Cell, Classifier, ModelShape};
use std::time::Instant;
use tch::{nn, nn::OptimizerConfig, Device, Kind, Tensor};
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let cell: Cell = args[1].parse().unwrap();
    let t: i64 = args[2].parse().unwrap();
    let threads: i32 = args[3].parse().unwrap();
    tch::set_num_threads(threads);
    tch::manual_seed(0);
    let vs = nn::VarStore::new(Device::Cpu);
    let h = if cell == Cell::Gru { 155 } else { 128 };
    let shape = ModelShape { cell, vocab_size: 20000, embed_size: 128, hidden_size: h, layers: 1, bidirectional: false, classes: 2 };
    let m = Classifier::new(&vs.root(), shape, 0.3);
    let mut opt = nn::Adam::default().build(&vs, 2e-3).unwrap();
    let tokens = Tensor::randint_low(2, 20000, [64, t], (Kind::Int64, Device::Cpu));
    let lengths = Tensor::full([64], t, (Kind::Int64, Device::Cpu));
    let labels = Tensor::randint(2, [64], (Kind::Int64, Device::Cpu));
    for mode in ["fwd", "fwdbwd", "step"] {
        let n = 5;
        let mut times = vec![];
        for _ in 0..n+1 {
            let s = Instant::now();
            if mode == "fwd" {
                let _ = tch::no_grad(|| m.forward(&tokens, &lengths, false).unwrap());
            } else {
                let logits = m.forward(&tokens, &lengths, true).unwrap();
                let loss = logits.cross_entropy_for_logits(&labels);
                opt.zero_grad();
                loss.backward();
                if mode == "step" { opt.step(); }
            }
            times.push(s.elapsed().as_secs_f64()*1000.0);
        }
        times.remove(0);
        times.sort_by(|a,b| a.partial_cmp(b).unwrap());
        println!("{cell} T={t} threads={threads} {mode}: median {:.1} ms", times[n/2]);
    }
}
