//! What the throughput benches share with the bench report: the names of
//! their shapes and groups ([`shape`]), and the rules deciding whether a
//! measurement counts: the canary timed around each sample ([`canary`]),
//! the machine's conditions and the re-measurement ledger.

pub mod canary;
pub mod shape;

pub use shape::{
    BENCH_CLASSES, BENCH_CONDITIONS_FILE, BENCH_EMBED, BENCH_VOCAB, BatchingBench, BatchingMode,
    BenchCell, BenchCondition, BenchConditions, BenchGroup, BenchGroupId, BenchShape,
    MAX_DISTURBED_SHARE, MatmulBench, Measurement, RemeasureLedger, SERIES_BENCH_BATCH,
    SERIES_BENCH_CHANNELS, SERIES_BENCH_CLASSES, SERIES_BENCH_EMBED, SERIES_BENCH_LSTM_HIDDEN,
    SERIES_BENCH_SEQ, SeriesBench,
};
