//! The models: a recurrent [`cell::Cell`] (LSTM, GRU or vanilla tanh RNN)
//! or a Transformer encoder ([`transformer`]) inside a sentiment
//! [`classifier::Classifier`] (`embedding -> cell or encoder -> pooling over
//! the real tokens ([`pooling`]) -> dropout -> linear`), and the closed-form
//! parameter and FLOP counts that match models of different cells
//! ([`budget`]). A classifier is built with the kernel its recurrent layers
//! run on ([`kernel::RecurrentKernel`]) and says which ran ([`kernel::Kernel`]).

pub mod budget;
pub mod cell;
pub mod classifier;
pub mod kernel;
pub mod onednn;
pub mod pooling;
pub mod transformer;

pub use budget::{ModelShape, TRANSFORMER_HEADS, hidden_for_budget};
pub use cell::Cell;
pub use classifier::Classifier;
pub use kernel::{Kernel, RecurrentKernel};
pub use pooling::Pooling;

#[cfg(test)]
mod tests;
