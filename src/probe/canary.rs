//! How fast the machine is right now, measured by a canary: a fixed matrix
//! multiply, a few milliseconds long, timed just before and just after a
//! measurement. A shared VM's CPUs change speed in stretches of one to a few
//! seconds without any steal or run-queue wait showing (another guest on the
//! sibling hyperthread, the host's frequency): a plain libtorch matmul loop
//! on a 2-vCPU AMD EPYC ran at 1.20 to 1.26x its fastest time for 1.5 s at a
//! time, several times a minute, with `vmstat` showing 0% steal. A
//! measurement whose canaries ran slower than the fastest canary seen by
//! more than a tolerance was taken on a slowed machine.

use std::time::{Duration, Instant};

use tch::{Device, Kind, Tensor};

/// Side of the canary's square matrices: large enough for libtorch to
/// split it over two threads, small enough that the canary costs about a
/// millisecond.
pub const CANARY_MATRIX: i64 = 384;

/// Multiplies per canary timing, after one untimed multiply that absorbs
/// the cost of switching from other work.
pub const CANARY_MULTIPLIES: usize = 4;

/// Largest slowdown of a canary against the fastest one seen that still
/// counts as the machine's normal speed: the canary's own spread on a quiet
/// stretch was 1 to 4%, the slow stretches 15 to 26%.
pub const CANARY_TOLERANCE: f64 = 0.10;

/// The canary's operands (on the CPU, in the calling process's libtorch
/// threads) and the fastest timings seen, before and after a measurement
/// apart: right after other work the canary runs a steady 5 to 8% slower
/// than before it (measured in PyTorch 2.11 after a GRU forward pass), and
/// up to 2x after thousands of batch-1 steps, so the canary after a
/// measurement is judged against the fastest after the same measurement
/// ([`Canary::new_measurement`] starts a new one).
pub struct Canary {
    a: Tensor,
    b: Tensor,
    fastest_secs: f64,
    fastest_after_secs: f64,
}

/// What the canaries around one measurement said.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CanaryReading {
    /// The larger of the two canaries' times over the fastest of their kind
    /// seen so far (1.0 or more).
    pub slowdown: f64,
}

impl CanaryReading {
    /// Whether the machine ran slower than its normal speed by more than
    /// [`CANARY_TOLERANCE`].
    pub fn slowed(&self) -> bool {
        self.slowdown > 1.0 + CANARY_TOLERANCE
    }

    /// The reason, in words, when [`CanaryReading::slowed`].
    pub fn disturbance(&self) -> Option<String> {
        self.slowed().then(|| {
            format!(
                "the machine ran slow (a reference matmul took {:.2}x its fastest time)",
                self.slowdown
            )
        })
    }
}

/// The larger slowdown of two canary times, each against the fastest of its kind.
pub fn slowdown(
    before_secs: f64,
    after_secs: f64,
    fastest_before_secs: f64,
    fastest_after_secs: f64,
) -> f64 {
    (before_secs / fastest_before_secs)
        .max(after_secs / fastest_after_secs)
        .max(1.0)
}

impl Default for Canary {
    fn default() -> Self {
        Self::new()
    }
}

impl Canary {
    /// Makes the operands and times the canary a few times to seed the fastest.
    pub fn new() -> Canary {
        let a = Tensor::randn([CANARY_MATRIX, CANARY_MATRIX], (Kind::Float, Device::Cpu));
        let b = Tensor::randn([CANARY_MATRIX, CANARY_MATRIX], (Kind::Float, Device::Cpu));
        let mut canary = Canary {
            a,
            b,
            fastest_secs: f64::INFINITY,
            fastest_after_secs: f64::INFINITY,
        };
        for _ in 0..5 {
            canary.time();
        }
        canary
    }

    /// Forgets the fastest canary after a measurement: the next ones follow
    /// another kind of work.
    pub fn new_measurement(&mut self) {
        self.fastest_after_secs = f64::INFINITY;
    }

    /// The fastest canary so far, in seconds.
    pub fn fastest_secs(&self) -> f64 {
        self.fastest_secs
    }

    /// The canary's time, in seconds.
    fn time_once(&self) -> f64 {
        drop(self.a.matmul(&self.b));
        let start = Instant::now();
        for _ in 0..CANARY_MULTIPLIES {
            drop(self.a.matmul(&self.b));
        }
        start.elapsed().as_secs_f64()
    }

    /// Times the canary once, in seconds, and keeps it if it is the fastest.
    pub fn time(&mut self) -> f64 {
        let secs = self.time_once();
        self.fastest_secs = self.fastest_secs.min(secs);
        secs
    }

    /// Runs `measure` between two canaries and returns its result with
    /// what the canaries said.
    pub fn around<T>(&mut self, measure: impl FnOnce() -> T) -> (T, CanaryReading) {
        let before = self.time();
        let out = measure();
        let after = self.time_once();
        self.fastest_after_secs = self.fastest_after_secs.min(after);
        let reading = CanaryReading {
            slowdown: slowdown(before, after, self.fastest_secs, self.fastest_after_secs),
        };
        (out, reading)
    }

    /// Waits, timing the canary, until it runs at normal speed again or
    /// `patience` has passed; returns whether it did.
    pub fn wait_for_normal_speed(&mut self, patience: Duration) -> bool {
        let start = Instant::now();
        loop {
            let secs = self.time();
            if secs <= self.fastest_secs * (1.0 + CANARY_TOLERANCE) {
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
        let quiet = CanaryReading { slowdown: 1.04 };
        assert!(!quiet.slowed());
        assert_eq!(quiet.disturbance(), None);
        let slow = CanaryReading { slowdown: 1.23 };
        assert!(slow.slowed());
        assert!(slow.disturbance().unwrap().contains("1.23x its fastest"));
    }

    #[test]
    fn the_canary_keeps_its_fastest_time() {
        let mut canary = Canary::new();
        let fastest = canary.fastest_secs();
        assert!(fastest.is_finite() && fastest > 0.0);
        let t = canary.time();
        assert!(canary.fastest_secs() <= fastest.min(t));
        let ((), reading) = canary.around(|| ());
        assert!(reading.slowdown >= 1.0);
    }
}
