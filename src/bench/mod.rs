//! What the throughput benches share with the bench report: the names of
//! their shapes and groups ([`shape`]), and the rules deciding whether a
//! measurement counts: the canary timed around each sample ([`canary`]),
//! the machine's conditions and the re-measurement ledger.

pub mod canary;
pub mod shape;

pub use shape::{
    BENCH_CLASSES, BENCH_CONDITIONS_FILE, BENCH_EMBED, BENCH_VOCAB, BatchingBench, BatchingMode,
    BenchCell, BenchCondition, BenchConditions, BenchGroup, BenchGroupId, BenchShape,
    MAX_DISTURBED_SHARE, MatmulBench, Measurement, RemeasureLedger,
};
