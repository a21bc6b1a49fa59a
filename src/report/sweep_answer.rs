//! The sweep's first screen: the run page's answer ([`super::answer`])
//! across a grid. One line per criterion (accuracy, training time per
//! epoch, memory) for the first pair of models, counting the configurations
//! where each model wins by the report's one rule, with the range of the
//! margin over them, and those where no difference is distinguishable or
//! the seeds are too few. Each configuration's own page has its full answer.
//!
//! Pure: a [`SweepSummary`] in, an [`Answer`] out.

use super::answer::{Answer, AnswerLine, line, memory_measure, not_measured};
use super::say::{self, Said, Words};
use super::view::sweep::SweepSummary;
use super::view::verdict::{Comparison, Verdict};
use crate::analysis::metrics::{self, Metric};
use crate::analysis::summary::{PairSummary, Summary};
use crate::model::Cell;

/// Point ids are listed after a count up to this many.
const IDS_LISTED: usize = 3;

/// A criterion: its name, the metric compared (`None`: the memory the run
/// page's answer judges, [`memory_measure`]) and its words.
struct Criterion(&'static str, Option<Metric>, Words);

impl Criterion {
    /// The first pair's comparison at a point.
    fn of(&self, p: &PairSummary) -> Option<Comparison> {
        match self.1 {
            Some(m) => Comparison::of_pair(p, &m),
            None => memory_measure(p).map(|(_, r)| Comparison::of_ratio(r)),
        }
    }
}

/// `1.20` or `1.05–1.20`: the range of the margins of the wins.
fn span(lo: f64, hi: f64) -> String {
    if format!("{lo:.2}") == format!("{hi:.2}") {
        format!("{lo:.2}")
    } else {
        format!("{lo:.2}–{hi:.2}")
    }
}

/// The margins' range in words: `by 3.00–5.00 points`, `LSTM takes
/// 1.05–1.20× as long`.
fn range(words: Words, loser: &str, (lo, hi): (f64, f64)) -> String {
    if words.verb.is_empty() {
        format!("by {} points", span(lo * 100.0, hi * 100.0))
    } else {
        format!("{loser} {} {}× {}", words.verb, span(lo, hi), words.much)
    }
}

const CRITERIA: [Criterion; 3] = [
    Criterion("Accuracy", Some(metrics::TEST_ACC), Words::ACCURACY),
    Criterion(
        "Training time per epoch",
        Some(metrics::SECS_PER_EPOCH),
        Words::TIME,
    ),
    Criterion("Memory", None, Words::MEMORY),
];

/// A forecast's first criterion, in place of accuracy.
const FORECAST_ERROR: Criterion = Criterion(
    "Forecast error (test MAE)",
    Some(metrics::TEST_MAE),
    Words::ERROR,
);

/// The configurations of one verdict: their ids and the margins of a win.
#[derive(Default)]
struct Tally {
    ids: Vec<String>,
    margins: Vec<f64>,
}

impl Tally {
    fn add(&mut self, id: &str, margin: Option<f64>) {
        self.ids.push(id.to_string());
        self.margins.extend(margin);
    }

    /// `3 (a, b, c)`, `3 of 6 (a, b, c; extra)`, or `5` when there are more
    /// ids than [`IDS_LISTED`].
    fn count(&self, of: Option<usize>, extra: Option<String>) -> String {
        let n = match of {
            Some(total) => format!("{} of {total}", self.ids.len()),
            None => self.ids.len().to_string(),
        };
        let ids = (self.ids.len() <= IDS_LISTED).then(|| self.ids.join(", "));
        let inside: Vec<String> = ids.into_iter().chain(extra).collect();
        if inside.is_empty() {
            n
        } else {
            format!("{n} ({})", inside.join("; "))
        }
    }

    fn range(&self) -> Option<(f64, f64)> {
        let lo = self.margins.iter().copied().reduce(f64::min)?;
        let hi = self.margins.iter().copied().reduce(f64::max)?;
        Some((lo, hi))
    }
}

/// The answer across the sweep's configurations, for the first pair of
/// models; `None` with fewer than two models or no point with both.
pub fn sweep_answer(sweep: &SweepSummary) -> Option<Answer> {
    let (a, b) = first_pair(sweep)?;
    let compared = sweep
        .points
        .iter()
        .filter(|p| pair_at(p.summary.as_ref(), a, b).is_some())
        .count();
    let at = if compared == sweep.points.len() {
        format!("at each of {compared} configurations")
    } else {
        format!(
            "at {compared} of the grid's {} configurations",
            sweep.points.len()
        )
    };
    let title = format!(
        "{} vs {} {at} (each configuration's page has its full answer)",
        a.display_name(),
        b.display_name(),
    );
    // A forecast's sweep judges its error where a classifier's judges accuracy.
    let forecast = sweep.points.iter().any(|p| {
        pair_at(p.summary.as_ref(), a, b).is_some_and(|q| q.ratio(&metrics::TEST_MAE).is_some())
    });
    let mut criteria = CRITERIA;
    if forecast {
        criteria[0] = FORECAST_ERROR;
    }
    let lines = criteria
        .iter()
        .map(|c| criterion_line(sweep, a, b, c))
        .collect();
    Some(Answer {
        title,
        lines,
        next: None,
    })
}

/// The first pair of the first point that has one.
fn first_pair(sweep: &SweepSummary) -> Option<(Cell, Cell)> {
    sweep
        .points
        .iter()
        .filter_map(|p| p.summary.as_ref()?.pairs.first())
        .map(|pair| (pair.a, pair.b))
        .next()
}

fn pair_at(summary: Option<&Summary>, a: Cell, b: Cell) -> Option<&PairSummary> {
    summary?.pairs.iter().find(|p| p.a == a && p.b == b)
}

/// One criterion's line: the configurations each model wins (with the
/// margins' range), those without a distinguishable difference, those with
/// too few seeds.
fn criterion_line(sweep: &SweepSummary, a: Cell, b: Cell, c: &Criterion) -> AnswerLine {
    let Criterion(name, _, words) = *c;
    let [mut first, mut second, mut same, mut few] = <[Tally; 4]>::default();
    let mut compared = 0;
    for p in &sweep.points {
        let Some(cmp) = pair_at(p.summary.as_ref(), a, b).and_then(|q| c.of(q)) else {
            continue;
        };
        compared += 1;
        match (say::margin(&cmp, words.better), cmp.verdict) {
            (Some((true, margin, _)), _) => first.add(&p.id, Some(margin)),
            (Some((false, margin, _)), _) => second.add(&p.id, Some(margin)),
            (None, Verdict::TooFewSeeds) => few.add(&p.id, None),
            (None, _) => same.add(&p.id, None),
        }
    }
    if compared == 0 {
        return not_measured(name, "not measured at any configuration.");
    }
    let mut parts = Vec::new();
    for (winner, loser, tally) in [(a, b, &first), (b, a, &second)] {
        if let Some(margins) = tally.range() {
            let range = range(words, loser.display_name(), margins);
            let at = tally.count(Some(compared), Some(range));
            parts.push(format!(
                "{} {} at {at}",
                winner.display_name(),
                words.winner
            ));
        }
    }
    for (said, tally) in [(Said::Undecided, &same), (Said::TooFewSeeds, &few)] {
        if !tally.ids.is_empty() {
            parts.push(format!(
                "{} at {}",
                say::word(said),
                tally.count(None, None)
            ));
        }
    }
    // Decided when one model wins at every configuration compared.
    let decision = if first.ids.len() == compared || second.ids.len() == compared {
        Said::Decided
    } else {
        Said::Undecided
    };
    line(name, parts.join("; "), decision, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::summary::summarize;
    use crate::analysis::summary::tests::run;
    use crate::report::view::sweep::PointSummary;
    use crate::results::RunRecord;

    const PAIR: [Cell; 2] = [Cell::Lstm, Cell::Gru];

    /// Three seeds at one point: test accuracies and seconds per epoch of
    /// LSTM and GRU, the same memory.
    fn point(id: &str, lstm: [(f64, f64); 3], gru: [(f64, f64); 3]) -> PointSummary {
        let runs: Vec<RunRecord> = (0..3)
            .flat_map(|i| {
                let seed = i as u64 + 1;
                [
                    run("lstm", seed, lstm[i].0, lstm[i].1, 1000),
                    run("gru", seed, gru[i].0, gru[i].1, 1000),
                ]
            })
            .collect();
        PointSummary {
            id: id.into(),
            values: vec![],
            dir: format!("points/{id}"),
            jobs_planned: 6,
            summary: Some(summarize(&runs, &PAIR)),
            model_sizes: vec![],
        }
    }

    fn sweep(points: Vec<PointSummary>) -> SweepSummary {
        SweepSummary {
            run_id: "s".into(),
            axes: vec![],
            jobs_total: 6 * points.len(),
            jobs_planned: 6 * points.len(),
            jobs_ok: 6 * points.len(),
            points,
            memory_reach: Vec::new(),
            pooling_effect: Vec::new(),
            length_scaling: None,
        }
    }

    #[test]
    fn counts_the_configurations_each_model_wins_with_the_margins_range() {
        // h-32: GRU 5 points more accurate, LSTM twice as slow.
        // h-64: accuracy not distinguishable; LSTM 1.5× as slow.
        // h-128: GRU 3 points more accurate; LSTM 1.1× as slow.
        let s = sweep(vec![
            point(
                "h-32",
                [(0.80, 2.0), (0.81, 2.0), (0.80, 2.0)],
                [(0.85, 1.0), (0.86, 1.0), (0.85, 1.0)],
            ),
            point(
                "h-64",
                [(0.80, 1.5), (0.82, 1.5), (0.80, 1.5)],
                [(0.82, 1.0), (0.80, 1.0), (0.80, 1.0)],
            ),
            point(
                "h-128",
                [(0.80, 1.1), (0.81, 1.1), (0.80, 1.1)],
                [(0.83, 1.0), (0.84, 1.0), (0.83, 1.0)],
            ),
        ]);
        let a = sweep_answer(&s).unwrap();
        assert_eq!(
            a.title,
            "LSTM vs GRU at each of 3 configurations (each configuration's page has its full answer)"
        );
        let acc = &a.lines[0];
        assert_eq!(acc.criterion, "Accuracy");
        assert_eq!(
            acc.text,
            "GRU more accurate at 2 of 3 (h-32, h-128; by 3.00–5.00 points); undecided at 1 (h-64)"
        );
        assert_eq!(acc.decision, Said::Undecided);
        let time = &a.lines[1];
        assert_eq!(
            time.text,
            "GRU faster at 3 of 3 (h-32, h-64, h-128; LSTM takes 1.10–2.00× as long)"
        );
        assert_eq!(time.decision, Said::Decided);
        // The same memory everywhere: never distinguishable.
        assert_eq!(a.lines[2].text, "undecided at 3 (h-32, h-64, h-128)");
        assert!(
            a.text()
                .starts_with("The answer: LSTM vs GRU at each of 3 configurations"),
            "{}",
            a.text()
        );
    }

    #[test]
    fn many_configurations_are_counted_without_their_ids_and_a_lone_model_has_no_answer() {
        let slow_lstm = |id: &str| {
            point(
                id,
                [(0.80, 1.2), (0.81, 1.2), (0.80, 1.2)],
                [(0.80, 1.0), (0.81, 1.0), (0.80, 1.0)],
            )
        };
        let s = sweep(["a", "b", "c", "d"].map(slow_lstm).to_vec());
        let a = sweep_answer(&s).unwrap();
        assert_eq!(
            a.lines[1].text,
            "GRU faster at 4 of 4 (LSTM takes 1.20× as long)"
        );
        // Identical accuracies on every seed: a zero-width interval at 0.
        assert_eq!(a.lines[0].text, "undecided at 4");

        // A point without runs of both: the title says how many compared.
        let mut s = s;
        s.points[3].summary = None;
        assert!(
            sweep_answer(&s)
                .unwrap()
                .title
                .starts_with("LSTM vs GRU at 3 of the grid's 4 configurations"),
        );

        let mut lone = slow_lstm("a");
        let runs = [run("lstm", 1, 0.8, 1.0, 1000)];
        lone.summary = Some(summarize(&runs, &[Cell::Lstm]));
        assert_eq!(sweep_answer(&sweep(vec![lone])), None);
    }
}
