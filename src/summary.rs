//! summary (placeholder until written)
