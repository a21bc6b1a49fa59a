//! The comparison's overall progress line: which run is starting, of how
//! many, the time so far and an estimate of the time left from the runs
//! already measured. The parent prints it before each run, so it stays on
//! screen above that run's own bar (drawn by its worker), and prints the
//! total wall time at the end.

use std::time::Duration;

/// The progress of a comparison's planned runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Overall {
    /// Runs planned in this invocation (resumed ones left out).
    pub planned: usize,
    /// Wall seconds of each run finished so far in this invocation.
    pub finished_secs: Vec<f64>,
    /// Runs at once (`--jobs`): the time left is shared among them.
    pub workers: usize,
}

impl Overall {
    /// No run finished yet, of `planned`.
    pub fn new(planned: usize) -> Overall {
        Overall {
            planned,
            finished_secs: Vec::new(),
            workers: 1,
        }
    }

    /// Seconds left: the mean wall time of the finished runs times the runs
    /// not finished, over the runs at once; `None` before the first run has
    /// finished.
    pub fn secs_left(&self) -> Option<f64> {
        let done = self.finished_secs.len();
        (done > 0).then(|| {
            let mean = self.finished_secs.iter().sum::<f64>() / done as f64;
            let left = self.planned.saturating_sub(done);
            mean * left.div_ceil(self.workers.max(1)) as f64
        })
    }

    /// `run 4 of 6 · 2m 10s so far · about 3m left`, said as run `done + 1`
    /// starts (`runs 3–4 of 6 · …` as several start at once).
    pub fn line(&self, elapsed_secs: f64) -> String {
        let next = (self.finished_secs.len() + 1).min(self.planned.max(1));
        let last = (self.finished_secs.len() + self.workers.max(1)).min(self.planned.max(1));
        let runs = if last > next {
            format!("runs {next}–{last}")
        } else {
            format!("run {next}")
        };
        let left = match self.secs_left() {
            Some(secs) => format!("about {} left", duration(secs)),
            None => "time left known after the first run".to_string(),
        };
        format!(
            "{runs} of {} · {} so far · {left}",
            self.planned,
            duration(elapsed_secs)
        )
    }

    /// `6 runs in 5m 12s`, the closing line.
    pub fn total_line(&self, elapsed_secs: f64) -> String {
        let n = self.finished_secs.len();
        format!(
            "{n} run{} in {} (wall time)",
            if n == 1 { "" } else { "s" },
            duration(elapsed_secs)
        )
    }
}

/// Seconds as `42s`, `3m 05s` or `1h 02m`.
pub fn duration(secs: f64) -> String {
    let secs = Duration::from_secs_f64(secs.max(0.0)).as_secs();
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m {:02}s", secs / 60, secs % 60),
        _ => format!("{}h {:02}m", secs / 3600, (secs % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimate_comes_from_the_finished_runs() {
        let mut p = Overall::new(6);
        assert_eq!(
            p.line(1.0),
            "run 1 of 6 · 1s so far · time left known after the first run"
        );
        p.finished_secs = vec![50.0, 70.0, 60.0];
        assert_eq!(p.secs_left(), Some(180.0));
        assert_eq!(
            p.line(185.0),
            "run 4 of 6 · 3m 05s so far · about 3m 00s left"
        );
        assert_eq!(p.total_line(7300.0), "3 runs in 2h 01m (wall time)");
    }

    #[test]
    fn runs_at_once_share_the_time_left() {
        let mut p = Overall::new(6);
        p.workers = 2;
        assert!(p.line(0.0).starts_with("runs 1–2 of 6 · "));
        p.finished_secs = vec![50.0, 70.0, 60.0];
        // Three left, two at a time: two rounds of the mean.
        assert_eq!(p.secs_left(), Some(120.0));
        p.finished_secs.extend([60.0, 60.0]);
        assert!(p.line(0.0).starts_with("run 6 of 6 · "));
    }
}
