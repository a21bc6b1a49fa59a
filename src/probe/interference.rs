//! Did this worker have its cores? Per-epoch interference signals and the
//! rule that marks an epoch's timing as disturbed.
//!
//! # Signals
//! Take a [`Signals`] snapshot right before an epoch's training starts and
//! another right after it ends (the window of `train_secs`);
//! [`Signals::since`] gives the [`EpochSignals`] of that window. All are
//! readable without root on Linux; each is `None` where the platform lacks
//! it ([`available_signals`] lists which exist, for `environment.json`):
//!
//! | field | source | meaning |
//! |---|---|---|
//! | `cpu_secs` | `getrusage(RUSAGE_SELF)` user + system | CPU time of this process (all threads, exited ones included) |
//! | `runqueue_wait_secs` | `/proc/self/task/*/schedstat`, 2nd field (ns) | thread-seconds this process's threads were runnable but waiting for a CPU |
//! | `cpu_pressure_secs` | `/proc/pressure/cpu`, `some … total=` (µs) | time some task of the machine (or cgroup) stalled for a CPU |
//! | `steal_secs` | `/proc/stat`, `cpu` line, 8th value (ticks / `_SC_CLK_TCK`) | CPU-seconds the hypervisor took, summed over the machine's CPUs |
//! | `involuntary_switches` | `getrusage` `ru_nivcsw` | times the scheduler took a CPU away from this process |
//!
//! Run-queue wait is the direct "someone else had my core" signal; PSI is
//! machine-wide and also counts the worker's own threads waiting for each
//! other, so it is recorded but does not decide.
//!
//! ## Threads that come and go
//! Run-queue wait is per thread and the kernel keeps no total for a process,
//! so a snapshot keeps each thread's figure by thread id. A thread that
//! started after the first snapshot counts from zero (all its life lies in
//! the window); one that exited before the second snapshot is missing, with
//! the wait it accrued since the first (counted in
//! [`EpochSignals::threads_exited`]); a thread id whose figure went down was
//! reused and counts from zero. libtorch's OpenMP and inter-op pools live as
//! long as the process, so in training nothing is lost. `cpu_secs` and
//! `involuntary_switches` come from `getrusage`, which includes exited threads.
//!
//! The rule that judges these signals is [`crate::analysis::disturbance`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One reading of the interference counters, taken at an epoch's start or
/// end. Only differences between two readings mean anything.
#[derive(Debug, Clone, PartialEq)]
pub struct Signals {
    /// User + system CPU time of this process so far, in seconds.
    cpu_secs: Option<f64>,
    /// Run-queue wait so far per live thread id, in nanoseconds.
    runqueue_wait_ns: Option<BTreeMap<u32, u64>>,
    /// `some` CPU stall of the machine so far, in microseconds.
    cpu_pressure_us: Option<u64>,
    /// Steal summed over the machine's CPUs so far, in seconds.
    steal_secs: Option<f64>,
    /// Involuntary context switches of this process so far.
    involuntary_switches: Option<u64>,
}

/// What happened during the window between two [`Signals`] readings (one
/// epoch's training). Every field is `None` where the platform lacks the
/// signal; CSV columns stay empty then.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct EpochSignals {
    /// User + system CPU time this process used, in seconds.
    pub cpu_secs: Option<f64>,
    /// Time this process's threads were runnable but waiting for a CPU,
    /// summed over threads, in seconds (so it can exceed the window's length).
    pub runqueue_wait_secs: Option<f64>,
    /// Time some task of the machine (or of this cgroup, in a container)
    /// stalled waiting for a CPU (`/proc/pressure/cpu` `some`), in seconds.
    pub cpu_pressure_secs: Option<f64>,
    /// CPU time the hypervisor took, summed over the machine's CPUs, in seconds.
    pub steal_secs: Option<f64>,
    /// Involuntary context switches of this process.
    pub involuntary_switches: Option<u64>,
    /// Threads of this process that exited during the window: their
    /// run-queue wait since the window began is missing from
    /// `runqueue_wait_secs` (0 in training, whose thread pools are stable).
    pub threads_exited: usize,
}

impl Signals {
    /// Reads every counter now (a few small `/proc` files; well under a
    /// millisecond for a process with tens of threads).
    pub fn now() -> Self {
        let usage = rusage_self();
        Signals {
            cpu_secs: usage.map(|u| u.cpu_secs),
            runqueue_wait_ns: runqueue_wait_by_thread_ns(),
            cpu_pressure_us: std::fs::read_to_string("/proc/pressure/cpu")
                .ok()
                .and_then(|text| parse_pressure_some_total_us(&text)),
            steal_secs: std::fs::read_to_string("/proc/stat")
                .ok()
                .and_then(|text| parse_steal_ticks(&text))
                .zip(clock_ticks_per_sec())
                .map(|(ticks, per_sec)| ticks as f64 / per_sec as f64),
            involuntary_switches: usage.map(|u| u.involuntary_switches),
        }
    }

    /// The signals accrued from `start` (the earlier reading) to `self`.
    /// A signal is `None` when either reading lacks it.
    pub fn since(&self, start: &Signals) -> EpochSignals {
        let (runqueue_wait_secs, threads_exited) =
            match (&start.runqueue_wait_ns, &self.runqueue_wait_ns) {
                (Some(before), Some(after)) => {
                    let (wait_ns, exited) = runqueue_wait_delta_ns(before, after);
                    (Some(wait_ns as f64 * 1e-9), exited)
                }
                _ => (None, 0),
            };
        EpochSignals {
            cpu_secs: diff_f64(start.cpu_secs, self.cpu_secs),
            runqueue_wait_secs,
            cpu_pressure_secs: start
                .cpu_pressure_us
                .zip(self.cpu_pressure_us)
                .map(|(a, b)| b.saturating_sub(a) as f64 * 1e-6),
            steal_secs: diff_f64(start.steal_secs, self.steal_secs),
            involuntary_switches: start
                .involuntary_switches
                .zip(self.involuntary_switches)
                .map(|(a, b)| b.saturating_sub(a)),
            threads_exited,
        }
    }
}

fn diff_f64(before: Option<f64>, after: Option<f64>) -> Option<f64> {
    before.zip(after).map(|(a, b)| (b - a).max(0.0))
}

/// Sum of the run-queue wait accrued between the readings, and how many
/// threads of `before` are gone from `after`.
fn runqueue_wait_delta_ns(before: &BTreeMap<u32, u64>, after: &BTreeMap<u32, u64>) -> (u64, usize) {
    let wait_ns = after
        .iter()
        .map(|(tid, &now)| match before.get(tid) {
            // A figure that went down belongs to a new thread with a reused id.
            Some(&then) if then <= now => now - then,
            _ => now,
        })
        .sum();
    let exited = before.keys().filter(|tid| !after.contains_key(tid)).count();
    (wait_ns, exited)
}

/// The names of the signals this platform provides (the [`EpochSignals`]
/// field names), for `environment.json`.
pub fn available_signals() -> Vec<&'static str> {
    let now = Signals::now();
    let mut names = Vec::new();
    if now.cpu_secs.is_some() {
        names.push("cpu_secs");
    }
    if now.runqueue_wait_ns.is_some() {
        names.push("runqueue_wait_secs");
    }
    if now.cpu_pressure_us.is_some() {
        names.push("cpu_pressure_secs");
    }
    if now.steal_secs.is_some() {
        names.push("steal_secs");
    }
    if now.involuntary_switches.is_some() {
        names.push("involuntary_switches");
    }
    names
}

#[derive(Clone, Copy)]
struct Usage {
    cpu_secs: f64,
    involuntary_switches: u64,
}

fn rusage_self() -> Option<Usage> {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return None;
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    Some(Usage {
        cpu_secs: secs(usage.ru_utime) + secs(usage.ru_stime),
        involuntary_switches: u64::try_from(usage.ru_nivcsw).unwrap_or(0),
    })
}

/// The kernel's clock ticks per second (`_SC_CLK_TCK`: the unit of
/// `/proc`'s CPU times), `None` when sysconf cannot say.
pub(crate) fn clock_ticks_per_sec() -> Option<u64> {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(ticks).ok().filter(|&t| t > 0)
}

/// Online CPUs (the `cpuN` lines of `/proc/stat`), at least 1.
pub fn online_cpus() -> usize {
    // SAFETY: sysconf has no preconditions.
    let cpus = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    usize::try_from(cpus).ok().filter(|&c| c > 0).unwrap_or(1)
}

fn runqueue_wait_by_thread_ns() -> Option<BTreeMap<u32, u64>> {
    let mut waits = BTreeMap::new();
    for entry in std::fs::read_dir("/proc/self/task").ok()? {
        let Ok(entry) = entry else { continue };
        let Some(tid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        // A thread may exit between the listing and the read: skip it.
        let Ok(text) = std::fs::read_to_string(entry.path().join("schedstat")) else {
            continue;
        };
        if let Some(wait_ns) = parse_schedstat_wait_ns(&text) {
            waits.insert(tid, wait_ns);
        }
    }
    // No thread readable means no schedstat here (kernel without schedstats).
    (!waits.is_empty()).then_some(waits)
}

/// Second field of a `schedstat` line: nanoseconds spent runnable but waiting.
fn parse_schedstat_wait_ns(text: &str) -> Option<u64> {
    text.split_whitespace().nth(1)?.parse().ok()
}

/// The `total=` of the `some` line of `/proc/pressure/cpu`, in microseconds.
fn parse_pressure_some_total_us(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("some "))?;
    line.split_whitespace()
        .find_map(|field| field.strip_prefix("total="))?
        .parse()
        .ok()
}

/// The 8th value (steal) of the aggregate `cpu` line of `/proc/stat`, in ticks.
fn parse_steal_ticks(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("cpu "))?;
    line.split_whitespace().nth(8)?.parse().ok()
}

/// The rule's finding on one epoch (`disturbed`, `disturbance` columns).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpochVerdict {
    /// The epoch's timing is not trustworthy.
    pub disturbed: bool,
    /// Why, in a few words (`runqueue wait 31% of runnable time`); `None` when
    /// not disturbed.
    pub disturbance: Option<String>,
}

/// How far a run's timing can be trusted (`timing` column of `runs.csv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Timing {
    /// At most the allowed share of its epochs was disturbed.
    Clean,
    /// More than the allowed share of its epochs was disturbed.
    Disturbed,
    /// The run was disturbed and a re-run's clean timing replaces it. Never
    /// returned by [`DisturbanceRule::run_timing`]: the orchestration that
    /// re-runs sets it.
    Remeasured,
}

impl Timing {
    /// The word written to `runs.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            Timing::Clean => "clean",
            Timing::Disturbed => "disturbed",
            Timing::Remeasured => "remeasured",
        }
    }
}

impl std::fmt::Display for Timing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn parsers_read_the_kernel_formats() {
        assert_eq!(
            parse_schedstat_wait_ns("25889417 29714598 69\n"),
            Some(29714598)
        );
        let psi = "some avg10=13.22 avg60=5.49 avg300=2.35 total=10488144\n\
                   full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
        assert_eq!(parse_pressure_some_total_us(psi), Some(10488144));
        let stat = "cpu  24481 0 4488 11467 212 0 48 121 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n";
        assert_eq!(parse_steal_ticks(stat), Some(121));
        assert_eq!(parse_steal_ticks("cpu  1 2 3\n"), None);
    }

    #[test]
    fn thread_wait_deltas_handle_new_exited_and_reused_threads() {
        let before = BTreeMap::from([(10, 1_000), (11, 5_000), (12, 7_000)]);
        // 10 kept (+500), 11 exited, 12 reused (went down: counts 300), 13 new.
        let after = BTreeMap::from([(10, 1_500), (12, 300), (13, 2_000)]);
        assert_eq!(runqueue_wait_delta_ns(&before, &after), (2_800, 1));
    }

    #[test]
    fn live_signals_cover_a_busy_window() {
        if !cfg!(target_os = "linux") {
            return;
        }
        let start = Signals::now();
        let began = std::time::Instant::now();
        let mut x = 0u64;
        // Spin until 50 ms of CPU time (the wall time is longer on a busy
        // machine: that is what the wait measures).
        let mut delta = Signals::now().since(&start);
        while delta.cpu_secs.expect("getrusage on Linux") < 0.05 && began.elapsed().as_secs() < 10 {
            for _ in 0..100_000 {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
            }
            delta = Signals::now().since(&start);
        }
        let wall_secs = began.elapsed().as_secs_f64();
        assert!(delta.cpu_secs.expect("read") >= 0.05, "{delta:?}");
        assert!(delta.involuntary_switches.is_some());
        assert!(available_signals().contains(&"cpu_secs"));
        if let Some(wait) = delta.runqueue_wait_secs {
            // This test's thread plus the other tests' threads running meanwhile.
            assert!(
                wait >= 0.0 && wait < 64.0 * wall_secs,
                "wait {wait} s in {wall_secs} s"
            );
        }
    }
}
