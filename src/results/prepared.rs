//! `POINT/.data/seed-<seed>.postcard`: one seed's encoded data (splits,
//! vocabulary, token ids), written by the parent before the seed's first
//! worker starts (from the data it loaded and checked against
//! `config.json` once), and read by every worker of the seed and by the
//! kernel check instead of loading, checking and encoding the files again.
//! A worker that finds none (one started by hand) loads the files itself
//! and leaves the file for the next. The folder goes when the comparison
//! ends; an interrupted one keeps it for `--resume`, whose parent checks
//! the data files against `config.json` again before any worker starts.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::files;
use super::io::write_atomic;
use crate::data::Prepared;
use crate::error::{Error, Result};

/// Bumped whenever [`Prepared`]'s stored form changes: a file of another
/// version is ignored and made again.
const FORMAT: u32 = 1;

/// The stored file.
#[derive(Deserialize)]
struct Stored {
    format: u32,
    seed: u64,
    prepared: Prepared,
}

/// [`Stored`] as written (the same bytes), borrowing the data.
#[derive(Serialize)]
struct StoredRef<'a> {
    format: u32,
    seed: u64,
    prepared: &'a Prepared,
}

/// Where the point folder `point_dir` keeps `seed`'s encoded data.
pub fn path(point_dir: &Path, seed: u64) -> PathBuf {
    point_dir
        .join(files::PREPARED_DIR)
        .join(format!("seed-{seed}.postcard"))
}

/// `seed`'s encoded data from `point_dir`, or `None` when there is none,
/// or it is of another format or seed, or unreadable (it is then made again).
pub fn read(point_dir: &Path, seed: u64) -> Option<Prepared> {
    let bytes = std::fs::read(path(point_dir, seed)).ok()?;
    let stored: Stored = postcard::from_bytes(&bytes).ok()?;
    (stored.format == FORMAT && stored.seed == seed).then_some(stored.prepared)
}

/// Stores `seed`'s encoded data in `point_dir`, atomically.
pub fn write(point_dir: &Path, seed: u64, prepared: &Prepared) -> Result<()> {
    let path = path(point_dir, seed);
    let dir = point_dir.join(files::PREPARED_DIR);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let stored = StoredRef {
        format: FORMAT,
        seed,
        prepared,
    };
    let bytes = postcard::to_stdvec(&stored)
        .map_err(|e| Error::results(&path, format!("cannot encode the data: {e}")))?;
    write_atomic(&path, &bytes)
}

/// Removes the encoded data of `point_dir` (nothing when there is none).
pub fn remove(point_dir: &Path) -> Result<()> {
    let dir = point_dir.join(files::PREPARED_DIR);
    match std::fs::remove_dir_all(&dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(&dir, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Columns, DatasetSource, PrepareOptions, load_corpus, prepare};

    fn fixture(seed: u64) -> Prepared {
        let corpus = load_corpus(
            &DatasetSource::Path("datasets/fixture".into()),
            &Columns::default(),
        )
        .expect("the bundled fixture loads");
        prepare(
            &corpus,
            &PrepareOptions {
                max_len: 64,
                seed,
                ..PrepareOptions::default()
            },
        )
        .expect("the fixture encodes")
    }

    #[test]
    fn a_seed_written_is_read_back_whole_and_only_for_its_seed() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path(), 1), None);
        let data = fixture(1);
        write(dir.path(), 1, &data).unwrap();
        let back = read(dir.path(), 1).expect("written just now");
        assert_eq!(back, data);
        assert_eq!(back.vocab.id(back.vocab.words()[5].as_str()), 5);
        // Another seed's file name holds nothing; a file renamed to it is refused.
        assert_eq!(read(dir.path(), 2), None);
        std::fs::copy(path(dir.path(), 1), path(dir.path(), 2)).unwrap();
        assert_eq!(read(dir.path(), 2), None);
        remove(dir.path()).unwrap();
        assert!(!dir.path().join(files::PREPARED_DIR).exists());
        remove(dir.path()).unwrap();
    }

    #[test]
    fn an_unreadable_file_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), 3, &fixture(3)).unwrap();
        let p = path(dir.path(), 3);
        let bytes = std::fs::read(&p).unwrap();
        std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
        assert_eq!(read(dir.path(), 3), None);
        std::fs::write(&p, b"not postcard").unwrap();
        assert_eq!(read(dir.path(), 3), None);
    }
}
