//! Integration tests: reports rendered from fixed records written here (no
//! training): the page, its PNGs, the sentences, incomplete runs, merging.

use std::path::{Path, PathBuf};
use std::process::Command;

use rnnbench::analysis::summary::Summary;
use rnnbench::config::Options;
use rnnbench::data::{DatasetIdentity, FileIdentity};
use rnnbench::model::Cell;
use rnnbench::probe::environment::Environment;
use rnnbench::report::render_run;
use rnnbench::results::{
    CsvAppender, EpochRecord, RunRecord, RunStatus, files, read_csv, write_json_atomic,
};
use rnnbench::results::{GradientFlowRow as GradientRow, GradientStage, RunManifest};

/// A model's behaviour in the fixture: test accuracy and seconds per epoch.
#[derive(Clone, Copy)]
struct Behaviour {
    test_acc: f64,
    secs_per_epoch: f64,
    rss_mib: u64,
}

const LSTM: Behaviour = Behaviour {
    test_acc: 0.84,
    secs_per_epoch: 3.0,
    rss_mib: 420,
};
const GRU: Behaviour = Behaviour {
    test_acc: 0.835,
    secs_per_epoch: 2.0,
    rss_mib: 400,
};

/// A typed `config.json` for the fixture runs.
fn config(seeds: &[u64], hidden: i64, dataset: &str) -> RunManifest {
    let mut config = Options::default().resolve().expect("the defaults resolve");
    config.seeds = seeds.to_vec();
    config.hidden = hidden;
    config.dataset.name = dataset.to_string();
    config.dropout = 0.1;
    config.max_len = 200;
    config.threads = 2;
    RunManifest {
        run_id: format!(
            "run-{}",
            seeds
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join("")
        ),
        command_line: vec!["compare".into(), "--models".into(), "lstm,gru".into()],
        config,
        model_sizes: Vec::new(),
        classes: vec!["neg".into(), "pos".into()],
        vocab_size_built: 10_000,
        channels: 0,
        dataset: DatasetIdentity {
            name: dataset.to_string(),
            files: vec![FileIdentity {
                path: "datasets/imdb-mini/train.csv".into(),
                bytes: 123_456,
                sha256: "ab12<cd>".into(),
            }],
            train_examples: 2000,
            test_examples: 1000,
            classes: vec!["neg".into(), "pos".into()],
            train_class_counts: vec![1000, 1000],
            test_class_counts: vec![500, 500],
            generator: None,
        },
        test_unknown_token_rate: Some(0.02),
        data_warnings: Vec::new(),
        merged_from: Vec::new(),
        merge_notes: Vec::new(),
    }
}

/// A typed `environment.json` for the fixture runs: this machine's, with a
/// CPU name that must be escaped on the page.
fn environment() -> Environment {
    let mut env = Environment::probe(tch::Device::Cpu, rnnbench::config::KernelChoice::Onednn);
    env.cpu_model = "Test CPU <x86>".into();
    env.threads = 2;
    env
}

/// Writes a run folder: `seeds` of lstm and gru, 4 epochs each (seed 2 stops
/// after 3), with per-seed noise so that CIs exist.
fn write_run(dir: &Path, seeds: &[u64], planned: &[u64], lstm: Behaviour, gru: Behaviour) {
    std::fs::create_dir_all(dir).unwrap();
    config(planned, 128, "imdb-mini").write(dir).unwrap();
    write_json_atomic(&dir.join(files::ENVIRONMENT), &environment()).unwrap();
    let mut epochs = CsvAppender::open(&dir.join(files::EPOCHS)).unwrap();
    let mut runs = CsvAppender::open(&dir.join(files::RUNS)).unwrap();
    for &seed in seeds {
        for (model, b, hidden) in [("lstm", lstm, 100), ("gru", gru, 116)] {
            let noise = (seed as f64 - 2.0) * 0.004;
            let n_epochs = if seed == 2 { 3 } else { 4 };
            for epoch in 1..=n_epochs {
                let progress = f64::from(epoch) / 4.0;
                epochs
                    .append(&EpochRecord {
                        hidden_size: hidden,
                        params: 1_331_000,
                        train_loss: 0.7 - 0.4 * progress + noise,
                        train_acc: 0.5 + 0.4 * progress,
                        val_loss: 0.7 - 0.3 * progress - noise,
                        val_acc: 0.5 + (b.test_acc - 0.5) * progress + noise,
                        train_secs: b.secs_per_epoch * (1.0 + noise),
                        eval_secs: 0.2,
                        samples_per_sec: 2000.0 / b.secs_per_epoch,
                        tokens_per_sec: 300_000.0 / b.secs_per_epoch,
                        padding_fraction: 0.05,
                        peak_rss_bytes: (b.rss_mib << 20) + seed * 1_000_000,
                        ..EpochRecord::new(model.parse().expect("a cell name"), seed, epoch)
                    })
                    .unwrap();
            }
            runs.append(&RunRecord {
                epochs_run: n_epochs,
                best_epoch: n_epochs,
                best_val_acc: b.test_acc + 0.01,
                test_acc: b.test_acc
                    + noise
                    + if model == "gru" {
                        0.001 * seed as f64
                    } else {
                        0.0
                    },
                test_macro_f1: b.test_acc,
                test_loss: 0.4,
                train_secs_total: b.secs_per_epoch * f64::from(n_epochs),
                secs_per_epoch: b.secs_per_epoch * (1.0 + noise),
                peak_rss_bytes: (b.rss_mib << 20) + seed * 1_000_000,
                ..RunRecord::empty(
                    model.parse().expect("a cell name"),
                    seed,
                    hidden,
                    1_331_000,
                    RunStatus::Ok,
                    String::new(),
                )
            })
            .unwrap();
        }
    }
}

/// Merges the run folders `dirs` into `out` and renders the merged report.
fn render_merged(dirs: &[PathBuf], out: &Path) -> rnnbench::Result<PathBuf> {
    rnnbench::merge::merge_runs(dirs, out)?;
    render_run(out)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// Every `src="…"` of an `<img>` on the page.
fn img_srcs(page: &str) -> Vec<String> {
    page.split("<img ")
        .skip(1)
        .map(|tag| {
            let start = tag.find("src=\"").unwrap() + 5;
            let end = start + tag[start..].find('"').unwrap();
            tag[start..end].to_string()
        })
        .collect()
}

/// The text of the paired-comparisons table, where the page gives each
/// pair's verdict (tags kept; the cells are plain text).
fn pairs_table(page: &str) -> &str {
    let start = page.find("Paired comparisons").expect("pairs table");
    let end = start + page[start..].find("</table>").unwrap();
    &page[start..end]
}

fn summary(dir: &Path) -> Summary {
    rnnbench::results::read_json(&dir.join(files::SUMMARY)).unwrap()
}

#[test]
fn page_images_decode_and_headline_has_one_row_per_model() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    write_run(&dir, &[1, 2, 3], &[1, 2, 3], LSTM, GRU);
    let page_path = render_run(&dir).unwrap();
    assert_eq!(page_path, dir.join("report.html"));
    let page = read(&page_path);

    let srcs = img_srcs(&page);
    assert!(srcs.len() >= 5, "{srcs:?}");
    for src in &srcs {
        assert!(
            !src.contains('/') && src.ends_with(".png"),
            "relative PNG path: {src}"
        );
        let img = image::open(dir.join(src)).unwrap_or_else(|e| panic!("{src}: {e}"));
        assert!(
            img.width() >= 800 && img.height() >= 400,
            "{src}: {}x{}",
            img.width(),
            img.height()
        );
        // Not blank: some pixels are far from white.
        let rgb = img.to_rgb8();
        let dark = rgb
            .pixels()
            .filter(|p| p.0.iter().all(|&c| c < 100))
            .count();
        assert!(dark > 500, "{src} looks empty");
    }
    assert!(page.contains("alt=\""));
    assert!(!page.contains("<script"), "no scripts");
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no network resources"
    );

    let table_start = page.find("<table class=\"headline\">").unwrap();
    let table = &page[table_start..table_start + page[table_start..].find("</table>").unwrap()];
    assert_eq!(table.matches("<tr class=\"model-row\">").count(), 2);
    assert!(table.contains("LSTM") && table.contains("GRU"));
    assert!(!page.contains("id=\"incomplete\""));
    // Strings from files are escaped.
    assert!(page.contains("Test CPU &lt;x86&gt;") && page.contains("ab12&lt;cd&gt;"));
    // References for IMDB datasets are explained.
    assert!(page.contains("Dai &amp; Le 2015"));

    let s = summary(&dir);
    assert!(s.complete);
    assert_eq!(s.model(Cell::Lstm).unwrap().seeds, 3);
    assert_eq!(s.pairs[0].n_pairs, 3);
    for f in [
        files::CONFIG,
        files::ENVIRONMENT,
        files::EPOCHS,
        files::RUNS,
        files::SUMMARY,
    ] {
        assert!(page.contains(&format!("<a href=\"{f}\">")), "link to {f}");
    }
}

#[test]
fn the_verdict_names_the_faster_model_and_swapping_flips_it() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("gru-faster");
    write_run(&a, &[1, 2, 3], &[1, 2, 3], LSTM, GRU);
    let text = pairs_table(&read(&render_run(&a).unwrap())).to_string();
    // The verdict names the winner; the ratio is the speed column's.
    assert!(text.contains("GRU faster"), "{text}");
    assert!(text.contains("1.50× ["), "{text}");
    assert!(!text.contains("LSTM faster"), "{text}");

    let b = tmp.path().join("lstm-faster");
    write_run(&b, &[1, 2, 3], &[1, 2, 3], GRU, LSTM);
    let text = pairs_table(&read(&render_run(&b).unwrap())).to_string();
    assert!(text.contains("LSTM faster"), "{text}");
    assert!(!text.contains("GRU faster"), "{text}");
}

#[test]
fn the_accuracy_verdict_follows_the_p_value() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("close");
    write_run(&dir, &[1, 2, 3], &[1, 2, 3], LSTM, GRU);
    render_run(&dir).unwrap();
    let s = summary(&dir);
    let d = *s.pairs[0]
        .diff(&rnnbench::analysis::metrics::TEST_ACC)
        .unwrap();
    let page = read(&dir.join("report.html"));
    let text = pairs_table(&page);
    if d.p_value.unwrap() >= 0.05 {
        assert!(text.contains("accuracy: undecided"), "{text}");
    } else {
        assert!(text.contains("more accurate"), "{text}");
    }
}

#[test]
fn incomplete_run_shows_the_banner() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("interrupted");
    write_run(&dir, &[1, 2], &[1, 2, 3], LSTM, GRU);
    let page = read(&render_run(&dir).unwrap());
    assert!(page.contains("id=\"incomplete\""));
    assert!(page.contains("4 of 6 planned runs"), "banner counts");
    assert!(page.contains("LSTM seed 3"));
    assert!(!summary(&dir).complete);
}

#[test]
fn failed_runs_are_marked_and_not_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("diverged");
    write_run(&dir, &[1, 2], &[1, 2], LSTM, GRU);
    let mut runs: Vec<RunRecord> = read_csv(&dir.join(files::RUNS)).unwrap();
    runs[3].status = RunStatus::Diverged;
    runs[3].test_acc = f64::NAN;
    runs[3].message = "loss became NaN <at epoch 3>".into();
    std::fs::remove_file(dir.join(files::RUNS)).unwrap();
    let mut w = CsvAppender::open(&dir.join(files::RUNS)).unwrap();
    for r in &runs {
        w.append(r).unwrap();
    }
    let page = read(&render_run(&dir).unwrap());
    assert!(page.contains("<tr class=\"bad\">"));
    assert!(page.contains("diverged"));
    assert!(page.contains("loss became NaN &lt;at epoch 3&gt;"));
    let s = summary(&dir);
    assert_eq!(s.runs_ok, 3);
    assert_eq!(s.runs_failed.len(), 1);
    assert!(page.contains("id=\"incomplete\""));
}

#[test]
fn gradient_flow_is_drawn_when_present() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("grad");
    write_run(&dir, &[1], &[1], LSTM, GRU);
    let mut w = CsvAppender::open(&dir.join(files::GRADIENT_FLOW)).unwrap();
    for model in ["lstm", "gru"] {
        for stage in ["init", "trained"] {
            for step in 0..50u32 {
                let decay = if model == "lstm" { 0.97f64 } else { 0.95 };
                let scale = if stage == "init" { 1e-3 } else { 1e-2 };
                w.append(&GradientRow {
                    model: model.parse().expect("a cell name"),
                    stage: if stage == "init" {
                        GradientStage::Init
                    } else {
                        GradientStage::Trained
                    },
                    step: step as usize,
                    grad_norm: scale * decay.powi(50 - step as i32),
                })
                .unwrap();
            }
        }
    }
    let page = read(&render_run(&dir).unwrap());
    assert!(img_srcs(&page).contains(&"gradient_flow.png".to_string()));
    image::open(dir.join("gradient_flow.png")).unwrap();
    // One seed: no CI, said so.
    assert!(
        pairs_table(&page).contains("accuracy: too few seeds; speed: too few seeds"),
        "{}",
        pairs_table(&page)
    );
}

#[test]
fn merge_of_different_seeds_is_the_union() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, out) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("merged"),
    );
    write_run(&a, &[1, 2], &[1, 2], LSTM, GRU);
    write_run(&b, &[3], &[3], LSTM, GRU);
    let page = read(&render_merged(&[a.clone(), b.clone()], &out).unwrap());
    let runs: Vec<RunRecord> = read_csv(&out.join(files::RUNS)).unwrap();
    assert_eq!(runs.len(), 6);
    let epochs: Vec<EpochRecord> = read_csv(&out.join(files::EPOCHS)).unwrap();
    assert_eq!(epochs.len(), 2 * (4 + 3 + 4));
    let s = summary(&out);
    assert_eq!(s.planned_seeds, [1, 2, 3]);
    assert!(s.complete);
    assert_eq!(s.pairs[0].n_pairs, 3);
    assert!(page.contains("Merged from 2 runs"));
    assert!(!page.contains("Duplicate"));
    // Merging into a folder that holds a run is refused.
    let err = render_merged(&[a, b], &out).unwrap_err().to_string();
    assert!(err.contains("already holds a run"), "{err}");
}

#[test]
fn merge_of_different_configs_fails_naming_both() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("hidden128"), tmp.path().join("hidden256"));
    write_run(&a, &[1], &[1], LSTM, GRU);
    write_run(&b, &[2], &[2], LSTM, GRU);
    config(&[2], 256, "imdb-mini").write(&b).unwrap();
    let err = render_merged(&[a.clone(), b.clone()], &tmp.path().join("m"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&a.display().to_string()) && err.contains(&b.display().to_string()),
        "{err}"
    );
    assert!(err.contains("config.hidden: 128 vs 256"), "{err}");
    assert!(!tmp.path().join("m").exists(), "nothing written on refusal");

    // A different dataset is refused too.
    config(&[2], 128, "imdb").write(&b).unwrap();
    let err = render_merged(&[a, b], &tmp.path().join("m"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("dataset.name"), "{err}");
}

#[test]
fn merge_detects_duplicates_and_counts_them_once() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, out) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("m"),
    );
    write_run(&a, &[1, 2], &[1, 2], LSTM, GRU);
    write_run(&b, &[2, 3], &[2, 3], LSTM, GRU);
    let page = read(&render_merged(&[a, b], &out).unwrap());
    let runs: Vec<RunRecord> = read_csv(&out.join(files::RUNS)).unwrap();
    assert_eq!(runs.len(), 6, "seed 2 counted once per model");
    let epochs: Vec<EpochRecord> = read_csv(&out.join(files::EPOCHS)).unwrap();
    assert_eq!(epochs.iter().filter(|e| e.seed == 2).count(), 2 * 3);
    assert_eq!(
        page.matches("Duplicate: ").count(),
        2,
        "lstm and gru seed 2"
    );
    assert_eq!(summary(&out).model(Cell::Gru).unwrap().seeds, 3);
}

#[test]
fn duplicate_rows_within_one_run_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("dup");
    write_run(&dir, &[1, 2], &[1, 2], LSTM, GRU);
    let runs: Vec<RunRecord> = read_csv(&dir.join(files::RUNS)).unwrap();
    let mut w = CsvAppender::open(&dir.join(files::RUNS)).unwrap();
    w.append(&runs[0]).unwrap();
    let page = read(&render_run(&dir).unwrap());
    assert!(page.contains("more than one row for LSTM seed 1"));
    let s = summary(&dir);
    assert_eq!((s.runs_ok, s.duplicates.len()), (4, 1));
}

fn report_bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_report"))
}

#[test]
fn cli_renders_in_place_merges_and_fails_in_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    write_run(&a, &[1], &[1], LSTM, GRU);
    write_run(&b, &[2], &[2], LSTM, GRU);

    let out = report_bin().arg(&a).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(a.join("report.html").is_file());

    let merged: PathBuf = tmp.path().join("m");
    let out = report_bin()
        .args([&a, &b])
        .arg("--out")
        .arg(&merged)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(merged.join("report.html").is_file());

    let missing = tmp.path().join("nope");
    let out = report_bin().arg(&missing).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("nope") && !err.contains("panicked"), "{err}");
}

#[test]
fn finish_run_returns_the_page_and_a_terminal_table() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    write_run(&dir, &[1, 2], &[1, 2, 3], LSTM, GRU);
    let done = rnnbench::report::finish_run(&dir).unwrap();
    assert_eq!(done.html, dir.join("report.html"));
    // The first screen comes first (issue 29), then the table.
    assert!(
        done.table.starts_with(
            "The answer: LSTM vs GRU, 2 seeds paired; incomplete: 4 of 6 planned runs finished ok\n  Accuracy: too few seeds (2; an interval needs 3)"
        ),
        "{}",
        done.table
    );
    assert!(
        done.table.contains("\nINCOMPLETE: 4 of 6"),
        "{}",
        done.table
    );
    assert_eq!(
        done.table
            .lines()
            .filter(|l| l.starts_with("LSTM") || l.starts_with("GRU"))
            .count(),
        2
    );
    // Two paired seeds are too few for a verdict (issue 15 item 10): the
    // terminal says so, once, on the first screen.
    assert!(
        done.table
            .contains("  Training time per epoch: too few seeds (2; an interval needs 3)\n"),
        "{}",
        done.table
    );
    assert!(!done.table.contains(" faster:"), "{}", done.table);
}

/// Rewrites `dir/runs.csv` with `edit` applied to every row.
fn edit_runs(dir: &Path, edit: impl Fn(&mut RunRecord)) {
    let mut runs: Vec<RunRecord> = read_csv(&dir.join(files::RUNS)).unwrap();
    runs.iter_mut().for_each(edit);
    std::fs::remove_file(dir.join(files::RUNS)).unwrap();
    let mut w = CsvAppender::open(&dir.join(files::RUNS)).unwrap();
    for r in &runs {
        w.append(r).unwrap();
    }
}

/// Issue 15 item 9: "GRU used more memory than LSTM: … 1.06× (95% CI
/// 0.99–1.14). The interval includes 1 …" claimed what its interval denied.
#[test]
fn a_verdict_never_claims_a_difference_its_interval_does_not_support() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("noisy");
    write_run(&dir, &[1, 2, 3], &[1, 2, 3], LSTM, LSTM);
    // GRU's memory and time are 1.10×, 0.98× and 1.10× LSTM's.
    edit_runs(&dir, |r| {
        if r.model == Cell::Gru {
            let f = if r.seed == 2 { 0.98 } else { 1.10 };
            r.peak_rss_bytes = (r.peak_rss_bytes as f64 * f) as u64;
            r.secs_per_epoch *= f;
        }
    });
    let page = read(&render_run(&dir).unwrap());
    let s = summary(&dir);
    for ratio in [
        &rnnbench::analysis::metrics::PEAK_RSS,
        &rnnbench::analysis::metrics::SECS_PER_EPOCH,
    ]
    .map(|m| s.pairs[0].ratio(m).copied())
    {
        let (lo, hi) = ratio.unwrap().ci().unwrap();
        assert!(lo < 1.0 && hi > 1.0, "{lo}–{hi}");
    }
    let text = pairs_table(&page);
    assert!(!text.contains("uses less"), "{text}");
    assert!(!text.contains("faster"), "{text}");
    assert!(text.contains("speed: undecided"), "{text}");
    let table = rnnbench::report::finish_run(&dir).unwrap().table;
    assert!(
        !table.contains(" uses less:") && !table.contains(" faster:"),
        "{table}"
    );
    assert!(
        table.contains("  Training time per epoch: undecided: LSTM / GRU = 0.9"),
        "{table}"
    );
}

/// Issue 15 item 10: with 2 seeds the terminal printed a test-accuracy CI of
/// "-6.21 – 104.96" and a seconds-per-epoch CI below 0.
#[test]
fn intervals_stay_possible_and_two_seeds_give_none() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("two");
    write_run(&dir, &[1, 2], &[1, 2], LSTM, GRU);
    edit_runs(&dir, |r| {
        r.test_acc = if r.seed == 1 { 0.55 } else { 0.995 };
        r.secs_per_epoch = if r.seed == 1 { 0.02 } else { 0.17 };
    });
    let done = rnnbench::report::finish_run(&dir).unwrap();
    let page = read(&done.html);
    let start = page.find("<table class=\"headline\">").unwrap();
    let headline = &page[start..start + page[start..].find("</table>").unwrap()];
    let rows: Vec<&str> = done
        .table
        .lines()
        .filter(|l| l.starts_with("LSTM") || l.starts_with("GRU"))
        .collect();
    assert_eq!(rows.len(), 2, "{}", done.table);
    for text in rows.into_iter().chain([headline]) {
        assert!(text.contains("too few seeds (2)"), "{text}");
        let negative = text
            .as_bytes()
            .windows(2)
            .any(|w| w[0] == b'-' && w[1].is_ascii_digit());
        assert!(!negative, "{text}");
    }
    // With a third seed there are intervals again, inside what is possible.
    let dir3 = tmp.path().join("three");
    write_run(&dir3, &[1, 2, 3], &[1, 2, 3], LSTM, GRU);
    edit_runs(&dir3, |r| {
        r.test_acc = [0.55, 0.995, 0.7][r.seed as usize - 1];
        r.secs_per_epoch = [0.02, 0.17, 0.05][r.seed as usize - 1];
    });
    render_run(&dir3).unwrap();
    for m in summary(&dir3).per_model {
        let (lo, hi) = m
            .get(&rnnbench::analysis::metrics::TEST_ACC)
            .unwrap()
            .ci()
            .unwrap();
        assert!(0.0 < lo && hi < 1.0, "{lo}–{hi}");
        assert!(
            m.get(&rnnbench::analysis::metrics::SECS_PER_EPOCH)
                .unwrap()
                .ci()
                .unwrap()
                .0
                > 0.0
        );
    }
}

#[test]
fn merge_ignores_threads_and_quiet() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    write_run(&a, &[1], &[1], LSTM, GRU);
    write_run(&b, &[2], &[2], LSTM, GRU);
    let mut c = config(&[2], 128, "imdb-mini");
    c.config.threads = 1;
    c.config.quiet = true;
    c.run_id = "other".into();
    write_json_atomic(&b.join(files::CONFIG), &c).unwrap();
    render_merged(&[a, b], &tmp.path().join("m")).unwrap();
    assert_eq!(summary(&tmp.path().join("m")).planned_seeds, [1, 2]);
}

/// `runs.csv`'s (seed, epochs_to_target) of `model` in `dir`.
fn epochs_to_target(dir: &Path, model: Cell) -> Vec<(u64, Option<u32>)> {
    let runs: Vec<RunRecord> = read_csv(&dir.join(files::RUNS)).unwrap();
    let mut rows: Vec<(u64, Option<u32>)> = runs
        .iter()
        .filter(|r| r.model == model)
        .map(|r| (r.seed, r.epochs_to_target))
        .collect();
    rows.sort();
    rows
}

#[test]
fn report_re_derives_time_to_target_for_another_target() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    // Validation accuracy per epoch: about 0.585, 0.67, 0.755, 0.84 (LSTM);
    // seed 2 stops after three epochs.
    write_run(&dir, &[1, 2, 3], &[1, 2, 3], LSTM, GRU);

    crate::common::run_ok(report_bin().arg(&dir).args(["--target-acc", "0.66"]));
    let tt = summary(&dir).time_to_target.expect("time to target");
    assert_eq!(tt.target, 0.66);
    assert!(tt.rule.contains("--target-acc 0.66"), "{}", tt.rule);
    assert_eq!(
        epochs_to_target(&dir, Cell::Lstm),
        vec![(1, Some(2)), (2, Some(2)), (3, Some(2))]
    );
    let lstm = tt.per_model.iter().find(|m| m.model == Cell::Lstm).unwrap();
    // Two epochs of 3 s each (seed noise ±0.4%).
    let secs = lstm.secs.as_ref().unwrap();
    assert!((secs.mean - 6.0).abs() < 0.05, "{secs:?}");
    assert!(read(&dir.join("report.html")).contains("66"));

    // Seed 2 never reaches 0.80 in its three epochs: empty, not counted.
    crate::common::run_ok(report_bin().arg(&dir).args(["--target-acc", "0.80"]));
    assert_eq!(
        epochs_to_target(&dir, Cell::Lstm),
        vec![(1, Some(4)), (2, None), (3, Some(4))]
    );
    let tt = summary(&dir).time_to_target.unwrap();
    let lstm = tt.per_model.iter().find(|m| m.model == Cell::Lstm).unwrap();
    assert_eq!((lstm.reached, lstm.runs), (2, 3));

    // Without the flag the run's own rule comes back.
    crate::common::run_ok(report_bin().arg(&dir));
    let tt = summary(&dir).time_to_target.unwrap();
    assert!(tt.rule.contains("97%"), "{}", tt.rule);

    for bad in ["1.5", "0", "most"] {
        let out = report_bin()
            .arg(&dir)
            .args(["--target-acc", bad])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("--target-acc") && !err.contains("panicked"),
            "{err}"
        );
    }
}

/// The `Time to …` line of `dir/summary.json`'s answer, as the terminal
/// writes it (`  criterion: text`).
fn time_to_target_line(dir: &Path) -> String {
    let summary: serde_json::Value =
        serde_json::from_str(&read(&dir.join(files::SUMMARY))).unwrap();
    let line = summary["answer"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["criterion"].as_str().unwrap().starts_with("Time to "))
        .expect("a time-to-target line")
        .clone();
    format!(
        "  {}: {}",
        line["criterion"].as_str().unwrap(),
        line["text"].as_str().unwrap()
    )
}

/// Issue 35 finding 2: `report DIR --target-acc X` printed the answer at the
/// run's own target while the page and summary.json it wrote were at X.
#[test]
fn report_at_another_target_prints_the_answer_it_wrote() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    write_run(&dir, &[1, 2, 3], &[1, 2, 3], LSTM, GRU);
    let own = crate::common::run_ok(report_bin().arg(&dir));
    let own_line = time_to_target_line(&dir);
    assert!(
        String::from_utf8_lossy(&own.stdout).contains(&own_line),
        "{own_line}"
    );
    let out = crate::common::run_ok(report_bin().arg(&dir).args(["--target-acc", "0.66"]));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = time_to_target_line(&dir);
    assert!(
        line.starts_with("  Time to 66.0% validation accuracy: "),
        "{line}"
    );
    assert!(stdout.contains(&line), "{line}\nnot in\n{stdout}");
    assert_eq!(stdout.matches("  Time to ").count(), 1, "{stdout}");
}

/// Issue 35 finding 8: `report` of a merge says on the terminal which runs
/// it found twice and counted once, as the page does.
#[test]
fn report_of_a_merge_names_its_duplicates_on_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, m) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("m"),
    );
    write_run(&a, &[1, 2], &[1, 2], LSTM, GRU);
    write_run(&b, &[2, 3], &[2, 3], LSTM, GRU);
    let out = crate::common::run_ok(report_bin().args([&a, &b]).arg("--out").arg(&m));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("The answer: LSTM vs GRU, 3 seeds paired"),
        "{stdout}"
    );
    for model in ["LSTM", "GRU"] {
        assert!(
            stdout.contains(&format!(
                "Duplicate: {model} seed 2 is in {} and in {}; counted once, from {}.",
                a.display(),
                b.display(),
                a.display()
            )),
            "{stdout}"
        );
    }
}
