//! How fast the machine is right now, measured by a canary: a fixed matrix
//! multiply, a few milliseconds long, timed just before and just after a
//! measurement. A shared VM's CPUs change speed in stretches of one to a few
//! seconds without any steal or run-queue wait showing (another guest on the
//! sibling hyperthread, the host's frequency): a plain libtorch matmul loop
//! on a 2-vCPU AMD EPYC ran at 1.20 to 1.26x its fastest time for 1.5 s at a
//! time, several times a minute, with `vmstat` showing 0% steal. A
//! measurement whose canaries ran slower than the canary's usual time (the
//! lower quartile of its recent timings) by more than a tolerance (at least
//! 10%, more where the canary varies more on its own) was taken on a
//! slowed machine.

use crate::analysis::stats::quantile_below;
use std::time::{Duration, Instant};

use tch::{Device, Kind, Tensor};

/// Side of the canary's square matrices: large enough for libtorch to
/// split it over two threads, small enough that one multiply costs well
/// under a millisecond.
pub const CANARY_MATRIX: i64 = 384;

/// Multiplies per canary timing, each timed on its own, after one untimed
/// multiply that absorbs the cost of switching from other work; the
/// canary's time is their median. On a 2-vCPU Intel Xeon the sum of four
/// varied by 15% between the lower quartile and the 90th percentile, the
/// median of eight by 5% (an interrupt or a tick lands on one multiply,
/// a slow stretch of the machine on all of them).
pub const CANARY_MULTIPLIES: usize = 8;

/// Smallest tolerance: the largest slowdown of a canary against the usual
/// speed that still counts as normal on a machine whose canary barely
/// varies (on a 2-vCPU AMD EPYC its spread on a quiet stretch was 1 to 4%,
/// the slow stretches 15 to 26%).
pub const CANARY_TOLERANCE: f64 = 0.10;

/// Largest tolerance, however much the canary varies on its own.
pub const CANARY_TOLERANCE_MAX: f64 = 0.30;

/// Windows of canary timings taken when the canary is made, to learn its
/// usual speed and its own spread on this machine (about 0.3 s in all): the
/// tolerance comes from the quietest window, since interference only ever
/// widens the spread (in the benches, the first canary, made right after a
/// fixture's warm-up, spread three times as wide as one made on its own).
pub const CANARY_CALIBRATION_WINDOWS: usize = 3;

/// Canary timings per calibration window.
pub const CANARY_CALIBRATION: usize = 30;

/// Canary timings of the "before" kind kept to judge the usual speed by
/// (the most recent).
const CANARY_HISTORY: usize = 512;

/// The tolerance for a canary whose calibration timings are `secs`: twice
/// its own spread (the 90th percentile over the lower quartile, less 1),
/// within [`CANARY_TOLERANCE`] and [`CANARY_TOLERANCE_MAX`]. On a 2-vCPU
/// Intel Xeon (AVX-512) at 0% steal, with per-second medians steady within
/// 4%, a canary of four multiplies summed varied by 12 to 15% that way and
/// its lower quartile was 1.10 to 1.19x its fastest, so judged against the
/// fastest with 10% every bench sample was "slowed"; the median of eight
/// varies by about 5%.
pub fn tolerance_for(secs: &[f64]) -> f64 {
    match (quantile_below(secs, 0.25), quantile_below(secs, 0.9)) {
        (Some(q25), Some(q90)) if q25 > 0.0 => {
            (2.0 * (q90 / q25 - 1.0)).clamp(CANARY_TOLERANCE, CANARY_TOLERANCE_MAX)
        }
        _ => CANARY_TOLERANCE,
    }
}

/// The canary's operands (on the CPU, in the calling process's libtorch
/// threads) and its recent timings, before and after a measurement apart:
/// right after other work the canary runs a steady 5 to 8% slower than
/// before it (measured in PyTorch 2.11 after a GRU forward pass), and up to
/// 2x after thousands of batch-1 steps, so the canary after a measurement is
/// judged against those after the same measurement
/// ([`Canary::new_measurement`] starts a new one). The usual speed of each
/// kind is the lower quartile of its timings, not the fastest: one lucky
/// canary would otherwise set a speed the machine rarely runs at.
pub struct Canary {
    a: Tensor,
    b: Tensor,
    before_secs: Vec<f64>,
    after_secs: Vec<f64>,
    tolerance: f64,
}

/// What the canaries around one measurement said.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CanaryReading {
    /// The larger of the two canaries' times over the usual time of their
    /// kind (1.0 or more).
    pub slowdown: f64,
    /// The slowdown beyond which the machine counts as slowed.
    pub tolerance: f64,
}

impl CanaryReading {
    /// Whether the machine ran slower than its usual speed by more than the
    /// tolerance.
    pub fn slowed(&self) -> bool {
        self.slowdown > 1.0 + self.tolerance
    }

    /// The reason, in words, when [`CanaryReading::slowed`].
    pub fn disturbance(&self) -> Option<String> {
        self.slowed().then(|| {
            format!(
                "the machine ran slow (a reference matmul took {:.2}x its usual time)",
                self.slowdown
            )
        })
    }
}

/// The larger slowdown of two canary times, each against the usual time of its kind.
pub fn slowdown(
    before_secs: f64,
    after_secs: f64,
    usual_before_secs: f64,
    usual_after_secs: f64,
) -> f64 {
    (before_secs / usual_before_secs)
        .max(after_secs / usual_after_secs)
        .max(1.0)
}

impl Default for Canary {
    fn default() -> Self {
        Self::new()
    }
}

impl Canary {
    /// Makes the operands and times the canary in
    /// [`CANARY_CALIBRATION_WINDOWS`] windows to learn its usual speed and
    /// set the tolerance ([`tolerance_for`] of the quietest window).
    pub fn new() -> Canary {
        let a = Tensor::randn([CANARY_MATRIX, CANARY_MATRIX], (Kind::Float, Device::Cpu));
        let b = Tensor::randn([CANARY_MATRIX, CANARY_MATRIX], (Kind::Float, Device::Cpu));
        let mut canary = Canary {
            a,
            b,
            before_secs: Vec::new(),
            after_secs: Vec::new(),
            tolerance: CANARY_TOLERANCE,
        };
        canary.tolerance = (0..CANARY_CALIBRATION_WINDOWS)
            .map(|_| {
                let window: Vec<f64> = (0..CANARY_CALIBRATION).map(|_| canary.time()).collect();
                tolerance_for(&window)
            })
            .fold(CANARY_TOLERANCE_MAX, f64::min);
        canary
    }

    /// Forgets the canaries after the last measurement: the next ones
    /// follow another kind of work.
    pub fn new_measurement(&mut self) {
        self.after_secs.clear();
    }

    /// The usual time of the canary (the lower quartile of its recent
    /// timings), in seconds.
    pub fn usual_secs(&self) -> f64 {
        quantile_below(&self.before_secs, 0.25).unwrap_or(f64::INFINITY)
    }

    /// The slowdown beyond which the machine counts as slowed, learnt
    /// from the calibration ([`tolerance_for`]).
    pub fn tolerance(&self) -> f64 {
        self.tolerance
    }

    /// The canary's time: the median of [`CANARY_MULTIPLIES`] multiplies,
    /// in seconds.
    fn time_once(&self) -> f64 {
        drop(self.a.matmul(&self.b));
        let each: Vec<f64> = (0..CANARY_MULTIPLIES)
            .map(|_| {
                let start = Instant::now();
                drop(self.a.matmul(&self.b));
                start.elapsed().as_secs_f64()
            })
            .collect();
        quantile_below(&each, 0.5).unwrap_or(f64::INFINITY)
    }

    /// Times the canary once, in seconds, and keeps the timing among the
    /// recent ones.
    pub fn time(&mut self) -> f64 {
        let secs = self.time_once();
        if self.before_secs.len() == CANARY_HISTORY {
            self.before_secs.remove(0);
        }
        self.before_secs.push(secs);
        secs
    }

    /// Runs `measure` between two canaries and returns its result with
    /// what the canaries said.
    pub fn around<T>(&mut self, measure: impl FnOnce() -> T) -> (T, CanaryReading) {
        let before = self.time();
        let out = measure();
        let after = self.time_once();
        self.after_secs.push(after);
        let usual_after = quantile_below(&self.after_secs, 0.25).unwrap_or(after);
        let reading = CanaryReading {
            slowdown: slowdown(before, after, self.usual_secs(), usual_after),
            tolerance: self.tolerance,
        };
        (out, reading)
    }

    /// Waits, timing the canary, until it runs at its usual speed again
    /// (within the tolerance) or `patience` has passed; returns whether it did.
    pub fn wait_for_normal_speed(&mut self, patience: Duration) -> bool {
        let start = Instant::now();
        loop {
            let secs = self.time();
            if secs <= self.usual_secs() * (1.0 + self.tolerance) {
                return true;
            }
            if start.elapsed() >= patience {
                return false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slower_canary_decides_and_never_below_one() {
        assert!((slowdown(1.0e-3, 1.3e-3, 1.0e-3, 1.0e-3) - 1.3).abs() < 1e-12);
        assert!((slowdown(1.25e-3, 1.0e-3, 1.0e-3, 1.0e-3) - 1.25).abs() < 1e-12);
        // Each canary against its own kind: after the work it is slower by habit.
        assert_eq!(slowdown(1.0e-3, 1.1e-3, 1.0e-3, 1.1e-3), 1.0);
        // A canary faster than the recorded fastest (it becomes the fastest).
        assert_eq!(slowdown(0.9e-3, 0.9e-3, 1.0e-3, 1.0e-3), 1.0);
    }

    #[test]
    fn a_reading_past_the_tolerance_is_slowed_and_says_why() {
        let quiet = CanaryReading {
            slowdown: 1.04,
            tolerance: CANARY_TOLERANCE,
        };
        assert!(!quiet.slowed());
        assert_eq!(quiet.disturbance(), None);
        let slow = CanaryReading {
            slowdown: 1.23,
            tolerance: CANARY_TOLERANCE,
        };
        assert!(slow.slowed());
        assert!(slow.disturbance().unwrap().contains("1.23x its usual"));
        // A canary that varies by 12% on its own tolerates 24%.
        let noisy = CanaryReading {
            slowdown: 1.23,
            tolerance: 0.24,
        };
        assert!(!noisy.slowed());
    }

    #[test]
    fn the_tolerance_is_twice_the_canarys_own_spread_within_bounds() {
        // Nine timings at 1.0 ms, one at 1.5: lower quartile and 90th
        // percentile both 1.0, so the floor.
        let mut steady = vec![1.0e-3; 9];
        steady.push(1.5e-3);
        assert_eq!(tolerance_for(&steady), CANARY_TOLERANCE);
        // 1.00, 1.04, …, 1.36 ms: q25 1.08, q90 1.32, spread 22% -> 44%, capped.
        let wide: Vec<f64> = (0..10)
            .map(|i| (1.0 + 0.04 * f64::from(i)) * 1e-3)
            .collect();
        assert_eq!(tolerance_for(&wide), CANARY_TOLERANCE_MAX);
        // q25 1.00, q90 1.06: 12%.
        let mid: Vec<f64> = [1.0, 1.0, 1.0, 1.01, 1.02, 1.03, 1.04, 1.05, 1.06, 1.2]
            .iter()
            .map(|x| x * 1e-3)
            .collect();
        assert!(
            (tolerance_for(&mid) - 0.12).abs() < 1e-9,
            "{}",
            tolerance_for(&mid)
        );
        assert_eq!(tolerance_for(&[]), CANARY_TOLERANCE);
    }

    #[test]
    fn the_canary_learns_its_usual_time() {
        let mut canary = Canary::new();
        let usual = canary.usual_secs();
        assert!(usual.is_finite() && usual > 0.0);
        let tolerance = canary.tolerance();
        assert!((CANARY_TOLERANCE..=CANARY_TOLERANCE_MAX).contains(&tolerance));
        canary.time();
        assert!(canary.usual_secs().is_finite());
        let ((), reading) = canary.around(|| ());
        assert!(reading.slowdown >= 1.0);
        assert_eq!(reading.tolerance, tolerance);
    }
}
