//! Stopping a comparison: the parent's [`Interrupt`] (a stop flag, the
//! signal that raised it, and the running workers to forward it to), its
//! signal handler ([`Interrupt::install_signal_handlers`], an explicit call
//! so that a session in a unit test needs no signals), and the worker's
//! side ([`worker_stop_on_signals`], [`die_with_parent`]).

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

use crate::error::{Error, Result};

/// The process ids of the running workers, one slot per worker that may
/// run at once (0: the slot is free). The slots are made up front, so the
/// signal handler reads them without allocating or locking.
#[derive(Debug)]
pub struct WorkerSlots {
    slots: Vec<Arc<AtomicU32>>,
}

impl WorkerSlots {
    /// `count` free slots (at least one).
    pub fn new(count: usize) -> WorkerSlots {
        WorkerSlots {
            slots: (0..count.max(1))
                .map(|_| Arc::new(AtomicU32::new(0)))
                .collect(),
        }
    }

    /// Slot `index` (the last one past the end): the worker started in it
    /// stores its pid there while it runs.
    pub fn slot(&self, index: usize) -> &Arc<AtomicU32> {
        &self.slots[index.min(self.slots.len() - 1)]
    }

    /// The pids of the workers running now.
    pub fn running(&self) -> Vec<u32> {
        self.slots
            .iter()
            .map(|s| s.load(Ordering::SeqCst))
            .filter(|&pid| pid != 0)
            .collect()
    }

    /// Sends `signal` to every running worker; only async-signal-safe
    /// calls (atomic loads, kill(2)), so the signal handler may call it.
    fn forward(&self, signal: libc::c_int) {
        for slot in &self.slots {
            let pid = slot.load(Ordering::SeqCst);
            if pid != 0 {
                // SAFETY: kill(2) with a pid we started; a stale pid only fails.
                unsafe {
                    libc::kill(pid as libc::pid_t, signal);
                }
            }
        }
    }
}

/// A comparison's stop: set by SIGINT, SIGTERM or SIGHUP once
/// [`Interrupt::install_signal_handlers`] ran, or by [`Interrupt::stop`].
/// The comparison then starts no more jobs and the running worker records
/// its run `interrupted`.
#[derive(Debug)]
pub struct Interrupt {
    stop: AtomicBool,
    /// The first signal that arrived (0: none), for the exit code.
    signal: AtomicI32,
    workers: WorkerSlots,
}

/// The interrupt the process's signal handler sets (the first one installed).
static HANDLED: OnceLock<Arc<Interrupt>> = OnceLock::new();

impl Interrupt {
    /// Not stopped, with one worker slot (workers run one at a time).
    pub fn new() -> Arc<Interrupt> {
        Interrupt::with_workers(1)
    }

    /// Not stopped, with `workers` worker slots (`--jobs`: that many run at once).
    pub fn with_workers(workers: usize) -> Arc<Interrupt> {
        Arc::new(Interrupt {
            stop: AtomicBool::new(false),
            signal: AtomicI32::new(0),
            workers: WorkerSlots::new(workers),
        })
    }

    /// Stops the comparison as a signal would, without naming one: no
    /// job starts after this, and the running workers get a SIGINT (they
    /// record their runs `interrupted`). Async-signal-safe.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.workers.forward(libc::SIGINT);
    }

    /// Whether the comparison is to stop.
    pub fn is_stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// The stop flag itself, for the loops that poll it.
    pub fn flag(&self) -> &AtomicBool {
        &self.stop
    }

    /// The first signal that stopped the comparison, if one did.
    pub fn signal(&self) -> Option<i32> {
        match self.signal.load(Ordering::SeqCst) {
            0 => None,
            s => Some(s),
        }
    }

    /// The running workers' pids.
    pub fn workers(&self) -> &WorkerSlots {
        &self.workers
    }

    /// What the handler does on `signal`: records it (the first only) and
    /// stops, which sends the workers a SIGINT (a terminal already sends
    /// the Ctrl-C to the whole process group; `kill -TERM <parent>` reaches
    /// the parent alone). Async-signal-safe.
    fn on_signal(&self, signal: libc::c_int) {
        let _ = self
            .signal
            .compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst);
        self.stop();
    }

    /// Installs the process's handler of SIGINT, SIGTERM and SIGHUP, which
    /// sets this interrupt ([`Interrupt::on_signal`]). Its own handler, not
    /// the `ctrlc` crate's: that one does not say which signal came, and
    /// the exit code must ([`Outcome::exit_code`](super::Outcome::exit_code)).
    /// A process has one handler: installing another interrupt's is an error.
    pub fn install_signal_handlers(self: &Arc<Self>) -> Result<()> {
        let installed = HANDLED.get_or_init(|| self.clone());
        if !Arc::ptr_eq(installed, self) {
            return Err(Error::config(
                "Ctrl-C",
                "this process's signal handler already stops another comparison",
            ));
        }
        for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            install_handler(signal)?;
        }
        Ok(())
    }
}

/// The handler: only stores and sends (atomics and kill(2) are
/// async-signal-safe; the interrupt is set before the handler is installed).
extern "C" fn on_interrupt(signal: libc::c_int) {
    if let Some(interrupt) = HANDLED.get() {
        interrupt.on_signal(signal);
    }
}

/// Makes [`on_interrupt`] the handler of `signal`.
fn install_handler(signal: libc::c_int) -> Result<()> {
    // SAFETY: a zeroed sigaction is valid plain data; the handler is an
    // `extern "C" fn(c_int)`, as sa_sigaction without SA_SIGINFO expects.
    // SA_RESTART: a wait(2) for the worker goes on after the handler.
    let failed = unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_interrupt as extern "C" fn(libc::c_int) as usize;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(signal, &action, std::ptr::null_mut()) != 0
    };
    if failed {
        return Err(Error::config(
            "Ctrl-C",
            format!(
                "cannot install the handler of signal {signal}: {}",
                std::io::Error::last_os_error()
            ),
        ));
    }
    Ok(())
}

/// A worker's stop flag, set when SIGINT (the terminal's Ctrl-C, or the
/// parent forwarding it), SIGTERM or SIGHUP arrives; the run then ends at
/// the next batch boundary as `interrupted`.
///
/// The signals are blocked in this thread before any other exists, so every
/// thread libtorch, OpenMP and oneDNN start later inherits the block, and
/// one thread of ours takes them synchronously with `sigwait`. No signal is
/// ever delivered asynchronously onto a thread in the middle of a kernel:
/// with a signal handler (the `ctrlc` crate's), an interrupt landing on a
/// compute thread inside oneDNN's LSTM backward crashed the worker now and
/// then (SIGSEGV here, glibc's "corrupted size vs. prev_size" elsewhere).
pub fn worker_stop_on_signals() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let set = super::block_interrupts();
    let flag = stop.clone();
    std::thread::spawn(move || {
        loop {
            let mut signal = 0;
            // SAFETY: `set` is a valid signal set; `signal` is a valid out-pointer.
            if unsafe { libc::sigwait(&set, &mut signal) } == 0 {
                flag.store(true, Ordering::SeqCst);
            }
        }
    });
    stop
}

/// A worker must not outlive its parent: a parent killed with SIGKILL cannot
/// stop it, and an orphan would keep writing into the run folder while
/// `--resume` reruns its job.
pub fn die_with_parent() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: prctl(PR_SET_PDEATHSIG) only sets a flag of this process.
        unsafe {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        }
        // The parent may have died before the call: then init adopted us.
        if std::os::unix::process::parent_id() == 1 {
            std::process::exit(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stop_without_a_signal_names_none() {
        let interrupt = Interrupt::new();
        assert!(!interrupt.is_stopped());
        interrupt.stop();
        assert!(interrupt.is_stopped() && interrupt.flag().load(Ordering::SeqCst));
        assert_eq!(interrupt.signal(), None);
    }

    #[test]
    fn the_first_signal_is_kept_and_free_slots_are_not_signalled() {
        let interrupt = Interrupt::new();
        interrupt.on_signal(libc::SIGTERM);
        interrupt.on_signal(libc::SIGHUP);
        assert_eq!(interrupt.signal(), Some(libc::SIGTERM));
        assert!(interrupt.is_stopped());
        assert!(interrupt.workers().running().is_empty());
    }

    #[test]
    fn slots_hold_the_running_workers() {
        let slots = WorkerSlots::new(2);
        slots.slot(1).store(42, Ordering::SeqCst);
        assert_eq!(slots.running(), vec![42]);
        // Past the end: the last slot, not a panic.
        assert_eq!(slots.slot(7).load(Ordering::SeqCst), 42);
        assert_eq!(WorkerSlots::new(0).running(), Vec::<u32>::new());
    }
}
