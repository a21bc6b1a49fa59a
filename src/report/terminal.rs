//! Plain text for the terminal: a run's headline table ([`terminal_table`]),
//! one line per claim ([`claims_table`]) and, with `report DIR --full`, the
//! claims' figures and the notes no other part says ([`details`]); a
//! sweep's line per point ([`sweep_table`]). `compare` prints them when it
//! ends. The same numbers, intervals and verdicts as the pages: each
//! comparison is said once, in the first screen.

use super::findings::{ClaimRow, budget_text, findings, memory_reach_sentences, short_verdict};
use super::format::pct;
use super::kernel_check::kernel_check;
use super::sweep_answer::sweep_answer;
use super::table::{Facts, Target, unit_format};
use super::view::claims::ClaimVerdict;
use super::view::sweep::SweepSummary;
use crate::analysis::metrics;
use crate::analysis::summary::Summary;

/// The headline table (one row per model: seeds, test accuracy, seconds per
/// epoch, parameters, hidden size, peak RSS, each mean ± sd with the 95% CI)
/// as aligned plain text.
pub fn terminal_table(summary: &Summary) -> String {
    let mut out = String::new();
    if !summary.complete {
        out.push_str(&format!(
            "INCOMPLETE: {} of {} planned runs finished ok\n",
            summary.runs_ok,
            summary.models.len() * summary.planned_seeds.len()
        ));
    }
    out.push_str(&super::table::headline(summary, &Facts::default(), Target::Terminal).text());
    out
}

/// "The claims, checked" as plain text: one line per claim measured, its
/// verdict first, then one line numbering those this run did not measure
/// (the page names the flags that would).
pub fn claims_table(rows: &[ClaimRow]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let mut out = String::from("The claims, checked:\n");
    let (measured, not): (Vec<&ClaimRow>, Vec<&ClaimRow>) = rows
        .iter()
        .partition(|r| r.verdict_key != ClaimVerdict::NotMeasured);
    for r in measured {
        out.push_str(&format!("  {:>2}. {}: {}\n", r.number, r.verdict, r.claim));
    }
    if !not.is_empty() {
        let numbers = super::say::list(not, ", ", |r| r.number.to_string());
        out.push_str(&format!(
            "  not measured in this run: {numbers} (the page names the flags that measure them)\n"
        ));
    }
    out
}

/// What `report DIR --full` adds below the table: the figures behind each
/// claim's verdict (by number: the claim and its verdict are the lines
/// above), the kernel check's table, then the notes no other part says
/// (disturbed timings, where the time went, why `--seeds auto` stopped).
pub fn details(summary: &Summary, rows: &[ClaimRow]) -> String {
    let head = if rows.is_empty() {
        ""
    } else {
        "The claims' figures:\n"
    };
    // The claims' words and verdicts are the lines above (claims_table):
    // each claim's figures by its number, or the flags that would measure it.
    let claims = super::say::list(rows, "", |r| match r.verdict_key {
        ClaimVerdict::NotMeasured => format!("  {:>2}. {}\n", r.number, r.verdict),
        _ => format!("  {:>2}. {}\n", r.number, r.measured),
    });
    let kernels = kernel_check(summary).map_or(String::new(), |k| k.text());
    let notes = super::say::list(findings(summary), "", |f| format!("- {f}\n"));
    format!("{head}{claims}{kernels}{notes}")
}

/// The sweep's first screen, as `report DIR` prints it: the answer across
/// the grid ([`sweep_answer`]); when jobs are missing, as the page's banner
/// says, how many of the grid's jobs finished ok and how many belong to
/// shards that are not in this folder; then `notes`, one a line (a merge's
/// duplicates).
pub fn sweep_first_screen(sweep: &SweepSummary, notes: &[String]) -> String {
    let mut out = sweep_answer(sweep).map(|a| a.text()).unwrap_or_default();
    if sweep.jobs_ok < sweep.jobs_total {
        out.push_str(&format!(
            "Incomplete sweep: {} of the grid's {} jobs finished ok",
            sweep.jobs_ok, sweep.jobs_total
        ));
        let elsewhere = sweep.jobs_total.saturating_sub(sweep.jobs_planned);
        if elsewhere > 0 {
            out.push_str(&format!(
                "; {elsewhere} of them belong to shards that are not in this folder"
            ));
        }
        out.push_str("; the page marks points without runs with —.\n");
    }
    for note in notes {
        out.push_str(note);
        out.push('\n');
    }
    out
}

/// The claims decided across a sweep (`rows`), one line each: `claim 5
/// (words): verdict; measured`, after a blank line; empty without rows.
pub fn sweep_claim_lines(rows: &[ClaimRow]) -> String {
    let out = super::say::list(rows, "", |r| {
        format!(
            "\nclaim {} ({}): {}; {}",
            r.number, r.claim, r.verdict, r.measured
        )
    });
    if out.is_empty() { out } else { out + "\n" }
}

/// One line per grid point: each model's test accuracy (with its hidden
/// size at that point) and the first pair's verdict.
pub fn sweep_table(sweep: &SweepSummary) -> String {
    let width = sweep.points.iter().map(|p| p.id.len()).max().unwrap_or(4);
    let mut out = sweep_answer(sweep)
        .map(|a| a.text() + "\n")
        .unwrap_or_default();
    for p in &sweep.points {
        let mut line = format!("{:<width$}", p.id);
        match &p.summary {
            None => line.push_str("  (no runs here)"),
            Some(s) => {
                for m in &s.per_model {
                    let hidden = p
                        .hidden_of(m.model)
                        .map(|h| format!(" (h {h})"))
                        .unwrap_or_default();
                    // Accuracy, or a forecast's test MAE.
                    let quality = match (m.get(&metrics::TEST_ACC), m.get(&metrics::TEST_MAE)) {
                        (Some(e), _) => format!("{}%", pct(e.mean)),
                        (None, Some(e)) => {
                            format!("MAE {}", unit_format(metrics::TEST_MAE.unit)(e.mean))
                        }
                        (None, None) => "—".into(),
                    };
                    line.push_str(&format!("  {}{hidden} {quality}", m.model.display_name()));
                }
                if let Some(pair) = s.pairs.first() {
                    line.push_str(&format!("  | {}", short_verdict(pair)));
                }
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    for reach in &sweep.memory_reach {
        out.push_str(&format!(
            "long-range memory at {}:\n",
            budget_text(&reach.budget)
        ));
        for s in memory_reach_sentences(reach) {
            out.push_str(&format!("  {s}\n"));
        }
    }
    out + &format!("{} of {} jobs ok", sweep.jobs_ok, sweep.jobs_planned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::summary::summarize;
    use crate::analysis::summary::tests::run;
    use crate::model::Cell;

    #[test]
    fn one_line_per_model_and_no_sentences() {
        let runs = vec![
            run("lstm", 1, 0.85, 2.0, 1 << 20),
            run("gru", 1, 0.84, 1.0, 1 << 20),
        ];
        let t = terminal_table(&summarize(&runs, &[Cell::Lstm, Cell::Gru]));
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines[0].starts_with("model"));
        assert!(lines[1].starts_with("LSTM") && lines[1].contains("85.00 (n = 1)"));
        assert!(lines[2].starts_with("GRU"));
        assert_eq!(lines.len(), 3, "{t}");
    }

    /// Issue 15 item 10: two seeds of the fixture printed a test-accuracy CI
    /// of "-6.21 – 104.96" and a seconds CI below zero.
    #[test]
    fn no_interval_outside_the_possible_and_none_from_two_seeds() {
        let runs = vec![
            run("lstm", 1, 0.50, 0.02, 1 << 20),
            run("gru", 1, 0.55, 0.03, 1 << 20),
            run("lstm", 2, 0.985, 0.17, 1 << 20),
            run("gru", 2, 0.99, 0.20, 1 << 20),
        ];
        let t = terminal_table(&summarize(&runs, &[Cell::Lstm, Cell::Gru]));
        assert!(
            !t.contains("-6.") && !t.contains("104.") && !t.contains("-0.0"),
            "{t}"
        );
        assert!(t.contains("too few seeds (2)"), "{t}");
        assert!(
            !t.contains("is faster than") && !t.contains("95% CI 0"),
            "{t}"
        );
        // Three seeds: intervals, inside 0–100% and above 0 s.
        let mut runs = runs;
        runs.push(run("lstm", 3, 0.70, 0.05, 1 << 20));
        runs.push(run("gru", 3, 0.72, 0.06, 1 << 20));
        let s = summarize(&runs, &[Cell::Lstm, Cell::Gru]);
        let acc = s
            .model(Cell::Lstm)
            .unwrap()
            .get(&crate::analysis::metrics::TEST_ACC)
            .unwrap();
        let (lo, hi) = acc.ci().unwrap();
        assert!(lo > 0.0 && hi < 1.0, "{lo} {hi}");
        let secs = s
            .model(Cell::Lstm)
            .unwrap()
            .get(&crate::analysis::metrics::SECS_PER_EPOCH)
            .unwrap();
        assert!(secs.ci().unwrap().0 > 0.0);
    }
}
