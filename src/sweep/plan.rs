//! Jobs and shards: a grid's (configuration, model, seed) jobs with stable
//! ids, and their deterministic split over `N` machines.

use crate::config::{Config, Grid};
use crate::error::{Error, Result};

pub use crate::results::jobs::{Job, Shard, ShardChoice, all_jobs};

/// The shard a scheduler's array index names, if any: Slurm's
/// `SLURM_ARRAY_TASK_ID` - `SLURM_ARRAY_TASK_MIN` + 1 of
/// `SLURM_ARRAY_TASK_COUNT` (a contiguous array), or a Kubernetes Indexed
/// Job's `JOB_COMPLETION_INDEX` + 1 of `RNNBENCH_SHARD_COUNT`. `env` reads a
/// variable (the process environment in `compare`).
pub fn shard_from_env(env: impl Fn(&str) -> Option<String>) -> Result<Option<ShardChoice>> {
    let number = |name: &str| -> Result<Option<i64>> {
        match env(name) {
            None => Ok(None),
            Some(v) => v.trim().parse::<i64>().map(Some).map_err(|_| {
                Error::config(
                    "--shard",
                    format!("environment variable {name}=`{v}` is not a number"),
                )
            }),
        }
    };
    let checked = |index: i64, count: i64, source: &str| -> Result<Option<ShardChoice>> {
        if count < 1 || index < 1 || index > count {
            return Err(Error::config(
                "--shard",
                format!(
                    "{source} gives shard {index} of {count}; the array must be contiguous (e.g. --array=1-{count}), or pass --shard I/N"
                ),
            ));
        }
        Ok(Some(ShardChoice {
            shard: Shard {
                index: index as usize,
                count: count as usize,
            },
            source: source.to_string(),
        }))
    };
    if let Some(id) = number("SLURM_ARRAY_TASK_ID")? {
        let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(id);
        let count = number("SLURM_ARRAY_TASK_COUNT")?.unwrap_or(1);
        return checked(
            id - min + 1,
            count,
            "SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_MIN/SLURM_ARRAY_TASK_COUNT",
        );
    }
    if let Some(index) = number("JOB_COMPLETION_INDEX")? {
        let Some(count) = number("RNNBENCH_SHARD_COUNT")? else {
            return Err(Error::config(
                "--shard",
                "JOB_COMPLETION_INDEX is set but RNNBENCH_SHARD_COUNT is not: set it to the Job's completions, or pass --shard I/N",
            ));
        };
        return checked(
            index + 1,
            count,
            "JOB_COMPLETION_INDEX/RNNBENCH_SHARD_COUNT",
        );
    }
    Ok(None)
}

/// Relative cost of one model's run at `config`: epochs x layers x
/// directions x tokens x the recurrent matrix sizes. Only ratios matter.
pub fn estimated_cost(config: &Config) -> f64 {
    let directions = if config.bidirectional { 2.0 } else { 1.0 };
    let h = config.hidden as f64;
    let e = config.embed as f64;
    let per_token = h * (e + h) + (config.layers as f64 - 1.0) * directions * h * (2.0 * h);
    config.epochs as f64 * directions * config.max_len as f64 * per_token
        / config.threads.max(1) as f64
}

/// The jobs of `shard`, in run order. The unit of the split is a (point,
/// seed) group with all its models, so the runs that a paired comparison
/// sets side by side (LSTM and GRU of one seed) share a machine. Groups are
/// sorted by [`estimated_cost`], most expensive first (ties in run order),
/// and dealt out in snake order (shards 1..N, then N..1, …): every shard
/// gets the same number of groups (±1) and a similar share of the cost.
/// Deterministic, disjoint, and together covering the grid.
pub fn shard_jobs(grid: &Grid, shard: Shard) -> Vec<Job> {
    let jobs = all_jobs(grid);
    // Groups in run order, with their cost.
    let mut groups: Vec<((String, u64), f64)> = Vec::new();
    for point in &grid.points {
        let cost = estimated_cost(&point.config) * point.config.models.len() as f64;
        for &seed in &point.config.seeds {
            groups.push(((point.id.clone(), seed), cost));
        }
    }
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by(|&a, &b| groups[b].1.total_cmp(&groups[a].1).then(a.cmp(&b)));
    let mut owner = vec![0_usize; groups.len()];
    for (rank, &g) in order.iter().enumerate() {
        let (round, pos) = (rank / shard.count, rank % shard.count);
        owner[g] = if round % 2 == 0 {
            pos + 1
        } else {
            shard.count - pos
        };
    }
    jobs.into_iter()
        .filter(|job| {
            groups
                .iter()
                .position(|(key, _)| key.0 == job.point && key.1 == job.seed)
                .is_some_and(|g| owner[g] == shard.index)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Options;

    fn grid(hidden: &[i64], layers: &[i64], seeds: &[u64]) -> Grid {
        Options {
            hidden: Some(hidden.to_vec()),
            layers: Some(layers.to_vec()),
            seed_list: Some(seeds.to_vec()),
            threads: Some(vec![1]),
            ..Default::default()
        }
        .grid()
        .unwrap()
    }

    #[test]
    fn a_grid_is_the_cross_product_with_stable_ids() {
        let g = grid(&[32, 64], &[1, 2], &[1, 2]);
        let ids: Vec<&str> = g.points.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "hidden-32_layers-1",
                "hidden-32_layers-2",
                "hidden-64_layers-1",
                "hidden-64_layers-2"
            ]
        );
        assert_eq!(
            (g.points[3].config.hidden, g.points[3].config.layers),
            (64, 2)
        );
        let jobs = all_jobs(&g);
        assert_eq!(jobs.len(), 4 * 2 * 2);
        assert_eq!(jobs[0].id(), "hidden-32_layers-1:lstm:1");
        assert_eq!(jobs[1].id(), "hidden-32_layers-1:gru:1");
        assert_eq!(Job::parse_id(&jobs[5].id()), Some(jobs[5].clone()));
        // The same options give the same ids.
        assert_eq!(all_jobs(&grid(&[32, 64], &[1, 2], &[1, 2])), jobs);
    }

    #[test]
    fn shards_are_disjoint_cover_the_grid_and_keep_pairs_together() {
        let g = grid(&[32, 64, 128], &[1, 2], &[1, 2, 3]);
        let all = all_jobs(&g);
        for count in 1..=5 {
            let mut seen = Vec::new();
            for index in 1..=count {
                let part = shard_jobs(&g, Shard { index, count });
                for pair in part.chunks(2) {
                    assert_eq!(
                        (&pair[0].point, pair[0].seed),
                        (&pair[1].point, pair[1].seed)
                    );
                }
                seen.extend(part);
            }
            seen.sort();
            let mut expected = all.clone();
            expected.sort();
            assert_eq!(seen, expected, "{count} shards");
        }
    }

    #[test]
    fn shards_balance_estimated_cost() {
        let g = grid(&[32, 64, 128, 256], &[1], &[1, 2, 3, 4]);
        let count = 4;
        let loads: Vec<f64> = (1..=count)
            .map(|index| {
                shard_jobs(&g, Shard { index, count })
                    .iter()
                    .map(|j| {
                        let p = g.points.iter().find(|p| p.id == j.point).unwrap();
                        estimated_cost(&p.config)
                    })
                    .sum()
            })
            .collect();
        let counts: Vec<usize> = (1..=count)
            .map(|index| shard_jobs(&g, Shard { index, count }).len())
            .collect();
        assert_eq!(counts, [8, 8, 8, 8]);
        let max = loads.iter().cloned().fold(0.0, f64::max);
        let min = loads.iter().cloned().fold(f64::INFINITY, f64::min);
        // Each shard gets one seed of every hidden size: equal loads.
        assert!((max - min).abs() < 1e-9 * max, "{loads:?}");
    }

    #[test]
    fn shard_flags_and_scheduler_variables_parse() {
        assert_eq!("2/3".parse::<Shard>(), Ok(Shard { index: 2, count: 3 }));
        for bad in ["0/3", "4/3", "3", "a/b", "1/0"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let slurm = shard_from_env(env(&[
            ("SLURM_ARRAY_TASK_ID", "0"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(slurm.shard, Shard { index: 1, count: 4 });
        let k8s = shard_from_env(env(&[
            ("JOB_COMPLETION_INDEX", "2"),
            ("RNNBENCH_SHARD_COUNT", "3"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(k8s.shard, Shard { index: 3, count: 3 });
        assert!(shard_from_env(env(&[("JOB_COMPLETION_INDEX", "2")])).is_err());
        assert!(
            shard_from_env(env(&[
                ("SLURM_ARRAY_TASK_ID", "7"),
                ("SLURM_ARRAY_TASK_MIN", "1"),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
            ]))
            .is_err()
        );
        assert_eq!(shard_from_env(env(&[])).unwrap(), None);
    }
}
