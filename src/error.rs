//! The crate's error type. Each variant carries what it is about (a path, a
//! line, a flag) so that the one-line message printed by the binaries is enough
//! to find the problem.

use std::io::Write;
use std::path::PathBuf;

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in rnnbench, as values.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O operation on a file or folder failed.
    /// The OS message is part of this one's text and not chained as a
    /// `source` too, so that a printed error chain says it once.
    #[error("{}: {error}", escape_control(&path.display().to_string()))]
    Io {
        /// The file or folder concerned.
        path: PathBuf,
        /// The underlying error.
        error: std::io::Error,
    },
    /// A data file's content is wrong at a known place. The path and message
    /// are shown with control characters escaped (see [`escape_control`]):
    /// they may quote the file.
    #[error(
        "{}{}: {}",
        escape_control(&path.display().to_string()),
        location(*.line, *.column),
        escape_control(message)
    )]
    Data {
        /// The file concerned.
        path: PathBuf,
        /// 1-based line, when known.
        line: Option<u64>,
        /// 1-based column (byte or field), when known.
        column: Option<u64>,
        /// What is wrong.
        message: String,
    },
    /// A dataset as a whole is unusable (too few classes, too small, …).
    /// Shown with control characters escaped, as [`Error::Data`].
    #[error("{}: {}", escape_control(dataset), escape_control(message))]
    Dataset {
        /// The dataset's name or path.
        dataset: String,
        /// What is wrong.
        message: String,
    },
    /// A command-line flag or configuration value is invalid.
    #[error("{flag}: {message}")]
    Config {
        /// The flag, e.g. `--epochs`, or `FILE.toml: key`.
        flag: String,
        /// What is wrong with it.
        message: String,
    },
    /// libtorch reported an error (shown by its first line: libtorch appends
    /// a C++ backtrace).
    #[error("libtorch: {}", first_line(&.0.to_string()))]
    Torch(#[from] tch::TchError),
    /// rnnbench's fused oneDNN cells failed (or are not built in).
    #[error("{}", first_line(.0))]
    Kernel(String),
    /// A results file could not be written or read back.
    #[error("{path}: {message}")]
    Results {
        /// The results file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// `text` with its control characters (C0, DEL, C1) and the bidirectional
/// formatting characters (U+202A–202E, U+2066–2069) escaped as Rust writes
/// them (`\n`, `\t`, `\u{1b}`), so that text quoted from a data file (an
/// ANSI escape in a header, a newline in a label) cannot move the cursor,
/// recolour the terminal or split a one-line message. Everything else,
/// letters of every script included, is kept; a backslash is kept as it is.
pub fn escape_control(text: &str) -> std::borrow::Cow<'_, str> {
    let needs =
        |c: char| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !text.chars().any(needs) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs(c) {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
}

fn location(line: Option<u64>, column: Option<u64>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(":{l}:{c}"),
        (Some(l), None) => format!(":{l}"),
        _ => String::new(),
    }
}

impl Error {
    /// An [`Error::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            error: source,
        }
    }

    /// An [`Error::Data`] for `path`, optionally at a 1-based line and column.
    pub fn data(
        path: impl Into<PathBuf>,
        line: Option<u64>,
        column: Option<u64>,
        message: impl Into<String>,
    ) -> Self {
        Error::Data {
            path: path.into(),
            line,
            column,
            message: message.into(),
        }
    }

    /// An [`Error::Config`] about `flag`.
    pub fn config(flag: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Config {
            flag: flag.into(),
            message: message.into(),
        }
    }

    /// An [`Error::Dataset`] about the dataset named `dataset`.
    pub fn dataset(dataset: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Dataset {
            dataset: dataset.into(),
            message: message.into(),
        }
    }

    /// An [`Error::Results`] about the results file `path`.
    pub fn results(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Results {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Which one line a panic becomes ([`install_one_line_panic_hook`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PanicLine {
    /// The binaries' own code: `error: internal error at FILE:LINE: the
    /// message` (newlines as spaces). A panic there is a bug, but the user
    /// still gets one readable line.
    Internal,
    /// A worker (a libtorch error tch turns into a panic, say): `error:` and
    /// the message's first line, control characters escaped, with no
    /// backtrace and no C++ stack; the parent records the run `failed` and
    /// shows that line.
    Worker,
}

/// Replaces the panic message (and backtrace) with one line on stderr, for
/// the binaries: `line` says which.
pub fn install_one_line_panic_hook(line: PanicLine) {
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned());
        let text = match line {
            PanicLine::Internal => {
                let place = info
                    .location()
                    .map(|l| format!(" at {}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                let message = message.unwrap_or_else(|| "unknown panic".to_string());
                format!("internal error{place}: {}", message.replace('\n', " "))
            }
            PanicLine::Worker => {
                let message = message.unwrap_or_else(|| "the worker panicked".to_string());
                let first = message.lines().next().unwrap_or_default();
                escape_control(first).into_owned()
            }
        };
        // Never a panic inside the hook (stderr may be a closed pipe): that
        // aborts the process.
        let _ = writeln!(std::io::stderr(), "error: {text}");
    }));
}

/// Makes a write to a closed pipe end the process quietly, as it ends `cat`
/// or `grep` (`compare … 2>&1 | head`). Rust's runtime ignores SIGPIPE, so
/// each print to the closed pipe would fail instead, the first one with a
/// panic, and its report with an abort (status 134, "Aborted"). What
/// finished is on disk, as after a kill, and `compare --resume` continues.
/// For the binaries; call it first in `main`.
pub fn end_quietly_on_a_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: sets SIGPIPE back to its default action; no handler is
    // involved, and the disposition is process-wide.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_letters_kept() {
        assert_eq!(escape_control("plain, café, 日本"), "plain, café, 日本");
        assert_eq!(
            escape_control("\u{1b}[31mred\u{1b}[0m\n\t\u{7f}\u{9b}\u{202e}x\\"),
            "\\u{1b}[31mred\\u{1b}[0m\\n\\t\\u{7f}\\u{9b}\\u{202e}x\\"
        );
        let e = Error::data("a\u{1b}b.csv", Some(1), None, "column `\u{1b}[2J`");
        assert_eq!(e.to_string(), "a\\u{1b}b.csv:1: column `\\u{1b}[2J`");
        let e = Error::dataset("x\ny", "label `\r`");
        assert_eq!(e.to_string(), "x\\ny: label `\\r`");
    }
}
