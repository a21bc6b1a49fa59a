//! What a comparison says, through one sink: [`Log`] sends each line with
//! its [`Stream`] to a [`Sink`] (the terminal's, [`terminal_sink`], or a
//! test's that keeps the lines), and drops the progress lines under
//! `--quiet`.

use std::sync::{Arc, Mutex};

/// Where a line goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Progress and notes on stderr, silenced by `--quiet`.
    Progress,
    /// Stderr, said with `--quiet` too (warnings, the shard a process
    /// runs, why it stopped).
    Notice,
    /// The result on stdout: the report's table and its path.
    Output,
}

/// Receives every line a comparison says (the `--quiet` filter already applied).
pub type Sink = Arc<dyn Fn(Stream, &str) + Send + Sync>;

/// The terminal: [`Stream::Output`] on stdout, the others on stderr.
pub fn terminal_sink() -> Sink {
    Arc::new(|stream, line| match stream {
        Stream::Output => println!("{line}"),
        Stream::Progress | Stream::Notice => eprintln!("{line}"),
    })
}

/// The lines a [`memory_sink`] kept, in order.
pub type KeptLines = Arc<Mutex<Vec<(Stream, String)>>>;

/// A sink that keeps the lines, and the lines kept so far (for tests).
pub fn memory_sink() -> (Sink, KeptLines) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let kept = lines.clone();
    let sink: Sink = Arc::new(move |stream, line: &str| {
        if let Ok(mut lines) = kept.lock() {
            lines.push((stream, line.to_string()));
        }
    });
    (sink, lines)
}

/// A comparison's logger: a [`Sink`] and whether progress is silenced.
#[derive(Clone)]
pub struct Log {
    sink: Sink,
    quiet: bool,
}

impl std::fmt::Debug for Log {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Log").field("quiet", &self.quiet).finish()
    }
}

impl Log {
    /// Lines to `sink`; progress dropped when `quiet`.
    pub fn new(sink: Sink, quiet: bool) -> Log {
        Log { sink, quiet }
    }

    /// This logger, also quiet when `quiet` (a resumed folder's own `--quiet`).
    pub fn quieter(&self, quiet: bool) -> Log {
        Log {
            sink: self.sink.clone(),
            quiet: self.quiet || quiet,
        }
    }

    /// Whether progress lines are dropped.
    pub fn is_quiet(&self) -> bool {
        self.quiet
    }

    /// A progress line (stderr), unless quiet.
    pub fn progress(&self, line: &str) {
        if !self.quiet {
            (self.sink)(Stream::Progress, line);
        }
    }

    /// A line said with `--quiet` too (stderr).
    pub fn notice(&self, line: &str) {
        (self.sink)(Stream::Notice, line);
    }

    /// A line of the result (stdout).
    pub fn output(&self, line: &str) {
        (self.sink)(Stream::Output, line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_drops_progress_only() {
        let (sink, lines) = memory_sink();
        let log = Log::new(sink, false).quieter(true);
        log.progress("p");
        log.notice("n");
        log.output("o");
        assert_eq!(
            *lines.lock().unwrap(),
            vec![(Stream::Notice, "n".into()), (Stream::Output, "o".into())]
        );
    }
}
