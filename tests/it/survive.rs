//! Issue 30, "Nothing lost, nothing false": what a curious user does to a
//! run folder (reports it while `compare` writes it, merges into it,
//! interrupts a phase, resumes it from elsewhere) loses no result and
//! shows no false figure.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::common::{FixtureCompare, fixture, run_ok};

/// `compare` on the fixture data, into `out`, with `extra` (compare's own
/// defaults otherwise).
fn fixture_compare(out: &Path, extra: &[&str]) -> Command {
    FixtureCompare::bare().with(extra).command(out)
}

/// The fixture with a tiny model, no kernel check, quiet (`FIX` of the
/// issue).
fn fix() -> FixtureCompare {
    FixtureCompare::bare().with(&[
        "--embed",
        "8",
        "--max-len",
        "32",
        "--kernel-check",
        "off",
        "--quiet",
    ])
}

/// `compare` with [`fix`]'s settings and `extra`.
fn compare(out: &Path, extra: &[&str]) -> Command {
    fix().with(extra).command(out)
}

fn report() -> Command {
    Command::new(env!("CARGO_BIN_EXE_report"))
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Data rows of a CSV file (0 when it is missing).
fn rows(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .map(|t| t.lines().count().saturating_sub(1))
        .unwrap_or(0)
}

#[test]
fn report_of_a_folder_compare_is_writing_loses_no_run() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("cd");
    let mut running = compare(
        out.path(),
        &[
            "--hidden",
            "8",
            "--epochs",
            "2",
            "--seeds",
            "4",
            "--remeasure",
            "0",
            "--run-id",
            "cd",
        ],
    )
    .stdout(std::process::Stdio::null())
    .spawn()
    .unwrap();
    // Once the first run is finished, report the folder again and again
    // while the comparison goes on.
    let start = Instant::now();
    while rows(&dir.join("runs.csv")) < 1 {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no run finished"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut reports = 0;
    while running.try_wait().unwrap().is_none() {
        let output = report().arg(&dir).output().unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        reports += 1;
        if reports == 1 {
            let err = stderr(&output);
            assert!(err.contains("still working"), "{err}");
            let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
            assert!(page.contains("still working in this folder"));
        }
    }
    assert!(reports > 0);
    let status = running.wait().unwrap();
    assert!(status.success(), "compare ended {status}");
    assert_eq!(rows(&dir.join("runs.csv")), 8, "every run is in runs.csv");
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(!page.contains("still working in this folder"));
}

#[test]
fn a_merge_never_writes_over_a_sweep_or_a_shard_root() {
    let out = tempfile::tempdir().unwrap();
    let grid = [
        "--hidden", "8,16", "--epochs", "1", "--seeds", "1", "--models", "lstm",
    ];
    let mut args = grid.to_vec();
    args.extend(["--run-id", "s", "--remeasure", "0"]);
    run_ok(&mut compare(out.path(), &args));
    for shard in ["1/2", "2/2"] {
        let mut args = grid.to_vec();
        args.extend(["--run-id", "c", "--remeasure", "0", "--shard", shard]);
        run_ok(&mut compare(out.path(), &args));
    }
    let sweep = out.path().join("s");
    let before = std::fs::read(sweep.join("sweep.json")).unwrap();
    let shards = out.path().join("c");
    let merged = report()
        .arg(shards.join("shard-1-of-2"))
        .arg(shards.join("shard-2-of-2"))
        .arg("--out")
        .arg(&sweep)
        .output()
        .unwrap();
    let err = stderr(&merged);
    assert!(!merged.status.success(), "merged over a sweep: {err}");
    assert!(err.contains("already holds a run (sweep.json)"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(std::fs::read(sweep.join("sweep.json")).unwrap(), before);
    // The sweep is still a run: it resumes (nothing left to do).
    run_ok(
        Command::new(env!("CARGO_BIN_EXE_compare"))
            .arg("--resume")
            .arg(&sweep),
    );
    // A shard root holds run folders that are not being merged.
    let onto_shards = report()
        .arg(&sweep)
        .arg("--out")
        .arg(&shards)
        .output()
        .unwrap();
    let err = stderr(&onto_shards);
    assert!(!onto_shards.status.success(), "{err}");
    assert!(
        err.contains("holds run folders that are not being merged"),
        "{err}"
    );
    assert!(!shards.join("sweep.json").exists());
    // Its own shards merge into it, as before.
    run_ok(report().arg(&shards));
    assert!(shards.join("sweep.json").is_file());
}

#[test]
fn six_reports_at_once_on_one_folder_all_succeed() {
    let out = tempfile::tempdir().unwrap();
    run_ok(&mut compare(
        out.path(),
        &[
            "--hidden", "8", "--epochs", "1", "--seeds", "2", "--run-id", "r",
        ],
    ));
    let dir = out.path().join("r");
    let children: Vec<_> = (0..6)
        .map(|_| {
            report()
                .arg(&dir)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
    }
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    serde_json::from_str::<serde_json::Value>(
        &std::fs::read_to_string(dir.join("summary.json")).unwrap(),
    )
    .unwrap();
}

#[test]
fn ctrl_c_during_the_kernel_check_exits_130_and_the_page_says_how_to_finish() {
    use std::io::{BufRead, BufReader};
    // The signal may land after the check wrote its file (then exit 0 is
    // right); a few tries make the interesting case certain enough.
    for attempt in 1..=4 {
        let out = tempfile::tempdir().unwrap();
        let mut cmd = fixture_compare(out.path(), &[]);
        cmd.args([
            "--hidden", "64", "--epochs", "1", "--seeds", "1", "--run-id", "k",
        ])
        .args(["--max-len", "256", "--batch-size", "128"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut child = cmd.spawn().unwrap();
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let mut log = String::new();
        let mut line = String::new();
        while err.read_line(&mut line).unwrap() > 0 {
            log.push_str(&line);
            if line.contains("kernel check:") {
                std::thread::sleep(Duration::from_millis(300));
                // SAFETY: kill(2) on the process group we started.
                unsafe { libc::kill(-(child.id() as libc::pid_t), libc::SIGINT) };
            }
            line.clear();
        }
        let status = child.wait().unwrap();
        let dir = out.path().join("k");
        if dir.join("kernel_check.csv").is_file() {
            assert!(status.success(), "{log}");
            eprintln!("try {attempt}: the check finished before the signal");
            continue;
        }
        assert_eq!(status.code(), Some(130), "{log}");
        assert!(log.contains("compare --resume"), "{log}");
        let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
        assert!(page.contains("kernel check (--kernel-check on) has no results here"));
        assert!(page.contains("compare --resume"));
        // Resuming runs the check and nothing else.
        let resumed = run_ok(
            Command::new(env!("CARGO_BIN_EXE_compare"))
                .arg("--resume")
                .arg(&dir)
                .stdout(std::process::Stdio::null()),
        );
        assert!(
            dir.join("kernel_check.csv").is_file(),
            "{}",
            stderr(&resumed)
        );
        let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
        assert!(!page.contains("has no results here"));
        return;
    }
    panic!("the kernel check always finished before Ctrl-C");
}

#[test]
fn a_weight_decay_or_clip_beyond_float32_is_refused_before_any_run() {
    for flag in ["--weight-decay", "--clip"] {
        let out = tempfile::tempdir().unwrap();
        let output = compare(
            out.path(),
            &["--hidden", "8", "--epochs", "1", flag, "1e39"],
        )
        .output()
        .unwrap();
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{err}");
        assert!(
            err.starts_with(&format!("error: {flag}")) && err.contains("float32"),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        assert_eq!(
            std::fs::read_dir(out.path()).unwrap().count(),
            0,
            "no run folder"
        );
    }
}

#[test]
fn resume_writes_an_environment_json_a_full_disk_lost() {
    let out = tempfile::tempdir().unwrap();
    run_ok(&mut compare(
        out.path(),
        &[
            "--hidden", "8", "--epochs", "1", "--seeds", "1", "--run-id", "e",
        ],
    ));
    let dir = out.path().join("e");
    // A full disk when it was written: the atomic writer left no file.
    std::fs::remove_file(dir.join("environment.json")).unwrap();
    run_ok(
        Command::new(env!("CARGO_BIN_EXE_compare"))
            .arg("--resume")
            .arg(&dir)
            .stdout(std::process::Stdio::null()),
    );
    let env: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("environment.json")).unwrap())
            .unwrap();
    assert!(env.is_object());
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(page.contains("measured on"));
}

#[test]
fn open_without_a_working_opener_prints_a_one_line_note() {
    use std::os::unix::fs::PermissionsExt;
    let out = tempfile::tempdir().unwrap();
    run_ok(&mut compare(
        out.path(),
        &[
            "--hidden", "8", "--epochs", "1", "--seeds", "1", "--run-id", "o",
        ],
    ));
    // An xdg-open that finds no application, as on a server.
    let bin = out.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let fake = bin.join("xdg-open");
    std::fs::write(&fake, "#!/bin/sh\nexit 3\n").unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let output = run_ok(
        report()
            .arg(out.path().join("o"))
            .arg("--open")
            .env("PATH", path),
    );
    let err = stderr(&output);
    let notes: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("could not open"))
        .collect();
    assert_eq!(notes.len(), 1, "{err}");
    assert!(
        notes[0].starts_with("note: could not open") && notes[0].contains("3"),
        "{err}"
    );
}

#[test]
fn words_a_folder_merged_with_itself_and_an_infinite_precision() {
    let out = tempfile::tempdir().unwrap();
    run_ok(&mut compare(
        out.path(),
        &[
            "--hidden", "8", "--epochs", "1", "--seeds", "1", "--run-id", "a",
        ],
    ));
    let a = out.path().join("a");
    let merged = out.path().join("m");
    run_ok(report().arg(&a).arg(&a).arg("--out").arg(&merged));
    let page = std::fs::read_to_string(merged.join("report.html")).unwrap();
    assert!(
        page.contains("Merged from 1 run:"),
        "one folder, named twice"
    );
    assert!(!page.contains("Duplicate:"));
    let output = compare(out.path(), &["--seeds", "auto", "--precision", "inf"])
        .output()
        .unwrap();
    let err = stderr(&output);
    assert!(!output.status.success());
    assert!(
        err.contains("--precision") && err.contains("finite"),
        "{err}"
    );
}

#[test]
fn a_tiny_or_huge_grid_value_gives_a_short_point_id() {
    let out = tempfile::tempdir().unwrap();
    run_ok(&mut compare(
        out.path(),
        &[
            "--hidden",
            "8",
            "--epochs",
            "1",
            "--seeds",
            "1",
            "--models",
            "lstm",
            "--weight-decay",
            "0,1e-300",
            "--run-id",
            "w",
        ],
    ));
    let points: Vec<String> = std::fs::read_dir(out.path().join("w").join("points"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        points.contains(&"weight-decay-1e-300".to_string()),
        "{points:?}"
    );
}

#[test]
fn tiny_epochs_jitter_is_not_re_measured() {
    use rnnbench::analysis::disturbance::{DisturbanceRule, EpochTiming};
    use rnnbench::probe::interference::{EpochSignals, Timing};
    // Issue 30: the fixture with a tiny model, epochs of 20-30 ms on 2
    // CPUs; a few ms of run-queue wait (half the runnable time) and one
    // 10 ms steal tick are clock jitter, not a reason to run it again.
    let rule = DisturbanceRule {
        machine_cpus: 2,
        ..DisturbanceRule::default()
    };
    for secs in [
        vec![0.031],
        vec![0.031, 0.022, 0.024],
        vec![0.04, 0.022, 0.024, 0.045, 0.023],
    ] {
        let epochs: Vec<EpochTiming> = secs
            .iter()
            .map(|&s| EpochTiming {
                train_secs: s,
                signals: EpochSignals {
                    cpu_secs: Some(s),
                    runqueue_wait_secs: Some(s),
                    steal_secs: Some(0.01),
                    ..EpochSignals::default()
                },
            })
            .collect();
        let verdicts = rule.classify(&epochs);
        assert_eq!(
            rule.run_timing(&verdicts),
            Timing::Clean,
            "{secs:?}: {verdicts:?}"
        );
    }
    // A wait that is more than jitter still counts.
    let stalled = EpochTiming {
        train_secs: 0.3,
        signals: EpochSignals {
            cpu_secs: Some(0.3),
            runqueue_wait_secs: Some(0.3),
            ..EpochSignals::default()
        },
    };
    assert_eq!(
        rule.run_timing(&rule.classify(&[stalled])),
        Timing::Disturbed
    );
}

#[test]
fn resume_works_from_another_folder_and_toml_paths_are_the_files() {
    let out = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // Relative data paths, from the repository's folder.
    run_ok(
        Command::new(env!("CARGO_BIN_EXE_compare"))
            .current_dir(root)
            .args(["--train", "datasets/fixture/train.csv"])
            .args(["--test", "datasets/fixture/test.csv"])
            .args(["--embed", "8", "--max-len", "32", "--hidden", "8"])
            .args(["--epochs", "1", "--seeds", "1", "--run-id", "r"])
            .args(["--kernel-check", "off", "--quiet", "--out"])
            .arg(out.path()),
    );
    let dir = out.path().join("r");
    let config = |dir: &Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap()).unwrap()
    };
    let train = config(&dir)["config"]["dataset"]["train"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        Path::new(&train),
        root.join("datasets/fixture/train.csv"),
        "stored absolute"
    );
    // The command compare prints to continue, run from elsewhere.
    std::fs::remove_file(dir.join("environment.json")).unwrap();
    run_ok(
        Command::new(env!("CARGO_BIN_EXE_compare"))
            .current_dir(out.path())
            .arg("--resume")
            .arg(&dir)
            .stdout(std::process::Stdio::null()),
    );

    // A --config file names its data relative to its own folder.
    let cfg = out.path().join("cfg");
    std::fs::create_dir_all(cfg.join("data")).unwrap();
    for f in ["train.csv", "test.csv"] {
        std::fs::copy(fixture(f), cfg.join("data").join(f)).unwrap();
    }
    std::fs::write(
        cfg.join("run.toml"),
        "train = \"data/train.csv\"\ntest = \"data/test.csv\"\nout = \"results\"\n\
         embed = 8\nhidden = 8\nmax_len = 32\nepochs = 1\nseeds = 1\n\
         kernel_check = \"off\"\nquiet = true\n",
    )
    .unwrap();
    let output = run_ok(
        Command::new(env!("CARGO_BIN_EXE_compare"))
            .current_dir(out.path())
            .arg("--config")
            .arg("cfg/run.toml")
            .args(["--run-id", "t"])
            .stdout(std::process::Stdio::null()),
    );
    let t = cfg.join("results").join("t");
    assert!(t.join("report.html").is_file(), "{}", stderr(&output));
    let test = config(&t)["config"]["dataset"]["test"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        std::fs::canonicalize(test).unwrap(),
        std::fs::canonicalize(cfg.join("data/test.csv")).unwrap()
    );
}

/// Item 11: a flag given twice is an error naming it, not a silent grid.
#[test]
fn a_repeated_flag_is_refused_not_swept() {
    let out = tempfile::tempdir().unwrap();
    for args in [
        &["--epochs", "1", "--epochs", "3"][..],
        &["--models", "lstm", "--models", "gru"][..],
    ] {
        // Appended as given: `compare`'s `extra` would replace the first.
        let o = compare(out.path(), &[]).args(args).output().unwrap();
        let err = stderr(&o);
        assert!(!o.status.success(), "{args:?} ran");
        assert!(err.contains("cannot be used multiple times"), "{err}");
        assert!(err.contains(args[0]), "{err}");
    }
    // A list in one flag is still a grid.
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}

/// Item 14: a header that is one 5 MB line gives a short error; a text
/// column empty in every row is refused; train = test is warned about.
#[test]
fn data_the_user_should_be_told_about() {
    let dir = tempfile::tempdir().unwrap();
    let huge = dir.path().join("huge.csv");
    std::fs::write(&huge, format!("{}\n", "word ".repeat(1_000_000))).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_compare"))
        .args(["--train"])
        .arg(&huge)
        .arg("--test")
        .arg(&huge)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    let err = stderr(&o);
    assert!(!o.status.success());
    assert!(err.len() < 2_000, "{} bytes of stderr", err.len());
    assert!(
        err.contains("huge.csv") && err.contains("characters"),
        "{err}"
    );

    let empty_train = dir.path().join("empty.csv");
    std::fs::write(&empty_train, "text,label\n,pos\n ,neg\n,pos\n").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_compare"))
        .arg("--train")
        .arg(&empty_train)
        .arg("--test")
        .arg(fixture("test.csv"))
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    let err = stderr(&o);
    assert!(!o.status.success());
    assert!(
        err.contains("empty.csv") && err.contains("empty in every example"),
        "{err}"
    );

    let o = Command::new(env!("CARGO_BIN_EXE_compare"))
        .arg("--train")
        .arg(fixture("train.csv"))
        .arg("--test")
        .arg(fixture("train.csv"))
        .args(["--hidden", "8", "--embed", "8", "--max-len", "32"])
        .args(["--epochs", "1", "--seeds", "1", "--models", "lstm"])
        .args(["--kernel-check", "off"])
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("hold the same bytes") && err.contains("memory, not generalisation"),
        "{err}"
    );
}

/// Issue 35, finding 4: a test split that is the training split in another
/// order (and case) is not byte-identical, but is warned about all the same,
/// on the terminal and on the report page, with the count.
#[test]
fn a_test_split_that_is_the_training_split_reordered_is_warned_about() {
    use rnnbench::data::{Columns, DatasetSource, load_corpus};
    let dir = tempfile::tempdir().unwrap();
    let corpus = load_corpus(
        &DatasetSource::Split {
            train: fixture("train.csv"),
            test: fixture("test.csv"),
        },
        &Columns::default(),
    )
    .unwrap();
    let test = dir.path().join("test.jsonl");
    let lines: String = corpus
        .train
        .iter()
        .rev()
        .map(|e| {
            serde_json::json!({ "text": e.text.to_uppercase(), "label": e.label }).to_string()
                + "\n"
        })
        .collect();
    std::fs::write(&test, lines).unwrap();
    let out = dir.path().join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_compare"))
        .arg("--train")
        .arg(fixture("train.csv"))
        .arg("--test")
        .arg(&test)
        .args(["--hidden", "8", "--embed", "8", "--max-len", "32"])
        .args(["--epochs", "1", "--seeds", "1", "--models", "lstm"])
        .args(["--kernel-check", "off", "--quiet", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    let warning = format!(
        "warning: every one of the {} test examples also occurs in the training split",
        corpus.train.len()
    );
    assert!(err.contains(&warning), "{err}");
    assert!(!err.contains("hold the same bytes"), "{err}");
    let page = std::fs::read_to_string(crate::common::only_dir(&out).join("report.html")).unwrap();
    assert!(
        page.contains(&warning["warning: ".len()..]),
        "the report page does not carry the warning"
    );
}

/// Issue 35, finding 13d: labels `1` and `1.0` (the same number written
/// two ways) make two classes, and say so: on the terminal, on each point's
/// page and on the sweep's page (which showed no data warning before).
#[test]
fn labels_one_and_one_point_zero_are_warned_about_on_every_page() {
    let dir = tempfile::tempdir().unwrap();
    let relabel = |name: &str| {
        let text = std::fs::read_to_string(fixture(name)).unwrap();
        let mut pos = 0;
        let out: String = text
            .lines()
            .map(|line| {
                let line = if let Some(rest) = line.strip_suffix(",pos") {
                    pos += 1;
                    format!("{rest},{}", if pos % 4 == 0 { "1.0" } else { "1" })
                } else if let Some(rest) = line.strip_suffix(",neg") {
                    format!("{rest},0")
                } else {
                    line.to_string()
                };
                line + "\n"
            })
            .collect();
        let path = dir.path().join(name);
        std::fs::write(&path, out).unwrap();
        path
    };
    let (train, test) = (relabel("train.csv"), relabel("test.csv"));
    let out = dir.path().join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_compare"))
        .arg("--train")
        .arg(&train)
        .arg("--test")
        .arg(&test)
        .args(["--hidden", "8,9", "--embed", "8", "--max-len", "32"])
        .args(["--epochs", "1", "--seeds", "1", "--models", "lstm"])
        .args([
            "--kernel-check",
            "off",
            "--remeasure",
            "0",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    let warning = "the labels `1`, `1.0` are the same number written differently: they are 2 \
                   different classes";
    assert!(err.contains(&format!("warning: {warning}")), "{err}");
    let run = crate::common::only_dir(&out);
    let html_warning = warning.replace('`', "&#x60;");
    for page in [
        run.join("report.html"),
        run.join("points/hidden-8/report.html"),
    ] {
        let html = std::fs::read_to_string(&page).unwrap();
        assert!(
            html.contains(warning) || html.contains(&html_warning),
            "{} has no word of the labels",
            page.display()
        );
    }
}

/// Item 15: words. A TOML list for `seeds`, `kernel_check = true`, `--run-id
/// .`, an existing empty folder as the run id, and a one-model run's claims.
#[test]
fn words_for_toml_values_run_ids_and_claims() {
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("c.toml");
    std::fs::write(&toml, "seeds = [1, 2]\n").unwrap();
    let o = compare(dir.path(), &["--config", toml.to_str().unwrap()])
        .output()
        .unwrap();
    let err = stderr(&o);
    assert!(!o.status.success());
    assert!(err.contains("seed_list"), "{err}");
    assert!(!err.contains("untagged"), "{err}");

    let o = compare(dir.path(), &["--run-id", "."]).output().unwrap();
    let err = stderr(&o);
    assert!(!o.status.success());
    assert!(err.contains("not starting with `.`"), "{err}");

    // kernel_check = true reads as on; an empty folder is taken as new.
    std::fs::write(&toml, "kernel_check = false\nepochs = 1\nseeds = 1\n").unwrap();
    std::fs::create_dir(dir.path().join("made-before")).unwrap();
    run_ok(&mut compare(
        dir.path(),
        &[
            "--config",
            toml.to_str().unwrap(),
            "--run-id",
            "made-before",
            "--hidden",
            "8",
            "--models",
            "lstm",
        ],
    ));
    let run = dir.path().join("made-before");
    assert!(run.join("runs.csv").is_file());
    // One model: the claims say what would measure them, not flags given.
    let page = std::fs::read_to_string(run.join("report.html")).unwrap();
    assert!(
        !page.contains("a current rnnbench"),
        "stale words on the page"
    );
    assert!(page.contains("--models lstm,gru"));
}

/// `compare … 2>&1 | head -2` ended with SIGABRT ("Aborted", status 134):
/// the first progress line after `head` had gone panicked, and so did the
/// panic hook's own line. A closed pipe now ends `compare` as it ends `cat`
/// (SIGPIPE, which a shell does not report); the run's folder stays, and
/// `compare --resume` finishes it.
#[cfg(unix)]
#[test]
fn a_closed_pipe_ends_compare_quietly_and_resume_finishes_the_run() {
    use std::io::{BufRead, BufReader};
    use std::os::unix::process::ExitStatusExt;

    let tmp = tempfile::tempdir().unwrap();
    let (reader, writer) = std::io::pipe().unwrap();
    // Not quiet: the progress lines are what meets the closed pipe.
    let mut cmd = fix()
        .unset("--quiet")
        .with(&["--epochs", "2", "--seeds", "3", "--remeasure", "0"])
        .with(&["--run-id", "piped"])
        .command(tmp.path());
    cmd.stdout(writer.try_clone().unwrap()).stderr(writer);
    let mut child = cmd.spawn().unwrap();
    // The parent's copies of the write end, gone: `head` holds the only reader.
    drop(cmd);
    let mut lines = BufReader::new(reader).lines();
    // Read until the first run has started (its folder exists), then leave.
    for line in lines.by_ref() {
        let line = line.unwrap();
        // `runs 1–2 of 6` when workers run side by side (`--jobs`).
        if line.starts_with("run 1 of ") || line.starts_with("runs 1–") {
            break;
        }
    }
    drop(lines);
    let status = child.wait().unwrap();
    assert_eq!(
        status.signal(),
        Some(libc::SIGPIPE),
        "ended by the closed pipe, not {status:?} (134: an abort after a panic)"
    );
    let dir = tmp.path().join("piped");
    let output = Command::new(env!("CARGO_BIN_EXE_compare"))
        .arg("--resume")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let runs = std::fs::read_to_string(dir.join("runs.csv")).unwrap();
    assert_eq!(runs.lines().count(), 1 + 6, "every run once: {runs}");
    assert!(dir.join("report.html").is_file());
}
