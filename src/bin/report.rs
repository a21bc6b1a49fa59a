//! `report DIR [DIR…] [--out DIR]`: re-renders a run's (or a sweep's) report
//! from its files, or merges several runs or shards of one grid into one
//! folder: `report results/<run-id>` merges the `shard-I-of-N/` folders in it.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use rnnbench::report::FinishedRun;

/// Re-render a run's report (one DIR), or merge runs of the same
/// configuration (several DIRs) into one report.
#[derive(Debug, Parser)]
#[command(name = "report", version, about)]
struct Args {
    /// Run folders (results/<run-id>/), shard folders, or one folder holding
    /// shard folders (results/<run-id>/ of a sharded sweep), merged into it.
    #[arg(required_unless_present = "bench", value_name = "DIR")]
    dirs: Vec<PathBuf>,
    /// Render the bench report from criterion's results instead (writes
    /// results/bench/ unless --out is given).
    #[arg(long, conflicts_with = "dirs")]
    bench: bool,
    /// With --bench: criterion's folder.
    #[arg(
        long,
        value_name = "DIR",
        default_value = "target/criterion",
        requires = "bench"
    )]
    criterion: PathBuf,
    /// Folder for the merged report. With one DIR and no --out the report is
    /// re-rendered in place; with several, defaults to results/merged-<UTC timestamp>.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Time to accuracy for this validation accuracy (a fraction in (0, 1),
    /// as `compare --target-acc`) instead of the run's own target: re-derived
    /// from `epochs.csv` into `runs.csv`, `summary.json` and the page. One
    /// run folder (or merged output) only; a later render without it goes
    /// back to the run's own target.
    #[arg(long, value_name = "FRACTION", value_parser = target_fraction, conflicts_with = "bench")]
    target_acc: Option<f64>,
    /// Open the finished report with the desktop's opener (xdg-open, open).
    #[arg(long)]
    open: bool,
    /// Print the whole text: the first screen, the table, one line per
    /// claim, then each claim's figures and the notes (the kernel split,
    /// disturbed timings, where the time went), as the page has them.
    #[arg(long, conflicts_with = "bench")]
    full: bool,
    /// Print the README's reference block (markdown made from one run
    /// folder's files) to stdout instead of rendering; scripts/make-reference
    /// splices it into README.md.
    #[arg(long, conflicts_with_all = ["bench", "out", "target_acc", "open"])]
    readme_block: bool,
}

/// `--target-acc`: a fraction strictly between 0 and 1.
fn target_fraction(text: &str) -> Result<f64, String> {
    let v: f64 = text
        .parse()
        .map_err(|_| format!("expected a fraction such as 0.85, got {text:?}"))?;
    if v > 0.0 && v < 1.0 {
        Ok(v)
    } else {
        Err(format!("must be a fraction in (0, 1), got {v}"))
    }
}

/// Renders (merging first where asked); returns the page with the text the
/// terminal shows, made by the same render.
fn run(args: Args) -> rnnbench::Result<FinishedRun> {
    if args.bench {
        let out = args
            .out
            .unwrap_or_else(|| PathBuf::from("results").join("bench"));
        let html = rnnbench::report::bench::render_bench_report(&args.criterion, &out)?;
        return Ok(FinishedRun {
            html,
            table: String::new(),
            details: String::new(),
            first_screen: String::new(),
        });
    }
    use rnnbench::merge::{is_merged_output, merge_folders, run_folders_in};
    use rnnbench::report::render_folder;
    if let Some(target) = args.target_acc {
        return at_target(&args.dirs, args.out, target);
    }
    match (args.dirs.as_slice(), args.out) {
        ([dir], None) => {
            let own_run = dir.join(rnnbench::results::files::SWEEP).is_file()
                || dir.join(rnnbench::results::files::CONFIG).is_file();
            if own_run && !is_merged_output(dir) {
                return render_folder(dir);
            }
            // A folder of shards (or of runs): merge them into it.
            let parts = run_folders_in(dir)?;
            if parts.is_empty() {
                if own_run {
                    // An earlier merge whose parts are gone: re-render it.
                    return render_folder(dir);
                }
                return Err(rnnbench::Error::results(
                    dir,
                    "not a run folder, and holds no run or shard folders to merge",
                ));
            }
            merge_folders(&parts, dir)?;
            render_folder(dir)
        }
        (dirs, out) => render_folder(&merge_into(dirs, out)?),
    }
}

/// Merges `dirs` into `out` (default `results/merged-<UTC timestamp>`);
/// returns the merged folder.
fn merge_into(dirs: &[PathBuf], out: Option<PathBuf>) -> rnnbench::Result<PathBuf> {
    use rnnbench::merge::{expand_folders, merge_folders};
    let out = out.unwrap_or_else(|| {
        PathBuf::from("results").join(format!("merged-{}", rnnbench::compare::utc_stamp()))
    });
    merge_folders(&expand_folders(dirs)?, &out)?;
    Ok(out)
}

/// `report DIR --target-acc X` (or several DIRs with `--out`): the merge as
/// without it, then the one run's report at target `X`.
fn at_target(dirs: &[PathBuf], out: Option<PathBuf>, target: f64) -> rnnbench::Result<FinishedRun> {
    let dir = match (dirs, out) {
        ([dir], None) => dir.clone(),
        (dirs, out) => merge_into(dirs, out)?,
    };
    if dir.join(rnnbench::results::files::SWEEP).is_file()
        && !dir.join(rnnbench::results::files::CONFIG).is_file()
    {
        return Err(rnnbench::Error::results(
            &dir,
            "--target-acc re-renders one run's report; this is a sweep: give one of its points/<id>/ folders",
        ));
    }
    rnnbench::report::report_run(&dir, Some(target))
}

/// `report DIR --readme-block`: prints the reference block of the one run
/// folder `DIR` ([`rnnbench::report::reference`]).
fn print_readme_block(dirs: &[PathBuf]) -> ExitCode {
    let [dir] = dirs else {
        eprintln!("error: --readme-block: give exactly one run folder");
        return ExitCode::FAILURE;
    };
    match rnnbench::report::RunFiles::load(dir) {
        Ok(run) => {
            print!("{}", rnnbench::report::reference::readme_block(&run));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    rnnbench::error::install_one_line_panic_hook(rnnbench::error::PanicLine::Internal);
    rnnbench::error::end_quietly_on_a_closed_pipe();
    let args = Args::parse();
    if args.readme_block {
        return print_readme_block(&args.dirs);
    }
    let open = args.open;
    let full = args.full;
    match run(args) {
        Ok(finished) => {
            let page = finished.html;
            if let Some(dir) = page.parent() {
                // A compare still holding the folder: the page shows the
                // runs finished so far; its lines are not cut off, only young.
                if rnnbench::results::lock::lock_for_render(dir).is_ok_and(|l| !l.holds_folders()) {
                    eprintln!(
                        "note: a compare is still working in {}: the report shows the runs finished so far, and the comparison renders it again when it ends",
                        dir.display()
                    );
                } else {
                    for note in rnnbench::report::load::cut_off_notes(dir) {
                        eprintln!("note: {note}");
                    }
                }
            }
            // The first screen of the page just written (a run's, or a
            // sweep's with what it lacks), as `compare` prints it first.
            if full {
                println!("{}", finished.table);
                print!("{}", finished.details);
            } else if !finished.first_screen.is_empty() {
                println!("{}", finished.first_screen);
            }
            println!("{}", page.display());
            if open && let Some(note) = rnnbench::report::open_page(&page) {
                eprintln!("{note}");
            }
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
