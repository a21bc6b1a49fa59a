//! Numbers as the report prints them: units, precision, intervals and
//! p-values, for the HTML page and the terminal alike. Plain text; the HTML
//! layer escapes it.

use super::view::verdict::{Comparison, MIN_SEEDS_FOR_TEST, shown_ci};
use crate::analysis::stats::Estimate;
use crate::probe::environment::Environment;
use crate::probe::kernel::Kernel;

/// `1331000` as `1,331,000`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// `Transformer 125,635, LSTM 75,792: 1.66×`.
pub fn unmatched_text(u: &super::view::matching::Unmatched) -> String {
    format!(
        "{} {}, {} {}: {:.2}×",
        u.larger.0.display_name(),
        thousands(u.larger.1),
        u.smaller.0.display_name(),
        thousands(u.smaller.1),
        u.ratio
    )
}

/// A fraction as a percentage with two decimals, without the sign: `0.8512` → `85.12`.
pub fn pct(x: f64) -> String {
    format!("{:.2}", x * 100.0)
}

/// Bytes as MiB with one decimal.
pub fn mib(x: f64) -> String {
    format!("{:.1}", x / (1024.0 * 1024.0))
}

/// Seconds with a precision that fits their size.
pub fn secs(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

/// A p-value: `p = 0.014`, `p < 0.001`.
pub fn format_p(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".into()
    } else {
        format!("p = {p:.3}")
    }
}

/// `mean ± sd` of an estimate (`mean (n = 1)` with one value, `—` without).
pub fn mean_sd(e: Option<Estimate>, f: fn(f64) -> String) -> String {
    match e {
        None => "—".into(),
        Some(e) => match e.sd {
            Some(sd) => format!("{} ± {}", f(e.mean), f(sd)),
            None => format!("{} (n = 1)", f(e.mean)),
        },
    }
}

/// The 95% CI of an estimate in the one notation, `[lo, hi]`; says so
/// when there are too few seeds for one, and marks (`*`) an interval cut to
/// its quantity's range (see [`ci_note`]).
pub fn ci(e: Option<Estimate>, f: fn(f64) -> String) -> String {
    match e {
        None => "—".into(),
        Some(e) => match shown_ci(&e) {
            Some(ci) => format!(
                "{}{}",
                super::say::span(ci, f),
                if e.ci_clipped { "*" } else { "" }
            ),
            None => super::say::too_few_seeds_short(e.n),
        },
    }
}

/// How the intervals of the report's estimates are computed, for the note
/// under a table.
pub fn ci_note() -> String {
    format!(
        "95% CIs of a mean use Student's t with n − 1 degrees of freedom and are given from {MIN_SEEDS_FOR_TEST} seeds on; fewer seeds say so instead. Seconds and memory are positive, so their CIs are computed on the log scale (an interval of the geometric mean); accuracies lie between 0 and 100%, so theirs are computed on the logit scale. A CI marked * could not be: a value sat on the edge of the range (an accuracy of exactly 100%, say), so the plain interval was cut to the range."
    )
}

/// A kernel's short name in a sentence: `fused oneDNN`, `native`,
/// `attention (sdpa)`.
pub fn kernel_name(k: Kernel) -> &'static str {
    match k {
        Kernel::OnednnFused => "fused oneDNN",
        Kernel::Cudnn => "cuDNN",
        Kernel::Native => "native",
        Kernel::Onednn => "oneDNN",
        Kernel::Sdpa => "attention (sdpa)",
    }
}

/// The kernels `m`'s runs recorded (`kernels`: one entry per (model,
/// kernel) seen), each once, by name.
pub fn kernels_of(kernels: &[(crate::model::Cell, Kernel)], m: crate::model::Cell) -> Vec<Kernel> {
    let mut of: Vec<Kernel> = kernels
        .iter()
        .filter(|(c, _)| *c == m)
        .map(|(_, k)| *k)
        .collect();
    of.sort_by_key(|k| k.name());
    of.dedup();
    of
}

/// A comparison with its CI in the one notation (`1.10× [1.01, 1.19]`,
/// `+0.50 points [-0.20, +1.20]`), or what is missing.
pub fn comparison_cell(c: Option<Comparison>) -> String {
    c.map_or("—".into(), |c| super::say::estimate_cell(&c))
}

/// The p-value of a comparison, when it has enough seeds for one.
pub fn p_cell(c: Option<Comparison>) -> String {
    match c {
        Some(c) if c.n >= MIN_SEEDS_FOR_TEST => {
            c.p_value.map(format_p).unwrap_or_else(|| "—".into())
        }
        Some(c) => super::say::too_few_seeds_short(c.n),
        None => "—".into(),
    }
}

/// An estimate's mean with its [`ci`], for the sweep tables: `85.12 [83.40,
/// 86.80]` (an accuracy in percent), `85.12, too few seeds (2)`.
pub fn mean_with_ci(e: Option<Estimate>, f: fn(f64) -> String) -> String {
    let Some(e) = e else { return "—".into() };
    let sep = if shown_ci(&e).is_some() { " " } else { ", " };
    format!("{}{sep}{}", f(e.mean), ci(Some(e), f))
}

/// The "measured on …" line of a report: device, CPU model, threads and the
/// CPU LSTM kernel, from `environment.json`, and the `workers` that ran at
/// once (`--jobs`, the most in any batch); `None` without `environment.json`.
pub fn machine_line(env: Option<&Environment>, workers: usize) -> Option<String> {
    let env = env?;
    let device = env.device.as_str();
    let mut machine = if device.starts_with("cuda") {
        let gpu = env.gpu.as_ref().map(|g| g.name.as_str());
        format!(
            "{device} ({})",
            gpu.filter(|g| !g.is_empty()).unwrap_or("GPU")
        )
    } else if workers > 1 {
        format!(
            "CPU {} · {workers} workers at once, {} each (each batch-1 latency measured while a sibling may still train)",
            env.cpu_model,
            super::say::count(env.threads as usize, "thread")
        )
    } else {
        format!("CPU {} · {} threads", env.cpu_model, env.threads)
    };
    if !device.starts_with("cuda") && env.cpu_lstm_kernel == "onednn" {
        machine.push_str(" · LSTM on oneDNN's kernel, GRU and RNN on libtorch's native one");
    }
    Some(machine)
}

/// Where the workers' time went, in one line for the terminal and the page:
/// `workers ran 131 s: training 123 s (93.9%), validation 2.10 s (1.6%), …,
/// process start and exit 1.30 s (1.0%) (6 runs)`.
pub fn harness_line(h: &crate::analysis::summary::HarnessTime) -> String {
    let parts = [
        ("training", h.train_secs),
        ("validation", h.eval_secs),
        ("data", h.data_secs),
        (
            "model, test pass, latency and gradient probe",
            h.finish_secs,
        ),
        ("process start and exit", h.process_secs),
    ];
    let parts = super::say::list(parts, ", ", |(what, x)| {
        format!("{what} {} s ({:.1}%)", secs(x), 100.0 * x / h.wall_secs)
    });
    format!(
        "workers ran {} s: {parts} ({} runs)",
        secs(h.wall_secs),
        h.runs
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::stats::Scale;

    #[test]
    fn thousands_and_units() {
        assert_eq!(thousands(1_331_000), "1,331,000");
        assert_eq!(thousands(-1000), "-1,000");
        assert_eq!(pct(0.8512), "85.12");
        assert_eq!(mib(1024.0 * 1024.0 * 1.5), "1.5");
        assert_eq!(
            (secs(123.4), secs(2.345), secs(0.1234)),
            ("123".into(), "2.35".into(), "0.123".into())
        );
        assert_eq!(format_p(0.0001), "p < 0.001");
    }

    #[test]
    fn an_interval_of_two_seeds_is_not_printed() {
        let e = Estimate::on_scale(&[0.55, 0.995], Scale::Logit);
        assert_eq!(ci(e, pct), "too few seeds (2)");
        assert_eq!(mean_with_ci(e, pct), "77.25, too few seeds (2)");
        let e = Estimate::on_scale(&[0.80, 0.82, 0.84], Scale::Logit);
        // On the logit scale, asymmetric: python3 -> 76.54 – 86.51 (linear:
        // 77.03 – 86.97).
        assert_eq!(ci(e, pct), "[76.54, 86.51]");
    }
}
