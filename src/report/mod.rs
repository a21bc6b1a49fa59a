//! report (placeholder until written)
