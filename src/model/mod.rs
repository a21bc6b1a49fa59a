//! The models: a recurrent [`cell::Cell`] (LSTM, GRU or vanilla tanh RNN)
//! inside a sentiment [`classifier::Classifier`]
//! (`embedding -> cell -> last real hidden state -> dropout -> linear`), the
//! closed-form parameter and FLOP counts that match models of different cells
//! ([`budget`]), and the names of the throughput benches' shapes
//! ([`bench_shape`]), shared by the benches and the bench report.

pub mod bench_shape;
pub mod budget;
pub mod cell;
pub mod classifier;
pub mod onednn;

pub use bench_shape::{
    BENCH_CLASSES, BENCH_CONDITIONS_FILE, BENCH_EMBED, BENCH_VOCAB, BatchingBench, BatchingMode,
    BenchCell, BenchCondition, BenchConditions, BenchGroup, BenchGroupId, BenchShape,
    MAX_DISTURBED_SHARE, MatmulBench, Measurement, RemeasureLedger,
};
pub use budget::{ModelShape, hidden_for_budget};
pub use cell::Cell;
pub use classifier::Classifier;

#[cfg(test)]
mod tests;
