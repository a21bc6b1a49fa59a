//! A plain-text summary for the terminal: the headline table and the
//! sentences, printed by `compare` when a run ends.

use super::findings::findings;
use super::html::{ci, mean_sd, mib, pct, secs, thousands};
use crate::summary::Summary;

/// The headline table (one row per model: seeds, test accuracy, seconds per
/// epoch, parameters, hidden size, peak RSS, each mean ± sd with the 95% CI)
/// followed by the sentences, as aligned plain text.
pub fn terminal_table(summary: &Summary) -> String {
    let header = [
        "model",
        "seeds",
        "test acc (%)",
        "95% CI",
        "s/epoch",
        "95% CI",
        "params",
        "hidden",
        "peak RSS (MiB)",
    ];
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|h| h.to_string()).collect()];
    for m in &summary.per_model {
        rows.push(vec![
            m.model.display_name().to_string(),
            m.seeds.to_string(),
            mean_sd(m.test_acc, pct),
            ci(m.test_acc, pct),
            mean_sd(m.secs_per_epoch, secs),
            ci(m.secs_per_epoch, secs),
            m.params.map(thousands).unwrap_or_else(|| "—".into()),
            m.hidden_size
                .map(|h| h.to_string())
                .unwrap_or_else(|| "—".into()),
            mean_sd(m.peak_rss_bytes, mib),
        ]);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    if !summary.complete {
        out.push_str(&format!(
            "INCOMPLETE: {} of {} planned runs finished ok\n",
            summary.runs_ok,
            summary.models.len() * summary.planned_seeds.len()
        ));
    }
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (cell, w))| {
                let pad = w - cell.chars().count();
                if c == 0 {
                    format!("{cell}{}", " ".repeat(pad))
                } else {
                    format!("{}{cell}", " ".repeat(pad))
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    for f in findings(summary) {
        out.push_str(&format!("- {f}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Cell;
    use crate::summary::summarize;
    use crate::summary::tests::run;

    #[test]
    fn one_line_per_model_and_the_sentences() {
        let runs = vec![
            run("lstm", 1, 0.85, 2.0, 1 << 20),
            run("gru", 1, 0.84, 1.0, 1 << 20),
        ];
        let t = terminal_table(&summarize(&runs, &[Cell::Lstm, Cell::Gru]));
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines[0].starts_with("model"));
        assert!(lines[1].starts_with("LSTM") && lines[1].contains("85.00 (n = 1)"));
        assert!(lines[2].starts_with("GRU"));
        assert!(t.contains("- GRU is faster than LSTM"));
    }
}
