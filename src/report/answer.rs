//! The first screen: the answer a user came for, at the top of the run page
//! and of the terminal output. One line per criterion (accuracy, training
//! time per epoch and to accuracy, memory, latency) for the run's first pair
//! (LSTM vs GRU when both ran), each saying who wins and by how much with
//! its 95% CI by the report's one rule ([`super::view::verdict`]), or that
//! it is not decided; speed lines name the kernel the timings ran on.
//!
//! An undecided line says the seeds that would bring its interval to a
//! useful width at the spread this run observed ([`seeds_for_half_width`],
//! the `--seeds auto` rule's own stopping condition): for accuracy the run's
//! `--precision` (default ±1 percentage point), for ratios (times, memory,
//! latency) ±5%. One closing line gives the time that costs (this run's mean
//! wall seconds per run × models × seeds) and a command that runs it. An
//! interval already that narrow that still includes "no difference" is
//! reported as "no difference found": more seeds are not what it lacks.
//!
//! Pure: a [`Summary`] and a few facts of the run in, text out (plain; the
//! HTML layer escapes it).

use serde::Serialize;

use super::format::kernels_of;
use super::say::{self, Said, Words, seeds as seeds_word};
use super::table::significant;
use super::view::verdict::{Comparison, Contrast, MIN_SEEDS_FOR_TEST, speed_rests_on_disturbed};
use crate::analysis::auto_seeds::{SEEDS_SEARCHED, seeds_for_half_width};
use crate::analysis::metrics;
use crate::analysis::stats::{CONFIDENCE_LEVEL, Estimate, PairedDiff, Ratio, t_critical};
use crate::analysis::summary::{PairSummary, Summary};
use crate::analysis::time_to_target::Goal;
use crate::config::{AutoSeeds, KernelChoice};
use crate::model::Cell;
use crate::probe::kernel::Kernel;

/// A ratio's interval is narrow enough once it is within ×/÷ this of its
/// centre (±5%).
const RATIO_PRECISION: f64 = 1.05;

/// What the answer is made from.
#[derive(Debug, Clone, Copy)]
pub struct AnswerInputs<'a> {
    /// The run's summary.
    pub summary: &'a Summary,
    /// The kernels the models' standing runs trained on (`runs.csv`'s
    /// `kernel`), one entry per (model, kernel) seen.
    pub kernels: &'a [(Cell, Kernel)],
    /// The run's `--kernel`: what the kernels in `kernels` were chosen by.
    pub kernel_choice: KernelChoice,
    /// The command line that made the run (`config.json`'s
    /// `command_line`, program first); empty for a merged run.
    pub command_line: &'a [String],
    /// The run folder as `compare` named it (`<--out>/<run-id>`), when
    /// `compare --resume` can add seeds to it; `None` for one that cannot
    /// (a merge, a shard, one point of a sweep), whose next step is a new
    /// run.
    pub resume: Option<&'a str>,
    /// The accuracy interval's useful half-width, in percentage points:
    /// the run's `--precision` under `--seeds auto`, else its default.
    pub precision_points: f64,
    /// Whether the run read numeric series (latency is then per series
    /// and per time step, not per review and per token).
    pub series: bool,
}

/// How many seeds an undecided line needs (more seeds order later).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Need {
    /// About this many paired seeds in all.
    Seeds(usize),
    /// More than [`SEEDS_SEARCHED`].
    TooMany,
}

/// One criterion's line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnswerLine {
    /// `Accuracy`, `Training time per epoch`, ….
    pub criterion: String,
    /// What it says, after the criterion.
    pub text: String,
    /// Decided or not, in the one vocabulary of [`super::say`].
    pub decision: Said,
    /// For an undecided line, the seeds it needs.
    pub need: Option<Need>,
}

/// The closing line of an answer with undecided lines: the seeds, the time
/// and the command.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NextStep {
    /// Seeds the command plans (at most; `--seeds auto` may stop sooner).
    pub seeds: usize,
    /// Of which more than this run's paired seeds.
    pub more: usize,
    /// This run's mean wall seconds per run, when recorded.
    pub secs_per_run: Option<f64>,
    /// The runs the command makes (`more` seeds adding to this run, else
    /// all `seeds` in a new one) × models × `secs_per_run`.
    pub secs: Option<f64>,
    /// Whether the command is `--seeds auto` (accuracy undecided) or a
    /// fixed `--seeds N` (only ratios undecided: the auto rule looks at
    /// accuracy alone).
    pub auto: bool,
    /// The command.
    pub command: String,
    /// The line before the command.
    pub text: String,
}

/// The first screen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    /// `LSTM vs GRU, 3 seeds`, and what else to know first.
    pub title: String,
    /// One line per criterion.
    pub lines: Vec<AnswerLine>,
    /// What it would take to decide the undecided lines.
    pub next: Option<NextStep>,
}

impl Answer {
    /// The answer as plain text for the terminal: a title line, one
    /// indented line per criterion, the next step and its command.
    pub fn text(&self) -> String {
        let lines = say::list(&self.lines, "", |l| {
            format!("  {}: {}\n", l.criterion, l.text)
        });
        let next = self.next.as_ref();
        let next = next.map_or(String::new(), |n| {
            format!("  {}\n    {}\n", n.text, n.command)
        });
        format!("The answer: {}\n{lines}{next}", self.title)
    }
}

/// The answer for `inputs`' first pair; `None` with fewer than two models.
pub fn answer(inputs: &AnswerInputs) -> Option<Answer> {
    let s = inputs.summary;
    let pair = s.pairs.first()?;
    let (a, b) = (pair.a.display_name(), pair.b.display_name());
    let mut title = format!("{a} vs {b}, {} paired", seeds_word(pair.n_pairs));
    if !s.complete {
        let planned = s.models.len() * s.planned_seeds.len();
        let ok = s.runs_ok;
        title.push_str(&format!(
            "; incomplete: {ok} of {planned} planned runs finished ok"
        ));
    }
    if s.pairs.len() > 1 {
        title.push_str("; other pairs below");
    }
    // The models `--match params` could not bring within 5% of the first
    // model's parameters, the farthest first.
    let params: Vec<(Cell, i64)> = s
        .per_model
        .iter()
        .filter_map(|m| Some((m.model, m.params?)))
        .collect();
    if let Some(u) = super::view::matching::unmatched_against_first(&params).first() {
        let u = super::format::unmatched_text(u);
        title.push_str(&format!(
            "; parameters not matched ({u}): the comparison is not at equal size"
        ));
    }
    if pair.n_pairs == 0 {
        let text = format!("no seed has finished (ok) runs of both {a} and {b}.");
        let lines = vec![not_measured("Nothing to compare", &text)];
        return Some(Answer {
            title,
            lines,
            next: None,
        });
    }
    let kernel = kernel_phrase(pair.a, pair.b, inputs.kernels, inputs.kernel_choice);
    let kernel = kernel.as_deref();
    let mut lines = Vec::new();
    match (
        pair.diff(&metrics::TEST_ACC),
        pair.ratio(&metrics::TEST_MAE),
    ) {
        (Some(d), _) => lines.push(accuracy_line((a, b), d, inputs.precision_points)),
        (None, Some(r)) => {
            let error = (Words::ERROR, Spread::Cells);
            lines.push(ratio_line(FORECAST_ERROR, (a, b), r, error, None));
            lines.push(naive_line(s));
        }
        (None, None) => lines.push(not_measured("Accuracy", "no paired test accuracies.")),
    }
    // Training times rest on the runs' epochs, which other load may have
    // disturbed; latency is measured after training.
    let spread = if speed_rests_on_disturbed(pair, s.timing.as_ref()) {
        Spread::Disturbed
    } else {
        Spread::Cells
    };
    let time = (Words::TIME, spread);
    const PER_EPOCH: &str = "Training time per epoch";
    lines.push(match pair.ratio(&metrics::SECS_PER_EPOCH) {
        Some(r) => on_disturbed_timings(ratio_line(PER_EPOCH, (a, b), r, time, kernel), spread),
        None => not_measured(PER_EPOCH, "not recorded."),
    });
    if let Some(t) = &s.time_to_target {
        lines.push(time_to_target_line(t, pair, time, kernel));
    }
    let memory = (Words::MEMORY, Spread::Cells);
    lines.push(match memory_measure(pair) {
        Some((criterion, r)) => ratio_line(criterion, (a, b), r, memory, None),
        None => not_measured("Memory", "not recorded."),
    });
    lines.push(latency_line(pair, kernel, inputs.series));
    let next = next_step(&lines, pair, s, inputs);
    Some(Answer { title, lines, next })
}

/// A forecast's first line: the test MAEs' paired ratio.
const FORECAST_ERROR: &str = "Forecast error (test MAE)";

/// Against doing nothing clever: each model's test MAE over the naive
/// last-value forecast's on the same windows (below 1 beats it), naming a
/// model that does not beat it. Decided when every model's interval lies
/// on one side of 1.
fn naive_line(s: &Summary) -> AnswerLine {
    const CRITERION: &str = "Against the naive forecast";
    let ratios: Vec<(&str, Estimate)> = s
        .per_model
        .iter()
        .filter_map(|m| Some((m.model.display_name(), m.get(&metrics::TEST_MAE_VS_NAIVE)?)))
        .collect();
    if ratios.is_empty() {
        return not_measured(CRITERION, "not recorded.");
    }
    let ci = |e: &Estimate| e.ci_low.zip(e.ci_high);
    let decided = ratios
        .iter()
        .all(|(_, e)| ci(e).is_some_and(|(lo, hi)| hi < 1.0 || lo > 1.0));
    let losers: Vec<&str> = ratios
        .iter()
        .filter(|(_, e)| match ci(e) {
            Some((lo, hi)) => lo >= 1.0 || (hi >= 1.0 && e.mean >= 1.0),
            None => e.mean >= 1.0,
        })
        .map(|(name, _)| *name)
        .collect();
    let parts = say::list(&ratios, ", ", |(name, e)| match ci(e) {
        Some(ci) => format!(
            "{name} {:.2}× {}",
            e.mean,
            say::interval(ci, Contrast::Ratio)
        ),
        None => format!("{name} {:.2}×, {}", e.mean, say::too_few_seeds_short(e.n)),
    });
    let mut text = format!("MAE / naive MAE (below 1 beats it): {parts}");
    match losers.as_slice() {
        [] if decided => text.push_str(match ratios.len() {
            1 => "; it beats it",
            2 => "; both beat it",
            _ => "; every model beats it",
        }),
        [] => {}
        [one] => text.push_str(&format!("; {one} does not beat the naive forecast")),
        many => text.push_str(&format!(
            "; {} do not beat the naive forecast",
            many.join(" and ")
        )),
    }
    let n = ratios.iter().map(|(_, e)| e.n).min().unwrap_or(0);
    let decision = match decided {
        true => Said::Decided,
        false if n < MIN_SEEDS_FOR_TEST => Said::TooFewSeeds,
        false => Said::Undecided,
    };
    line(CRITERION, text, decision, None)
}

/// Time to the target validation accuracy, `b`'s training seconds over
/// `a`'s (paired by seed), with the seeds that did not reach it.
fn time_to_target_line(
    t: &crate::analysis::time_to_target::TimeToTarget,
    pair: &PairSummary,
    time: (Words, Spread),
    kernel: Option<&str>,
) -> AnswerLine {
    let criterion = match t.goal {
        Goal::ValAcc => format!("Time to {:.1}% validation accuracy", t.target * 100.0),
        Goal::ValMae => format!("Time to a validation MAE of {}", significant(t.target)),
    };
    let short: Vec<String> = [pair.a, pair.b]
        .iter()
        .filter_map(|m| t.per_model.iter().find(|x| x.model == *m))
        .filter(|x| x.reached < x.runs)
        .map(|x| {
            format!(
                "{} reached it in {} of {} seeds",
                x.model.display_name(),
                x.reached,
                x.runs
            )
        })
        .collect();
    let ratio = t.pairs.iter().find(|p| p.a == pair.a && p.b == pair.b);
    let mut l = match ratio.and_then(|p| p.ratio.as_ref()) {
        // The ratio is b's time over a's.
        Some(r) => ratio_line(
            &criterion,
            (pair.b.display_name(), pair.a.display_name()),
            r,
            time,
            kernel,
        ),
        None => not_measured(&criterion, "no seed where both reached it"),
    };
    if !short.is_empty() {
        l.text.push_str(&format!("; {}", short.join(", ")));
    }
    on_disturbed_timings(l, time.1)
}

/// Latency at batch 1 (p50) per whole example and per streamed step, in
/// one line.
fn latency_line(pair: &PairSummary, kernel: Option<&str>, series: bool) -> AnswerLine {
    let (mut whole, step) = match series {
        true => ("per series", "per streamed time step"),
        false => ("per review", "per streamed token"),
    };
    // A forecast's whole example is one window.
    if pair.ratio(&metrics::TEST_MAE).is_some() {
        whole = "per window";
    }
    let names = (pair.a.display_name(), pair.b.display_name());
    let parts: Vec<(&str, AnswerLine)> = [
        (whole, metrics::LATENCY_WHOLE_P50),
        (step, metrics::LATENCY_STEP_P50),
    ]
    .into_iter()
    .filter_map(|(what, m)| {
        let r = pair.ratio(&m)?;
        Some((
            what,
            ratio_line("", names, r, (Words::TIME, Spread::Cells), None),
        ))
    })
    .collect();
    if parts.is_empty() {
        return not_measured("Latency (batch 1, p50)", "not measured in this run.");
    }
    let decision = match parts.iter().find(|p| p.1.decision.wants_seeds()) {
        Some(p) => p.1.decision,
        None if parts.iter().any(|p| p.1.decision == Said::Decided) => Said::Decided,
        None => Said::NoDifference,
    };
    let need = parts.iter().filter_map(|p| p.1.need).max();
    let text = say::list(&parts, "; ", |(what, l)| format!("{what}, {}", l.text));
    let criterion = match kernel {
        Some(k) => format!("Latency (batch 1, p50, on {k})"),
        None => "Latency (batch 1, p50)".to_string(),
    };
    line(&criterion, text, decision, need)
}

/// A timing line whose spread is [`Spread::Disturbed`] says what it rests
/// on; not decided without a seed count, it says to measure again instead.
fn on_disturbed_timings(mut l: AnswerLine, spread: Spread) -> AnswerLine {
    match (l.decision, l.need) {
        _ if spread == Spread::Cells => {}
        (Said::NotMeasured, _) => {}
        (Said::Undecided, None) => l.text.push_str(
            "; rests on disturbed timings (see Timings): measure again on a quiet machine (--remeasure) before adding seeds",
        ),
        _ => l
            .text
            .push_str("; rests on disturbed timings (see Timings)"),
    }
    l
}

/// Where the spread between seeds comes from: the cells (more seeds narrow
/// the interval) or other load on the machine (their number would be the
/// disturbance's, not the cells': one disturbed run once asked for 413).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spread {
    Cells,
    Disturbed,
}

/// The memory a pair is judged on, with its criterion's name: peak GPU
/// memory where measured, else what training adds, else peak RSS.
pub fn memory_measure(pair: &PairSummary) -> Option<(&'static str, &Ratio)> {
    [
        ("Peak GPU memory", metrics::GPU_PEAK),
        ("Memory training adds", metrics::TRAIN_RSS),
        ("Peak memory (RSS)", metrics::PEAK_RSS),
    ]
    .into_iter()
    .find_map(|(name, m)| Some((name, pair.ratio(&m)?)))
}

/// A line: its criterion, text, decision and the seeds it needs.
pub(super) fn line(
    criterion: &str,
    text: impl Into<String>,
    decision: Said,
    need: Option<Need>,
) -> AnswerLine {
    AnswerLine {
        criterion: criterion.to_string(),
        text: text.into(),
        decision,
        need,
    }
}

/// A line of a criterion this run did not measure.
pub(super) fn not_measured(criterion: &str, text: &str) -> AnswerLine {
    line(criterion, text, Said::NotMeasured, None)
}

/// What `n` seeds without an interval need: at least [`MIN_SEEDS_FOR_TEST`].
fn too_few(criterion: &str, n: usize) -> AnswerLine {
    let need = Some(Need::Seeds(MIN_SEEDS_FOR_TEST));
    line(criterion, say::too_few_seeds(n), Said::TooFewSeeds, need)
}

/// A precision in points as the lines print it: `1.0`, `0.25`.
fn points(p: f64) -> String {
    if p.fract() == 0.0 {
        format!("{p:.1}")
    } else {
        format!("{p}")
    }
}

/// Test accuracy `a − b`; the useful width is the run's precision, `p`
/// percentage points.
fn accuracy_line(names: (&str, &str), d: &PairedDiff, p: f64) -> AnswerLine {
    let c = Comparison::of_difference(d);
    let Some((lo, hi)) = c.shown_ci() else {
        return too_few("Accuracy", c.n);
    };
    let width = Width {
        narrow: (hi - lo) * 100.0 / 2.0 <= p,
        text: format!("±{} points", points(p)),
        seeds: Some(d.sd_diff.and_then(|sd| seeds_for_half_width(sd * 100.0, p))),
    };
    judged("Accuracy", &c, names, Words::ACCURACY, None, width)
}

/// The sd of the per-seed log ratios behind `r`, from its interval:
/// half-width = t(0.975, n − 1) · sd / √n on the log scale.
fn log_sd(r: &Ratio) -> Option<f64> {
    let (lo, hi) = r.ci()?;
    let t = t_critical(r.n.checked_sub(1)?, CONFIDENCE_LEVEL)?;
    let half = (hi / lo).ln() / 2.0;
    Some(half * (r.n as f64).sqrt() / t)
}

/// `first / second` (lower is better), as a line; `criterion` empty for a
/// part of a line. Not decided, it asks for seeds only when the spread
/// between seeds is the cells' own ([`Spread`]).
fn ratio_line(
    criterion: &str,
    (first, second): (&str, &str),
    r: &Ratio,
    (words, spread): (Words, Spread),
    on: Option<&str>,
) -> AnswerLine {
    let c = Comparison::of_ratio(r);
    let Some((lo, hi)) = c.shown_ci() else {
        return too_few(criterion, c.n);
    };
    let width = Width {
        narrow: (hi / lo).ln() / 2.0 <= RATIO_PRECISION.ln(),
        text: format!("±{}%", ((RATIO_PRECISION - 1.0) * 100.0).round()),
        seeds: (spread == Spread::Cells)
            .then(|| log_sd(r).and_then(|sd| seeds_for_half_width(sd, RATIO_PRECISION.ln()))),
    };
    judged(criterion, &c, (first, second), words, on, width)
}

/// How narrow an interval is useful, and what would make one so.
struct Width {
    /// The interval is already as narrow as useful.
    narrow: bool,
    /// The useful width: `±1.0 points`, `±5%`.
    text: String,
    /// The seeds for the useful width at this run's spread (`None` inside:
    /// more than [`SEEDS_SEARCHED`]); `None` where the spread is not the
    /// cells' own.
    seeds: Option<Option<usize>>,
}

/// A comparison with an interval as a line, by [`say`]: undecided, it says
/// the seeds that would narrow it to the useful width; no difference, that
/// it is already within it.
fn judged(
    criterion: &str,
    c: &Comparison,
    names: (&str, &str),
    words: Words,
    on: Option<&str>,
    width: Width,
) -> AnswerLine {
    let (decision, mut text) = say::say(c, names, words, width.narrow);
    if let Some(k) = on {
        text.push_str(&format!(" on {k}"));
    }
    let need = match (decision, width.seeds) {
        (Said::Undecided, Some(n)) => Some(n.map_or(Need::TooMany, Need::Seeds)),
        _ => None,
    };
    let w = &width.text;
    match (decision, need) {
        (Said::NoDifference, _) => text.push_str(&format!(" (already within {w})")),
        (_, Some(Need::Seeds(n))) => text.push_str(&format!("; ≈{n} seeds would narrow it to {w}")),
        (_, Some(Need::TooMany)) => text.push_str(&format!(
            "; over {SEEDS_SEARCHED} seeds would narrow it to {w}"
        )),
        _ => {}
    }
    line(criterion, text, decision, need)
}

/// The kernel the timings of `a` and `b` ran on, in words: `the fused
/// oneDNN cells`, `cuDNN`, `libtorch's native kernel`; with a kernel each,
/// which one each ran on, called libtorch's choice only under `--kernel
/// auto` (`choice`), where libtorch picked them (the default `--kernel
/// onednn` pairs a recurrent cell's fused kernel with the Transformer's
/// attention, which libtorch did not choose between); `None` when not
/// recorded.
pub(crate) fn kernel_phrase(
    a: Cell,
    b: Cell,
    kernels: &[(Cell, Kernel)],
    choice: KernelChoice,
) -> Option<String> {
    let name = super::format::kernel_name;
    match (
        kernels_of(kernels, a).as_slice(),
        kernels_of(kernels, b).as_slice(),
    ) {
        ([], _) | (_, []) => None,
        ([x], [y]) if x == y => Some(
            match x {
                Kernel::OnednnFused => "the fused oneDNN cells",
                Kernel::Native => "libtorch's native kernel",
                Kernel::Sdpa => "libtorch's attention kernels",
                k => name(*k),
            }
            .to_string(),
        ),
        ([x], [y]) => {
            let (a, b) = (a.display_name(), b.display_name());
            let each = format!("{a} on {}, {b} on {}", name(*x), name(*y));
            Some(match choice {
                KernelChoice::Auto => format!("libtorch's choice ({each})"),
                KernelChoice::Native | KernelChoice::Onednn => {
                    format!("different kernels ({each})")
                }
            })
        }
        _ => Some("mixed kernels (see runs.csv)".to_string()),
    }
}

/// Seconds as a duration in words: `45 s`, `13 min`, `2 h 5 min`.
fn duration(secs: f64) -> String {
    if secs < 90.0 {
        format!("{:.0} s", secs.max(1.0))
    } else if secs < 90.0 * 60.0 {
        format!("{:.0} min", secs / 60.0)
    } else {
        let m = (secs / 60.0).round() as u64;
        format!("{} h {} min", m / 60, m % 60)
    }
}

/// The closing line: the most seeds any undecided line needs, the time at
/// this run's pace, and a command that runs them: `compare --resume` adding
/// the missing seeds to this run where it can ([`AnswerInputs::resume`]),
/// else a new run of them all, which the line says.
fn next_step(
    lines: &[AnswerLine],
    pair: &PairSummary,
    s: &Summary,
    inputs: &AnswerInputs,
) -> Option<NextStep> {
    let undecided = || lines.iter().filter(|l| l.decision.wants_seeds());
    let seeds = undecided()
        .filter_map(|l| match l.need {
            Some(Need::Seeds(n)) => Some(n),
            _ => None,
        })
        .max()?
        .max(MIN_SEEDS_FOR_TEST);
    let auto = undecided().any(|l| l.criterion == "Accuracy");
    let more = seeds.saturating_sub(pair.n_pairs);
    // A resume asks for seeds in all, counting the planned seeds that did
    // not pair (a failed run): `more` of them are new.
    let (asked, to_run, how) = match inputs.resume {
        Some(_) => (
            s.planned_seeds.len() + more,
            more,
            ", added to this run".to_string(),
        ),
        None => (seeds, seeds, format!(", in a new run of all {seeds}")),
    };
    let secs_per_run = s
        .harness
        .as_ref()
        .filter(|h| h.runs > 0)
        .map(|h| h.wall_secs / h.runs as f64);
    let models = s.models.len();
    let secs = secs_per_run.map(|r| r * (to_run * models) as f64);
    let precision = inputs.precision_points;
    // Flags of safe characters only: they need no quoting.
    let mut flags = match auto {
        true => {
            let max = asked.max(AutoSeeds::FIRST_SEEDS as usize);
            format!("--seeds auto --max-seeds {max}")
        }
        false => format!("--seeds {asked}"),
    };
    if auto && precision != AutoSeeds::DEFAULT_PRECISION_POINTS {
        flags.push_str(&format!(" --precision {precision}"));
    }
    let command = match inputs.resume {
        Some(dir) => format!("scripts/compare --resume {} {flags}", shell_quote(dir)),
        None => command(inputs.command_line, &flags),
    };
    let time = secs.zip(secs_per_run).map_or(String::new(), |(t, r)| {
        format!(
            ", about {} at this run's {r:.1} s per run × {models} models",
            duration(t)
        )
    });
    let mut text = format!("To decide: ≈{seeds} seeds ({more} more than here){time}{how}");
    if auto {
        text.push_str(&format!(
            "; --seeds auto stops sooner once the accuracy interval is ±{} points",
            points(precision)
        ));
    }
    text.push(':');
    Some(NextStep {
        seeds,
        more,
        secs_per_run,
        secs,
        auto,
        command,
        text,
    })
}

/// Flags of `compare` that the next step sets itself (each with a value).
const REPLACED_FLAGS: [&str; 6] = [
    "--seeds",
    "--seed-list",
    "--max-seeds",
    "--precision",
    "--run-id",
    "--resume",
];

/// `scripts/compare` with `flags` (safe words, left unquoted) first, then
/// the run's own options (`line` less its program and the
/// [`REPLACED_FLAGS`]), quoted for a POSIX shell. A run without a command
/// line (a merged one) gets a placeholder for its options.
fn command(line: &[String], flags: &str) -> String {
    let mut words = vec![format!("scripts/compare {flags}")];
    if line.is_empty() {
        words.push("<this run's options>".into());
        return words.join(" ");
    }
    let mut args = line.iter().skip(1);
    while let Some(arg) = args.next() {
        if REPLACED_FLAGS.contains(&arg.as_str()) {
            args.next();
        } else if !REPLACED_FLAGS
            .iter()
            .any(|f| arg.starts_with(&format!("{f}=")))
        {
            words.push(shell_quote(arg));
        }
    }
    words.join(" ")
}

/// `word` as a POSIX shell reads it back: bare when it is made of safe
/// characters, else in single quotes.
fn shell_quote(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./,:=@%+".contains(c));
    if safe {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::summary::tests::run;
    use crate::analysis::summary::{HarnessTime, ModelSeed, TimingTrust, summarize};

    const LSTM_GRU: [Cell; 2] = [Cell::Lstm, Cell::Gru];

    fn inputs<'a>(
        summary: &'a Summary,
        kernels: &'a [(Cell, Kernel)],
        command_line: &'a [String],
    ) -> AnswerInputs<'a> {
        AnswerInputs {
            summary,
            kernels,
            // compare's default on the CPU.
            kernel_choice: KernelChoice::Onednn,
            command_line,
            resume: None,
            precision_points: AutoSeeds::DEFAULT_PRECISION_POINTS,
            series: false,
        }
    }

    fn line<'a>(a: &'a Answer, criterion: &str) -> &'a AnswerLine {
        a.lines
            .iter()
            .find(|l| l.criterion.starts_with(criterion))
            .unwrap_or_else(|| panic!("no {criterion} line in {a:?}"))
    }

    const FUSED: [(Cell, Kernel); 2] = [
        (Cell::Lstm, Kernel::OnednnFused),
        (Cell::Gru, Kernel::OnednnFused),
    ];

    #[test]
    fn decided_lines_name_the_winner_the_margin_its_interval_and_the_kernel() {
        // GRU 5 points more accurate on every seed (±0.5), LSTM twice as slow.
        let runs = vec![
            run("lstm", 1, 0.80, 2.0, 1000),
            run("gru", 1, 0.85, 1.0, 1000),
            run("lstm", 2, 0.81, 2.2, 1000),
            run("gru", 2, 0.855, 1.1, 1000),
            run("lstm", 3, 0.80, 2.1, 1000),
            run("gru", 3, 0.845, 1.0, 1000),
        ];
        let s = summarize(&runs, &LSTM_GRU);
        let a = answer(&inputs(&s, &FUSED, &[])).unwrap();
        assert_eq!(a.title, "LSTM vs GRU, 3 seeds paired");
        let acc = line(&a, "Accuracy");
        assert_eq!(acc.decision, Said::Decided);
        assert!(
            acc.text
                .starts_with("GRU more accurate than LSTM by 4.67 points ["),
            "{}",
            acc.text
        );
        let speed = line(&a, "Training time per epoch");
        assert_eq!(speed.decision, Said::Decided);
        assert!(
            speed.text.starts_with("GRU faster: LSTM takes 2.0")
                && speed.text.contains("× as long ["),
            "{}",
            speed.text
        );
        assert!(
            speed.text.ends_with("] on the fused oneDNN cells"),
            "{}",
            speed.text
        );
        // The same memory on every seed: an interval of zero width.
        let mem = line(&a, "Peak memory (RSS)");
        assert_eq!(mem.decision, Said::NoDifference, "{}", mem.text);
        assert!(mem.text.contains("already within ±5%"), "{}", mem.text);
        assert_eq!(line(&a, "Latency").decision, Said::NotMeasured);
        // Nothing undecided: no next step.
        assert_eq!(a.next, None);
        let text = a.text();
        assert!(
            text.starts_with(
                "The answer: LSTM vs GRU, 3 seeds paired\n  Accuracy: GRU more accurate"
            ),
            "{text}"
        );
    }

    /// The seeds-needed estimate against a hand computation. Paired
    /// accuracy differences LSTM − GRU of −2, 0 and +2 points: mean 0, sd
    /// 2 points; with 3 seeds the 95% CI is ±t(0.975, 2) · 2 / √3 =
    /// ±4.303 · 2 / 1.732 = ±4.97 points, not decided. For ±1 point (the
    /// --precision default): n = 17 gives t(0.975, 16) · 2 / √17 = 2.1199 ·
    /// 2 / 4.1231 = 1.028 > 1; n = 18 gives 2.1098 · 2 / 4.2426 = 0.9946 ≤
    /// 1: 18 seeds, 15 more. At 10 s per run (60 s of workers over 6 runs),
    /// 18 seeds × 2 models × 10 s = 360 s = 6 min.
    #[test]
    fn an_undecided_line_says_how_many_seeds_how_long_and_the_command() {
        let runs = vec![
            run("lstm", 1, 0.80, 2.0, 1000),
            run("gru", 1, 0.82, 2.0, 1000),
            run("lstm", 2, 0.80, 2.0, 1000),
            run("gru", 2, 0.80, 2.0, 1000),
            run("lstm", 3, 0.82, 2.0, 1000),
            run("gru", 3, 0.80, 2.0, 1000),
        ];
        let mut s = summarize(&runs, &LSTM_GRU);
        let sd = s.pairs[0]
            .diff(&metrics::TEST_ACC)
            .unwrap()
            .sd_diff
            .unwrap();
        assert!((sd - 0.02).abs() < 1e-12, "{sd}");
        s.harness = Some(HarnessTime {
            runs: 6,
            wall_secs: 60.0,
            train_secs: 50.0,
            eval_secs: 2.0,
            data_secs: 1.0,
            finish_secs: 4.0,
            process_secs: 3.0,
            training_share: 50.0 / 60.0,
        });
        let command_line: Vec<String> = [
            "/home/u/rnnbench/target/release/compare",
            "--seeds",
            "3",
            "--train",
            "my data/train.csv",
            "--run-id=first",
            "--epochs",
            "6",
        ]
        .map(String::from)
        .to_vec();
        let a = answer(&inputs(&s, &FUSED, &command_line)).unwrap();
        let acc = line(&a, "Accuracy");
        assert_eq!(acc.decision, Said::Undecided);
        assert_eq!(acc.need, Some(Need::Seeds(18)));
        assert_eq!(
            acc.text,
            "undecided: LSTM − GRU = +0.00 points [-4.97, +4.97]; ≈18 seeds would narrow it to ±1.0 points"
        );
        let next = a.next.as_ref().unwrap();
        assert_eq!((next.seeds, next.more, next.auto), (18, 15, true));
        assert_eq!(next.secs, Some(360.0));
        assert!(next.text.starts_with("To decide: ≈18 seeds (15 more than here), about 6 min at this run's 10.0 s per run × 2 models, in a new run of all 18; --seeds auto stops sooner once the accuracy interval is ±1.0 points:"), "{}", next.text);
        assert_eq!(
            next.command,
            "scripts/compare --seeds auto --max-seeds 18 --train 'my data/train.csv' --epochs 6"
        );
        assert!(
            a.text()
                .contains("\n    scripts/compare --seeds auto --max-seeds 18 "),
            "{}",
            a.text()
        );

        // Issue 35 finding 10: a run that `compare --resume` can add seeds
        // to gets that command, which runs only the 15 missing seeds:
        // 15 seeds × 2 models × 10 s = 300 s.
        let resumed = answer(&AnswerInputs {
            resume: Some("results/first run"),
            ..inputs(&s, &FUSED, &command_line)
        })
        .unwrap();
        let next = resumed.next.unwrap();
        assert_eq!(
            next.command,
            "scripts/compare --resume 'results/first run' --seeds auto --max-seeds 18"
        );
        assert_eq!((next.seeds, next.more, next.secs), (18, 15, Some(300.0)));
        assert!(next.text.starts_with("To decide: ≈18 seeds (15 more than here), about 5 min at this run's 10.0 s per run × 2 models, added to this run; --seeds auto stops sooner"), "{}", next.text);
    }

    /// GRU more accurate on every seed; seconds per epoch LSTM / GRU 1.2,
    /// 0.9 and 1.0: not decided.
    fn accuracy_decided_speed_not() -> Vec<crate::results::RunRecord> {
        vec![
            run("lstm", 1, 0.80, 1.2, 1000),
            run("gru", 1, 0.85, 1.0, 1000),
            run("lstm", 2, 0.81, 0.9, 1000),
            run("gru", 2, 0.855, 1.0, 1000),
            run("lstm", 3, 0.80, 1.0, 1000),
            run("gru", 3, 0.845, 1.0, 1000),
        ]
    }

    #[test]
    fn only_a_ratio_undecided_asks_for_a_fixed_number_of_seeds() {
        let runs = accuracy_decided_speed_not();
        let s = summarize(&runs, &LSTM_GRU);
        let mixed = [(Cell::Lstm, Kernel::Onednn), (Cell::Gru, Kernel::Native)];
        let a = answer(&AnswerInputs {
            kernel_choice: KernelChoice::Auto,
            ..inputs(&s, &mixed, &[])
        })
        .unwrap();
        let speed = line(&a, "Training time per epoch");
        assert_eq!(speed.decision, Said::Undecided, "{}", speed.text);
        assert!(
            speed.text.starts_with("undecided: LSTM / GRU = 1.03× ["),
            "{}",
            speed.text
        );
        assert!(
            speed
                .text
                .contains("] on libtorch's choice (LSTM on oneDNN, GRU on native); ≈"),
            "{}",
            speed.text
        );
        // The log ratios' sd, from the interval, gives the seeds.
        let r = *s.pairs[0].ratio(&metrics::SECS_PER_EPOCH).unwrap();
        let logs: Vec<f64> = [1.2f64, 0.9, 1.0].iter().map(|x| x.ln()).collect();
        let sd = crate::analysis::stats::sample_sd(&logs).unwrap();
        assert!((log_sd(&r).unwrap() - sd).abs() < 1e-9);
        let want = seeds_for_half_width(sd, RATIO_PRECISION.ln()).unwrap();
        assert_eq!(speed.need, Some(Need::Seeds(want)));
        let next = a.next.unwrap();
        assert!(!next.auto);
        // A merged run has no command line of its own; no harness, no time.
        assert_eq!(
            next.command,
            format!("scripts/compare --seeds {want} <this run's options>")
        );
        assert_eq!(next.secs, None);
        assert!(
            next.text.starts_with(&format!(
                "To decide: ≈{want} seeds ({} more than here), in a new run of all {want}:",
                want - 3
            )),
            "{}",
            next.text
        );
    }

    /// Issue 35 finding 7: a recurrent cell on the default fused kernel
    /// paired with the Transformer (attention) ran on two kernels that
    /// `--kernel onednn` set, not on libtorch's choice, which is `--kernel
    /// auto`'s alone.
    #[test]
    fn two_kernels_are_libtorchs_choice_only_under_kernel_auto() {
        let lstm_transformer = [Cell::Lstm, Cell::Transformer];
        let runs: Vec<_> = accuracy_decided_speed_not()
            .into_iter()
            .map(|mut r| {
                if r.model == Cell::Gru {
                    r.model = Cell::Transformer;
                }
                r
            })
            .collect();
        let s = summarize(&runs, &lstm_transformer);
        let kernels = [
            (Cell::Lstm, Kernel::OnednnFused),
            (Cell::Transformer, Kernel::Sdpa),
        ];
        let each = "(LSTM on fused oneDNN, Transformer on attention (sdpa))";
        let a = answer(&inputs(&s, &kernels, &[])).unwrap();
        let speed = &line(&a, "Training time per epoch").text;
        assert!(
            speed.contains(&format!("] on different kernels {each}")),
            "{speed}"
        );
        for l in &a.lines {
            assert!(!l.criterion.contains("choice"), "{}", l.criterion);
            assert!(!l.text.contains("libtorch's choice"), "{}", l.text);
        }
        for (choice, phrase) in [
            (KernelChoice::Onednn, format!("different kernels {each}")),
            (KernelChoice::Native, format!("different kernels {each}")),
            (KernelChoice::Auto, format!("libtorch's choice {each}")),
        ] {
            assert_eq!(
                kernel_phrase(Cell::Lstm, Cell::Transformer, &kernels, choice),
                Some(phrase)
            );
        }
    }

    #[test]
    fn disturbed_timings_ask_to_measure_again_not_for_seeds() {
        // The case above, but LSTM seed 2's timing was disturbed.
        let runs = accuracy_decided_speed_not();
        let mut s = summarize(&runs, &LSTM_GRU);
        let quiet = answer(&inputs(&s, &FUSED, &[])).unwrap();
        assert!(line(&quiet, "Training time").need.is_some());
        s.timing = Some(TimingTrust {
            epochs: 18,
            disturbed_epochs: 3,
            disturbed_runs: vec![ModelSeed {
                model: Cell::Lstm,
                seed: 2,
            }],
            remeasured_runs: vec![],
            reruns: 0,
            replaced_disturbed_epochs: 0,
        });
        let a = answer(&inputs(&s, &FUSED, &[])).unwrap();
        let speed = line(&a, "Training time per epoch");
        assert_eq!(speed.decision, Said::Undecided);
        assert_eq!(speed.need, None, "{}", speed.text);
        assert!(
            speed.text.starts_with("undecided: LSTM / GRU = 1.03× [")
                && speed.text.ends_with(
                    "] on the fused oneDNN cells; rests on disturbed timings (see Timings): measure again on a quiet machine (--remeasure) before adding seeds"
                ),
            "{}",
            speed.text
        );
        assert!(!speed.text.contains("seeds would"), "{}", speed.text);
        // Nothing else undecided asks for seeds: no next step.
        assert_eq!(a.next, None);

        // A decided timing only says what it rests on.
        let mut l = line(&quiet, "Training time").clone();
        l.decision = Said::Decided;
        l.need = None;
        let text = l.text.clone();
        assert_eq!(
            on_disturbed_timings(l, Spread::Disturbed).text,
            format!("{text}; rests on disturbed timings (see Timings)")
        );
    }

    #[test]
    fn too_few_seeds_and_a_single_model() {
        let runs = vec![
            run("lstm", 1, 0.80, 1.2, 1000),
            run("gru", 1, 0.85, 1.0, 1000),
            run("lstm", 2, 0.81, 0.9, 1000),
            run("gru", 2, 0.855, 1.0, 1000),
        ];
        let s = summarize(&runs, &LSTM_GRU);
        let a = answer(&inputs(&s, &[], &[])).unwrap();
        let acc = line(&a, "Accuracy");
        assert_eq!(acc.text, "too few seeds (2; an interval needs 3)");
        assert_eq!(acc.need, Some(Need::Seeds(3)));
        // No kernel recorded: none named.
        assert!(!line(&a, "Training time").text.contains(" on "));
        assert_eq!(a.next.unwrap().seeds, 3);
        let one = summarize(&runs[..1], &[Cell::Lstm]);
        assert_eq!(answer(&inputs(&one, &[], &[])), None);
    }

    #[test]
    fn commands_are_quoted_and_durations_read() {
        assert_eq!(
            command(
                &[
                    "compare".into(),
                    "--seed-list".into(),
                    "1,2".into(),
                    "--text-col".into(),
                    "it's".into()
                ],
                "--seeds 5"
            ),
            r"scripts/compare --seeds 5 --text-col 'it'\''s'"
        );
        assert_eq!(duration(30.0), "30 s");
        assert_eq!(duration(392.0), "7 min");
        assert_eq!(duration(7500.0), "2 h 5 min");
    }
}
