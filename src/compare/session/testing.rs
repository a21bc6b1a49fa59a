//! Requests for the tests that plan sessions (here and in [`crate::merge`]):
//! a small comparison of the tiny fixture dataset in an empty environment.

use std::path::{Path, PathBuf};

use clap::Parser;

use super::Request;
use crate::compare::log::{KeptLines, Stream};
use crate::config::Options;

/// `compare`'s options as its command line gives them.
#[derive(Debug, Parser)]
struct Flags {
    #[command(flatten)]
    options: Options,
}

/// A file of the tiny dataset `datasets/fixture/`.
pub(crate) fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("datasets/fixture")
        .join(name)
}

/// No environment variables: no scheduler picks a shard.
pub(crate) fn no_env(_: &str) -> Option<String> {
    None
}

/// A small comparison of the fixture (LSTM and GRU, 2 seeds, a tiny model)
/// writing under `out`, in an empty environment; `extra` flags (each with
/// its value, or a switch) replace the defaults of the same name.
pub(crate) fn request(out: &Path, extra: &[&str]) -> Request {
    let (train, test) = (fixture("train.csv"), fixture("test.csv"));
    let defaults = [
        ("--train", train.to_str().unwrap()),
        ("--test", test.to_str().unwrap()),
        ("--out", out.to_str().unwrap()),
        ("--models", "lstm,gru"),
        ("--seeds", "2"),
        ("--epochs", "1"),
        ("--hidden", "8"),
        ("--embed", "8"),
        ("--max-len", "32"),
        ("--batch-size", "16"),
        ("--threads", "1"),
        ("--vocab-size", "500"),
        ("--remeasure", "0"),
        ("--kernel-check", "off"),
    ];
    let mut args = vec!["compare"];
    for (flag, value) in defaults {
        if !extra.contains(&flag) {
            args.extend([flag, value]);
        }
    }
    args.extend(extra);
    let flags = Flags::try_parse_from(&args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    Request {
        command_line: args.iter().map(|a| a.to_string()).collect(),
        env: no_env,
        ..Request::new(flags.options)
    }
}

/// `compare --resume dir`, in an empty environment.
pub(crate) fn resume(dir: &Path) -> Request {
    Request {
        resume: Some(dir.to_path_buf()),
        env: no_env,
        ..Request::new(Options::default())
    }
}

/// [`request`] naming its folder `run_id`.
pub(crate) fn named(out: &Path, run_id: &str) -> Request {
    Request {
        run_id: Some(run_id.into()),
        ..request(out, &[])
    }
}

/// The lines of `stream` kept so far.
pub(crate) fn lines_of(lines: &KeptLines, stream: Stream) -> Vec<String> {
    lines
        .lock()
        .unwrap()
        .iter()
        .filter(|(s, _)| *s == stream)
        .map(|(_, l)| l.clone())
        .collect()
}
