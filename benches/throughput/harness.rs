//! What every throughput bench shares: the process-wide settings fixed
//! before any tensor work (device, flushing of subnormal floats), warming a
//! fixture to its steady state, sizing criterion's measurement time from the
//! warm-up so that 10 samples always fit, measuring again a bench whose
//! samples drifted or stayed disturbed ([`remeasure_unsound`]), and the record of how each
//! bench ran ([`BENCH_CONDITIONS_FILE`] in criterion's folder, read by
//! `report --bench`).

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fmt::Display;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, SamplingMode};
use rnnbench::analysis::disturbance::{DisturbanceRule, EpochTiming};
use rnnbench::bench::canary::Canary;
use rnnbench::bench::{
    BENCH_CONDITIONS_FILE, BenchCondition, BenchConditions, Measurement, RemeasureLedger,
};
use rnnbench::probe::device::{cuda_unavailable_reason, synchronize};
use rnnbench::probe::interference::Signals;
use tch::{Device, Tensor};

/// Samples per bench: criterion's minimum.
pub const SAMPLES: usize = 10;

/// Measurement time per bench, in units of [`SAMPLES`] warmed step times:
/// criterion warns (and falls back to one step per sample) when its own
/// estimate of a step exceeds the measurement time per sample, so leave
/// room for that estimate to come out up to twice the warm-up's. Samples of
/// two steps cost the same either way.
const MEASUREMENT_MARGIN: f64 = 2.0;

/// Most times one of criterion's samples is timed again while the
/// disturbance rule marks its timing disturbed.
const MAX_RETAKES_PER_SAMPLE: usize = 3;

/// criterion's own warm-up per bench (the fixtures are warmed before it by
/// [`warm_up`]): it calls the timing routine with 1, 2, 4… iterations until
/// their wall time exceeds this, and those calls are never retaken.
const CRITERION_WARM_UP: Duration = Duration::from_millis(500);

/// Steps per warm-up window; the warm-up compares the medians of the last
/// two windows.
const WARMUP_WINDOW: usize = 3;
/// Largest relative difference between the last two windows' medians at
/// which the step time counts as settled.
const WARMUP_TOLERANCE: f64 = 0.10;
/// Fewest warm-up steps with subnormals flushed.
const WARMUP_MIN_STEPS: usize = 6;
/// Fewest warm-up steps with subnormals kept: a fresh recurrent net spends
/// its first 20 to 25 train steps in slow subnormal arithmetic on this
/// Xeon, at a step time that is itself steady, so a settled time alone does
/// not show that the phase is over.
const WARMUP_MIN_STEPS_UNFLUSHED: usize = 40;

/// Most times a bench whose measurement is unsound is measured again (each
/// time from a fresh fixture and warm-up, after every other bench has run).
/// On a 2-vCPU Intel Xeon VM a full run had 1 and 7 drifting benches of 109
/// in two runs of the same binary, at 0% steal: the VM's speed changes for
/// seconds at a time, longer than the canary brackets; a second
/// measurement minutes later is a fresh draw of those conditions.
const MAX_REMEASUREMENTS: usize = 2;

/// How much slower [`fault_drift`] reports the later samples.
const FAULT_DRIFT_FACTOR: f64 = 1.5;

/// Test hook: `RNNBENCH_BENCH_FAULT_DRIFT=REGEX` reports the samples after
/// the fifth of the first measurement of each bench whose id matches as
/// [`FAULT_DRIFT_FACTOR`] times slower than timed, so that the
/// re-measurement of drifting benches ([`remeasure_unsound`]) can be seen
/// at work on any machine; its re-measurements are reported as timed.
fn fault_drift(id: &str) -> bool {
    std::env::var("RNNBENCH_BENCH_FAULT_DRIFT")
        .ok()
        .and_then(|r| regex::Regex::new(&r).ok())
        .is_some_and(|r| r.is_match(id))
}

/// Whether `RNNBENCH_BENCH_QUICK` asks for the quick subset.
pub fn quick() -> bool {
    std::env::var("RNNBENCH_BENCH_QUICK").is_ok_and(|v| v != "0")
}

/// Longest a warm-up runs before it gives up waiting for a settled time.
fn warmup_cap(flush: bool) -> Duration {
    Duration::from_secs(match (quick(), flush) {
        (true, true) => 10,
        (false, true) => 30,
        (_, false) => 90,
    })
}

/// Criterion's measurement time when nothing is known about a bench, and
/// the least it gets otherwise.
fn base_measurement() -> Duration {
    if quick() {
        Duration::from_secs(1)
    } else {
        Duration::from_secs(3)
    }
}

/// The most measurement time a bench gets, whatever its warm-up said.
fn max_measurement() -> Duration {
    if quick() {
        Duration::from_secs(20)
    } else {
        Duration::from_secs(60)
    }
}

/// How subnormal floats are treated in this process.
#[derive(Debug, Clone, Copy)]
pub struct Flush {
    /// Asked for (`RNNBENCH_FLUSH_DENORMAL`, default on).
    pub requested: bool,
    /// libtorch says the CPU supports it.
    pub supported: bool,
    /// A parallel multiply of subnormal numbers gave zeros on every element;
    /// `None` off the CPU.
    pub effective: Option<bool>,
}

/// What the command line asks criterion to do, read the way criterion reads
/// it, so that fixtures of benches filtered out are not warmed. A wrong
/// guess costs time only: a bench that runs unexpectedly is warmed before
/// its first timed iteration all the same.
struct Selection {
    /// `cargo bench` (criterion's `--bench` without `--test` or `--list`):
    /// timing, not a test run.
    benchmarking: bool,
    /// The filter: a regex, or the exact id with `--exact`.
    filter: Option<(String, bool)>,
}

impl Selection {
    fn from_args() -> Selection {
        // criterion's options that take a value (everything else is a flag).
        const VALUED: [&str; 18] = [
            "-c",
            "--color",
            "-s",
            "--save-baseline",
            "-b",
            "--baseline",
            "--baseline-lenient",
            "--format",
            "--profile-time",
            "--load-baseline",
            "--sample-size",
            "--warm-up-time",
            "--measurement-time",
            "--nresamples",
            "--noise-threshold",
            "--confidence-level",
            "--significance-level",
            "--plotting-backend",
        ];
        let args: Vec<String> = std::env::args().skip(1).collect();
        let has = |flag: &str| args.iter().any(|a| a == flag);
        let mut filter = None;
        let mut i = 0;
        while i < args.len() {
            let a = &args[i];
            if VALUED.contains(&a.as_str()) || a == "--output-format" {
                i += 1;
            } else if !a.starts_with('-') && filter.is_none() {
                filter = Some(a.clone());
            }
            i += 1;
        }
        Selection {
            benchmarking: has("--bench") && !has("--test") && !has("--list"),
            filter: filter.map(|f| (f, has("--exact"))),
        }
    }

    /// Whether criterion will time the bench `id`.
    fn runs(&self, id: &str) -> bool {
        self.benchmarking
            && match &self.filter {
                None => true,
                Some((f, true)) => id == f,
                Some((f, false)) => regex::Regex::new(f).map_or(true, |r| r.is_match(id)),
            }
    }
}

/// The process-wide settings.
pub struct Setup {
    /// Where the benches run; `None` when CUDA was asked for and is missing.
    pub device: Option<Device>,
    /// Subnormal floats.
    pub flush: Flush,
    selection: Selection,
    criterion_dir: PathBuf,
    conditions: Mutex<BenchConditions>,
    /// The benches whose last measurement was unsound.
    pending: Mutex<RemeasureLedger>,
    /// While [`remeasure_unsound`] runs: the benches it measures again.
    remeasuring: Mutex<Option<BTreeSet<String>>>,
}

impl Setup {
    /// Whether criterion will time the bench `id` in this pass.
    fn runs(&self, id: &str) -> bool {
        match &*self.remeasuring.lock().expect("no bench panics holding it") {
            Some(ids) => self.selection.benchmarking && ids.contains(id),
            None => self.selection.runs(id),
        }
    }
}

/// The settings, fixed on the first call. Every bench calls it before any
/// tensor work: flushing is a per-thread CPU flag (FTZ/DAZ) that libtorch's
/// worker threads inherit when they are created, so it must be set before
/// the first parallel operation.
pub fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let requested = match std::env::var("RNNBENCH_FLUSH_DENORMAL").as_deref() {
            Err(_) | Ok("on") | Ok("1") => true,
            Ok("off") | Ok("0") => false,
            Ok(other) => panic!("RNNBENCH_FLUSH_DENORMAL must be on or off, not `{other}`"),
        };
        let supported = rnnbench::probe::kernel::set_flush_denormal(requested);
        let device = match std::env::var("RNNBENCH_BENCH_DEVICE").as_deref() {
            Ok("cuda") => match cuda_unavailable_reason() {
                None => Some(Device::Cuda(0)),
                Some(reason) => {
                    eprintln!("note: CUDA benches skipped: {reason}");
                    None
                }
            },
            _ => Some(Device::Cpu),
        };
        let effective = (device == Some(Device::Cpu)).then(flushes_on_every_thread);
        let flush = Flush {
            requested,
            supported,
            effective,
        };
        println!(
            "subnormal floats: flush {} (RNNBENCH_FLUSH_DENORMAL), supported by this CPU: {supported}, zeros on every thread: {}",
            if requested { "on" } else { "off" },
            effective.map_or("not checked".into(), |e| e.to_string())
        );
        let criterion_dir = criterion_dir();
        let conditions = rnnbench::results::read_json(&criterion_dir.join(BENCH_CONDITIONS_FILE))
            .unwrap_or_default();
        Setup {
            device,
            flush,
            selection: Selection::from_args(),
            criterion_dir,
            conditions: Mutex::new(conditions),
            pending: Mutex::new(RemeasureLedger::default()),
            remeasuring: Mutex::new(None),
        }
    })
}

/// criterion configured for these benches: without its own plots (they need
/// system fonts; the bench report draws its own), writing where
/// [`setup`] records the conditions.
pub fn criterion() -> Criterion {
    Criterion::default()
        .without_plots()
        .output_directory(&setup().criterion_dir)
}

/// Measures again, with `targets` (every bench function of the binary),
/// the benches whose measurement was unsound in this process (their
/// samples drifted, or more than a third stayed disturbed:
/// [`Measurement::unsound`]): at most [`MAX_REMEASUREMENTS`] passes, each
/// over the benches still unsound, with a criterion filtered to exactly
/// those ids (a new `Criterion`, so that they keep their folders). Such
/// samples are no basis for a finding; the choice depends only on their
/// stationarity and disturbance, never on their value, and each replaced
/// measurement is recorded with the bench (`remeasurements`, `replaced`)
/// and named on the bench report.
pub fn remeasure_unsound(targets: impl Fn(&mut Criterion)) {
    let s = setup();
    if !s.selection.benchmarking {
        return;
    }
    for pass in 1..=MAX_REMEASUREMENTS {
        let (pending, filter) = {
            let ledger = s.pending.lock().expect("no bench panics holding it");
            (ledger.pending(), ledger.filter())
        };
        let Some(filter) = filter else { return };
        let named: Vec<String> = pending
            .iter()
            .map(|(id, m)| format!("{id} ({})", m.describe()))
            .collect();
        println!(
            "re-measuring {} bench(es) whose samples drifted or were mostly disturbed (pass {pass} of {MAX_REMEASUREMENTS}; last/first third): {}",
            pending.len(),
            named.join(", ")
        );
        let ids: BTreeSet<String> = pending.into_iter().map(|(id, _)| id).collect();
        *s.remeasuring.lock().expect("no bench panics holding it") = Some(ids);
        let mut c = criterion().configure_from_args().with_filter(filter);
        targets(&mut c);
        *s.remeasuring.lock().expect("no bench panics holding it") = None;
    }
    let left = s
        .pending
        .lock()
        .expect("no bench panics holding it")
        .pending();
    if !left.is_empty() {
        let ids: Vec<String> = left.into_iter().map(|(id, _)| id).collect();
        println!(
            "still unsound after {MAX_REMEASUREMENTS} re-measurements (see the bench report): {}",
            ids.join(", ")
        );
    }
}

/// Whether multiplying subnormal numbers gives zeros on every element of a
/// tensor large enough that libtorch splits it over all its threads. The
/// input is built from bits and the output read back as bits, so that no
/// conversion on this thread flushes them first.
fn flushes_on_every_thread() -> bool {
    let smallest_subnormal = f32::from_bits(1);
    let x = Tensor::from_slice(&vec![smallest_subnormal; 1 << 20]);
    let y = &x * 1.5;
    let out = Vec::<f32>::try_from(&y).expect("a float tensor reads back");
    out.iter().all(|v| v.to_bits() & 0x7fff_ffff == 0)
}

/// criterion's folder, found as criterion finds it: `CRITERION_HOME`, else
/// `criterion/` in `CARGO_TARGET_DIR`, in cargo's target folder, or in `target/`.
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            let output = std::process::Command::new(std::env::var_os("CARGO")?)
                .args(["metadata", "--format-version", "1", "--no-deps"])
                .output()
                .ok()?;
            let json: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
            json["target_directory"].as_str().map(PathBuf::from)
        })
        .unwrap_or_else(|| PathBuf::from("target"));
    target.join("criterion")
}

/// Times `iters` calls of `f`, synchronising the device before reading the clock.
pub fn timed(iters: u64, device: Device, mut f: impl FnMut()) -> Duration {
    synchronize(device);
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    synchronize(device);
    start.elapsed()
}

/// One call of criterion's timing routine, as [`timed_clean`] left it.
#[derive(Debug, Clone, Default)]
struct Take {
    /// Seconds per iteration of the timing returned to criterion.
    secs_per_iter: f64,
    /// Timings thrown away as disturbed before the one returned.
    retaken: u64,
    /// Why the returned timing is disturbed, when it still is.
    disturbance: Option<String>,
}

/// Times `iters` calls of `step` like [`timed`], between two canaries
/// (on the CPU), and times them again (at most [`MAX_RETAKES_PER_SAMPLE`]
/// times, and only while `retake_budget` lasts) while the timing is
/// disturbed: `compare`'s disturbance rule says its threads waited for a
/// CPU or the hypervisor stole it (a shared VM's steal comes and goes in
/// stretches of seconds), or the canaries say the machine itself ran slow
/// ([`Canary`]: a slow stretch shows in neither signal). Before a retake
/// after a slow canary it waits, within the budget, for the canary to run
/// at normal speed again. A sample is short, so the rule's outlier test,
/// which needs a run of epochs, does not apply.
fn timed_clean(
    iters: u64,
    device: Device,
    rule: &DisturbanceRule,
    retake_budget: &mut Duration,
    step: &mut impl FnMut(),
) -> (Duration, Take) {
    CANARY.with_borrow_mut(|canary| {
        if device == Device::Cpu && canary.is_none() {
            *canary = Some(Canary::new());
        }
        timed_clean_with(iters, device, rule, canary, retake_budget, step)
    })
}

thread_local! {
    /// One canary for the whole process, so that its usual time before a
    /// measurement carries over from bench to bench.
    static CANARY: RefCell<Option<Canary>> = const { RefCell::new(None) };
}

/// [`timed_clean`] with its canary (`None` off the CPU).
fn timed_clean_with(
    iters: u64,
    device: Device,
    rule: &DisturbanceRule,
    canary: &mut Option<Canary>,
    retake_budget: &mut Duration,
    step: &mut impl FnMut(),
) -> (Duration, Take) {
    let mut take = Take::default();
    loop {
        let start = Signals::now();
        let (elapsed, reading) = match canary.as_mut() {
            Some(canary) => {
                let (elapsed, reading) = canary.around(|| timed(iters, device, &mut *step));
                (elapsed, Some(reading))
            }
            None => (timed(iters, device, &mut *step), None),
        };
        let signals = Signals::now().since(&start);
        let verdict = rule
            .classify(&[EpochTiming {
                train_secs: elapsed.as_secs_f64(),
                signals,
            }])
            .remove(0);
        let disturbance = verdict
            .disturbance
            .filter(|_| verdict.disturbed)
            .or_else(|| reading.and_then(|r| r.disturbance()));
        take.secs_per_iter = elapsed.as_secs_f64() / iters.max(1) as f64;
        let Some(disturbance) = disturbance else {
            return (elapsed, take);
        };
        if take.retaken as usize >= MAX_RETAKES_PER_SAMPLE || *retake_budget < elapsed {
            take.disturbance = Some(disturbance);
            return (elapsed, take);
        }
        *retake_budget -= elapsed;
        take.retaken += 1;
        if let (Some(canary), Some(reading)) = (canary.as_mut(), reading)
            && reading.slowed()
        {
            let waited = Instant::now();
            canary.wait_for_normal_speed(*retake_budget / 2);
            *retake_budget = retake_budget.saturating_sub(waited.elapsed());
        }
    }
}

/// A warm-up's outcome.
#[derive(Debug, Clone)]
struct Warmup {
    steps: usize,
    secs: f64,
    first_step_secs: f64,
    last_step_secs: f64,
    /// The fastest step of the last two windows: interference only ever
    /// makes a step slower, so this is the estimate that sizes criterion's
    /// measurement time (a stall during the warm-up would otherwise inflate it).
    fastest_recent_secs: f64,
    stable: bool,
}

/// The median of a window's step times (odd windows: the middle one).
fn median(v: &[f64]) -> f64 {
    rnnbench::analysis::stats::median(v).expect("a warm-up window has steps")
}

/// Runs `step` until its time per call settles: the medians of the last two
/// windows of [`WARMUP_WINDOW`] steps within [`WARMUP_TOLERANCE`], after at
/// least [`WARMUP_MIN_STEPS`] (or [`WARMUP_MIN_STEPS_UNFLUSHED`]) steps, or
/// until [`warmup_cap`].
fn warm_up(device: Device, flush: bool, step: &mut impl FnMut()) -> Warmup {
    let min_steps = if flush {
        WARMUP_MIN_STEPS
    } else {
        WARMUP_MIN_STEPS_UNFLUSHED
    }
    .max(2 * WARMUP_WINDOW);
    let cap = warmup_cap(flush);
    let start = Instant::now();
    let mut times = vec![];
    loop {
        times.push(timed(1, device, &mut *step).as_secs_f64());
        let n = times.len();
        let last = median(&times[n.saturating_sub(WARMUP_WINDOW)..]);
        let fastest_recent = times[n.saturating_sub(2 * WARMUP_WINDOW)..]
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min);
        if n >= min_steps {
            let previous = median(&times[n - 2 * WARMUP_WINDOW..n - WARMUP_WINDOW]);
            if (last / previous - 1.0).abs() <= WARMUP_TOLERANCE {
                return Warmup {
                    steps: n,
                    secs: start.elapsed().as_secs_f64(),
                    first_step_secs: times[0],
                    last_step_secs: last,
                    fastest_recent_secs: fastest_recent,
                    stable: true,
                };
            }
        }
        if start.elapsed() > cap {
            return Warmup {
                steps: n,
                secs: start.elapsed().as_secs_f64(),
                first_step_secs: times[0],
                last_step_secs: last,
                fastest_recent_secs: fastest_recent,
                stable: false,
            };
        }
    }
}

/// A criterion group set up for these benches: flat sampling, [`SAMPLES`]
/// samples, a short criterion warm-up (the fixtures are warmed by [`bench`]).
pub fn group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut group = c.benchmark_group(name);
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(SAMPLES);
    group.warm_up_time(CRITERION_WARM_UP);
    group.measurement_time(base_measurement());
    group
}

/// Benches `step` as `<group_name>/<function>/<parameter>`: when criterion
/// will time it, warms it to its steady state first ([`warm_up`]), gives
/// criterion enough measurement time for [`SAMPLES`] samples of at least two
/// steps each (so it never has to fall back to one), and records how it ran.
pub fn bench(
    group: &mut BenchmarkGroup<'_, WallTime>,
    group_name: &str,
    function: &str,
    parameter: impl Display,
    device: Device,
    mut step: impl FnMut(),
) {
    let s = setup();
    let parameter = parameter.to_string();
    let id = format!("{group_name}/{function}/{parameter}");
    let started = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut warm = s
        .runs(&id)
        .then(|| warm_up(device, s.flush.requested, &mut step));
    let measurement = warm.as_ref().map_or(base_measurement(), |w| {
        Duration::from_secs_f64(w.fastest_recent_secs * SAMPLES as f64 * MEASUREMENT_MARGIN)
            .clamp(base_measurement(), max_measurement())
    });
    group.measurement_time(measurement);
    let mut ran = false;
    let rule = DisturbanceRule::default();
    // Retakes may at most double the bench's measurement time.
    let mut retake_budget = measurement;
    let mut takes: Vec<Take> = vec![];
    // Wall time of the routine's calls so far: while it is within
    // criterion's warm-up, a call is a warm-up call, whose timing criterion
    // only uses to pick the iterations per sample, and it is not retaken
    // (retakes there would spend the budget meant for the samples).
    let mut routine_wall = Duration::ZERO;
    let fault = fault_drift(&id)
        && s.remeasuring
            .lock()
            .expect("no bench panics holding it")
            .is_none();
    let mut sample_calls = 0;
    // The canary is made (and calibrated, about half a second) here rather
    // than in the first timed call: criterion's warm-up estimates a step
    // from the wall time of the routine's calls, not from the time they
    // return, and a calibration inside the first call made it guess 0.5 s
    // for a 16 ms matmul and warn that 10 samples could not complete.
    CANARY.with_borrow_mut(|c| {
        if device == Device::Cpu && c.is_none() {
            *c = Some(Canary::new());
        }
        c.as_mut().map(Canary::new_measurement)
    });
    group.bench_function(BenchmarkId::new(function, &parameter), |b| {
        ran = true;
        if warm.is_none() && s.selection.benchmarking {
            warm = Some(warm_up(device, s.flush.requested, &mut step));
        }
        b.iter_custom(|iters| {
            let called = Instant::now();
            let (mut elapsed, mut take) = if routine_wall <= CRITERION_WARM_UP {
                let mut no_budget = Duration::ZERO;
                timed_clean(iters, device, &rule, &mut no_budget, &mut step)
            } else {
                sample_calls += 1;
                timed_clean(iters, device, &rule, &mut retake_budget, &mut step)
            };
            if fault && sample_calls > SAMPLES / 2 {
                elapsed = elapsed.mul_f64(FAULT_DRIFT_FACTOR);
                take.secs_per_iter *= FAULT_DRIFT_FACTOR;
            }
            routine_wall += called.elapsed();
            takes.push(take);
            elapsed
        })
    });
    if !(ran && s.selection.benchmarking) {
        return;
    }
    // criterion's own warm-up calls come first; the last SAMPLES calls are the samples.
    let samples = &takes[takes.len().saturating_sub(SAMPLES)..];
    let disturbed: Vec<&Take> = samples.iter().filter(|t| t.disturbance.is_some()).collect();
    let sample_secs: Vec<f64> = samples.iter().map(|t| t.secs_per_iter).collect();
    let replaced = s
        .pending
        .lock()
        .expect("no bench panics holding it")
        .record(&id, Measurement::of(&sample_secs, disturbed.len() as u64));
    let condition = BenchCondition {
        started_unix_secs: started,
        flush_denormal: s.flush.requested,
        flush_denormal_supported: s.flush.supported,
        flush_denormal_effective: s.flush.effective,
        quick: quick(),
        warmup_steps: warm.as_ref().map_or(0, |w| w.steps as u64),
        warmup_secs: warm.as_ref().map_or(0.0, |w| w.secs),
        warmup_first_step_secs: warm.as_ref().map(|w| w.first_step_secs),
        warmup_last_step_secs: warm.as_ref().map(|w| w.last_step_secs),
        warmup_stable: warm.as_ref().is_some_and(|w| w.stable),
        samples_retaken: samples.iter().map(|t| t.retaken).sum(),
        samples_disturbed: disturbed.len() as u64,
        disturbance: disturbed.last().and_then(|t| t.disturbance.clone()),
        canary_tolerance: CANARY.with_borrow(|c| c.as_ref().map(Canary::tolerance)),
        remeasurements: replaced.len() as u64,
        replaced,
    };
    let mut conditions = s.conditions.lock().expect("no bench panics holding it");
    conditions.benches.insert(id, condition);
    let path = s.criterion_dir.join(BENCH_CONDITIONS_FILE);
    if let Err(e) = std::fs::create_dir_all(&s.criterion_dir)
        .map_err(|e| rnnbench::Error::io(&s.criterion_dir, e))
        .and_then(|()| rnnbench::results::write_json_atomic(&path, &*conditions))
    {
        eprintln!("note: the bench conditions were not recorded: {e:#}");
    }
}
