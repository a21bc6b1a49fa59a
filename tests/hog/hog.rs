//! A CPU hog for tests of interference detection: child processes that spin
//! on every core until dropped.
//!
//! Wired in by `mod hog;` in `tests/hog/main.rs`.
// Not every test binary build uses every helper.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Held for the whole of a test that starts a hog: the hog tests share one
/// test binary, and one test's hog would disturb another's quiet runs.
static HOG_TESTS: Mutex<()> = Mutex::new(());

/// Waits until no other hog test runs and keeps the others out while the
/// guard lives (a failed test's poisoned lock is taken over).
pub fn one_at_a_time() -> MutexGuard<'static, ()> {
    HOG_TESTS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Busy-loop child processes (`sh -c 'while :; do :; done'`), killed and
/// reaped on drop. They also die with the thread that started them
/// (`PR_SET_PDEATHSIG`), so a test killed by a signal leaves none behind;
/// keep a `CpuHog` on the thread that started it.
pub struct CpuHog {
    children: Vec<Child>,
}

impl CpuHog {
    /// Starts `per_core` spinning children per CPU this process may use.
    pub fn per_core(per_core: usize) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::start(per_core * cores)
    }

    /// Starts `processes` spinning children.
    pub fn start(processes: usize) -> Self {
        let children = (0..processes)
            .map(|_| {
                let mut cmd = Command::new("sh");
                cmd.args(["-c", "while :; do :; done"]);
                #[cfg(target_os = "linux")]
                {
                    use std::os::unix::process::CommandExt;
                    // SAFETY: prctl is async-signal-safe; nothing else runs
                    // between fork and exec.
                    unsafe {
                        cmd.pre_exec(|| {
                            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                            Ok(())
                        });
                    }
                }
                cmd.spawn().expect("sh starts a busy loop")
            })
            .collect();
        CpuHog { children }
    }

    /// Process ids of the spinning children.
    pub fn pids(&self) -> Vec<u32> {
        self.children.iter().map(Child::id).collect()
    }
}

impl Drop for CpuHog {
    fn drop(&mut self) {
        for child in &mut self.children {
            // Already gone is fine: the point is that none keeps spinning.
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Keeps `per_core` spinners per core on while `compare`'s runs train: from
/// the moment it has started a worker (its data is ready) until `done` says
/// yes to the text of `epochs.csv` in the run folder under `out`. Returns
/// whether `done` said yes before `compare` exited; `compare` is not waited
/// for.
///
/// A comparison's start under the hog is what made these tests slow, and
/// too slow for a 600 s wait on CI: under 16 spinners per core the fixture
/// comparison took 142 s to its first epoch and 240 s to LSTM's row, against
/// 1.2 s and 1.6 s alone (2-core Xeon, 2026-12-06). The hog only has to
/// cover the epochs it disturbs.
pub fn while_training(
    compare: &mut Child,
    per_core: usize,
    out: &Path,
    done: impl Fn(&str) -> bool,
) -> bool {
    // Far above the 240 s seen under the full hog; a hang fails, not waits.
    let deadline = Instant::now() + Duration::from_secs(1800);
    let mut hog = None;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = compare.try_wait() {
            return false;
        }
        if hog.is_none() && has_child(compare.id()) {
            hog = Some(CpuHog::per_core(per_core));
        }
        if hog.is_some() && done(&epochs_text(out)) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

/// The comparison the hog tests disturb: LSTM then GRU on the fixture, one
/// seed, four short epochs on one thread, quiet, no kernel check, up to
/// `remeasure` re-runs, writing under `out`.
pub fn disturbed_compare(out: &Path, remeasure: &str) -> Command {
    disturbed_compare_jobs(out, remeasure, "1")
}

/// [`disturbed_compare`] with `jobs` workers at once (`--jobs`).
pub fn disturbed_compare_jobs(out: &Path, remeasure: &str, jobs: &str) -> Command {
    crate::common::FixtureCompare::bare()
        .with(&["--models", "lstm,gru", "--epochs", "4", "--patience", "0"])
        .with(&["--seeds", "1", "--hidden", "32", "--embed", "32"])
        .with(&["--max-len", "64", "--batch-size", "8", "--threads", "1"])
        .with(&["--quiet", "--kernel-check", "off", "--remeasure", remeasure])
        .with(&["--jobs", jobs])
        .command(out)
}

/// The number of rows of `epochs.csv` text whose model is `model`.
pub fn rows_of(epochs_csv: &str, model: &str) -> usize {
    let prefix = format!("{model},");
    epochs_csv
        .lines()
        .filter(|l| l.starts_with(&prefix))
        .count()
}

/// Whether process `pid` has a child process (Linux's `/proc`), started
/// by any of its threads (workers side by side start from threads of their own).
fn has_child(pid: u32) -> bool {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
        .any(|task| {
            std::fs::read_to_string(task.path().join("children"))
                .is_ok_and(|c| !c.trim().is_empty())
        })
}

/// The run folder `compare --out out` made (the first entry of `out`).
pub fn run_folder(out: &Path) -> Option<PathBuf> {
    std::fs::read_dir(out).ok()?.next()?.ok().map(|e| e.path())
}

/// The text of the run's `epochs.csv` under `out`, with the rows workers
/// side by side (`--jobs 2`) are still writing in their own folders
/// (`.jobs/<model>-seed<seed>/epochs.csv`); "" while there is none.
fn epochs_text(out: &Path) -> String {
    let Some(dir) = run_folder(out) else {
        return String::new();
    };
    let mut text = std::fs::read_to_string(dir.join("epochs.csv")).unwrap_or_default();
    for entry in std::fs::read_dir(dir.join(".jobs"))
        .into_iter()
        .flatten()
        .flatten()
    {
        text.push_str(
            &std::fs::read_to_string(entry.path().join("epochs.csv")).unwrap_or_default(),
        );
    }
    text
}

#[test]
fn the_hog_spins_until_dropped() {
    let hog = CpuHog::start(1);
    let pids = hog.pids();
    assert_eq!(pids.len(), 1);
    let stat = format!("/proc/{}/stat", pids[0]);
    if std::path::Path::new("/proc/self/stat").exists() {
        assert!(std::path::Path::new(&stat).exists(), "child {stat} runs");
    }
    drop(hog);
    // Killed and reaped: the pid is gone (barring instant reuse).
    assert!(
        !std::path::Path::new(&stat).exists(),
        "child {stat} was stopped"
    );
}
