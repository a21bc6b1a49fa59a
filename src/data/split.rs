//! The validation split, carved from the training split.
//!
//! Stratified: each class gives `round(n_class * val_fraction)` of its
//! examples (at most `n_class - 1`, so every class stays in training), chosen
//! by a shuffle seeded with the run's seed alone, so every model of a run sees
//! the same split.

use super::rng::{Purpose, rng, shuffle};

/// Splits the examples whose class indices are `labels` (each `< n_classes`)
/// into `(train, val)` lists of example indices, both ascending and disjoint,
/// together covering every index once. The same arguments always give the
/// same split.
pub fn stratified_split(
    labels: &[usize],
    n_classes: usize,
    val_fraction: f64,
    seed: u64,
) -> (Vec<usize>, Vec<usize>) {
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); n_classes];
    for (i, &c) in labels.iter().enumerate() {
        if let Some(members) = by_class.get_mut(c) {
            members.push(i);
        }
    }
    let mut rng = rng(seed, Purpose::Split, 0);
    let mut is_val = vec![false; labels.len()];
    for members in &mut by_class {
        shuffle(&mut rng, members);
        let n = members.len();
        let n_val = ((n as f64 * val_fraction).round() as usize).min(n.saturating_sub(1));
        for &i in &members[..n_val] {
            is_val[i] = true;
        }
    }
    let (val, train): (Vec<usize>, Vec<usize>) = (0..labels.len()).partition(|&i| is_val[i]);
    (train, val)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Vec<usize> {
        // 600 of class 0, 300 of class 1, 100 of class 2, interleaved.
        (0..1000)
            .map(|i| {
                if i % 10 < 6 {
                    0
                } else if i % 10 < 9 {
                    1
                } else {
                    2
                }
            })
            .collect()
    }

    #[test]
    fn stratified_disjoint_and_complete() {
        let l = labels();
        let (train, val) = stratified_split(&l, 3, 0.1, 7);
        assert_eq!(val.len(), 100);
        let count = |idx: &[usize], c| idx.iter().filter(|&&i| l[i] == c).count();
        assert_eq!(
            [count(&val, 0), count(&val, 1), count(&val, 2)],
            [60, 30, 10]
        );
        let mut all: Vec<usize> = train.iter().chain(&val).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..1000).collect::<Vec<_>>());
        assert!(train.windows(2).all(|w| w[0] < w[1]));
        assert!(val.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn same_seed_same_split_other_seed_other_split() {
        let l = labels();
        assert_eq!(
            stratified_split(&l, 3, 0.2, 1),
            stratified_split(&l, 3, 0.2, 1)
        );
        assert_ne!(
            stratified_split(&l, 3, 0.2, 1).1,
            stratified_split(&l, 3, 0.2, 2).1
        );
    }

    #[test]
    fn every_class_keeps_a_training_example() {
        let (train, val) = stratified_split(&[0, 1], 2, 0.9, 3);
        assert_eq!((train, val), (vec![0, 1], vec![]));
        let (train, val) = stratified_split(&[0, 0, 1, 1], 2, 0.5, 3);
        assert_eq!((train.len(), val.len()), (2, 2));
    }
}
