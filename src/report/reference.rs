//! The README's reference block: what the committed reference run
//! (`results/reference/`) measured, as markdown made from the run's own
//! files, so that the README never says what the folder does not hold.
//! `report DIR --readme-block` prints it; `scripts/make-reference` splices it
//! into `README.md` between [`BEGIN`] and [`END`]; `tests/it/readme.rs` fails
//! when the README's block differs from what [`readme_block`] makes of the
//! folder.
//!
//! Pure: the loaded run in, a string out. The numbers and sentences are the
//! report's own ([`terminal`](super::terminal)'s formats, the first screen
//! of [`answer`](super::answer) and the claims table), so the block says
//! what the run's page says.

use super::answer::Answer;
use super::findings::findings;
use super::load::RunFiles;
use super::run::{run_answer, run_claims};
use super::say;
use super::table::{Facts, Target, headline};
use super::view::claims::ClaimVerdict;

/// The line that opens the block in `README.md`.
pub const BEGIN: &str = "<!-- reference:begin -->";
/// The line that closes the block in `README.md`.
pub const END: &str = "<!-- reference:end -->";

/// Markdown lines are wrapped at this width (words longer than it stay whole).
const WIDTH: usize = 100;

/// The reference block for the run `run`, from [`BEGIN`] to [`END`]
/// (both included), each line ending with a newline: where and how it was
/// measured, one table row per model, the report's first screen (its
/// answer; the detailed sentences stay on the page, as the claims'
/// figures do, to keep the README short; a run of one model gets the
/// sentences) and the claims' verdicts.
pub fn readme_block(run: &RunFiles) -> String {
    let summary = run.summary();
    let claims = run_claims(run, &summary, &[], None);
    let mut out = String::new();
    out.push_str(BEGIN);
    out.push('\n');
    out.push_str(
        "<!-- Made from results/reference/ by `report results/reference --readme-block` \
         (scripts/make-reference --readme-only rewrites it); tests/it/readme.rs checks it. \
         Do not edit by hand. -->\n\n",
    );
    push_wrapped(&mut out, "", &measured_on(run));
    out.push('\n');

    let kernels = run.kernels();
    let facts = Facts {
        shapes: &[],
        kernels: &kernels,
    };
    out.push_str(&headline(&summary, &facts, Target::Readme).markdown());
    out.push('\n');
    match run_answer(run, &summary) {
        Some(answer) => push_answer(&mut out, &answer),
        None => {
            for f in findings(&summary) {
                push_wrapped(&mut out, "- ", &f);
            }
        }
    }
    if !claims.is_empty() {
        out.push_str(
            "\nThe claims, checked (the figures behind each are in the \
             [report](results/reference/report.html); [docs/claims.md](docs/claims.md)):\n\n",
        );
        let (measured, not): (Vec<_>, Vec<_>) = claims
            .iter()
            .partition(|c| c.verdict_key != ClaimVerdict::NotMeasured);
        for c in &measured {
            push_wrapped(
                &mut out,
                &format!("{}. ", c.number),
                &format!("**{}**: {}", c.claim, c.verdict),
            );
        }
        if !not.is_empty() {
            let numbers = say::list(&not, ", ", |c| c.number.to_string());
            out.push('\n');
            push_wrapped(
                &mut out,
                "",
                &format!(
                    "Not measured by this run: claims {numbers} ([docs/claims.md](docs/claims.md) \
                     gives the flags that measure each)."
                ),
            );
        }
    }
    out.push_str(END);
    out.push('\n');
    out
}

/// The first screen ([`super::answer`]) as markdown: its title, one bullet
/// per criterion, the next step with its command, and where the detailed
/// sentences are.
fn push_answer(out: &mut String, answer: &Answer) {
    push_wrapped(out, "", &format!("**The answer**: {}", answer.title));
    out.push('\n');
    for l in &answer.lines {
        push_wrapped(out, "- ", &format!("**{}**: {}", l.criterion, l.text));
    }
    if let Some(next) = &answer.next {
        out.push('\n');
        push_wrapped(out, "", &next.text);
        out.push_str(&format!("\n```sh\n{}\n```\n", next.command));
    }
    out.push('\n');
    push_wrapped(
        out,
        "",
        "The detailed verdicts (the kernel check, the timings, where the time went) are in the \
         [report](results/reference/report.html).",
    );
}

/// The block of `readme`, from its [`BEGIN`] line to its [`END`] line
/// (both included, with the newline after END); `None` without both markers
/// in that order.
pub fn block_in(readme: &str) -> Option<&str> {
    let start = readme.find(BEGIN)?;
    let end = start + readme[start..].find(END)? + END.len();
    let newline = readme[end..].starts_with('\n');
    Some(&readme[start..end + usize::from(newline)])
}

/// "Measured on …": the machine, the libraries, the data, the seeds and the
/// commit, from `environment.json` and `config.json`.
fn measured_on(run: &RunFiles) -> String {
    let config = &run.config.config;
    let what = format!(
        "`{}`: {} on `{}`, seeds {}, {} threads",
        run.run_id(),
        say::list(run.models(), ", ", |m| m.display_name().to_string()),
        run.config.dataset.name,
        say::list(run.planned_seeds(), ", ", |s| s.to_string()),
        config.threads
    );
    let Some(env) = run.environment.as_ref().and_then(|e| e.first()) else {
        return format!("{what}; the folder has no environment.json.");
    };
    let device = if env.device.starts_with("cuda") {
        let gpu = env.gpu.as_ref().map(|g| g.name.as_str()).unwrap_or("GPU");
        format!("{} ({gpu})", env.device)
    } else {
        "CPU only".to_string()
    };
    let flush = match env.flush_denormal {
        Some(true) => "subnormals flushed to zero",
        Some(false) => "subnormals not flushed",
        None => "subnormal flushing not recorded",
    };
    let commit: String = env.git_commit.chars().take(7).collect();
    let dirty = if env.git_commit.ends_with("-dirty") {
        " with uncommitted changes"
    } else {
        ""
    };
    format!(
        "{what}. Measured on **{}** ({} logical cores, {} GiB RAM, {}, Linux {}), {device}, \
         libtorch {}, {flush}; rnnbench {} at commit `{commit}`{dirty}.",
        env.cpu_model,
        env.logical_cores,
        env.ram_bytes / (1024 * 1024 * 1024),
        env.os,
        env.kernel,
        env.libtorch_version,
        env.rnnbench_version,
    )
}

/// Appends `text` after `first` (a list marker or nothing), wrapped at
/// [`WIDTH`] with continuation lines indented under the text; never breaks
/// before a word that would start a markdown block (`-`, `+`, `*`, `>`,
/// `#`, `|`, `1.`).
fn push_wrapped(out: &mut String, first: &str, text: &str) {
    let indent = " ".repeat(first.chars().count());
    let mut line = first.to_string();
    let mut empty = true;
    for word in text.split_whitespace() {
        let width = line.chars().count() + 1 + word.chars().count();
        if !empty && width > WIDTH && !starts_block(word) {
            out.push_str(line.trim_end());
            out.push('\n');
            line = format!("{indent}{word}");
        } else {
            if !empty {
                line.push(' ');
            }
            line.push_str(word);
        }
        empty = false;
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

/// Whether a line starting with `word` would start a markdown block.
fn starts_block(word: &str) -> bool {
    matches!(word, "-" | "+" | "*")
        || word.starts_with(['>', '#', '|'])
        || word.starts_with("```")
        || (word.ends_with(['.', ')'])
            && word.len() > 1
            && word[..word.len() - 1].chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_block_between_the_markers() {
        let block = format!("{BEGIN}\nnew\nlines\n{END}\n");
        let readme = format!("# t\n\nbefore\n{block}after\n");
        assert_eq!(block_in(&readme), Some(block.as_str()));
        assert_eq!(block_in(&format!("{END}\n{BEGIN}\n")), None);
    }

    #[test]
    fn wraps_at_the_width_without_starting_a_block() {
        let mut out = String::new();
        let text = format!(
            "{} - {} 1. end",
            "a ".repeat(47).trim(),
            "b ".repeat(50).trim()
        );
        push_wrapped(&mut out, "- ", &text);
        for line in out.lines() {
            // A break refused before `1.` may overrun by that word.
            assert!(line.chars().count() <= WIDTH + 3, "{line:?}");
            let rest = line.trim_start();
            assert!(
                line.starts_with("- a") || !(rest.starts_with("- ") || rest.starts_with("1. ")),
                "{out}"
            );
        }
        assert!(out.lines().skip(1).all(|l| l.starts_with("  ")), "{out}");
        assert_eq!(out.split_whitespace().collect::<Vec<_>>().len(), 101);
    }
}
