//! "The claims, checked": the claims of the document rnnbench answers ("LSTM
//! and GRU – Solving the Vanishing Gradient Problem"), each with what a run
//! measured and a verdict from the single rule of [`super::verdict`].
//! Nothing here formats numbers; [`crate::report::findings::claim_rows`]
//! turns these into the table's text.

use serde::Serialize;

use super::memory_reach::{CellReach, MemoryReach, TrainingBudget};
use super::pooling_effect::PoolingRow;
use super::verdict::{Comparison, Verdict};
use crate::analysis::metrics::{self, Metric};
use crate::analysis::summary::Summary;
use crate::model::{Cell, ModelShape};
use crate::results::{GradientFlowRow, GradientStage};

/// Which claim of the document ([`CLAIMS`] has its words, in order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimId {
    /// 1: LSTM more accurate.
    Accuracy,
    /// 2: GRU faster.
    Speed,
    /// 3: LSTM has more gates.
    Complexity,
    /// 4: LSTM uses more memory.
    Memory,
    /// 5: vanilla RNNs forget early parts of long sequences.
    LongRange,
    /// 6: GRU has a lower latency.
    Latency,
    /// 7: LSTM and GRU solve the vanishing gradient.
    VanishingGradient,
    /// 8: the Transformer trains faster than the LSTM (parallel processing).
    Parallel,
    /// 9: the Transformer carries the memory task's key furthest.
    GlobalContext,
    /// 10: the Transformer's training adds more memory than the LSTM's.
    MemoryIntensive,
    /// 11: pooling every state beats reading the last one.
    AllStates,
    /// 12: LSTM more accurate on numeric series.
    SeriesAccuracy,
    /// 13: GRU streams numeric series with a lower latency per step.
    SeriesLatency,
    /// 14: the gated cells are not more accurate on short numeric series.
    ShortSeries,
}

/// How one pair's comparison on one metric decides a claim.
#[derive(Debug, Clone, Copy)]
pub struct PairRule {
    /// The pair, `a` first: the comparison is `a − b` or `a / b`.
    pub pair: (Cell, Cell),
    /// The metric compared.
    pub metric: Metric,
    /// The verdict that supports the claim.
    pub holds_when: Verdict,
}

/// One claim of the document: its words, what measures it, how it is decided.
#[derive(Debug, Clone, Copy)]
pub struct ClaimSpec {
    /// Which claim.
    pub id: ClaimId,
    /// The claim, in the document's words.
    pub words: &'static str,
    /// The cells a run must train for it to be measured.
    pub cells: &'static [Cell],
    /// The flags of a run that measures it.
    pub flags: &'static str,
    /// Whether it is one of the document's use cases, judged on numeric
    /// series only.
    pub series: bool,
    /// What its pair's figure is, before the number (a ratio is shown `b /
    /// a`): `GRU / LSTM seconds per epoch`; empty for a claim decided
    /// otherwise.
    pub figure: &'static str,
    /// The comparison that decides it, for a claim one pair decides.
    pub rule: Option<PairRule>,
}

use Cell::{Gru, Lstm, Rnn, Transformer};
use ClaimId::*;

const LSTM_GRU: &[Cell] = &[Lstm, Gru];
const WITH_RNN: &[Cell] = &[Lstm, Gru, Rnn];
const WITH_TRANSFORMER: &[Cell] = &[Lstm, Transformer];
const BOTH: &str = "--models lstm,gru";
const ALL_THREE: &str = "--models lstm,gru,rnn";
const WITH_ENCODER: &str = "--models lstm,gru,transformer";
const SERIES: &str = "--dataset japanese-vowels";

/// A claim decided by `pair`'s comparison on `metric`, holding when the
/// rule says `holds_when`.
const fn rule(pair: (Cell, Cell), metric: Metric, holds_when: Verdict) -> Option<PairRule> {
    Some(PairRule {
        pair,
        metric,
        holds_when,
    })
}

/// LSTM over GRU larger (more accurate, slower, more memory).
const fn lstm_gru(metric: Metric) -> Option<PairRule> {
    rule((Lstm, Gru), metric, Verdict::FirstLarger)
}

/// The table's entry of a claim; the use cases are judged on series only.
const fn claim(
    id: ClaimId,
    words: &'static str,
    (cells, flags): (&'static [Cell], &'static str),
    figure: &'static str,
    rule: Option<PairRule>,
) -> ClaimSpec {
    let series = matches!(id, SeriesAccuracy | SeriesLatency | ShortSeries);
    ClaimSpec {
        id,
        words,
        cells,
        flags,
        series,
        figure,
        rule,
    }
}

/// Every claim, in the document's order (its use cases last). A ratio is
/// LSTM over the other: above 1, the LSTM is slower or uses more.
#[rustfmt::skip]
pub const CLAIMS: [ClaimSpec; 14] = [
    claim(Accuracy, "Accuracy: LSTM \"often higher\", GRU \"slightly lower\"", (LSTM_GRU, BOTH), "LSTM − GRU test accuracy", lstm_gru(metrics::TEST_ACC)),
    claim(Speed, "Speed: LSTM \"slower\", GRU \"faster\"", (LSTM_GRU, BOTH), "GRU / LSTM seconds per epoch", lstm_gru(metrics::SECS_PER_EPOCH)),
    claim(Complexity, "Complexity: LSTM \"more gates\"", (LSTM_GRU, BOTH), "", None),
    claim(Memory, "Memory: LSTM \"more memory use\", GRU \"less\"", (LSTM_GRU, BOTH), "GRU / LSTM memory training adds (peak RSS above the pre-training RSS)", lstm_gru(metrics::TRAIN_RSS)),
    claim(LongRange, "Vanilla RNNs \"forget early parts of the sequence as it grows longer\"; choose LSTM \"when long-term dependency modeling is critical\"", (WITH_RNN, "--dataset memory --distance 10,30,100,300 --models lstm,gru,rnn"), "", None),
    claim(Latency, "GRU for \"real-time prediction systems, where speed matters\", \"lower latency\"", (LSTM_GRU, BOTH), "GRU / LSTM streaming latency per token (p50, batch 1)", lstm_gru(metrics::LATENCY_STEP_P50)),
    claim(VanishingGradient, "LSTM and GRU \"solve RNN's vanishing gradient issue\"", (WITH_RNN, ALL_THREE), "", None),
    // Above 1, the Transformer is faster.
    claim(Parallel, "Transformer: \"parallel processing\"", (WITH_TRANSFORMER, WITH_ENCODER), "Transformer / LSTM seconds per epoch", rule((Lstm, Transformer), metrics::SECS_PER_EPOCH, Verdict::FirstLarger)),
    claim(GlobalContext, "Transformer: \"global context\"", (WITH_TRANSFORMER, "--dataset memory"), "", None),
    // Below 1, the Transformer's training adds more.
    claim(MemoryIntensive, "Transformer: \"memory intensive for long sequences\"", (WITH_TRANSFORMER, WITH_ENCODER), "Transformer / LSTM memory training adds (peak RSS above the pre-training RSS)", rule((Lstm, Transformer), metrics::TRAIN_RSS, Verdict::SecondLarger)),
    claim(AllStates, "\"Final hidden state vs all hidden states\", \"attention in RNNs\": pooling all states helps", (LSTM_GRU, "--models lstm,gru --pooling last,mean,attention"), "", None),
    claim(SeriesAccuracy, "Use case: LSTM for \"speech recognition\", \"medical time-series\" (more accurate than GRU on numeric series)", (LSTM_GRU, SERIES), "LSTM − GRU test accuracy", lstm_gru(metrics::TEST_ACC)),
    claim(SeriesLatency, "Use case: GRU for \"real-time prediction systems, where speed matters\" (lower streaming latency per time step on numeric series)", (LSTM_GRU, SERIES), "GRU / LSTM streaming latency per time step (p50, batch 1)", lstm_gru(metrics::LATENCY_STEP_P50)),
    claim(ShortSeries, "Use case: RNN for \"short time series\" (the gated cells are not more accurate on short numeric series)", (WITH_RNN, "--dataset japanese-vowels --models lstm,gru,rnn"), "the more accurate gated cell − RNN test accuracy", None),
];

impl ClaimId {
    /// Its entry in [`CLAIMS`].
    pub fn spec(self) -> &'static ClaimSpec {
        CLAIMS
            .iter()
            .find(|c| c.id == self)
            .expect("every claim is listed")
    }

    /// Its number in the document's table (1–14).
    pub fn number(self) -> u8 {
        CLAIMS
            .iter()
            .position(|c| c.id == self)
            .expect("every claim is listed") as u8
            + 1
    }
}

/// The verdict on one claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimVerdict {
    /// The measurement supports the claim beyond its interval.
    Holds,
    /// The measurement shows the opposite beyond its interval.
    Contradicted,
    /// Tested, or too few seeds to test: no difference either way.
    NotDistinguishable,
    /// Judged at several training budgets (the memory task's claims 5 and
    /// 9), with verdicts that differ between them.
    DependsOnBudget,
    /// This run has nothing that decides it.
    NotMeasured,
}

/// What decides a claim in one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Evidence {
    /// A comparison of LSTM (a) with GRU (b), by the verdict rule; the
    /// claim holds when `holds_when` is the verdict.
    Pair {
        /// The comparison (difference or ratio, LSTM first).
        comparison: Comparison,
        /// The verdict that supports the claim.
        holds_when: Verdict,
    },
    /// Counted from the architecture, not measured: gate blocks and
    /// recurrent parameters per hidden unit of each cell.
    Count {
        /// Per cell: gate blocks, recurrent parameters per hidden unit.
        cells: Vec<(Cell, i64, f64)>,
    },
    /// The memory task's reach of the cells a claim compares (only a
    /// `--distance` sweep has one), per training budget, smallest first.
    Reach {
        /// Per budget: its verdict and the reaches it rests on.
        budgets: Vec<ReachAtBudget>,
    },
    /// Pooling every state against the last state, per recurrent cell
    /// (a `--pooling` sweep).
    Pooling {
        /// The paired accuracy differences.
        rows: Vec<PoolingRow>,
    },
    /// Gradient flow of the first seed, after training: the gradient norm
    /// at the first input step over that at the last, per cell.
    Gradient {
        /// Per cell: first-step norm / last-step norm.
        early_over_late: Vec<(Cell, f64)>,
    },
}

/// Claim 5 or 9 at one training budget: each compared cell's longest
/// distance well above chance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReachAtBudget {
    /// The budget the runs got.
    pub budget: TrainingBudget,
    /// The claim's verdict at this budget alone.
    pub verdict: ClaimVerdict,
    /// Per cell: the longest distance well above chance.
    pub cells: Vec<(Cell, Option<usize>)>,
}

/// One row of the claims table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Claim {
    /// Which claim.
    pub id: ClaimId,
    /// The verdict.
    pub verdict: ClaimVerdict,
    /// Paired seeds (or runs) behind the verdict; 0 when not measured.
    pub n: usize,
    /// What decided it; `None` when not measured.
    pub evidence: Option<Evidence>,
}

/// What the claims of one run are checked on.
#[derive(Debug, Clone, Copy)]
pub struct ClaimInputs<'a> {
    /// The run's summary.
    pub summary: &'a Summary,
    /// Each model's shape (for the counts).
    pub shapes: &'a [ModelShape],
    /// `gradient_flow.csv`'s rows.
    pub gradient: &'a [GradientFlowRow],
    /// The memory task's reach, one per training budget, for a
    /// `--distance` sweep; empty otherwise.
    pub reach: &'a [MemoryReach],
    /// Pooling against the last state, for a `--pooling` sweep.
    pub pooling: Option<&'a [PoolingRow]>,
    /// Whether the run read numeric series (the use-case claims 12–14 are
    /// judged on those only).
    pub series: bool,
}

/// The verdict of a pair comparison on a claim that holds when the rule
/// says `holds_when`.
fn pair_claim(id: ClaimId, c: Option<Comparison>, holds_when: Verdict) -> Claim {
    let Some(comparison) = c else {
        return not_measured(id);
    };
    let verdict = match comparison.verdict {
        v if v == holds_when => ClaimVerdict::Holds,
        Verdict::FirstLarger | Verdict::SecondLarger => ClaimVerdict::Contradicted,
        Verdict::NotDistinguishable | Verdict::TooFewSeeds => ClaimVerdict::NotDistinguishable,
    };
    Claim {
        id,
        verdict,
        n: comparison.n,
        evidence: Some(Evidence::Pair {
            comparison,
            holds_when,
        }),
    }
}

fn not_measured(id: ClaimId) -> Claim {
    Claim {
        id,
        verdict: ClaimVerdict::NotMeasured,
        n: 0,
        evidence: None,
    }
}

/// Every claim, checked on `inputs`.
pub fn check_claims(inputs: &ClaimInputs<'_>) -> Vec<Claim> {
    CLAIMS
        .iter()
        .map(|spec| match (spec.id, spec.rule) {
            (id, _) if spec.series && !inputs.series => not_measured(id),
            (id, Some(r)) => {
                let pairs = &inputs.summary.pairs;
                let pair = pairs.iter().find(|p| (p.a, p.b) == r.pair);
                let c = pair.and_then(|p| Comparison::of_pair(p, &r.metric));
                pair_claim(id, c, r.holds_when)
            }
            (ClaimId::Complexity, _) => complexity(inputs.shapes),
            (ClaimId::LongRange, _) => long_range(inputs.reach),
            (ClaimId::VanishingGradient, _) => vanishing_gradient(inputs.summary, inputs.gradient),
            (ClaimId::GlobalContext, _) => global_context(inputs.reach),
            (ClaimId::AllStates, _) => all_states(inputs.pooling),
            (ClaimId::ShortSeries, _) => short_series(inputs.summary),
            (id, None) => not_measured(id),
        })
        .collect()
}

/// Claim 14: each gated cell against the vanilla RNN, paired by seed:
/// contradicted when a gated cell is more accurate beyond the interval (the
/// larger such difference is shown), holds when the RNN is more accurate
/// than both, and is not distinguishable otherwise (the larger difference
/// is shown).
fn short_series(summary: &Summary) -> Claim {
    let against_rnn: Vec<Comparison> = summary
        .pairs
        .iter()
        .filter(|p| matches!(p.a, Cell::Lstm | Cell::Gru) && p.b == Cell::Rnn)
        .filter_map(|p| Comparison::of_pair(p, &metrics::TEST_ACC))
        .collect();
    let larger = |c: &&Comparison| c.estimate;
    let shown = against_rnn
        .iter()
        .filter(|c| c.verdict == Verdict::FirstLarger)
        .max_by(|x, y| larger(x).total_cmp(&larger(y)))
        .or_else(|| {
            against_rnn
                .iter()
                .max_by(|x, y| larger(x).total_cmp(&larger(y)))
        })
        .cloned();
    let mut claim = pair_claim(ClaimId::ShortSeries, shown, Verdict::SecondLarger);
    let rnn_beats_both = !against_rnn.is_empty()
        && against_rnn
            .iter()
            .all(|c| c.verdict == Verdict::SecondLarger);
    if claim.verdict == ClaimVerdict::Holds && !rnn_beats_both {
        claim.verdict = ClaimVerdict::NotDistinguishable;
    }
    claim
}

/// Claim 9: at one budget it holds when the Transformer stays well above
/// chance at a longer distance than every recurrent cell of the sweep, is
/// contradicted when one of them reaches further ([`reach_claim`]).
fn global_context(reaches: &[MemoryReach]) -> Claim {
    reach_claim(GlobalContext, reaches, |reach| {
        let transformer = reach.cells.iter().find(|c| c.model == Transformer)?;
        let best = reach
            .cells
            .iter()
            .filter(|c| c.model.is_recurrent())
            .map(|c| c.longest_held)
            .max()?;
        Some((
            reach.cells.iter().collect(),
            farther(transformer.longest_held, best),
        ))
    })
}

/// Claim 5: at one budget it holds when the LSTM stays well above chance at
/// a longer distance than the vanilla RNN, is contradicted when the RNN
/// reaches further ([`reach_claim`]; at one budget that could be too small
/// for a gated cell to find the key, "the RNN reaches further" is a
/// statement about the budget, not the cell).
fn long_range(reaches: &[MemoryReach]) -> Claim {
    reach_claim(LongRange, reaches, |reach| {
        let cell = |m: Cell| reach.cells.iter().find(|c| c.model == m);
        let (rnn, lstm) = (cell(Rnn)?, cell(Lstm)?);
        Some((
            vec![rnn, lstm],
            farther(lstm.longest_held, rnn.longest_held),
        ))
    })
}

/// The cells a memory-task claim compares at one budget, and its verdict
/// there; `None` without them.
type Judge = fn(&MemoryReach) -> Option<(Vec<&CellReach>, ClaimVerdict)>;

/// A memory-task claim from the reach at each training budget: `judge`
/// gives the cells it compares and its verdict at one budget (`None`
/// without them), which stands when a point of those cells was tested
/// against chance; over the budgets, [`across_budgets`].
fn reach_claim(id: ClaimId, reaches: &[MemoryReach], judge: Judge) -> Claim {
    let budgets: Vec<(ReachAtBudget, usize)> = reaches
        .iter()
        .filter_map(|reach| {
            let (cells, verdict) = judge(reach)?;
            let (tested, n) = tested_seeds(cells.iter().copied());
            let at = ReachAtBudget {
                budget: reach.budget,
                verdict: if tested {
                    verdict
                } else {
                    ClaimVerdict::NotDistinguishable
                },
                cells: cells.iter().map(|c| (c.model, c.longest_held)).collect(),
            };
            Some((at, n))
        })
        .collect();
    if budgets.is_empty() {
        return not_measured(id);
    }
    Claim {
        id,
        verdict: across_budgets(budgets.iter().map(|(b, _)| b.verdict)),
        n: budgets.iter().map(|(_, n)| *n).min().unwrap_or(0),
        evidence: Some(Evidence::Reach {
            budgets: budgets.into_iter().map(|(b, _)| b).collect(),
        }),
    }
}

/// Whether any point of `cells` was judged against chance (enough seeds),
/// and the fewest seeds behind a point.
fn tested_seeds<'a>(cells: impl Iterator<Item = &'a CellReach> + Clone) -> (bool, usize) {
    let points = || cells.clone().flat_map(|c| &c.points);
    let n = points()
        .filter_map(|p| p.vs_chance.map(|c| c.n))
        .min()
        .unwrap_or(0);
    let tested = points().any(|p| {
        p.vs_chance
            .is_some_and(|c| c.verdict != Verdict::TooFewSeeds)
    });
    (tested, n)
}

/// The claim that `claimed` reaches farther than `other`: holds when it
/// does, contradicted when `other` does, not distinguishable when equal.
fn farther(claimed: Option<usize>, other: Option<usize>) -> ClaimVerdict {
    match claimed.cmp(&other) {
        std::cmp::Ordering::Greater => ClaimVerdict::Holds,
        std::cmp::Ordering::Less => ClaimVerdict::Contradicted,
        std::cmp::Ordering::Equal => ClaimVerdict::NotDistinguishable,
    }
}

/// One verdict over several training budgets' own: theirs when they all
/// agree, [`ClaimVerdict::DependsOnBudget`] when they differ (a cell's
/// reach moved with the budget), not measured without a budget.
pub fn across_budgets(verdicts: impl IntoIterator<Item = ClaimVerdict>) -> ClaimVerdict {
    let mut verdicts = verdicts.into_iter();
    let Some(first) = verdicts.next() else {
        return ClaimVerdict::NotMeasured;
    };
    if verdicts.all(|v| v == first) {
        first
    } else {
        ClaimVerdict::DependsOnBudget
    }
}

/// Claim 11, from a `--pooling` sweep: it holds when pooling all states
/// (mean, max or attention) is more accurate than the last state beyond
/// the interval for some recurrent cell and less accurate for none; is
/// contradicted the other way round; mixed or within the intervals, not
/// distinguishable.
fn all_states(pooling: Option<&[PoolingRow]>) -> Claim {
    let id = ClaimId::AllStates;
    let Some(rows) = pooling.filter(|r| !r.is_empty()) else {
        return not_measured(id);
    };
    let better = rows.iter().any(|r| r.diff.verdict == Verdict::FirstLarger);
    let worse = rows.iter().any(|r| r.diff.verdict == Verdict::SecondLarger);
    let verdict = match (better, worse) {
        (true, false) => ClaimVerdict::Holds,
        (false, true) => ClaimVerdict::Contradicted,
        _ => ClaimVerdict::NotDistinguishable,
    };
    Claim {
        id,
        verdict,
        n: rows.iter().map(|r| r.diff.n).min().unwrap_or(0),
        evidence: Some(Evidence::Pooling {
            rows: rows.to_vec(),
        }),
    }
}

/// Claim 3, counted: more gate blocks and more recurrent parameters per
/// hidden unit for the LSTM than for the GRU.
fn complexity(shapes: &[ModelShape]) -> Claim {
    let of = |cell: Cell| shapes.iter().find(|s| s.cell == cell);
    let (Some(lstm), Some(gru)) = (of(Cell::Lstm), of(Cell::Gru)) else {
        return not_measured(ClaimId::Complexity);
    };
    let per_unit = |s: &ModelShape| s.recurrent_params() as f64 / s.hidden_size.max(1) as f64;
    let cells: Vec<(Cell, i64, f64)> = shapes
        .iter()
        .filter(|s| s.cell.is_recurrent())
        .map(|s| (s.cell, s.cell.gate_blocks(), per_unit(s)))
        .collect();
    let more = lstm.cell.gate_blocks() > gru.cell.gate_blocks() && per_unit(lstm) > per_unit(gru);
    Claim {
        id: ClaimId::Complexity,
        verdict: if more {
            ClaimVerdict::Holds
        } else {
            ClaimVerdict::Contradicted
        },
        n: 1,
        evidence: Some(Evidence::Count { cells }),
    }
}

/// Claim 7, from the gradient flow of the first seed (one seed: the rule
/// cannot call it either way, so it is reported, not judged).
fn vanishing_gradient(summary: &Summary, gradient: &[GradientFlowRow]) -> Claim {
    let has = |m: Cell| summary.models.contains(&m);
    if !has(Cell::Rnn) || !(has(Cell::Lstm) || has(Cell::Gru)) {
        return not_measured(ClaimId::VanishingGradient);
    }
    let early_over_late: Vec<(Cell, f64)> = summary
        .models
        .iter()
        .filter_map(|&m| {
            let mut rows: Vec<&GradientFlowRow> = gradient
                .iter()
                .filter(|r| r.model == m && r.stage == GradientStage::Trained)
                .collect();
            rows.sort_by_key(|r| r.step);
            let (first, last) = (rows.first()?, rows.last()?);
            (last.grad_norm > 0.0).then(|| (m, first.grad_norm / last.grad_norm))
        })
        .collect();
    if early_over_late.iter().all(|(m, _)| *m != Cell::Rnn) {
        return not_measured(ClaimId::VanishingGradient);
    }
    Claim {
        id: ClaimId::VanishingGradient,
        verdict: ClaimVerdict::NotDistinguishable,
        n: 1,
        evidence: Some(Evidence::Gradient { early_over_late }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::summary::summarize;
    use crate::analysis::summary::tests::run;

    fn shape(cell: Cell, hidden_size: i64) -> ModelShape {
        ModelShape {
            vocab_size: 1000,
            embed_size: 32,
            hidden_size,
            ..ModelShape::for_test(cell)
        }
    }

    #[test]
    fn each_claim_gets_the_verdict_its_numbers_support() {
        // LSTM more accurate in every seed and slower in every seed.
        let runs = vec![
            run("lstm", 1, 0.85, 2.0, 1000),
            run("lstm", 2, 0.86, 2.1, 1000),
            run("lstm", 3, 0.84, 1.9, 1000),
            run("gru", 1, 0.80, 1.0, 1000),
            run("gru", 2, 0.82, 1.05, 1000),
            run("gru", 3, 0.81, 0.95, 1000),
        ];
        let summary = summarize(&runs, &[Cell::Lstm, Cell::Gru]);
        let shapes = [shape(Cell::Lstm, 64), shape(Cell::Gru, 64)];
        let claims = check_claims(&ClaimInputs {
            summary: &summary,
            shapes: &shapes,
            gradient: &[],
            reach: &[],
            pooling: None,
            series: false,
        });
        let v = |id: ClaimId| claims.iter().find(|c| c.id == id).unwrap().verdict;
        assert_eq!(claims.len(), 14);
        assert_eq!(v(ClaimId::Accuracy), ClaimVerdict::Holds);
        // The use cases are judged on numeric series only.
        assert_eq!(v(ClaimId::SeriesAccuracy), ClaimVerdict::NotMeasured);
        let on_series = check_claims(&ClaimInputs {
            series: true,
            summary: &summary,
            shapes: &shapes,
            gradient: &[],
            reach: &[],
            pooling: None,
        });
        let s = |id: ClaimId| on_series.iter().find(|c| c.id == id).unwrap().verdict;
        assert_eq!(s(ClaimId::SeriesAccuracy), ClaimVerdict::Holds);
        assert_eq!(s(ClaimId::SeriesLatency), ClaimVerdict::NotMeasured);
        // No RNN in this run: claim 14 has nothing to compare.
        assert_eq!(s(ClaimId::ShortSeries), ClaimVerdict::NotMeasured);
        assert_eq!(ClaimId::ShortSeries.number(), 14);
        assert_eq!(v(ClaimId::Speed), ClaimVerdict::Holds);
        assert_eq!(v(ClaimId::Complexity), ClaimVerdict::Holds);
        // These fixture runs record no training memory and no latency.
        assert_eq!(v(ClaimId::Memory), ClaimVerdict::NotMeasured);
        assert_eq!(v(ClaimId::Latency), ClaimVerdict::NotMeasured);
        assert_eq!(v(ClaimId::LongRange), ClaimVerdict::NotMeasured);
        assert_eq!(v(ClaimId::VanishingGradient), ClaimVerdict::NotMeasured);
        assert_eq!(ClaimId::VanishingGradient.number(), 7);

        // The GRU more accurate: contradicted; two seeds: not distinguishable.
        let flipped: Vec<_> = runs
            .iter()
            .map(|r| {
                let mut r = r.clone();
                r.test_acc = if r.model == Cell::Gru {
                    0.9
                } else {
                    r.test_acc
                };
                r
            })
            .collect();
        let summary = summarize(&flipped, &[Cell::Lstm, Cell::Gru]);
        let claims = check_claims(&ClaimInputs {
            summary: &summary,
            shapes: &shapes,
            gradient: &[],
            reach: &[],
            pooling: None,
            series: false,
        });
        assert_eq!(claims[0].verdict, ClaimVerdict::Contradicted);
        let summary = summarize(
            &runs[..2]
                .iter()
                .chain(&runs[3..5])
                .cloned()
                .collect::<Vec<_>>(),
            &[Cell::Lstm, Cell::Gru],
        );
        let claims = check_claims(&ClaimInputs {
            summary: &summary,
            shapes: &shapes,
            gradient: &[],
            reach: &[],
            pooling: None,
            series: false,
        });
        assert_eq!(claims[0].verdict, ClaimVerdict::NotDistinguishable);
        assert_eq!(claims[0].n, 2);
    }

    use super::super::memory_reach::ReachPoint;
    use super::super::memory_reach::tests::SMALL;

    /// A cell's point at `distance`, judged against chance over 3 seeds.
    fn point(distance: usize, held: bool) -> ReachPoint {
        ReachPoint {
            distance,
            test_acc: None,
            vs_chance: Some(Comparison {
                contrast: super::super::verdict::Contrast::Difference,
                n: 3,
                estimate: if held { 0.5 } else { 0.0 },
                ci: None,
                p_value: None,
                verdict: if held {
                    Verdict::FirstLarger
                } else {
                    Verdict::NotDistinguishable
                },
            }),
            above_chance: held,
        }
    }

    /// A cell measured at distances 10, 100 and 1000 that stays well above
    /// chance up to `longest`.
    fn cell(model: Cell, longest: Option<usize>) -> CellReach {
        CellReach {
            model,
            points: [10, 100, 1000]
                .into_iter()
                .map(|d| point(d, longest.is_some_and(|l| d <= l)))
                .collect(),
            longest_held: longest,
        }
    }

    /// A reach of the LSTM, the GRU and the RNN at `budget`.
    fn cells_at(budget: TrainingBudget, lstm: Option<usize>, rnn: Option<usize>) -> MemoryReach {
        MemoryReach {
            budget,
            chance: 0.25,
            distances: vec![10, 100, 1000],
            cells: vec![
                cell(Cell::Lstm, lstm),
                cell(Cell::Gru, lstm),
                cell(Cell::Rnn, rnn),
            ],
            separations: Vec::new(),
        }
    }

    #[test]
    fn long_range_is_judged_per_budget_and_depends_on_it_when_they_disagree() {
        let large = TrainingBudget {
            epochs: 24,
            ..SMALL
        };
        // At the small budget the RNN reaches further, at the large one
        // the LSTM: the verdict is the budget's, not the cell's.
        let small_says = cells_at(SMALL, Some(10), Some(100));
        let large_says = cells_at(large, Some(1000), Some(100));
        let claim = long_range(&[small_says.clone(), large_says.clone()]);
        assert_eq!(claim.verdict, ClaimVerdict::DependsOnBudget);
        assert_eq!(claim.n, 3);
        let Some(Evidence::Reach { budgets }) = &claim.evidence else {
            panic!("{claim:?}");
        };
        let per: Vec<_> = budgets
            .iter()
            .map(|b| (b.budget, b.verdict, b.cells[0].1, b.cells[1].1))
            .collect();
        assert_eq!(
            per,
            [
                (SMALL, ClaimVerdict::Contradicted, Some(100), Some(10)),
                (large, ClaimVerdict::Holds, Some(100), Some(1000)),
            ]
        );
        // Budgets that agree keep their verdict; one budget is its own.
        let also_contradicted = cells_at(large, Some(100), Some(1000));
        assert_eq!(
            long_range(&[small_says.clone(), also_contradicted]).verdict,
            ClaimVerdict::Contradicted
        );
        assert_eq!(long_range(&[large_says]).verdict, ClaimVerdict::Holds);
        // Equal reach at one budget, contradicted at the other: depends.
        let equal = cells_at(large, Some(100), Some(100));
        assert_eq!(
            long_range(&[small_says, equal]).verdict,
            ClaimVerdict::DependsOnBudget
        );
        assert_eq!(long_range(&[]).verdict, ClaimVerdict::NotMeasured);
        assert_eq!(across_budgets([]), ClaimVerdict::NotMeasured);
    }

    #[test]
    fn global_context_compares_the_transformer_with_every_recurrent_cell() {
        let reach = |t: Option<usize>| MemoryReach {
            budget: SMALL,
            chance: 0.25,
            distances: vec![10, 100, 1000],
            cells: vec![
                cell(Cell::Lstm, Some(10)),
                cell(Cell::Rnn, Some(100)),
                cell(Cell::Transformer, t),
            ],
            separations: Vec::new(),
        };
        let v = |t| global_context(&[reach(t)]).verdict;
        assert_eq!(v(Some(1000)), ClaimVerdict::Holds);
        assert_eq!(v(Some(100)), ClaimVerdict::NotDistinguishable);
        assert_eq!(v(None), ClaimVerdict::Contradicted);
        // Without the Transformer in the sweep: not measured.
        let mut no_transformer = reach(None);
        no_transformer.cells.pop();
        assert_eq!(
            global_context(&[no_transformer]).verdict,
            ClaimVerdict::NotMeasured
        );
        assert_eq!(ClaimId::AllStates.number(), 11);
        assert_eq!(all_states(Some(&[])).verdict, ClaimVerdict::NotMeasured);
    }

    /// Claim 14 on numeric series with LSTM, GRU and RNN runs.
    fn short_series_claim(runs: &[crate::results::RunRecord]) -> Claim {
        let summary = summarize(runs, &[Cell::Lstm, Cell::Gru, Cell::Rnn]);
        let shapes = [shape(Cell::Lstm, 64), shape(Cell::Gru, 64)];
        check_claims(&ClaimInputs {
            summary: &summary,
            shapes: &shapes,
            gradient: &[],
            reach: &[],
            pooling: None,
            series: true,
        })
        .into_iter()
        .find(|c| c.id == ClaimId::ShortSeries)
        .unwrap()
    }

    #[test]
    fn the_rnn_on_short_series_is_judged_against_the_more_accurate_gated_cell() {
        let runs = vec![
            run("lstm", 1, 0.90, 1.0, 1000),
            run("lstm", 2, 0.91, 1.0, 1000),
            run("lstm", 3, 0.92, 1.0, 1000),
            run("gru", 1, 0.95, 1.0, 1000),
            run("gru", 2, 0.96, 1.0, 1000),
            run("gru", 3, 0.94, 1.0, 1000),
            run("rnn", 1, 0.80, 1.0, 1000),
            run("rnn", 2, 0.81, 1.0, 1000),
            run("rnn", 3, 0.79, 1.0, 1000),
        ];
        let short = short_series_claim(&runs);
        assert_eq!(short.verdict, ClaimVerdict::Contradicted);
        let Some(Evidence::Pair { comparison, .. }) = &short.evidence else {
            panic!("a pair: {short:?}")
        };
        // GRU − RNN, the larger gap of the two gated cells.
        assert!((comparison.estimate - 0.15).abs() < 1e-9, "{comparison:?}");
        // A gated cell more accurate beyond its interval contradicts the
        // claim even when the other one's gap has the larger mean.
        let mixed: Vec<_> = runs
            .iter()
            .map(|r| {
                let mut r = r.clone();
                if r.model == Cell::Lstm {
                    r.test_acc = [0.99, 0.70, 0.99][r.seed as usize - 1];
                }
                if r.model == Cell::Gru {
                    r.test_acc = r.test_acc.min(0.85);
                }
                r
            })
            .collect();
        let short = short_series_claim(&mixed);
        assert_eq!(short.verdict, ClaimVerdict::Contradicted, "{short:?}");
    }
}
