//! The HTML page: self-contained (inline CSS, no scripts, no web fonts),
//! images by relative path. Every string that comes from a file is escaped
//! with [`escape`].

use serde_json::Value;

use super::findings::{format_p, pair_findings};
use crate::model::Cell;
use crate::probe::environment::Environment;
use crate::results::{EnvironmentFile, RunManifest, RunRecord, RunStatus};
use crate::stats::{Estimate, PairedDiff, Ratio};
use crate::summary::Summary;

const TEMPLATE: &str = include_str!("template.html");

/// Escapes `&`, `<`, `>`, `"` and `'` for HTML text and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A chart on the page.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// PNG file name, relative to the page.
    pub file: String,
    /// Alternative text.
    pub alt: String,
    /// Caption under the image.
    pub caption: String,
}

/// Everything the page shows.
#[derive(Debug, Clone)]
pub struct Page<'a> {
    /// The run's id (or the merged folder's name).
    pub run_id: String,
    /// Contents of `config.json`.
    pub config: &'a RunManifest,
    /// Contents of `environment.json` (`None` when absent).
    pub environment: Option<&'a EnvironmentFile>,
    /// The aggregates.
    pub summary: &'a Summary,
    /// Rows of `runs.csv`.
    pub runs: &'a [RunRecord],
    /// Charts, in page order.
    pub figures: &'a [Figure],
    /// Data files present in the folder, linked at the end.
    pub files: &'a [String],
    /// Notes shown in a banner at the top (duplicates, merge sources).
    pub warnings: &'a [String],
}

/// `1331000` as `1,331,000`.
pub(crate) fn thousands(n: i64) -> String {
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

pub(crate) fn pct(x: f64) -> String {
    format!("{:.2}", x * 100.0)
}

pub(crate) fn mib(x: f64) -> String {
    format!("{:.1}", x / (1024.0 * 1024.0))
}

pub(crate) fn secs(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

pub(crate) fn mean_sd(e: Option<Estimate>, f: fn(f64) -> String) -> String {
    match e {
        None => "—".into(),
        Some(e) => match e.sd {
            Some(sd) => format!("{} ± {}", f(e.mean), f(sd)),
            None => format!("{} (n = 1)", f(e.mean)),
        },
    }
}

pub(crate) fn ci(e: Option<Estimate>, f: fn(f64) -> String) -> String {
    match e.map(|e| e.ci()) {
        None => "—".into(),
        Some(Some((lo, hi))) => format!("{} – {}", f(lo), f(hi)),
        Some(None) => "undefined (n = 1)".into(),
    }
}

pub(crate) fn ratio_cell(r: Option<Ratio>) -> String {
    match r {
        None => "—".into(),
        Some(r) => match r.ci() {
            Some((lo, hi)) => format!("{:.3} [{:.3} – {:.3}]", r.ratio, lo, hi),
            None => format!("{:.3} [CI undefined, n = 1]", r.ratio),
        },
    }
}

pub(crate) fn diff_cell(d: Option<PairedDiff>) -> String {
    match d {
        None => "—".into(),
        Some(d) => match (d.ci_low, d.ci_high) {
            (Some(lo), Some(hi)) => format!(
                "{:+.2} [{:+.2} – {:+.2}]",
                d.mean_diff * 100.0,
                lo * 100.0,
                hi * 100.0
            ),
            _ => format!("{:+.2} [CI undefined, n = 1]", d.mean_diff * 100.0),
        },
    }
}

pub(crate) fn swatch(model: Cell) -> String {
    format!(
        "<span class=\"model\"><span class=\"swatch\" style=\"background:{}\"></span>{}</span>",
        model.colour_css(),
        escape(model.display_name())
    )
}

/// A JSON value as display text: strings bare, everything else as compact JSON.
pub(crate) fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".into(),
        other => other.to_string(),
    }
}

/// Flattens nested objects into `a.b.c` keys (arrays of scalars stay whole).
fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        other => out.push((prefix.to_string(), value_text(other))),
    }
}

fn kv_table(v: &Value, skip: &[&str]) -> String {
    let mut rows = Vec::new();
    flatten("", v, &mut rows);
    if rows.is_empty() || matches!(v, Value::Null) {
        return "<p class=\"note\">Not recorded.</p>\n".into();
    }
    let mut s = String::from("<table>\n<tr><th>key</th><th>value</th></tr>\n");
    for (k, val) in rows.iter().filter(|(k, _)| !skip.contains(&k.as_str())) {
        s.push_str(&format!(
            "<tr><td>{}</td><td class=\"val\">{}</td></tr>\n",
            escape(k),
            escape(val)
        ));
    }
    s.push_str("</table>\n");
    s
}

fn headline(p: &Page) -> String {
    let sum = p.summary;
    let has = |m: Cell| sum.models.contains(&m);
    let title = if has(Cell::Lstm) && has(Cell::Gru) {
        "LSTM vs GRU".to_string()
    } else {
        "Models compared".to_string()
    };
    let gpu = sum.per_model.iter().any(|m| m.gpu_peak_bytes.is_some());
    let mut s = format!("<h2 id=\"headline\">{}</h2>\n", escape(&title));
    s.push_str("<table class=\"headline\">\n<tr><th>model</th><th>seeds ok</th><th>test accuracy (%)<br>mean ± sd</th><th>95% CI</th><th>seconds per epoch<br>mean ± sd</th><th>95% CI</th><th>parameters</th><th>hidden size</th><th>gate blocks</th><th>peak RSS (MiB)<br>mean ± sd</th><th>95% CI</th>");
    if gpu {
        s.push_str("<th>peak GPU memory (MiB)<br>mean ± sd</th>");
    }
    s.push_str("</tr>\n");
    for m in &sum.per_model {
        s.push_str(&format!(
            "<tr class=\"model-row\"><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>",
            swatch(m.model),
            m.seeds,
            mean_sd(m.test_acc, pct),
            ci(m.test_acc, pct),
            mean_sd(m.secs_per_epoch, secs),
            ci(m.secs_per_epoch, secs),
            m.params.map(thousands).unwrap_or_else(|| "—".into()),
            m.hidden_size.map(|p| p.to_string()).unwrap_or_else(|| "—".into()),
            m.gates.map(|p| p.to_string()).unwrap_or_else(|| "—".into()),
            mean_sd(m.peak_rss_bytes, mib),
            ci(m.peak_rss_bytes, mib),
        ));
        if gpu {
            s.push_str(&format!(
                "<td class=\"num\">{}</td>",
                mean_sd(m.gpu_peak_bytes, mib)
            ));
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</table>\n");
    if !sum.pairs.is_empty() {
        s.push_str("<ul class=\"findings\">\n");
        for pair in &sum.pairs {
            s.push_str(&format!(
                "<li><strong>{} vs {}</strong><ul>\n",
                escape(pair.a.display_name()),
                escape(pair.b.display_name())
            ));
            for f in pair_findings(pair, sum) {
                s.push_str(&format!("<li>{}</li>\n", escape(&f)));
            }
            s.push_str("</ul></li>\n");
        }
        s.push_str("</ul>\n");
    }
    if !sum.pairs.is_empty() {
        s.push_str("<h3>Paired comparisons (by seed)</h3>\n<table>\n<tr><th>pair a vs b</th><th>paired seeds</th><th>test accuracy a − b (points) [95% CI]</th><th>paired t-test</th><th>seconds per epoch a / b [95% CI]</th><th>peak RSS a / b [95% CI]</th></tr>\n");
        for pair in &sum.pairs {
            s.push_str(&format!(
                "<tr><td>{} vs {}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
                swatch(pair.a),
                swatch(pair.b),
                pair.n_pairs,
                diff_cell(pair.test_acc_diff),
                pair.test_acc_diff.and_then(|d| d.p_value).map(format_p).unwrap_or_else(|| "—".into()),
                ratio_cell(pair.speed_ratio),
                ratio_cell(pair.memory_ratio),
            ));
        }
        s.push_str("</table>\n");
    }
    s.push_str("<p class=\"note\">Only runs that ended <code>ok</code> are counted. 95% CIs of a mean use Student's t with n − 1 degrees of freedom (undefined with one seed). Accuracy differences are paired by seed, with a two-sided paired t-test. Ratios are geometric means of the per-seed ratios, with a t interval on the log ratio, exponentiated. Peak RSS is the whole process's resident memory.</p>\n");
    s
}

fn dataset_section(config: &Value) -> String {
    let d = &config["dataset"];
    let mut s = String::from("<h2 id=\"dataset\">Dataset</h2>\n");
    if d.is_null() {
        s.push_str("<p class=\"note\">Not recorded.</p>\n");
        return s;
    }
    s.push_str("<table>\n");
    for key in [
        "name",
        "train_examples",
        "test_examples",
        "classes",
        "train_class_counts",
        "test_class_counts",
    ] {
        s.push_str(&format!(
            "<tr><th>{}</th><td class=\"val\">{}</td></tr>\n",
            escape(key),
            escape(&value_text(&d[key]))
        ));
    }
    s.push_str("</table>\n");
    if let Some(files) = d["files"].as_array() {
        s.push_str("<table>\n<tr><th>file</th><th>bytes</th><th>sha256</th></tr>\n");
        for f in files {
            s.push_str(&format!(
                "<tr><td class=\"val\">{}</td><td class=\"num\">{}</td><td class=\"hash\">{}</td></tr>\n",
                escape(&value_text(&f["path"])),
                escape(&value_text(&f["bytes"])),
                escape(&value_text(&f["sha256"]))
            ));
        }
        s.push_str("</table>\n");
    }
    s
}

fn status_text(s: RunStatus) -> &'static str {
    match s {
        RunStatus::Ok => "ok",
        RunStatus::Diverged => "diverged",
        RunStatus::Interrupted => "interrupted",
        RunStatus::Failed => "failed",
    }
}

fn runs_section(p: &Page) -> String {
    let mut s = String::from(
        "<h2 id=\"runs\">Runs</h2>\n<table>\n<tr><th>model</th><th>seed</th><th>status</th><th>hidden</th><th>parameters</th><th>epochs run</th><th>best epoch</th><th>best val. acc. (%)</th><th>test acc. (%)</th><th>test macro-F1</th><th>s / epoch</th><th>peak RSS (MiB)</th><th>message</th></tr>\n",
    );
    let order = |m: Cell| {
        p.summary
            .models
            .iter()
            .position(|&x| x == m)
            .unwrap_or(usize::MAX)
    };
    let mut runs: Vec<&RunRecord> = p.runs.iter().collect();
    runs.sort_by_key(|r| (order(r.model), r.model.name(), r.seed));
    let num = |x: f64, f: fn(f64) -> String| if x.is_finite() { f(x) } else { "—".into() };
    for r in runs {
        let class = if r.status == RunStatus::Ok {
            ""
        } else {
            " class=\"bad\""
        };
        s.push_str(&format!(
            "<tr{class}><td>{}</td><td class=\"num\">{}</td><td class=\"status\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
            swatch(r.model),
            r.seed,
            status_text(r.status),
            r.hidden_size,
            thousands(r.params),
            r.epochs_run,
            r.best_epoch,
            num(r.best_val_acc, pct),
            num(r.test_acc, pct),
            num(r.test_macro_f1, |x| format!("{x:.3}")),
            num(r.secs_per_epoch, secs),
            mib(r.peak_rss_bytes as f64),
            escape(&r.message),
        ));
    }
    for cell in p.summary.missing.iter().filter(|c| {
        !p.runs
            .iter()
            .any(|r| r.model == c.model && r.seed == c.seed)
    }) {
        s.push_str(&format!(
            "<tr class=\"bad\"><td>{}</td><td class=\"num\">{}</td><td class=\"status\">missing</td><td colspan=\"10\">no row in runs.csv (not run, or stopped before it finished)</td></tr>\n",
            swatch(cell.model),
            cell.seed
        ));
    }
    s.push_str("</table>\n");
    s
}

/// Renders the whole page.
pub fn render_page(p: &Page) -> String {
    let sum = p.summary;
    let dataset = p.config.dataset.name.clone();
    let mut b = format!(
        "<h1>rnnbench report: {}</h1>\n<p class=\"sub\">dataset <strong>{}</strong> · models {} · seeds {}</p>\n",
        escape(&p.run_id),
        escape(&dataset),
        escape(
            &sum.models
                .iter()
                .map(|m| m.display_name())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        escape(
            &sum.planned_seeds
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    // Which cell is faster depends on the device, the threads and the kernel
    // path (libtorch's CPU LSTM uses oneDNN, its GRU does not): say it where
    // the verdict is read.
    if let Some(machine) = machine_line(p.environment.and_then(EnvironmentFile::first)) {
        b.push_str(&format!(
            "<p class=\"sub\">measured on {}</p>\n",
            escape(&machine)
        ));
    }
    if !sum.complete {
        let planned = sum.models.len() * sum.planned_seeds.len();
        let missing: Vec<String> = sum
            .missing
            .iter()
            .map(|c| format!("{} seed {}", c.model.display_name(), c.seed))
            .collect();
        b.push_str(&format!(
            "<div class=\"banner incomplete\" id=\"incomplete\"><strong>Incomplete run.</strong> {} of {} planned runs (models × seeds) finished ok; without an ok run: {}. The figures and statistics below use what is there.</div>\n",
            sum.runs_ok,
            planned,
            escape(&missing.join(", "))
        ));
    }
    if !p.warnings.is_empty() {
        b.push_str("<div class=\"banner\"><strong>Notes.</strong><ul>\n");
        for w in p.warnings {
            b.push_str(&format!("<li>{}</li>\n", escape(w)));
        }
        b.push_str("</ul></div>\n");
    }
    b.push_str(&headline(p));
    b.push_str("<h2 id=\"charts\">Charts</h2>\n");
    for f in p.figures {
        b.push_str(&format!(
            "<figure><img src=\"{}\" alt=\"{}\"><figcaption>{}</figcaption></figure>\n",
            escape(&f.file),
            escape(&f.alt),
            escape(&f.caption)
        ));
    }
    b.push_str("<h2 id=\"config\">Configuration</h2>\n");
    let command = (!p.config.command_line.is_empty()).then(|| p.config.command_line.join(" "));
    if let Some(cmd) = command {
        b.push_str(&format!(
            "<p>Command line: <code>{}</code></p>\n",
            escape(&cmd)
        ));
    }
    // The typed manifests shown as generic key/value tables.
    let config = serde_json::to_value(p.config).unwrap_or(Value::Null);
    let environment = serde_json::to_value(p.environment).unwrap_or(Value::Null);
    b.push_str(&kv_table(&config["config"], &[]));
    b.push_str(&dataset_section(&config));
    b.push_str("<h2 id=\"environment\">Environment</h2>\n");
    b.push_str(&kv_table(&environment, &[]));
    b.push_str(&runs_section(p));
    b.push_str("<h2 id=\"files\">Files</h2>\n<ul>\n");
    for f in p.files {
        b.push_str(&format!("<li><a href=\"{0}\">{0}</a></li>\n", escape(f)));
    }
    b.push_str("</ul>\n");
    wrap_page(&format!("rnnbench report: {}", p.run_id), &b)
}

/// The page template (inline CSS) around `body` (HTML), titled `title` (text).
pub(crate) fn wrap_page(title: &str, body: &str) -> String {
    // Split first, so that text from files can never be taken for a placeholder.
    let (head, tail) = TEMPLATE.split_once("{{body}}").unwrap_or((TEMPLATE, ""));
    let head = head.replace("{{title}}", &escape(title));
    format!("{head}{body}{tail}")
}

/// The "measured on …" line of a report: device, CPU model, threads and the
/// CPU LSTM kernel, from `environment.json`; `None` without one.
pub(crate) fn machine_line(env: Option<&Environment>) -> Option<String> {
    let env = env?;
    let device = env.device.as_str();
    let mut machine = if device.starts_with("cuda") {
        let gpu = env
            .gpu
            .as_ref()
            .map(|g| g.name.as_str())
            .unwrap_or_default();
        format!("{} ({})", device, if gpu.is_empty() { "GPU" } else { gpu })
    } else {
        format!("CPU {} · {} threads", env.cpu_model, env.threads)
    };
    if !device.starts_with("cuda") && env.cpu_lstm_kernel == "onednn" {
        machine.push_str(" · LSTM on oneDNN's kernel, GRU and RNN on libtorch's native one");
    }
    Some(machine)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn flattens_nested_objects() {
        let v = serde_json::json!({"a": {"b": 1, "c": [1, 2]}, "d": "x"});
        let mut rows = Vec::new();
        flatten("", &v, &mut rows);
        assert_eq!(
            rows,
            [
                ("a.b".into(), "1".into()),
                ("a.c".into(), "[1,2]".into()),
                ("d".into(), "x".into())
            ]
        );
    }
}
