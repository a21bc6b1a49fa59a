//! The session without a terminal or signals: planning into a temporary
//! folder, a run stopped before its first job, the outcome's exit codes and
//! last lines. A session run end to end needs the `compare` binary as its
//! workers, which a unit test does not have: that test is in
//! `tests/it/session.rs`.

use std::path::Path;

use super::plan::seed_range;
use super::testing::{lines_of, named, request, resume};
use super::*;
use crate::compare::log::{Stream, memory_sink};
use crate::results::files;

#[test]
fn planning_writes_the_folder_and_runs_nothing() {
    let out = tempfile::tempdir().unwrap();
    let (sink, _) = memory_sink();
    let session = Session::plan(&named(out.path(), "planned"), sink).unwrap();
    let root = session.root().to_path_buf();
    assert_eq!(root, out.path().join("planned"));
    let manifest = SweepManifest::load(&root).unwrap();
    assert_eq!(manifest.jobs.len(), 4, "{:?}", manifest.jobs);
    assert_eq!(session.manifest().jobs, manifest.jobs);
    assert!(root.join(files::CONFIG).is_file());
    // Nothing ran: no run's row and no worker's result.
    let runs = crate::sweep::resume::finished_runs(&root).unwrap();
    assert!(runs.is_empty(), "{runs:?}");
    assert!(!session.interrupt().is_stopped());
}

#[test]
fn a_grid_is_said_before_its_folder_is_written() {
    let out = tempfile::tempdir().unwrap();
    let (sink, lines) = memory_sink();
    let session = Session::plan(&request(out.path(), &["--hidden", "8,12"]), sink).unwrap();
    assert_eq!(session.manifest().grid.points.len(), 2);
    let progress = lines_of(&lines, Stream::Progress);
    assert_eq!(
        progress.first().map(String::as_str),
        Some("grid: 2 configurations (--hidden 8,12) x 2 models x 2 seeds = 8 jobs"),
        "{progress:?}"
    );
}

#[test]
fn quiet_planning_says_nothing() {
    let out = tempfile::tempdir().unwrap();
    let (sink, lines) = memory_sink();
    Session::plan(&request(out.path(), &["--hidden", "8,12", "--quiet"]), sink).unwrap();
    assert_eq!(*lines.lock().unwrap(), vec![]);
}

#[test]
fn a_scheduler_shard_is_said_with_quiet_too_and_names_the_folder() {
    fn slurm(name: &str) -> Option<String> {
        match name {
            "SLURM_ARRAY_TASK_ID" => Some("2".into()),
            "SLURM_ARRAY_TASK_MIN" => Some("1".into()),
            "SLURM_ARRAY_TASK_COUNT" => Some("2".into()),
            "SLURM_ARRAY_JOB_ID" => Some("77".into()),
            _ => None,
        }
    }
    let out = tempfile::tempdir().unwrap();
    let (sink, lines) = memory_sink();
    let request = Request {
        env: slurm,
        ..request(out.path(), &["--quiet"])
    };
    let session = Session::plan(&request, sink).unwrap();
    assert_eq!(session.root(), out.path().join("slurm-77/shard-2-of-2"));
    assert_eq!(
        lines_of(&lines, Stream::Notice),
        vec![
            "shard 2/2 (from SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_MIN/SLURM_ARRAY_TASK_COUNT)"
                .to_string()
        ]
    );
}

#[test]
fn bad_requests_are_one_line_errors() {
    let out = tempfile::tempdir().unwrap();
    let missing = resume(&out.path().join("nothing-here"));
    let (sink, _) = memory_sink();
    let e = Session::plan(&missing, sink.clone())
        .unwrap_err()
        .to_string();
    assert!(e.contains("no such run folder") && !e.contains('\n'), "{e}");
    let bad_id = named(out.path(), "../up");
    let e = Session::plan(&bad_id, sink).unwrap_err().to_string();
    assert!(!e.contains('\n'), "{e}");
    // Neither wrote a run folder.
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}

#[test]
fn a_session_stopped_before_its_first_job_is_interrupted_and_resumable() {
    let out = tempfile::tempdir().unwrap();
    let (sink, lines) = memory_sink();
    let session = Session::plan(&named(out.path(), "stopped"), sink).unwrap();
    let root = session.root().to_path_buf();
    session.interrupt().stop();
    let outcome = session.run().unwrap();
    assert_eq!(
        outcome,
        Outcome::Interrupted {
            finished: 0,
            planned: 4,
            signal: None
        }
    );
    assert_eq!(outcome.exit_code(), 130);
    let notices = lines_of(&lines, Stream::Notice);
    let dir = root.display();
    let last = format!(
        "interrupted: 0 of 4 runs finished; their results are in {dir} (continue with `compare --resume {dir}`)"
    );
    assert_eq!(notices.last(), Some(&last), "{notices:?}");
    // The report was rendered all the same.
    let output = lines_of(&lines, Stream::Output);
    let page = format!("report: {}", root.join("report.html").display());
    assert_eq!(output.last(), Some(&page), "{output:?}");
    assert!(root.join("report.html").is_file());
    // The folder resumes with its own plan.
    let (sink, _) = memory_sink();
    let resumed = Session::plan(&resume(&root), sink).unwrap();
    assert_eq!(resumed.root(), root);
    assert_eq!(resumed.manifest().jobs.len(), 4);
}

#[test]
fn outcomes_map_to_exit_codes_and_last_lines() {
    let dir = Path::new("/r");
    let finished = Outcome::Finished { planned: 4 };
    assert_eq!((finished.exit_code(), finished.last_line(dir)), (0, None));
    let failed = Outcome::RunsFailed {
        failed: 1,
        planned: 4,
    };
    assert_eq!(failed.exit_code(), 1);
    assert_eq!(
        failed.last_line(dir).unwrap(),
        "1 of 4 runs did not finish (see runs.csv)"
    );
    let term = Outcome::Interrupted {
        finished: 2,
        planned: 4,
        signal: Some(libc::SIGTERM),
    };
    assert_eq!(term.exit_code(), 143);
    let hup = Outcome::KernelCheckInterrupted {
        signal: Some(libc::SIGHUP),
    };
    assert_eq!(hup.exit_code(), 129);
    assert!(hup.last_line(dir).unwrap().contains("compare --resume /r"));
    let own = Outcome::KernelCheckInterrupted { signal: None };
    assert_eq!(own.exit_code(), 130);
}

#[test]
fn seeds_are_said_as_ranges() {
    assert_eq!(seed_range(&[]), "");
    assert_eq!(seed_range(&[4]), "4");
    assert_eq!(seed_range(&[4, 5, 6]), "4 to 6");
    assert_eq!(seed_range(&[4, 6, 9]), "4, 6, 9");
}
