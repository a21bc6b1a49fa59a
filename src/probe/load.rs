//! Is the machine busy before a run starts? The load average, the runnable
//! tasks, and the processes keeping the CPUs busy, read from `/proc` (Linux,
//! no root), and the one-line warning printed before the first run, in the
//! spirit of Google Benchmark's load-average line and pyperf's checks.
//!
//! The 1-minute load average lags (it still shows a build, or this
//! project's own previous run, that ended a minute ago, on an idle
//! machine) and counts this process too, so it is only reported: the
//! warning is judged from what other processes use now, every process's
//! CPU time sampled over a short window ([`LoadCheck::measure`]), and fires
//! when they keep more than [`BUSY_OTHERS_CORES`] of a core busy, naming
//! the busiest of them.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Other processes' load, in cores, above which [`LoadCheck::warning`] warns.
pub const BUSY_OTHERS_CORES: f64 = 0.5;

/// How many processes the warning names.
const NAMED_PROCESSES: usize = 3;

/// The sampling window [`load_warning`] uses.
pub const DEFAULT_SAMPLE: Duration = Duration::from_millis(200);

/// The first fields of `/proc/loadavg`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadAverage {
    /// Runnable (and uninterruptible) tasks averaged over the last minute.
    pub one_min: f64,
    /// Tasks (threads) runnable right now, the reading thread included.
    pub runnable_tasks: u32,
    /// Tasks (threads) that exist now.
    pub total_tasks: u32,
}

impl LoadAverage {
    /// Reads `/proc/loadavg`; `None` where it does not exist.
    pub fn read() -> Option<Self> {
        parse_loadavg(&std::fs::read_to_string("/proc/loadavg").ok()?)
    }

    /// Runnable tasks other than the thread that read the file (the
    /// "other runnable tasks" recorded at the start of a run).
    pub fn other_runnable_tasks(&self) -> u32 {
        self.runnable_tasks.saturating_sub(1)
    }
}

fn parse_loadavg(text: &str) -> Option<LoadAverage> {
    let mut fields = text.split_whitespace();
    let one_min = fields.next()?.parse().ok()?;
    let (runnable, total) = fields.nth(2)?.split_once('/')?;
    Some(LoadAverage {
        one_min,
        runnable_tasks: runnable.parse().ok()?,
        total_tasks: total.parse().ok()?,
    })
}

/// A process that used CPU time during the sampling window.
#[derive(Debug, Clone, PartialEq)]
pub struct BusyProcess {
    /// Process id.
    pub pid: u32,
    /// Command name (`comm`, at most 15 characters).
    pub comm: String,
    /// CPU time it used per second of the window, in cores (1.0 = one core
    /// all the time; a multi-threaded process can exceed 1).
    pub cpu_cores: f64,
}

/// What [`LoadCheck::measure`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadCheck {
    /// `/proc/loadavg` at the end of the window; `None` where it is missing.
    pub load: Option<LoadAverage>,
    /// The window's length, in seconds.
    pub sample_secs: f64,
    /// CPU time this process used per second of the window, in cores.
    pub own_cpu_cores: f64,
    /// CPU time all other processes used per second of the window, in cores.
    pub others_cpu_cores: f64,
    /// The busiest other processes, busiest first (at most three, each
    /// with some CPU time in the window).
    pub busiest: Vec<BusyProcess>,
}

impl LoadCheck {
    /// Samples every process's CPU time (`utime + stime` of `/proc/*/stat`)
    /// at the start and end of `sample` (sleeping in between; 200 ms is
    /// enough) and reads the load average.
    pub fn measure(sample: Duration) -> Self {
        let own_pid = std::process::id();
        let before = process_ticks();
        let began = Instant::now();
        std::thread::sleep(sample);
        let after = process_ticks();
        let sample_secs = began.elapsed().as_secs_f64();
        // Linux's USER_HZ is 100 wherever sysconf cannot say.
        let ticks_per_sec = super::interference::clock_ticks_per_sec().unwrap_or(100) as f64;
        let mut own_cpu_cores = 0.0;
        let mut others = Vec::new();
        for (pid, (comm, ticks)) in after {
            // A process missing from the first listing started in the window.
            let then = before.get(&pid).map_or(0, |(_, t)| *t);
            let cores = ticks.saturating_sub(then) as f64 / ticks_per_sec / sample_secs;
            if pid == own_pid {
                own_cpu_cores = cores;
            } else if cores > 0.0 {
                others.push(BusyProcess {
                    pid,
                    comm,
                    cpu_cores: cores,
                });
            }
        }
        others.sort_by(|a, b| b.cpu_cores.total_cmp(&a.cpu_cores));
        let others_cpu_cores = total_cores(&others);
        others.truncate(NAMED_PROCESSES);
        LoadCheck {
            load: LoadAverage::read(),
            sample_secs,
            own_cpu_cores,
            others_cpu_cores,
            busiest: others,
        }
    }

    /// Cores kept busy by other processes now: their sampled CPU time (the
    /// load average, which lags by a minute, is not evidence of that).
    pub fn others_busy_cores(&self) -> f64 {
        self.others_cpu_cores
    }

    /// One line to print before the first run when other processes keep
    /// more than [`BUSY_OTHERS_CORES`] busy, naming the load and the
    /// busiest processes; `None` on a quiet machine. E.g.
    /// `warning: the machine is busy (load average 1.98, 3 tasks runnable;
    /// other processes used 1.95 cores over 0.2 s: rustc (pid 8058) 98%,
    /// rustc (pid 8099) 96%, cargo (pid 2558) 1%): timings may be disturbed`.
    pub fn warning(&self) -> Option<String> {
        if self.others_busy_cores() <= BUSY_OTHERS_CORES {
            return None;
        }
        let load = match self.load {
            Some(l) => format!(
                "load average {:.2}, {} tasks runnable; ",
                l.one_min, l.runnable_tasks
            ),
            None => String::new(),
        };
        let busiest = if self.busiest.is_empty() {
            "none now".to_string()
        } else {
            self.busiest
                .iter()
                .map(|p| format!("{} (pid {}) {:.0}%", p.comm, p.pid, p.cpu_cores * 100.0))
                .collect::<Vec<_>>()
                .join(", ")
        };
        Some(format!(
            "warning: the machine is busy ({load}other processes used {:.2} cores over {:.1} s: \
             {busiest}): timings may be disturbed",
            self.others_cpu_cores, self.sample_secs
        ))
    }
}

/// The cores `processes` used together: a fold from +0.0 (an empty `f64`
/// sum is -0.0, which prints as "-0.00").
fn total_cores(processes: &[BusyProcess]) -> f64 {
    processes
        .iter()
        .map(|p| p.cpu_cores)
        .fold(0.0, |a, b| a + b)
}

/// [`LoadCheck::measure`] over [`DEFAULT_SAMPLE`], then its warning.
pub fn load_warning() -> Option<String> {
    LoadCheck::measure(DEFAULT_SAMPLE).warning()
}

/// A warning when a planned thread count, times the `workers` that run at
/// once (`--jobs`), exceeds the machine's logical CPUs (`logical_cpus`):
/// libtorch's threads then wait for each other at every
/// parallel region (measured: 80× slower epochs at `--threads 1000` on 2
/// cores). `None` when every count fits.
pub fn threads_warning(threads: &[usize], workers: usize, logical_cpus: usize) -> Option<String> {
    let most = threads.iter().copied().max()?;
    let workers = workers.max(1);
    if most * workers <= logical_cpus {
        return None;
    }
    let asked = if workers > 1 {
        format!("--jobs {workers} × --threads {most} is")
    } else {
        format!("--threads {most} is")
    };
    Some(format!(
        "warning: {asked} more than this machine's {logical_cpus} logical CPUs; the threads will wait for each other and every timing will be slower than it needs to be"
    ))
}

/// This machine's logical CPUs (1 when unknown).
pub fn logical_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `pid -> (comm, utime + stime in ticks)` for every readable process.
fn process_ticks() -> HashMap<u32, (String, u64)> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return HashMap::new();
    };
    dir.filter_map(|entry| {
        let entry = entry.ok()?;
        let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
        // The process may have exited since the listing.
        let text = std::fs::read_to_string(entry.path().join("stat")).ok()?;
        let (comm, ticks) = parse_stat_cpu_ticks(&text)?;
        Some((pid, (comm, ticks)))
    })
    .collect()
}

/// `(comm, utime + stime)` from a `/proc/PID/stat` line. The command name
/// sits in parentheses and may itself hold spaces and parentheses, so the
/// fields are counted from the last `)`.
fn parse_stat_cpu_ticks(text: &str) -> Option<(String, u64)> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text.get(open + 1..close)?.to_string();
    // After `)`: state is field 3, utime field 14, stime field 15.
    let mut fields = text.get(close + 1..)?.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((comm, utime + stime))
}

#[cfg(test)]
mod tests {
    #[test]
    fn threads_above_the_logical_cpus_are_warned_about() {
        assert_eq!(super::threads_warning(&[1, 2], 1, 2), None);
        let w = super::threads_warning(&[1, 1000], 1, 2).unwrap();
        assert!(
            w.contains("--threads 1000") && w.contains("2 logical CPUs"),
            "{w}"
        );
        assert_eq!(super::threads_warning(&[], 1, 2), None);
        assert_eq!(super::threads_warning(&[1], 2, 2), None);
        let w = super::threads_warning(&[2], 2, 2).unwrap();
        assert!(w.contains("--jobs 2 × --threads 2 is more"), "{w}");
    }

    use super::*;

    #[test]
    fn parses_loadavg() {
        let load = parse_loadavg("1.94 0.85 0.33 3/102 6426\n").expect("valid");
        assert_eq!(load.one_min, 1.94);
        assert_eq!(load.runnable_tasks, 3);
        assert_eq!(load.total_tasks, 102);
        assert_eq!(load.other_runnable_tasks(), 2);
        assert_eq!(parse_loadavg("1.0 2.0\n"), None);
    }

    #[test]
    fn parses_a_stat_line_with_an_odd_command_name() {
        let line = "9009 (my (odd) cmd) R 8965 8965 5234 0 -1 4194304 104 0 0 0 \
                    250 31 0 0 20 0 1 0 34006 2998272 415";
        assert_eq!(
            parse_stat_cpu_ticks(line),
            Some(("my (odd) cmd".to_string(), 281))
        );
    }

    fn check(one_min: f64, own: f64, others: f64) -> LoadCheck {
        LoadCheck {
            load: Some(LoadAverage {
                one_min,
                runnable_tasks: 3,
                total_tasks: 100,
            }),
            sample_secs: 0.2,
            own_cpu_cores: own,
            others_cpu_cores: others,
            busiest: vec![
                BusyProcess {
                    pid: 8058,
                    comm: "rustc".into(),
                    cpu_cores: 0.98,
                },
                BusyProcess {
                    pid: 2558,
                    comm: "cargo".into(),
                    cpu_cores: 0.012,
                },
            ],
        }
    }

    #[test]
    fn warns_when_others_keep_a_core_busy() {
        assert_eq!(
            check(1.98, 0.0, 0.99).warning().as_deref(),
            Some(
                "warning: the machine is busy (load average 1.98, 3 tasks runnable; \
                 other processes used 0.99 cores over 0.2 s: rustc (pid 8058) 98%, \
                 cargo (pid 2558) 1%): timings may be disturbed"
            )
        );
    }

    #[test]
    fn a_lagging_load_average_alone_does_not_warn() {
        // Issue 30: an idle machine, the load average still decaying from
        // the run that just ended.
        assert_eq!(check(1.44, 0.0, 0.0).warning(), None);
        assert_eq!(check(4.6, 0.0, 0.1).warning(), None);
    }

    #[test]
    fn no_busy_process_is_plus_zero_cores() {
        let none = total_cores(&[]);
        assert!(none == 0.0 && none.is_sign_positive());
        assert_eq!(format!("{none:.2}"), "0.00");
    }

    #[test]
    fn no_warning_on_a_quiet_machine_or_for_our_own_load() {
        assert_eq!(check(0.2, 0.0, 0.05).warning(), None);
        // This process's own work is not someone else's load.
        assert_eq!(check(1.3, 1.0, 0.1).warning(), None);
    }

    #[test]
    fn measuring_sees_a_busy_child() {
        if LoadAverage::read().is_none() {
            return; // no /proc here
        }
        let mut child = std::process::Command::new("sh")
            .args(["-c", "while :; do :; done"])
            .spawn()
            .expect("sh starts");
        std::thread::sleep(Duration::from_millis(50));
        let found = LoadCheck::measure(Duration::from_millis(300));
        child.kill().expect("kill the busy loop");
        child.wait().expect("reap it");
        assert!(found.others_cpu_cores > 0.2, "{found:?}");
        // Named unless three busier processes (someone's build) crowd it out.
        assert!(
            found.busiest.iter().any(|p| p.pid == child.id())
                || found.busiest.len() == NAMED_PROCESSES,
            "{found:?}"
        );
    }
}
