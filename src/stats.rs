//! stats (placeholder until written)
