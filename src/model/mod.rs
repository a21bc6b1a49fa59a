//! The models: a recurrent [`cell::Cell`] (LSTM, GRU or vanilla tanh RNN)
//! inside a sentiment [`classifier::Classifier`]
//! (`embedding -> cell -> last real hidden state -> dropout -> linear`), and the
//! closed-form parameter counts that match models of different cells
//! ([`budget`]).

pub mod budget;
pub mod cell;
pub mod classifier;

pub use budget::{ModelShape, hidden_for_budget};
pub use cell::Cell;
pub use classifier::Classifier;

#[cfg(test)]
mod tests;
