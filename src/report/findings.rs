//! Sentences derived from a [`Summary`]'s numbers through the verdicts of
//! [`super::view::verdict`]: which model is faster and by what ratio,
//! whether the accuracy difference is distinguishable, which used more
//! memory. A sentence never claims a difference its own interval does not
//! support, and with too few seeds it says so instead of quoting an interval.
//! Plain text; the HTML layer escapes it.

use super::format::{thousands, unmatched_text};
use super::say::{self, seeds as seeds_word};
use super::view::claims::{Claim, ClaimId, ClaimVerdict, Evidence};
use super::view::memory_reach::{MemoryReach, ReachPoint, TrainingBudget};
use super::view::verdict::{
    Comparison, Contrast, MIN_SEEDS_FOR_TEST, Verdict, shown_ci, speed_rests_on_disturbed,
};
use crate::analysis::auto_seeds::SeedStop;
use crate::analysis::kernel_split::KernelPair;
use crate::analysis::metrics;
use crate::analysis::stats::Estimate;
use crate::analysis::summary::{PairSummary, Summary};
use crate::model::{Cell, ModelShape};
use crate::probe::kernel::Kernel;

/// What the page says of one pair beyond its first screen and its tables
/// (which give its verdicts and numbers, [`short_verdict`], and its kernel
/// split, [`super::kernel_check`]): that no seed paired, and that its speed
/// verdict rests on disturbed timings. Plain text (HTML-escape before use).
fn pair_findings(pair: &PairSummary, summary: &Summary) -> Vec<String> {
    let (a, b) = (pair.a.display_name(), pair.b.display_name());
    if pair.n_pairs == 0 {
        return vec![format!(
            "No seed has finished (ok) runs of both {a} and {b}, so they cannot be compared."
        )];
    }
    let mut out = Vec::new();
    if speed_rests_on_disturbed(pair, summary.timing.as_ref()) {
        let why = if summary.timing.as_ref().is_some_and(|t| t.reruns > 0) {
            "disturbed timings that re-measuring could not replace: the re-runs were disturbed too"
        } else {
            "disturbed timings that were not re-measured"
        };
        out.push(format!(
            "The speed verdict of {a} and {b} rests on {why} (see Timings)."
        ));
    }
    out
}

/// All sentences: the first pair (LSTM vs GRU when both ran) first, then
/// how trustworthy the timings were, why `--seeds auto` stopped and where
/// the workers' time went.
pub fn findings(summary: &Summary) -> Vec<String> {
    summary
        .pairs
        .iter()
        .flat_map(|p| pair_findings(p, summary))
        .chain(timing_sentence(summary))
        .chain(seeds_sentence(summary))
        .chain(
            summary
                .harness
                .as_ref()
                .map(|h| format!("Time outside training: {}.", super::format::harness_line(h))),
        )
        .collect()
}

/// Why `--seeds auto` stopped where it did (`None` for a fixed list of seeds).
fn seeds_sentence(summary: &Summary) -> Option<String> {
    let d = summary.seeds_auto.as_ref()?;
    // A forecast's rule reads the paired test-MAE ratio, in percent.
    let (unit, measure) = if summary.is_forecast() {
        ("%", "paired test-MAE ratio")
    } else {
        (" points", "paired test-accuracy difference")
    };
    let (seeds, max, asked) = (d.seeds, d.max_seeds, d.precision_points);
    let ci = match d.half_width_points {
        Some(h) => format!("±{h:.2}{unit}"),
        None => "not yet defined (fewer than 3 paired seeds)".to_string(),
    };
    let why = match d.stopped {
        Some(SeedStop::Precision) => format!(
            "stopped after {seeds} seeds, when the 95% CI of the {measure} reached {ci}, within the ±{asked}{unit} asked (--precision), with no pair significant: a narrow interval ends the seeds without calling a difference."
        ),
        Some(SeedStop::Decided) => format!(
            "stopped after {seeds} seeds, when the {measure} of every pair was decided: {} crossed its group-sequential boundary (O'Brien–Fleming-type, p < {} at this look; the boundaries keep the false-positive rate over all looks at 5%), any other narrowed to ±{asked}{unit} without a difference; the 95% CI is {ci}.",
            d.decided_pairs,
            d.boundary_p.map_or("—".to_string(), |p| format!("{p:.3}")),
        ),
        Some(SeedStop::MaxSeeds) => format!(
            "stopped at the maximum of {max} seeds (--max-seeds) with the 95% CI of the {measure} still {ci}, wider than the ±{asked}{unit} asked (--precision): more seeds would be needed for that precision."
        ),
        Some(SeedStop::NoOkRuns) => format!(
            "stopped after {seeds} seeds because a model had no run that finished ok (see runs.csv): more seeds cannot give it an interval."
        ),
        None => format!(
            "not finished: {seeds} seeds so far, the 95% CI of the {measure} {ci}, ±{asked}{unit} asked; continue with `compare --resume`."
        ),
    };
    Some(format!("Seeds (--seeds auto): {why}"))
}

/// How trustworthy the timings were: disturbed epochs (another process had
/// the cores), the runs re-measured because of them (`--remeasure`), and
/// the runs whose speed figures still rest on them.
fn timing_sentence(summary: &Summary) -> Option<String> {
    let t = summary.timing.as_ref()?;
    let were = |n: usize| if n == 1 { "was" } else { "were" };
    let mut text = String::from("Timings: ");
    let remeasured = !t.remeasured_runs.is_empty();
    if remeasured {
        let (n, runs) = (t.replaced_disturbed_epochs, t.remeasured_runs.len());
        text.push_str(&format!(
            "{} of {} ({}) {} re-measured: {} run again after the other runs, with the same losses and accuracies, and the clean re-run's timing stands. ",
            say::count(n, "disturbed epoch"),
            say::count(runs, "run"),
            run_names(&t.remeasured_runs),
            were(n),
            if runs == 1 { "it was" } else { "they were" },
        ));
    }
    let (n, of) = (t.disturbed_epochs, t.epochs);
    let stand = if remeasured { " that stand" } else { "" };
    text.push_str(&if n == 0 && !remeasured {
        format!("None of the {of} epochs was disturbed by other load on the machine.")
    } else if n == 0 {
        format!("None of the {of} epochs that stand was disturbed.")
    } else if t.disturbed_runs.is_empty() {
        format!(
            "{n} of {of} epochs{stand} {} disturbed by other load on the machine and left out of the seconds per epoch; no run's timing rests on them.",
            were(n)
        )
    } else {
        let why = match t.reruns {
            0 => "and were not re-measured".to_string(),
            r => format!(
                "and their re-runs ({r} in all, {} more disturbed epochs) were disturbed too",
                t.replaced_disturbed_epochs
            ),
        };
        format!(
            "{n} of {of} epochs{stand} were disturbed by other load on the machine; the speed figures of {} rest on disturbed epochs {why}: treat the speed verdict with caution.",
            run_names(&t.disturbed_runs)
        )
    });
    Some(text)
}

/// `LSTM seed 2, GRU seed 3`.
fn run_names(runs: &[crate::analysis::summary::ModelSeed]) -> String {
    say::list(runs, ", ", |r| {
        format!("{} seed {}", r.model.display_name(), r.seed)
    })
}

/// How a point's timings fared, for one cell of the sweep table:
/// `disturbed: LSTM seed 2` when a speed figure rests on a disturbed timing
/// no re-run replaced (the rule of [`speed_rests_on_disturbed`] for the
/// point's pairs), `re-measured (1 run)`, `n epochs left out`, `clean`, or
/// `—` without interference signals.
pub fn timing_cell(summary: &Summary) -> String {
    let Some(t) = summary.timing.as_ref() else {
        return "—".to_string();
    };
    if summary
        .pairs
        .iter()
        .any(|p| speed_rests_on_disturbed(p, Some(t)))
    {
        return format!("disturbed: {}", run_names(&t.disturbed_runs));
    }
    let remeasured = (!t.remeasured_runs.is_empty()).then(|| {
        format!(
            "re-measured ({})",
            say::count(t.remeasured_runs.len(), "run")
        )
    });
    let left_out = (t.disturbed_epochs > 0)
        .then(|| format!("{} left out", say::count(t.disturbed_epochs, "epoch")));
    let parts: Vec<String> = remeasured.into_iter().chain(left_out).collect();
    if parts.is_empty() {
        "clean".to_string()
    } else {
        parts.join("; ")
    }
}

/// An accuracy with its interval when there is one: `91.1% [88.0, 93.5]`.
fn acc_text(e: &Estimate) -> String {
    let one = |x: f64| format!("{:.1}", x * 100.0);
    match shown_ci(e) {
        Some(ci) => format!("{}% {}", one(e.mean), say::span(ci, one)),
        None => format!("{}% ({})", one(e.mean), seeds_word(e.n)),
    }
}

/// The memory task's verdict, one sentence per cell (the longest distance
/// at which it stays well above chance) and one per distance at which cells
/// differ beyond their intervals.
pub fn memory_reach_sentences(reach: &MemoryReach) -> Vec<String> {
    let chance = format!("{:.0}%", reach.chance * 100.0);
    let acc = |p: &ReachPoint| acc_text(&p.test_acc.expect("measured"));
    let too_few = |p: &ReachPoint| {
        p.vs_chance
            .is_none_or(|c| c.verdict == Verdict::TooFewSeeds)
    };
    let mut out = Vec::new();
    for cell in &reach.cells {
        let name = cell.model.display_name();
        let measured: Vec<&ReachPoint> = cell
            .points
            .iter()
            .filter(|p| p.test_acc.is_some())
            .collect();
        let Some(first) = measured.first() else {
            continue;
        };
        if measured.iter().all(|p| too_few(p)) {
            let n = measured
                .iter()
                .filter_map(|p| p.test_acc.map(|e| e.n))
                .max()
                .unwrap_or(0);
            out.push(format!(
                "{name}: {} per distance, too few to tell whether it stays above chance ({chance}); at least {MIN_SEEDS_FOR_TEST} are needed.",
                seeds_word(n)
            ));
            continue;
        }
        out.push(match cell.longest_held {
            Some(d) => {
                let at = measured.iter().find(|p| p.distance == d).expect("measured");
                let beyond = measured.iter().filter(|p| p.distance > d);
                let beyond = say::list(beyond, ", ", |p| format!("{} at distance {}", acc(p), p.distance));
                let rest = match beyond.as_str() {
                    "" => ", the longest distance measured.".to_string(),
                    b => format!("; beyond it, not distinguishable from chance: {b}."),
                };
                format!("{name} stays well above chance ({chance}) up to distance {d}: {} there{rest}", acc(at))
            }
            None => format!(
                "{name} is not well above chance ({chance}) at any distance measured: {} at the shortest, {}.",
                acc(first),
                first.distance
            ),
        });
    }
    for s in &reach.separations {
        let names = (s.higher.display_name(), s.lower.display_name());
        let text = say::decided(&s.diff, names, say::Words::ACCURACY)
            .unwrap_or_else(|| say::estimate(&s.diff));
        out.push(format!("At distance {}, {text}.", s.distance));
    }
    let tested = reach
        .cells
        .iter()
        .flat_map(|c| &c.points)
        .any(|p| !too_few(p));
    if reach.separations.is_empty() && tested {
        out.push(
            "At no distance do two cells' accuracies differ beyond their intervals.".to_string(),
        );
    }
    out
}

/// A training budget as the claims and the memory section name it:
/// `2,000 sequences × 6 epochs, no early stopping`, or with `--patience N`
/// `2,000 sequences × up to 24 epochs, early stopping after 3 epochs
/// without a better validation accuracy`.
pub fn budget_text(b: &TrainingBudget) -> String {
    let sequences = thousands(b.sequences as i64);
    let epochs = say::count(b.epochs as usize, "epoch");
    if b.patience == 0 {
        format!("{sequences} sequences × {epochs}, no early stopping")
    } else {
        format!(
            "{sequences} sequences × up to {epochs}, early stopping after {} without a better validation accuracy",
            say::count(b.patience as usize, "epoch")
        )
    }
}

/// A claim's verdict in a word or two, without its seeds.
fn verdict_words(v: ClaimVerdict) -> &'static str {
    match v {
        ClaimVerdict::Holds => "holds",
        ClaimVerdict::Contradicted => "contradicted",
        ClaimVerdict::NotDistinguishable => "undecided",
        ClaimVerdict::DependsOnBudget => "depends on the training budget",
        ClaimVerdict::NotMeasured => "not measured",
    }
}

/// One row of "The claims, checked", as text.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ClaimRow {
    /// The claim's number in the document's table (1–11).
    pub number: u8,
    /// The claim, in the document's words.
    pub claim: String,
    /// What this run measured: the figure with its CI.
    pub measured: String,
    /// `holds`, `contradicted`, `not distinguishable (3 seeds)`, or `not
    /// measured in this run (…flags…)`.
    pub verdict: String,
    /// The verdict as a key: `holds`, `contradicted`, `not_distinguishable`, `not_measured`.
    pub verdict_key: ClaimVerdict,
}

/// What the claims' figures rest on beyond the claims themselves: the
/// models' shapes, the kernel check's LSTM–GRU pair and the kernels the
/// training runs used.
pub struct ClaimContext<'a> {
    /// The models' shapes (the equations' counts).
    pub shapes: &'a [ModelShape],
    /// The kernel check's pair (LSTM first), when the run has one.
    pub kernel: Option<&'a KernelPair>,
    /// The kernel each model's training runs used.
    pub run_kernels: &'a [(Cell, Kernel)],
    /// The run's `--kernel`, which chose `run_kernels`.
    pub kernel_choice: crate::config::KernelChoice,
    /// The LSTM-over-GRU ratio of the p99 streaming latency per step, when
    /// measured (claims 6 and 13 show it beside the p50's verdict).
    pub step_p99: Option<Comparison>,
    /// Whether the run read numeric series (latency per time step and per
    /// series, not per token and per review).
    pub series: bool,
    /// Whether the run forecasts (its quality is an error, not an accuracy).
    pub forecast: bool,
}

/// `, at matched parameters` for `a` and `b` within 5% of each other,
/// else `, at unmatched parameters (Transformer 125,635, LSTM 75,792:
/// 1.66×)`; empty when either shape is missing.
fn params_note(shapes: &[ModelShape], a: Cell, b: Cell) -> String {
    let params = |m: Cell| shapes.iter().find(|s| s.cell == m).map(|s| (m, s.params()));
    let (Some(a), Some(b)) = (params(a), params(b)) else {
        return String::new();
    };
    match super::view::matching::unmatched(a, b) {
        None => " at matched parameters".to_string(),
        Some(u) => format!(" at unmatched parameters ({})", unmatched_text(&u)),
    }
}

/// Which kernels the LSTM and GRU runs' own figures rest on, as a
/// parenthesis: equal kernels answer for the cells, different ones do not.
fn runs_kernel_note(ctx: &ClaimContext) -> String {
    crate::report::answer::kernel_phrase(Cell::Lstm, Cell::Gru, ctx.run_kernels, ctx.kernel_choice)
        .map_or(String::new(), |k| format!(", training runs on {k}"))
}

/// What a run measured for `claim`, in words.
fn claim_measured(claim: &Claim, ctx: &ClaimContext) -> String {
    let Some(evidence) = &claim.evidence else {
        return "—".to_string();
    };
    let name = |m: &Cell| m.display_name();
    match evidence {
        Evidence::Pair { comparison: c, .. } => pair_claim_measured(claim.id, c, ctx),
        Evidence::Count { cells } => say::list(cells, "; ", |(cell, gates, per_unit)| {
            let cell = name(cell);
            format!(
                "{cell} {gates} gate blocks, {per_unit:.0} recurrent parameters per hidden unit"
            )
        }),
        // At each training budget, with its own verdict when there are several.
        Evidence::Reach { budgets } => say::list(budgets, "; ", |b| {
            let held = say::list(&b.cells, ", ", |(m, d)| {
                format!("{} {}", name(m), d.map_or("none".into(), |d| d.to_string()))
            });
            let verdict = match budgets.len() {
                1 => String::new(),
                _ => format!(" ({})", verdict_words(b.verdict)),
            };
            let at = budget_text(&b.budget);
            format!("at {at}: longest distance well above chance: {held}{verdict}")
        }),
        Evidence::Pooling { rows } => say::list(rows, "; ", |r| {
            let at = if r.at.is_empty() {
                String::new()
            } else {
                format!(" at {}", r.at)
            };
            let diff = say::estimate(&r.diff);
            format!(
                "{} {} − last test accuracy {diff}{at}",
                name(&r.model),
                r.pooling
            )
        }),
        Evidence::Gradient { early_over_late } => format!(
            "gradient norm at the first input step over the last, after training (seed 1): {}",
            say::list(early_over_late, ", ", |(m, r)| format!(
                "{} {r:.2e}",
                name(m)
            ))
        ),
    }
}

/// A claim's figure: the estimate with its interval, or with too few seeds
/// for one the estimate alone (the claim's verdict says the seeds).
fn figure(c: &Comparison) -> String {
    match c.shown_ci() {
        Some(_) => say::estimate(c),
        None => say::value(c.estimate, c.contrast),
    }
}

/// What a claim decided by one pair's comparison `c` measured: its figure
/// (a ratio turned to `b / a`), then what else its row shows.
fn pair_claim_measured(id: ClaimId, c: &Comparison, ctx: &ClaimContext) -> String {
    let shown = match c.contrast {
        Contrast::Difference => *c,
        Contrast::Ratio => c.flipped(),
    };
    // On numeric series claim 6 measures what claim 13 does, per time step.
    let words = match id {
        ClaimId::Latency if ctx.series => ClaimId::SeriesLatency.spec().figure,
        _ => id.spec().figure,
    };
    let mut text = format!("{words} {}", figure(&shown));
    match id {
        ClaimId::Speed => text.push_str(&speed_kernels(ctx.kernel)),
        ClaimId::Memory => {
            text.push_str(&runs_kernel_note(ctx));
            if let Some(a) = activation_arithmetic(ctx.shapes) {
                text.push_str(&format!("; {a}"));
            }
        }
        ClaimId::Latency | ClaimId::SeriesLatency => text.push_str(&latency_extras(ctx)),
        ClaimId::Parallel | ClaimId::MemoryIntensive => {
            text.push_str(&params_note(ctx.shapes, Cell::Transformer, Cell::Lstm))
        }
        _ => {}
    }
    text
}

/// What claim 2's row adds to seconds per epoch: where the kernel check's
/// ratios per train step are (the kernel check's table gives them once).
fn speed_kernels(kernel: Option<&KernelPair>) -> String {
    let measured = kernel.is_some_and(|k| k.auto.is_some() && k.native.is_some());
    match measured {
        true => "; per train step on each kernel: see the kernel check".to_string(),
        false => String::new(),
    }
}

/// What claims 6 and 13's rows add to the p50 streaming latency: the
/// training runs' kernels, the p99, and the kernel check's ratios per step
/// and per whole example.
fn latency_extras(ctx: &ClaimContext) -> String {
    let (unit, whole) = match ctx.series {
        true => ("time step", "series"),
        false => ("token", "review"),
    };
    let mut text = runs_kernel_note(ctx);
    if let Some(p99) = &ctx.step_p99 {
        text.push_str(&format!("; p99 {}", figure(&p99.flipped())));
    }
    if ctx
        .kernel
        .is_some_and(|k| k.stream.is_some() || k.review.is_some())
    {
        text.push_str(&format!(
            "; per streamed {unit} and per whole {whole} on each kernel: see the kernel check"
        ));
    }
    text
}

/// The activation memory counted from the equations, LSTM over GRU, at
/// the run's (matched) sizes and at matched hidden size.
fn activation_arithmetic(shapes: &[ModelShape]) -> Option<String> {
    let of = |cell: Cell| shapes.iter().find(|s| s.cell == cell);
    let (lstm, gru) = (of(Cell::Lstm)?, of(Cell::Gru)?);
    let same_hidden = ModelShape {
        hidden_size: lstm.hidden_size,
        ..*gru
    };
    let ratio = |a: &ModelShape, b: &ModelShape| {
        b.activation_bytes_per_token() as f64 / a.activation_bytes_per_token() as f64
    };
    Some(format!(
        "counted from the equations, per token kept for backprop: LSTM {} B, GRU {} B (GRU / LSTM {:.2} at these sizes, {:.2} at matched hidden size)",
        lstm.activation_bytes_per_token(),
        gru.activation_bytes_per_token(),
        ratio(lstm, gru),
        ratio(lstm, &same_hidden)
    ))
}

/// The claims table's rows, as text; claim 2's figure carries the kernel
/// check's split (`kernel`, LSTM first) when the run has one.
pub fn claim_rows(claims: &[Claim], ctx: &ClaimContext) -> Vec<ClaimRow> {
    let verdict = |c: &Claim| match c.verdict {
        ClaimVerdict::NotDistinguishable if c.n < MIN_SEEDS_FOR_TEST => say::too_few_seeds(c.n),
        ClaimVerdict::NotDistinguishable => {
            format!("{} ({})", verdict_words(c.verdict), seeds_word(c.n))
        }
        ClaimVerdict::NotMeasured => {
            format!(
                "not measured in this run ({})",
                not_measured_why(c.id, ctx.shapes, ctx.forecast)
            )
        }
        v => verdict_words(v).to_string(),
    };
    let row = |c: &Claim| ClaimRow {
        number: c.id.number(),
        claim: c.id.spec().words.to_string(),
        measured: claim_measured(c, ctx),
        verdict: verdict(c),
        verdict_key: c.verdict,
    };
    claims.iter().map(row).collect()
}

/// Why claim `id` was not measured: a forecast has no accuracy; else the
/// flags that would measure it, or, where the run already trains the cells
/// it needs (`shapes`), that none of their runs finished with the
/// measurement.
fn not_measured_why(id: ClaimId, shapes: &[ModelShape], forecast: bool) -> String {
    let spec = id.spec();
    if forecast
        && spec
            .rule
            .is_some_and(|r| r.metric.key == metrics::TEST_ACC.key)
    {
        return "a forecast measures its error, not accuracy".to_string();
    }
    let trained = spec
        .cells
        .iter()
        .all(|cell| shapes.iter().any(|s| s.cell == *cell));
    if trained
        && !matches!(
            id,
            ClaimId::LongRange | ClaimId::GlobalContext | ClaimId::AllStates
        )
        && !spec.series
    {
        let names: Vec<&str> = spec.cells.iter().map(|c| c.display_name()).collect();
        let (last, rest) = names.split_last().expect("a claim needs cells");
        format!(
            "no finished {} and {last} runs with this measurement to compare",
            rest.join(", ")
        )
    } else {
        spec.flags.to_string()
    }
}

/// A short verdict on a pair for one cell of a table, in the one
/// vocabulary ([`super::say`]): accuracy (a forecast: its error), then
/// speed, each the winner (`GRU more accurate`) or its word (`speed:
/// undecided`); the numbers are the table's other cells.
pub fn short_verdict(pair: &PairSummary) -> String {
    let names = (pair.a.display_name(), pair.b.display_name());
    let v = |m| Comparison::of_pair(pair, &m);
    let part = |what: &str, c: Option<Comparison>, words: say::Words| match c {
        // The winner alone: the table's other cells give the margin.
        Some(c) => match say::margin(&c, words.better) {
            Some((first_wins, ..)) => {
                let winner = if first_wins { names.0 } else { names.1 };
                format!("{winner} {}", words.winner)
            }
            None => format!("{what}: {}", say::word(say::say(&c, names, words, false).0)),
        },
        None => format!("{what}: —"),
    };
    let quality = match v(metrics::TEST_ACC) {
        None if v(metrics::TEST_MAE).is_some() => {
            part("error", v(metrics::TEST_MAE), say::Words::ERROR)
        }
        acc => part("accuracy", acc, say::Words::ACCURACY),
    };
    format!(
        "{quality}; {}",
        part("speed", v(metrics::SECS_PER_EPOCH), say::Words::TIME)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::summary::summarize;
    use crate::analysis::summary::tests::run;

    #[test]
    fn claim_5_names_each_budget_and_its_verdict_when_there_are_several() {
        use crate::report::view::claims::ReachAtBudget;
        let small = TrainingBudget {
            sequences: 2000,
            epochs: 6,
            patience: 0,
        };
        assert_eq!(
            budget_text(&small),
            "2,000 sequences × 6 epochs, no early stopping"
        );
        let stopping = TrainingBudget {
            sequences: 200,
            epochs: 1,
            patience: 3,
        };
        assert_eq!(
            budget_text(&stopping),
            "200 sequences × up to 1 epoch, early stopping after 3 epochs without a better validation accuracy"
        );
        let at = |budget, verdict, lstm| ReachAtBudget {
            budget,
            verdict,
            cells: vec![(Cell::Rnn, Some(30)), (Cell::Lstm, lstm)],
        };
        let large = TrainingBudget {
            epochs: 24,
            ..small
        };
        let claim = |budgets: Vec<ReachAtBudget>, verdict| Claim {
            id: ClaimId::LongRange,
            verdict,
            n: 3,
            evidence: Some(Evidence::Reach { budgets }),
        };
        let ctx = ClaimContext {
            shapes: &[],
            kernel: None,
            run_kernels: &[],
            kernel_choice: crate::config::KernelChoice::Auto,
            step_p99: None,
            series: false,
            forecast: false,
        };
        let one = claim(
            vec![at(small, ClaimVerdict::Contradicted, Some(10))],
            ClaimVerdict::Contradicted,
        );
        let row = &claim_rows(&[one], &ctx)[0];
        assert_eq!(
            row.measured,
            "at 2,000 sequences × 6 epochs, no early stopping: longest distance well above chance: RNN 30, LSTM 10"
        );
        assert_eq!(row.verdict, "contradicted");
        let two = claim(
            vec![
                at(small, ClaimVerdict::Contradicted, Some(10)),
                at(large, ClaimVerdict::NotDistinguishable, Some(30)),
            ],
            ClaimVerdict::DependsOnBudget,
        );
        let row = &claim_rows(&[two], &ctx)[0];
        assert_eq!(
            row.measured,
            "at 2,000 sequences × 6 epochs, no early stopping: longest distance well above chance: RNN 30, LSTM 10 (contradicted); at 2,000 sequences × 24 epochs, no early stopping: longest distance well above chance: RNN 30, LSTM 30 (undecided)"
        );
        assert_eq!(row.verdict, "depends on the training budget");
    }

    fn models() -> Vec<Cell> {
        vec![Cell::Lstm, Cell::Gru]
    }

    #[test]
    fn faster_model_is_named_and_swapping_flips_it() {
        let runs = vec![
            run("lstm", 1, 0.85, 2.0, 1000),
            run("gru", 1, 0.85, 1.0, 1000),
            run("lstm", 2, 0.86, 2.2, 1000),
            run("gru", 2, 0.85, 1.1, 1000),
            run("lstm", 3, 0.84, 2.1, 1000),
            run("gru", 3, 0.85, 1.0, 1000),
        ];
        let text = short_verdict(&summarize(&runs, &models()).pairs[0]);
        assert_eq!(text, "accuracy: undecided; GRU faster");
        let swapped: Vec<_> = runs
            .into_iter()
            .map(|mut r| {
                if r.model == Cell::Gru {
                    r.secs_per_epoch *= 4.0;
                }
                r
            })
            .collect();
        let text = short_verdict(&summarize(&swapped, &models()).pairs[0]);
        assert_eq!(text, "accuracy: undecided; LSTM faster");
    }

    #[test]
    fn a_decided_accuracy_names_the_winner() {
        let runs = vec![
            run("lstm", 1, 0.85, 2.0, 2000),
            run("gru", 1, 0.80, 2.0, 1000),
            run("lstm", 2, 0.86, 2.0, 2100),
            run("gru", 2, 0.80, 2.0, 1000),
            run("lstm", 3, 0.85, 2.0, 2000),
            run("gru", 3, 0.81, 2.0, 1000),
        ];
        let text = short_verdict(&summarize(&runs, &models()).pairs[0]);
        assert_eq!(text, "LSTM more accurate; speed: undecided");
    }

    #[test]
    fn one_seed_says_so() {
        let runs = vec![
            run("lstm", 1, 0.85, 2.0, 1000),
            run("gru", 1, 0.84, 1.0, 1000),
        ];
        let text = short_verdict(&summarize(&runs, &models()).pairs[0]);
        assert_eq!(text, "accuracy: too few seeds; speed: too few seeds");
    }

    /// Issue 15 item 9: a memory ratio whose interval includes 1 is not
    /// called "more memory".
    #[test]
    fn an_interval_including_one_is_no_difference() {
        // GRU/LSTM memory 1.10, 0.98, 1.10: about 1.06×, CI around 0.91–1.23.
        let runs = vec![
            run("lstm", 1, 0.85, 2.0, 1000),
            run("gru", 1, 0.85, 2.0, 1100),
            run("lstm", 2, 0.85, 2.0, 1000),
            run("gru", 2, 0.85, 2.0, 980),
            run("lstm", 3, 0.85, 2.0, 1000),
            run("gru", 3, 0.85, 2.0, 1100),
        ];
        let s = summarize(&runs, &models());
        let (lo, hi) = s.pairs[0].ratio(&metrics::PEAK_RSS).unwrap().ci().unwrap();
        assert!(lo < 1.0 && hi > 1.0, "{lo} {hi}");
        let c = Comparison::of_ratio(s.pairs[0].ratio(&metrics::PEAK_RSS).unwrap());
        let (said, text) = say::say(&c, ("LSTM", "GRU"), say::Words::MEMORY, false);
        assert_eq!(said, say::Said::Undecided, "{text}");
        assert!(text.starts_with("undecided: LSTM / GRU = 0.9"), "{text}");
    }

    /// Issue 15 item 10: with two seeds neither a speed claim nor an
    /// interval is printed, even when the two seeds agree exactly.
    #[test]
    fn two_seeds_claim_nothing_and_print_no_interval() {
        let runs = vec![
            run("lstm", 1, 0.85, 1.0, 1000),
            run("gru", 1, 0.80, 1.6, 1000),
            run("lstm", 2, 0.86, 1.0, 1000),
            run("gru", 2, 0.81, 1.6, 1000),
        ];
        let s = summarize(&runs, &models());
        assert!(findings(&s).is_empty(), "{:?}", findings(&s));
        assert_eq!(
            short_verdict(&s.pairs[0]),
            "accuracy: too few seeds; speed: too few seeds"
        );
    }
}

#[cfg(test)]
mod timing_tests {
    use super::*;
    use crate::analysis::summary::summarize;
    use crate::analysis::summary::tests::run;
    use crate::probe::interference::Timing;
    use crate::results::attempts::standing_runs;

    /// LSTM and GRU over three seeds, four epochs each, with LSTM seed 2's
    /// timing `first` and, when given, a re-run with timing `rerun`.
    fn summary(first: Timing, rerun: Option<Timing>) -> Summary {
        let models = [Cell::Lstm, Cell::Gru];
        let mut all = Vec::new();
        for seed in 1..=3 {
            for (m, secs) in [("lstm", 3.0), ("gru", 6.0)] {
                let mut r = run(m, seed, 0.8, secs + 0.01 * seed as f64, 1);
                r.epochs_run = 4;
                r.timing = Some(Timing::Clean);
                r.disturbed_epochs = Some(0);
                if m == "lstm" && seed == 2 {
                    r.timing = Some(first);
                    r.disturbed_epochs = Some(3);
                }
                all.push(r);
            }
        }
        if let Some(t) = rerun {
            let mut r = run("lstm", 2, 0.8, 3.02, 1);
            r.epochs_run = 4;
            r.attempt = 2;
            r.timing = Some(t);
            r.disturbed_epochs = Some(if t == Timing::Remeasured { 0 } else { 2 });
            all.push(r);
        }
        let standing = standing_runs(&all);
        let mut s = summarize(&standing, &models);
        s.timing.as_mut().unwrap().add_replaced(&all, &standing);
        s
    }

    #[test]
    fn a_clean_rerun_is_said_and_the_verdict_carries_no_caution() {
        let s = summary(Timing::Disturbed, Some(Timing::Remeasured));
        let t = timing_sentence(&s).unwrap();
        assert!(
            t.starts_with("Timings: 3 disturbed epochs of 1 run (LSTM seed 2) were re-measured"),
            "{t}"
        );
        assert!(
            t.contains("None of the 24 epochs that stand was disturbed"),
            "{t}"
        );
        assert!(pair_findings(&s.pairs[0], &s).is_empty());
        assert_eq!(timing_cell(&s), "re-measured (1 run)");
    }

    #[test]
    fn a_disturbed_timing_left_standing_is_said_in_the_verdict_itself() {
        let s = summary(Timing::Disturbed, None);
        let verdict = &pair_findings(&s.pairs[0], &s)[0];
        assert!(verdict.contains("were not re-measured"), "{verdict}");
        assert_eq!(timing_cell(&s), "disturbed: LSTM seed 2");
        // Re-measured, but the re-run was disturbed too: the least disturbed stands.
        let s = summary(Timing::Disturbed, Some(Timing::Disturbed));
        let verdict = &pair_findings(&s.pairs[0], &s)[0];
        assert!(
            verdict.contains("re-measuring could not replace"),
            "{verdict}"
        );
        let t = timing_sentence(&s).unwrap();
        assert!(t.contains("1 in all, 3 more disturbed epochs"), "{t}");
        // Three disturbed epochs of a run that stays clean are only left out.
        let s = summary(Timing::Clean, None);
        assert_eq!(timing_cell(&s), "3 epochs left out");
    }
}
