//! The tests that load the machine on purpose: busy processes beside a
//! comparison (`timing`: the disturbance is detected and reported;
//! `remeasure`: disturbed runs are measured again). They are their own test
//! binary so that nothing else runs beside them: `cargo test` runs one test
//! binary at a time, and within this one [`hog::one_at_a_time`] keeps two
//! hogs from overlapping.

// The integration tests' helpers; this binary uses some of them.
#[allow(dead_code)]
#[path = "../it/common.rs"]
mod common;
mod hog;
mod remeasure;
mod timing;
