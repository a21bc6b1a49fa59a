//! What to say of a worker that ended without leaving its result: how it
//! ended (the signal that killed it, or its exit code), and a pointer to
//! its messages only when it printed some.

use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;

/// The name of `signal` (`SIGKILL`), or `signal N` for one without a name here.
pub fn signal_name(signal: i32) -> String {
    let name = match signal {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGTERM => "SIGTERM",
        libc::SIGXCPU => "SIGXCPU",
        _ => return format!("signal {signal}"),
    };
    name.to_string()
}

/// The failed run's message for a worker that ended with `status` and left
/// no result: `worker killed by SIGKILL without a result` (a SIGKILL nobody
/// here sent is most often the kernel's out-of-memory killer, which is
/// said), or `worker exited with code 3 without a result`; with `; see its
/// messages above` only when it `printed` something.
pub fn worker_exit_message(status: ExitStatus, printed: bool) -> String {
    let how = match (status.signal(), status.code()) {
        (Some(signal), _) => {
            let core = if status.core_dumped() {
                " (core dumped)"
            } else {
                ""
            };
            let oom = if signal == libc::SIGKILL {
                " (the kernel's out-of-memory killer sends it when memory runs out)"
            } else {
                ""
            };
            format!("killed by {}{core}{oom}", signal_name(signal))
        }
        (None, Some(code)) => format!("exited with code {code}"),
        (None, None) => format!("ended ({status})"),
    };
    let above = if printed {
        "; see its messages above"
    } else {
        ""
    };
    format!("worker {how} without a result{above}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_killed_worker_names_the_signal_and_points_above_only_when_it_printed() {
        // A raw wait status: the low 7 bits are the signal, 0x80 a core dump.
        let killed = ExitStatus::from_raw(libc::SIGKILL);
        assert_eq!(
            worker_exit_message(killed, false),
            "worker killed by SIGKILL (the kernel's out-of-memory killer sends it when memory \
             runs out) without a result"
        );
        let segv = ExitStatus::from_raw(libc::SIGSEGV | 0x80);
        assert_eq!(
            worker_exit_message(segv, true),
            "worker killed by SIGSEGV (core dumped) without a result; see its messages above"
        );
        let exited = ExitStatus::from_raw(3 << 8);
        assert_eq!(
            worker_exit_message(exited, false),
            "worker exited with code 3 without a result"
        );
        assert_eq!(signal_name(64), "signal 64");
    }
}
