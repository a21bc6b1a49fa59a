//! One grid point of a sweep as its `summary.json` holds it, read by the
//! sweep's model ([`super::sweep`]) and by the views over the grid
//! ([`super::length_scaling`]).

use serde::{Deserialize, Serialize};

use crate::analysis::summary::Summary;
use crate::model::Cell;
use crate::results::ModelSize;

/// One grid point in the sweep's `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointSummary {
    /// The point's id.
    pub id: String,
    /// (option key, value label) of each swept option.
    pub values: Vec<(String, String)>,
    /// The point's folder, relative to the sweep folder.
    pub dir: String,
    /// Jobs of the point in this folder's plan.
    pub jobs_planned: usize,
    /// Its aggregates; `None` when the folder holds none of its runs.
    pub summary: Option<Summary>,
    /// Hidden size and parameters each model got at this point (from its
    /// `config.json`); empty when the folder holds none of its runs.
    #[serde(default)]
    pub model_sizes: Vec<ModelSize>,
}

impl PointSummary {
    /// The label of this point's value of option `key`.
    pub fn value_of(&self, key: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The hidden size `model` got here.
    pub fn hidden_of(&self, model: Cell) -> Option<i64> {
        self.model_sizes
            .iter()
            .find(|s| s.model == model)
            .map(|s| s.hidden_size)
    }
}
