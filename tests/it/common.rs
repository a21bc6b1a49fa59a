//! Helpers shared by the integration tests.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A file of the tiny test dataset `datasets/fixture/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("datasets/fixture")
        .join(name)
}

/// Runs `cmd` and fails the test, with its output, unless it succeeds.
pub fn run_ok(cmd: &mut Command) -> Output {
    let output = cmd.output().expect("the command starts");
    assert!(
        output.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    output
}

/// The only folder under `out` (a run folder: `compare` made one); fails
/// the test when there is none or more than one.
pub fn only_dir(out: &Path) -> PathBuf {
    let dirs: Vec<PathBuf> = std::fs::read_dir(out)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs.into_iter().next().unwrap()
}

/// A `compare` on the fixture dataset with small, fast settings: 2 epochs,
/// embedding and hidden width 16, 64 tokens, batch 16, one thread, a
/// 2,000-word vocabulary, no re-measurement (these tests are not about
/// timing), quiet, and Slurm's and Kubernetes' shard variables removed. A
/// test states only what it is about ([`FixtureCompare::with`],
/// [`FixtureCompare::set`]), which replaces a default rather than repeating
/// the flag (a flag given twice would be a grid of two points).
pub struct FixtureCompare {
    /// Flags in order, each with its value (`None` for a switch).
    args: Vec<(String, Option<OsString>)>,
}

impl FixtureCompare {
    /// The defaults above.
    pub fn new() -> Self {
        let mut c = FixtureCompare::bare()
            .with(&["--epochs", "2", "--hidden", "16", "--embed", "16"])
            .with(&["--max-len", "64", "--batch-size", "16", "--threads", "1"])
            .with(&["--vocab-size", "2000", "--remeasure", "0"]);
        c.args.push(("--quiet".into(), None));
        c
    }

    /// Only the fixture's files: every other setting is compare's default.
    pub fn bare() -> Self {
        FixtureCompare { args: Vec::new() }
            .set("--train", fixture("train.csv"))
            .set("--test", fixture("test.csv"))
    }

    /// `flag` with `value`, in place of its default (or added).
    pub fn set(mut self, flag: &str, value: impl AsRef<OsStr>) -> Self {
        let value = Some(value.as_ref().to_os_string());
        match self.args.iter_mut().find(|(f, _)| f == flag) {
            Some(arg) => arg.1 = value,
            None => self.args.push((flag.to_string(), value)),
        }
        self
    }

    /// Without `flag` (compare's own default applies).
    pub fn unset(mut self, flag: &str) -> Self {
        self.args.retain(|(f, _)| f != flag);
        self
    }

    /// `extra`, a command line of `--flag value` pairs and `--switch`es,
    /// each in place of the default of the same flag.
    pub fn with(mut self, extra: &[&str]) -> Self {
        let mut rest = extra.iter().peekable();
        while let Some(&flag) = rest.next() {
            assert!(
                flag.starts_with("--"),
                "`{flag}` in {extra:?} is not a flag"
            );
            let value = rest.next_if(|v| !v.starts_with("--")).map(OsString::from);
            match self.args.iter_mut().find(|(f, _)| f == flag) {
                Some(arg) => arg.1 = value,
                None => self.args.push((flag.to_string(), value)),
            }
        }
        self
    }

    /// The command, writing under `out` (unless `--out` was set).
    pub fn command(&self, out: &Path) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_compare"));
        for (flag, value) in &self.args {
            cmd.arg(flag);
            if let Some(v) = value {
                cmd.arg(v);
            }
        }
        if !self.args.iter().any(|(f, _)| f == "--out") {
            cmd.arg("--out").arg(out);
        }
        cmd.env_remove("SLURM_ARRAY_TASK_ID")
            .env_remove("JOB_COMPLETION_INDEX");
        cmd
    }
}

#[test]
fn a_fixture_compare_replaces_its_defaults_instead_of_repeating_them() {
    let cmd = FixtureCompare::new()
        .with(&["--epochs", "1", "--lr", "-1", "--quiet", "--models", "lstm"])
        .unset("--threads")
        .command(Path::new("/o"));
    let args: Vec<String> = cmd
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let count = |flag: &str| args.iter().filter(|a| *a == flag).count();
    assert_eq!(
        (count("--epochs"), count("--quiet"), count("--threads")),
        (1, 1, 0)
    );
    let after = |flag: &str| &args[args.iter().position(|a| a == flag).unwrap() + 1];
    assert_eq!(
        (after("--epochs").as_str(), after("--lr").as_str()),
        ("1", "-1")
    );
    assert_eq!(after("--out"), "/o");
}
