//! Reading and writing a run folder's files: CSV rows appended and flushed
//! one by one (an interrupted run keeps every finished row), JSON written to
//! a temporary file and renamed (readers never see half a file).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};

/// Appends rows of type `T` to a CSV file, writing the header only when the
/// file is new or empty, and flushing after every row.
pub struct CsvAppender<T> {
    path: PathBuf,
    writer: csv::Writer<File>,
    _row: std::marker::PhantomData<T>,
}

impl<T: Serialize> CsvAppender<T> {
    /// Opens `path` for appending (creating it if needed).
    pub fn open(path: &Path) -> Result<Self> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        let is_empty = file.metadata().map_err(|e| Error::io(path, e))?.len() == 0;
        let writer = csv::WriterBuilder::new()
            .has_headers(is_empty)
            .from_writer(file);
        Ok(CsvAppender {
            path: path.to_path_buf(),
            writer,
            _row: std::marker::PhantomData,
        })
    }

    /// Writes one row and flushes it to the OS.
    pub fn append(&mut self, row: &T) -> Result<()> {
        self.writer
            .serialize(row)
            .map_err(|e| Error::results(&self.path, e.to_string()))?;
        self.writer.flush().map_err(|e| Error::io(&self.path, e))
    }
}

/// Reads every row of a CSV file written by [`CsvAppender`]. A missing file
/// reads as no rows; a last line cut short by a killed process (no final
/// newline: [`CsvAppender`] ends every row it writes with one) is dropped,
/// whatever it would parse to; a malformed row is an error naming its line.
pub fn read_csv<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    read_csv_whole(path).map(|(rows, _)| rows)
}

/// [`read_csv`], and whether a cut-off last line was dropped.
pub fn read_csv_whole<T: serde::de::DeserializeOwned>(path: &Path) -> Result<(Vec<T>, bool)> {
    let (text, cut) = whole_lines(path)?;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for row in reader.deserialize() {
        rows.push(row.map_err(|e: csv::Error| {
            let line = e.position().map(|p| p.line());
            Error::data(path, line, None, e.to_string())
        })?);
    }
    Ok((rows, cut))
}

/// The text of a CSV file without a last line cut short (no final newline),
/// and whether one was dropped. A missing file reads as empty.
pub fn whole_lines(path: &Path) -> Result<(String, bool)> {
    if !path.exists() {
        return Ok((String::new(), false));
    }
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    if text.is_empty() || text.ends_with('\n') {
        return Ok((text, false));
    }
    let cut = text.rfind('\n').map_or(0, |i| i + 1);
    Ok((text[..cut].to_string(), true))
}

/// A new temporary file beside `path` that becomes `path` when persisted
/// (tempfile's `persist`, a rename within one folder, so atomic) and is
/// removed when dropped unpersisted (an error, a full disk), so neither a
/// half-written file nor a temporary is left behind. Named
/// `name.partial-XXXXXX.ext`: the extension kept, so encoders that go by it
/// still work; a random part, so two processes rendering one folder at
/// once never write over each other's temporary. Readable by all
/// (`0644`), as a file created by `File::create` under the usual umask.
pub fn partial_file(path: &Path) -> Result<tempfile::NamedTempFile> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let suffix = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    tempfile::Builder::new()
        .prefix(&format!("{stem}.partial-"))
        .suffix(&suffix)
        .permissions(std::fs::Permissions::from_mode(0o644))
        .tempfile_in(dir)
        .map_err(|e| Error::io(path, e))
}

/// Moves the finished `partial` ([`partial_file`]) into place as `path`.
pub fn persist(partial: tempfile::NamedTempFile, path: &Path) -> Result<()> {
    partial
        .persist(path)
        .map(drop)
        .map_err(|e| Error::io(path, e.error))
}

/// Writes `bytes` to `path` whole or not at all: to a [`partial_file`],
/// synced, then renamed; on any error the partial file is removed and the
/// old `path` (if any) is left as it was.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut partial = partial_file(path)?;
    partial
        .write_all(bytes)
        .and_then(|()| partial.as_file().sync_all())
        .map_err(|e| Error::io(path, e))?;
    persist(partial, path)
}

/// Replaces the CSV file `path` with a header and `rows`, atomically
/// ([`write_atomic`]).
pub fn write_csv_atomic<T: Serialize>(path: &Path, rows: &[T]) -> Result<()> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer
            .serialize(row)
            .map_err(|e| Error::results(path, e.to_string()))?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| Error::results(path, e.to_string()))?;
    write_atomic(path, &bytes)
}

/// Writes `value` as pretty JSON to `path`, atomically ([`write_atomic`]),
/// so readers never see a half-written file.
pub fn write_json_atomic<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<()> {
    let mut text =
        serde_json::to_string_pretty(value).map_err(|e| Error::results(path, e.to_string()))?;
    text.push('\n');
    write_atomic(path, text.as_bytes())
}

/// Reads a JSON file into `T`, naming the file in any error.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| {
        Error::data(
            path,
            Some(e.line() as u64),
            Some(e.column() as u64),
            e.to_string(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Cell;
    use crate::results::EpochRecord;

    fn epoch(model: Cell, seed: u64, epoch: u32) -> EpochRecord {
        EpochRecord {
            hidden_size: 128,
            params: 1000,
            train_loss: 0.5,
            train_acc: 0.7,
            val_loss: 0.6,
            val_acc: 0.65,
            train_secs: 1.5,
            eval_secs: 0.1,
            samples_per_sec: 100.0,
            tokens_per_sec: 10000.0,
            padding_fraction: 0.05,
            peak_rss_bytes: 1 << 20,
            ..EpochRecord::new(model, seed, epoch)
        }
    }

    #[test]
    fn appended_rows_read_back_with_one_header() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("epochs.csv");
        let rows = vec![
            epoch(Cell::Lstm, 1, 1),
            epoch(Cell::Gru, 1, 1),
            epoch(Cell::Lstm, 2, 1),
        ];
        {
            let mut w = CsvAppender::open(&path).unwrap();
            w.append(&rows[0]).unwrap();
        }
        let mut w = CsvAppender::open(&path).unwrap();
        w.append(&rows[1]).unwrap();
        w.append(&rows[2]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.matches("model,seed").count(), 1);
        assert!(
            text.lines()
                .next()
                .unwrap()
                .contains("peak_rss_bytes,gpu_peak_bytes,gpu_reserved_peak_bytes,kernel")
        );
        let back: Vec<EpochRecord> = read_csv(&path).unwrap();
        assert_eq!(back, rows);
    }

    #[test]
    fn json_is_written_whole_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        write_json_atomic(&path, &vec![1, 2, 3]).unwrap();
        let v: Vec<i32> = read_json(&path).unwrap();
        assert_eq!(v, [1, 2, 3]);
        // Nothing else is left in the folder, and the file is readable by all.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
    }

    #[test]
    fn a_failed_write_leaves_neither_the_file_nor_a_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chart.png");
        std::fs::write(&path, b"old").unwrap();
        let partial = partial_file(&path).unwrap();
        let name = partial
            .path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(
            name.starts_with("chart.partial-") && name.ends_with(".png"),
            "{name}"
        );
        drop(partial); // the writer failed: the temporary goes, the old file stays
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
    }
}
