//! The models: a recurrent [`cell::Cell`] (LSTM, GRU or vanilla tanh RNN)
//! or a Transformer encoder ([`transformer`]) inside a sentiment
//! [`classifier::Classifier`] (`embedding -> cell or encoder -> pooling over
//! the real tokens ([`pooling`]) -> dropout -> linear`), and the closed-form
//! parameter and FLOP counts that match models of different cells
//! ([`budget`]).

pub mod budget;
pub mod cell;
pub mod classifier;
pub mod onednn;
pub mod pooling;
pub mod transformer;

pub use budget::{ModelShape, TRANSFORMER_HEADS, hidden_for_budget};
pub use cell::Cell;
pub use classifier::Classifier;
pub use pooling::Pooling;

#[cfg(test)]
mod tests;
