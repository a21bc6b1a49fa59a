//! The report's pure view of what to show: no files, no drawing, no markup.
//!
//! - [`series`]: records → the series the run charts draw;
//! - [`verdict`]: the one rule for "distinguishable" and the [`verdict::Verdict`]
//!   of every comparison;
//! - [`sweep`]: a sweep's summary and the lines of its charts;
//! - [`claims`]: the document's claims, each with its evidence and verdict;
//! - [`memory_reach`]: how far each cell carries the memory task's key;
//! - [`length_scaling`]: time and memory against length, with fitted exponents;
//! - [`matching`]: whether models called matched by parameters are;
//! - [`pooling_effect`]: what pooling every state does for each cell;
//! - [`axis`]: where a swept option's values go on x;
//! - [`references`]: published results drawn for comparison.

pub mod axis;
pub mod claims;
pub mod length_scaling;
pub mod matching;
pub mod memory_reach;
pub mod point;
pub mod pooling_effect;
pub mod references;
pub mod series;
pub mod sweep;
pub mod verdict;
