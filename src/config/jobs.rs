//! `--jobs N|auto`: how many worker processes run at once, and the rule
//! that picks the number (and the threads per worker) from the machine.
//!
//! Small recurrent nets use more cores badly: on 2 cores (AMD EPYC, one
//! sitting) two workers of one thread finish the defaults' runs faster than
//! one worker of two threads (see `docs/parallel.md`), and neither slows
//! the other, each on its own core. So `auto` gives every physical core a
//! worker of one thread, no more workers than there are jobs, and spreads
//! the cores left over as threads; on CUDA one worker (the GPU is one
//! device, timed whole).

use serde::{Deserialize, Serialize};

use super::number_or_auto;

/// `--jobs`: a number of workers at once, or `auto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum JobsChoice {
    /// N workers at once.
    Fixed(usize),
    /// Picked by [`auto_width`].
    Auto,
}

impl std::str::FromStr for JobsChoice {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        Ok(number_or_auto(s, "a number of workers")?.map_or(JobsChoice::Auto, JobsChoice::Fixed))
    }
}

impl<'de> Deserialize<'de> for JobsChoice {
    /// A number (`jobs = 2`) or the string `"auto"` in a TOML file.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(usize),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Number(n) => Ok(JobsChoice::Fixed(n)),
            Raw::Text(s) => s.parse().map_err(serde::de::Error::custom),
        }
    }
}

/// What [`resolve_width`] decides: workers at once and threads per worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Width {
    /// Workers running at once.
    pub workers: usize,
    /// Intra-op threads of each worker, when `--threads` was not given.
    pub threads: usize,
}

/// The machine and plan `--jobs` is resolved against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Machine {
    /// Physical cores.
    pub cores: usize,
    /// Whether every run is on the CPU (`--device cpu`).
    pub cpu_only: bool,
    /// Jobs planned at the start (points × models × seeds; `--seeds auto`'s first seeds).
    pub jobs: usize,
}

/// `--jobs` resolved: `Fixed(n)` is n workers; `auto` is [`auto_width`].
/// `threads_given` is the largest `--threads` value, if given; otherwise
/// each worker gets the cores over the workers (at least one). `None` for
/// `--jobs 0`.
pub fn resolve_width(
    choice: JobsChoice,
    threads_given: Option<usize>,
    machine: Machine,
) -> Option<Width> {
    let workers = match choice {
        JobsChoice::Fixed(0) => return None,
        JobsChoice::Fixed(n) => n,
        JobsChoice::Auto => auto_width(threads_given, machine),
    };
    Some(Width {
        workers,
        threads: threads_given.unwrap_or((machine.cores / workers).max(1)),
    })
}

/// `--jobs auto`: one worker on CUDA; on the CPU, as many workers as the
/// physical cores hold at `threads_given` threads each (one thread when not
/// given), and no more than the jobs planned.
pub fn auto_width(threads_given: Option<usize>, machine: Machine) -> usize {
    if !machine.cpu_only {
        return 1;
    }
    let threads = threads_given.unwrap_or(1).max(1);
    (machine.cores / threads).clamp(1, machine.jobs.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine(cores: usize, jobs: usize) -> Machine {
        Machine {
            cores,
            cpu_only: true,
            jobs,
        }
    }

    #[test]
    fn two_cores_get_two_workers_of_one_thread() {
        let w = resolve_width(JobsChoice::Auto, None, machine(2, 6)).unwrap();
        assert_eq!(
            w,
            Width {
                workers: 2,
                threads: 1
            }
        );
    }

    #[test]
    fn sixteen_cores_and_six_jobs_get_six_workers_of_two_threads() {
        let w = resolve_width(JobsChoice::Auto, None, machine(16, 6)).unwrap();
        assert_eq!(
            w,
            Width {
                workers: 6,
                threads: 2
            }
        );
    }

    #[test]
    fn given_threads_divide_the_cores() {
        assert_eq!(auto_width(Some(2), machine(2, 6)), 1);
        assert_eq!(auto_width(Some(4), machine(16, 40)), 4);
        assert_eq!(auto_width(Some(64), machine(16, 40)), 1);
    }

    #[test]
    fn cuda_runs_one_worker_and_an_explicit_width_stands() {
        let gpu = Machine {
            cpu_only: false,
            ..machine(16, 6)
        };
        assert_eq!(auto_width(None, gpu), 1);
        let w = resolve_width(JobsChoice::Fixed(3), Some(1), machine(2, 6)).unwrap();
        assert_eq!((w.workers, w.threads), (3, 1));
        assert_eq!(
            resolve_width(JobsChoice::Fixed(0), None, machine(2, 6)),
            None
        );
    }

    #[test]
    fn jobs_parse_from_flags_and_toml() {
        assert_eq!("auto".parse(), Ok(JobsChoice::Auto));
        assert_eq!("3".parse(), Ok(JobsChoice::Fixed(3)));
        let neither = |what: &str| format!("`x` is neither a number of {what} nor `auto`");
        assert_eq!("x".parse::<JobsChoice>().unwrap_err(), neither("workers"));
        use crate::config::SeedCount;
        assert_eq!("x".parse::<SeedCount>().unwrap_err(), neither("seeds"));
        assert_eq!("auto".parse(), Ok(SeedCount::Auto));
        #[derive(Deserialize)]
        struct T {
            jobs: JobsChoice,
        }
        let t: T = toml::from_str("jobs = 2").unwrap();
        assert_eq!(t.jobs, JobsChoice::Fixed(2));
        let t: T = toml::from_str("jobs = \"auto\"").unwrap();
        assert_eq!(t.jobs, JobsChoice::Auto);
    }
}
