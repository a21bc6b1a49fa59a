//! The models: a recurrent [`cell::Cell`] (LSTM, GRU or vanilla tanh RNN)
//! or a Transformer encoder ([`transformer`]) inside a sentiment
//! [`classifier::Classifier`] (`embedding -> cell or encoder -> pooling over
//! the real tokens ([`pooling`]) -> dropout -> linear`), the closed-form
//! parameter and FLOP counts that match models of different cells
//! ([`budget`]), and the names of the throughput benches' shapes
//! ([`bench_shape`]), shared by the benches and the bench report.

pub mod bench_shape;
pub mod budget;
pub mod cell;
pub mod classifier;
pub mod onednn;
pub mod pooling;
pub mod transformer;

pub use bench_shape::{
    BENCH_CLASSES, BENCH_CONDITIONS_FILE, BENCH_EMBED, BENCH_VOCAB, BatchingBench, BatchingMode,
    BenchCell, BenchCondition, BenchConditions, BenchGroup, BenchGroupId, BenchShape,
    MAX_DISTURBED_SHARE, MatmulBench, Measurement, RemeasureLedger,
};
pub use budget::{ModelShape, TRANSFORMER_HEADS, hidden_for_budget};
pub use cell::Cell;
pub use classifier::Classifier;
pub use pooling::Pooling;

#[cfg(test)]
mod tests;
