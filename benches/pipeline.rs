//! Data pipeline speed: loading, tokenizing and encoding a corpus.
//!
//! Groups `pipeline/<dataset>/{load,prepare,load+prepare}` for the bundled
//! `imdb-mini` and, when `scripts/fetch-imdb` has been run, the full `imdb`
//! (50,000 reviews; skipped with a note otherwise). Throughput is in reviews.
//! Settings: max_len 256, vocab 20,000, min count 1, 10% validation.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use rnnbench::data::{Columns, DatasetSource, PrepareOptions, load_corpus, prepare, resolve_named};

fn bench_dataset(c: &mut Criterion, name: &str) {
    if resolve_named(name).is_err() {
        println!("pipeline/{name}: skipped, datasets/{name} is absent (run scripts/fetch-imdb)");
        return;
    }
    let source = DatasetSource::Named(name.to_owned());
    let columns = Columns::default();
    // compare's defaults: the last 128 tokens (every token is read).
    let opts = PrepareOptions {
        max_len: 128,
        keep: rnnbench::data::Keep::Last,
        vocab_size: 20_000,
        min_count: 1,
        val_fraction: 0.1,
        seed: 1,
    };
    let corpus = match load_corpus(&source, &columns) {
        Ok(c) => c,
        Err(e) => {
            println!("pipeline/{name}: skipped, cannot load: {e}");
            return;
        }
    };
    let n = (corpus.train.len() + corpus.test.len()) as u64;
    let mut group = c.benchmark_group(format!("pipeline/{name}"));
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    group.throughput(Throughput::Elements(n));
    group.bench_function("load", |b| {
        b.iter(|| black_box(load_corpus(&source, &columns).map(|c| c.train.len())))
    });
    group.bench_function("prepare", |b| {
        b.iter(|| black_box(prepare(&corpus, &opts).map(|p| p.vocab_size)))
    });
    group.bench_function("load+prepare", |b| {
        b.iter(|| {
            let c = load_corpus(&source, &columns).ok()?;
            black_box(prepare(&c, &opts).ok().map(|p| p.train.tokens.len()))
        })
    });
    group.finish();
}

fn pipeline(c: &mut Criterion) {
    bench_dataset(c, "imdb-mini");
    bench_dataset(c, "imdb");
}

criterion_group! {
    name = benches;
    // No plots: plotters finds no font on a machine without system fonts.
    config = Criterion::default().without_plots();
    targets = pipeline
}
criterion_main!(benches);
