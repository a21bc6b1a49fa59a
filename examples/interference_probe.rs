//! Measures the interference signals on a fixed CPU-bound libtorch workload,
//! to choose the thresholds of `rnnbench::probe::interference`.
//!
//! Each "epoch" runs the same number of 512 x 512 matmuls on 2 threads
//! (calibrated to about `--epoch-secs` on the quiet machine before epoch 1),
//! and prints the signals of its window (`wait_share` is
//! [`runqueue_wait_share`], `psi_share` the PSI stall per second). `--hog N --hog-epochs A-B` starts N
//! busy-loop processes (`sh -c 'while :; do :; done'`, pinned one per CPU
//! with `--pin`; busy only `--hog-duty D` of every 100 ms when D < 1) before
//! epoch A and stops them after epoch B.
//!
//! ```text
//! cargo run --release --example interference_probe -- --epochs 8
//! cargo run --release --example interference_probe -- --epochs 8 --hog 2 --hog-epochs 3-5
//! ```

use std::process::{Child, Command};
use std::time::Instant;

use rnnbench::analysis::disturbance::{DisturbanceRule, EpochTiming, runqueue_wait_share};
use rnnbench::probe::interference::Signals;
use tch::{Device, Kind, Tensor};

struct Args {
    epochs: usize,
    epoch_secs: f64,
    threads: i32,
    hog: usize,
    hog_epochs: (usize, usize),
    pin: bool,
    steps: Option<usize>,
    hog_duty: f64,
}

fn parse_args() -> Args {
    let mut args = Args {
        epochs: 8,
        epoch_secs: 1.0,
        threads: 2,
        hog: 0,
        hog_epochs: (0, 0),
        pin: false,
        steps: None,
        hog_duty: 1.0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().expect("a value after the flag");
        match flag.as_str() {
            "--epochs" => args.epochs = value().parse().expect("--epochs N"),
            "--epoch-secs" => args.epoch_secs = value().parse().expect("--epoch-secs S"),
            "--threads" => args.threads = value().parse().expect("--threads N"),
            "--hog" => args.hog = value().parse().expect("--hog N"),
            "--hog-epochs" => {
                let v = value();
                let (a, b) = v.split_once('-').expect("--hog-epochs A-B");
                args.hog_epochs = (a.parse().expect("A"), b.parse().expect("B"));
            }
            "--pin" => args.pin = true,
            "--hog-duty" => args.hog_duty = value().parse().expect("--hog-duty 0..1"),
            // Internal: be one hog process.
            "--spin" => spin(value().parse().expect("--spin 0..1")),
            "--steps" => args.steps = Some(value().parse().expect("--steps N")),
            other => panic!("unknown flag {other}"),
        }
    }
    args
}

/// Spins `duty` of every 100 ms and sleeps the rest, for ever.
fn spin(duty: f64) -> ! {
    let period = std::time::Duration::from_millis(100);
    loop {
        let began = Instant::now();
        while began.elapsed() < period.mul_f64(duty) {
            std::hint::spin_loop();
        }
        std::thread::sleep(period.saturating_sub(began.elapsed()));
    }
}

/// `processes` hogs busy `duty` of the time: `sh` busy loops when the duty
/// is 1, else copies of this program in `--spin` mode.
fn start_hog(processes: usize, pin: bool, duty: f64) -> Vec<Child> {
    let cpus = rnnbench::probe::interference::online_cpus();
    let me = std::env::current_exe().expect("this program's path");
    (0..processes)
        .map(|i| {
            let mut cmd = Command::new(if pin {
                "taskset".as_ref()
            } else {
                me.as_os_str()
            });
            if pin {
                cmd.args(["-c", &(i % cpus).to_string()]);
                cmd.arg(if duty >= 1.0 {
                    "sh".as_ref()
                } else {
                    me.as_os_str()
                });
            } else if duty >= 1.0 {
                cmd = Command::new("sh");
            }
            if duty >= 1.0 {
                cmd.args(["-c", "while :; do :; done"]);
            } else {
                cmd.args(["--spin", &duty.to_string()]);
            }
            cmd.spawn().expect("the hog starts")
        })
        .collect()
}

fn main() {
    let args = parse_args();
    tch::manual_seed(0);
    tch::set_num_threads(args.threads);
    let a = Tensor::randn([512, 512], (Kind::Float, Device::Cpu));
    let b = Tensor::randn([512, 512], (Kind::Float, Device::Cpu));
    let step = || {
        let c = a.matmul(&b);
        std::hint::black_box(c.double_value(&[0, 0]));
    };
    // Calibrate the fixed amount of work per epoch.
    for _ in 0..20 {
        step();
    }
    let began = Instant::now();
    let mut calibration_steps = 0usize;
    while began.elapsed().as_secs_f64() < 0.5 {
        step();
        calibration_steps += 1;
    }
    let steps = args.steps.unwrap_or(
        (calibration_steps as f64 * args.epoch_secs / began.elapsed().as_secs_f64()) as usize,
    );
    if let Some(load) = rnnbench::probe::load::LoadAverage::read() {
        println!(
            "load average {:.2}, {} tasks runnable",
            load.one_min, load.runnable_tasks
        );
    }
    println!(
        "threads {}, {steps} matmuls 512x512 per epoch, {} CPUs, hog {} x duty {}{} epochs {}-{}{}",
        args.threads,
        rnnbench::probe::interference::online_cpus(),
        args.hog,
        args.hog_duty,
        if args.pin { " pinned" } else { "" },
        args.hog_epochs.0,
        args.hog_epochs.1,
        if args.hog == 0 { " (none)" } else { "" },
    );
    println!(
        "epoch train_secs cpu_secs rq_wait_secs wait_share psi_secs psi_share steal_secs nivcsw"
    );
    let mut hog = Vec::new();
    let mut epochs = Vec::new();
    for epoch in 1..=args.epochs {
        if args.hog > 0 && epoch == args.hog_epochs.0 {
            hog = start_hog(args.hog, args.pin, args.hog_duty);
        }
        let start = Signals::now();
        let began = Instant::now();
        for _ in 0..steps {
            step();
        }
        let train_secs = began.elapsed().as_secs_f64();
        let signals = Signals::now().since(&start);
        if epoch == args.hog_epochs.1 {
            for mut child in hog.drain(..) {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        let opt = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
        let share =
            |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{:.3}", v / train_secs));
        println!(
            "{epoch} {train_secs:.3} {} {} {} {} {} {} {}",
            opt(signals.cpu_secs),
            opt(signals.runqueue_wait_secs),
            opt(runqueue_wait_share(&signals, train_secs)),
            opt(signals.cpu_pressure_secs),
            share(signals.cpu_pressure_secs),
            opt(signals.steal_secs),
            signals
                .involuntary_switches
                .map_or("-".to_string(), |v| v.to_string()),
        );
        epochs.push(EpochTiming {
            train_secs,
            signals,
        });
    }
    for mut child in hog {
        let _ = child.kill();
        let _ = child.wait();
    }
    let rule = DisturbanceRule::default();
    let verdicts = rule.classify(&epochs);
    for (i, v) in verdicts.iter().enumerate() {
        if let Some(why) = &v.disturbance {
            println!("epoch {} disturbed: {why}", i + 1);
        }
    }
    println!("timing: {}", rule.run_timing(&verdicts));
}
