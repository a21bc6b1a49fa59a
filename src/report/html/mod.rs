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
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};
use serde::Serialize;

use crate::model::Cell;

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
pub fn render<C: Serialize>(name: &str, context: &C) -> std::result::Result<String, String> {
    let env = environment();
    let template = env.get_template(name).map_err(|e| format!("{e:#}"))?;
    template
        .render(Value::from(Serde(context)))
        .map_err(|e| format!("template {name}: {e:#}"))
}

/// A model as the pages show it: name and colour swatch.
#[derive(Debug, Clone, Serialize)]
pub struct ModelTag {
    /// Display name (`LSTM`).
    pub name: &'static str,
    /// CSS colour of its swatch.
    pub colour: String,
}

impl From<Cell> for ModelTag {
    fn from(m: Cell) -> ModelTag {
        ModelTag {
            name: m.display_name(),
            colour: m.colour_css(),
        }
    }
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
