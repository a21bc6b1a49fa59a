//! `compare::Session` through the library, end to end: its workers are the
//! `compare` binary (`CARGO_BIN_EXE_compare`, which only integration tests
//! have; a unit test's `current_exe` is the test binary, which cannot be a
//! worker), its lines caught by a memory sink, its stop raised from another
//! thread instead of a signal.

use std::path::Path;
use std::time::{Duration, Instant};

use clap::Parser;
use rnnbench::compare::{KeptLines, Outcome, Request, Session, Stream, memory_sink};
use rnnbench::config::Options;

use crate::common::fixture;

/// `compare`'s options as its command line gives them.
#[derive(Debug, Parser)]
struct Flags {
    #[command(flatten)]
    options: Options,
}

/// No environment variables: no scheduler picks a shard.
fn no_env(_: &str) -> Option<String> {
    None
}

/// A request of `args` (compare's flags), run by the `compare` binary's
/// workers, in an empty environment.
fn request(args: &[&str]) -> Request {
    let line: Vec<&str> = std::iter::once("compare")
        .chain(args.iter().copied())
        .collect();
    let flags = Flags::try_parse_from(&line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
    Request {
        command_line: line.iter().map(|a| a.to_string()).collect(),
        env: no_env,
        worker_exe: Some(env!("CARGO_BIN_EXE_compare").into()),
        ..Request::new(flags.options)
    }
}

/// The fixture, LSTM and GRU, 2 seeds of a tiny model, under `out`.
fn fixture_request(out: &Path) -> Request {
    let (train, test) = (fixture("train.csv"), fixture("test.csv"));
    request(&[
        "--train",
        train.to_str().unwrap(),
        "--test",
        test.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--models",
        "lstm,gru",
        "--seeds",
        "2",
        "--epochs",
        "1",
        "--hidden",
        "8",
        "--embed",
        "8",
        "--max-len",
        "32",
        "--batch-size",
        "16",
        "--threads",
        "1",
        "--vocab-size",
        "500",
        "--remeasure",
        "0",
        "--kernel-check",
        "off",
    ])
}

/// The lines of `stream` kept so far.
fn lines_of(lines: &KeptLines, stream: Stream) -> Vec<String> {
    lines
        .lock()
        .unwrap()
        .iter()
        .filter(|(s, _)| *s == stream)
        .map(|(_, l)| l.clone())
        .collect()
}

/// The data rows of `dir/runs.csv`.
fn run_rows(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("runs.csv"))
        .unwrap_or_default()
        .lines()
        .skip(1)
        .map(str::to_string)
        .collect()
}

#[test]
fn a_session_runs_a_comparison_end_to_end_and_resumes_it_with_more_seeds() {
    let out = tempfile::tempdir().unwrap();
    let (sink, lines) = memory_sink();
    let session = Session::plan(&fixture_request(out.path()), sink).unwrap();
    let root = session.root().to_path_buf();
    assert_eq!(session.run().unwrap(), Outcome::Finished { planned: 4 });
    let rows = run_rows(&root);
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert!(rows.iter().all(|r| r.contains(",ok,")), "{rows:?}");
    let output = lines_of(&lines, Stream::Output);
    let page = format!("report: {}", root.join("report.html").display());
    assert_eq!(output.last(), Some(&page), "{output:?}");
    // The encoded data was for the workers only.
    assert!(!root.join("prepared").exists());

    let (sink, lines) = memory_sink();
    let resume = Request {
        resume: Some(root.clone()),
        ..request(&["--seeds", "3"])
    };
    let session = Session::plan(&resume, sink).unwrap();
    assert_eq!(session.run().unwrap(), Outcome::Finished { planned: 6 });
    assert_eq!(run_rows(&root).len(), 6);
    let progress = lines_of(&lines, Stream::Progress);
    let adding = format!("adding seeds 3 to {}", root.display());
    assert!(progress.contains(&adding), "{progress:?}");
    let notices = lines_of(&lines, Stream::Notice);
    let resumed = format!(
        "resumed {}: 4 of 6 jobs were already finished; ran 2 more",
        root.display()
    );
    assert!(notices.contains(&resumed), "{notices:?}");
}

#[test]
fn a_session_stopped_while_its_worker_trains_ends_interrupted() {
    let out = tempfile::tempdir().unwrap();
    let (sink, lines) = memory_sink();
    let long = request(&[
        "--dataset",
        "imdb-mini",
        "--models",
        "lstm",
        "--seeds",
        "1",
        "--epochs",
        "20",
        "--kernel-check",
        "off",
        "--quiet",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    let session = Session::plan(&long, sink).unwrap();
    let root = session.root().to_path_buf();
    let interrupt = session.interrupt().clone();
    let stopper = std::thread::spawn(move || {
        let started = Instant::now();
        while interrupt.workers().running().is_empty() {
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "no worker started"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // Into its training (the worker loads libtorch and its data first).
        std::thread::sleep(Duration::from_millis(1500));
        interrupt.stop();
    });
    let outcome = session.run().unwrap();
    stopper.join().unwrap();
    assert_eq!(
        outcome,
        Outcome::Interrupted {
            finished: 0,
            planned: 1,
            signal: None
        }
    );
    assert_eq!(outcome.exit_code(), 130);
    let rows = run_rows(&root);
    assert!(
        rows.len() == 1 && rows[0].contains(",interrupted,"),
        "{rows:?}"
    );
    let notices = lines_of(&lines, Stream::Notice);
    assert!(
        notices
            .last()
            .is_some_and(|l| l.starts_with("interrupted: 0 of 1 runs finished")),
        "{notices:?}"
    );
    assert!(root.join("report.html").is_file());
}
