//! `report DIR [DIR…] [--out DIR]`: re-renders a run's report from its files,
//! or merges several runs of one configuration into a new folder.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// Re-render a run's report (one DIR), or merge runs of the same
/// configuration (several DIRs) into one report.
#[derive(Debug, Parser)]
#[command(name = "report", version, about)]
struct Args {
    /// Run folders (results/<run-id>/).
    #[arg(required = true, value_name = "DIR")]
    dirs: Vec<PathBuf>,
    /// Folder for the merged report. With one DIR and no --out the report is
    /// re-rendered in place; with several, defaults to results/merged-<UTC timestamp>.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// `YYYYMMDD-HHMMSS` (UTC) of now, for default folder names.
fn utc_timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}-{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn run(args: Args) -> rnnbench::Result<PathBuf> {
    match (args.dirs.as_slice(), args.out) {
        ([dir], None) => rnnbench::report::render_run(dir),
        (dirs, out) => {
            let out = out.unwrap_or_else(|| {
                PathBuf::from("results").join(format!("merged-{}", utc_timestamp()))
            });
            rnnbench::report::render_merged(dirs, &out)
        }
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(page) => {
            println!("{}", page.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            let mut line = format!("error: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                let text = s.to_string();
                // thiserror variants often repeat their source in their own message.
                if !line.ends_with(&text) {
                    line.push_str(&format!(": {text}"));
                }
                source = s.source();
            }
            eprintln!("{line}");
            ExitCode::FAILURE
        }
    }
}
