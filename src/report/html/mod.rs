//! The report's HTML pages, rendered with minijinja from templates included
//! at compile time (`templates/`) and filled from `Serialize` contexts
//! ([`run::RunPage`], [`sweep::SweepPage`]). Pages are self-contained
//! (inline CSS, no scripts, no web fonts) and link their images by relative
//! path. Every value a template prints is escaped with [`escape`] unless the
//! template marks it `safe`. Never imports the plot layer.

pub mod run;
pub mod sweep;

use std::sync::OnceLock;

use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior, Value};
use serde::Serialize;

use crate::analysis::metrics;
use crate::analysis::summary::PairSummary;
use crate::error::{Error, Result};
use crate::model::Cell;
use crate::report::findings::short_verdict;
use crate::report::format::{ci_note, comparison_cell, mib, p_cell, pct, secs, thousands};
use crate::report::view::verdict::Comparison;
use crate::results::files;

/// The templates, by name.
const TEMPLATES: [(&str, &str); 4] = [
    ("base.html", include_str!("templates/base.html")),
    ("macros.html", include_str!("templates/macros.html")),
    ("run.html", include_str!("templates/run.html")),
    ("sweep.html", include_str!("templates/sweep.html")),
];

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

/// The environment with every template added. Values are escaped with
/// [`escape`] (minijinja's own escaper would also turn `/` in links into
/// `&#x2f;`); undefined variables are errors, so a template cannot silently
/// print nothing.
fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.add_global("ci_note", ci_note());
        env.set_auto_escape_callback(|_| AutoEscape::Html);
        env.set_formatter(|out, state, value| {
            if value.is_safe() || !matches!(state.auto_escape(), AutoEscape::Html) {
                return minijinja::escape_formatter(out, state, value);
            }
            let text = if value.is_none() {
                String::new()
            } else {
                value.to_string()
            };
            out.write_str(&escape(&text))
                .map_err(minijinja::Error::from)
        });
        // A model's swatch and name, from its key (`lstm`).
        let cell = |m: &str| {
            m.parse::<Cell>()
                .map_err(|e| minijinja::Error::new(ErrorKind::InvalidOperation, e))
        };
        env.add_filter("name", move |m: &str| cell(m).map(Cell::display_name));
        env.add_filter("colour", move |m: &str| cell(m).map(Cell::colour_css));
        // A number in its unit, `—` when not finite.
        for (name, f) in [
            ("pct", pct as fn(f64) -> String),
            ("secs", secs),
            ("mib", mib),
        ] {
            env.add_filter(
                name,
                move |x: f64| if x.is_finite() { f(x) } else { "—".into() },
            );
        }
        env.add_filter("thousands", thousands);
        // `x / per` with `places` decimals, `—` when absent or not finite.
        env.add_filter(
            "fixed",
            |x: Option<f64>, places: usize, per: Option<f64>| {
                x.filter(|x| x.is_finite()).map_or("—".into(), |x| {
                    format!("{:.places$}", x / per.unwrap_or(1.0))
                })
            },
        );
        for (name, source) in TEMPLATES {
            // The templates are part of the binary; the unit tests render each.
            env.add_template(name, source)
                .expect("the report's templates parse");
        }
        env
    })
}

/// Renders template `name` with `context`. A failure is a bug in a
/// template, reported with its name and line.
pub fn render<C: Serialize>(name: &str, context: &C) -> Result<String> {
    let fail = |e: String| Error::results(files::REPORT, format!("rendering the page failed: {e}"));
    let template = environment()
        .get_template(name)
        .map_err(|e| fail(format!("{e:#}")))?;
    template
        .render(Value::from(Serde(context)))
        .map_err(|e| fail(format!("template {name}: {e:#}")))
}

/// A chart on a page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    /// PNG file name, relative to the page.
    pub file: String,
    /// Alternative text.
    pub alt: String,
    /// Caption under the image.
    pub caption: String,
}

/// One pair's cells, as the run page's pairs table and the sweep page's
/// verdict table show them: the quality figure is accuracy `a − b`, or a
/// forecast's test MAE `a / b`.
#[derive(Debug, Clone, Serialize)]
struct PairCells {
    a: Cell,
    b: Cell,
    n: usize,
    diff: String,
    p: String,
    speed: String,
    memory: String,
    /// Accuracy and speed in the one vocabulary ([`short_verdict`]).
    verdict: String,
}

impl PairCells {
    fn of(pair: &PairSummary) -> PairCells {
        let v = |m| Comparison::of_pair(pair, &m);
        let quality = || v(metrics::TEST_ACC).or_else(|| v(metrics::TEST_MAE));
        PairCells {
            a: pair.a,
            b: pair.b,
            n: pair.n_pairs,
            diff: comparison_cell(quality()),
            p: p_cell(quality()),
            speed: comparison_cell(v(metrics::SECS_PER_EPOCH)),
            memory: comparison_cell(v(metrics::PEAK_RSS)),
            verdict: short_verdict(pair),
        }
    }
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
    fn templates_escape_with_our_escaper_and_refuse_undefined_values() {
        let env = environment();
        let t = env.template_from_str("{{ a }}|{{ b | safe }}").unwrap();
        let text = t
            .render(minijinja::context! { a => "<x> a/b 'q'", b => "<i>" })
            .unwrap();
        assert_eq!(text, "&lt;x&gt; a/b &#39;q&#39;|<i>");
        assert!(
            env.template_from_str("{{ missing }}")
                .unwrap()
                .render(())
                .is_err()
        );
    }
}
