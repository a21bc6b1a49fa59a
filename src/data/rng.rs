//! Seeded randomness that does not depend on `rand`'s version: ChaCha8 (whose
//! output stream is fixed by its specification) keyed by the seed, a purpose
//! and an epoch, and a Fisher–Yates shuffle written out here.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

/// What a random stream is for; each purpose gets an independent stream.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Purpose {
    /// The validation split.
    Split = 1,
    /// The order of training batches.
    Batches = 2,
    /// The random batches of the benches' epoch slice ([`super::epoch_slice`]).
    BenchSlice = 3,
    /// The training split of the memory task ([`super::memory`]).
    MemoryTrain = 4,
    /// The test split of the memory task.
    MemoryTest = 5,
    /// The test reviews whose inference latency is timed ([`super::sample_indices`]).
    LatencySample = 6,
}

/// The generator for `seed`, `purpose` and `epoch`.
pub(crate) fn rng(seed: u64, purpose: Purpose, epoch: u64) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&(purpose as u64).to_le_bytes());
    key[16..24].copy_from_slice(&epoch.to_le_bytes());
    ChaCha8Rng::from_seed(key)
}

/// A uniform integer in `0..n` (`n >= 1`), without modulo bias (Lemire).
pub(crate) fn below(rng: &mut ChaCha8Rng, n: u64) -> u64 {
    let mut m = u128::from(rng.next_u64()) * u128::from(n);
    if (m as u64) < n {
        let threshold = n.wrapping_neg() % n;
        while (m as u64) < threshold {
            m = u128::from(rng.next_u64()) * u128::from(n);
        }
    }
    (m >> 64) as u64
}

/// Shuffles `items` in place (Fisher–Yates).
pub(crate) fn shuffle<T>(rng: &mut ChaCha8Rng, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = below(rng, i as u64 + 1) as usize;
        items.swap(i, j);
    }
}
