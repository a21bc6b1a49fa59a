//! Published results the test-accuracy chart draws for comparison.

/// A horizontal reference on the test-accuracy chart: a line (`low == high`)
/// or a band, with its citation.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    /// Lower end (fraction).
    pub low: f64,
    /// Upper end (fraction); equal to `low` for a line.
    pub high: f64,
    /// Label drawn next to it, with the citation.
    pub label: String,
    /// Draw the label under the line instead of over it (for references
    /// close to another one).
    pub label_below: bool,
}

/// The references for a dataset: published IMDB test accuracies (FACTS.md,
/// Data section) for `imdb` and `imdb-mini`, none for others.
pub fn references_for(dataset: &str) -> Vec<Reference> {
    if !matches!(dataset, "imdb" | "imdb-mini") {
        return Vec::new();
    }
    vec![
        Reference {
            low: 0.88,
            high: 0.89,
            label: "bag-of-words 88–89% (Maas et al. 2011)".into(),
            label_below: false,
        },
        Reference {
            low: 0.865,
            high: 0.865,
            label: "LSTM from scratch 86.5% (Dai & Le 2015)".into(),
            label_below: false,
        },
        Reference {
            low: 0.862,
            high: 0.862,
            label: "2-layer BiLSTM + GloVe 86.2% (PyTorch tutorial)".into(),
            label_below: true,
        },
    ]
}
