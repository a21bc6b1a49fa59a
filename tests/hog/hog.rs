//! A CPU hog for tests of interference detection: child processes that spin
//! on every core until dropped.
//!
//! Wire it in with `mod hog;` in `tests/it/main.rs`.
// Not every test binary build uses every helper.
#![allow(dead_code)]

use std::process::{Child, Command};
use std::sync::{Mutex, MutexGuard};

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
