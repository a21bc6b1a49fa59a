//! data (placeholder until written)
