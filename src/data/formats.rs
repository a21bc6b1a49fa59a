//! Reading one file (CSV, TSV, JSON Lines, a JSON array; each optionally
//! gzip-compressed) or an aclImdb folder into examples.
//!
//! Every file is read whole, decompressed when its name ends in `.gz` (or its
//! bytes start with the gzip magic), and checked to be UTF-8 before parsing, so
//! a bad byte is reported with its line and byte column. A leading byte-order
//! mark is skipped. Texts are kept as they are; labels are trimmed.
//!
//! Two limits keep hostile input from exhausting memory: only regular files
//! are read (a FIFO, a device such as `/dev/zero`, a socket or a folder is
//! refused before it is opened for reading, so nothing blocks or streams
//! forever), and one record (a CSV/TSV row, a JSON Lines line, a JSON
//! array's text field, an aclImdb review file) may hold at most
//! [`MAX_RECORD_BYTES`] (16 MiB): a file without line breaks is refused at the
//! first over-long line, before it is parsed.

use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use sha2::{Digest, Sha256};

use super::{Columns, Example, FileIdentity};
use crate::{Error, Result};

/// Text columns (CSV/TSV header names, JSON field names) tried in this order
/// when none is chosen; matched exactly first, then ignoring ASCII case.
pub const TEXT_COLUMNS: [&str; 3] = ["text", "review", "t"];
/// Label columns tried in this order when none is chosen.
pub const LABEL_COLUMNS: [&str; 3] = ["label", "sentiment", "s"];

/// The most bytes one record may hold (16 MiB): a CSV/TSV row, a JSON Lines
/// line, the text of one object of a JSON array, one aclImdb review file
/// (decompressed). The longest review of imdb-mini is 10 KB.
pub const MAX_RECORD_BYTES: usize = 16 << 20;

/// The examples of one file (or folder), with where each came from.
#[derive(Debug, Default)]
pub(crate) struct Table {
    /// The file or folder read.
    pub path: PathBuf,
    /// The examples, in file order.
    pub examples: Vec<Example>,
    /// 1-based line of each example in `path`; 0 where lines do not apply
    /// (a JSON array, a folder of files).
    pub lines: Vec<u64>,
}

impl Table {
    /// Where example `i` came from, for an error: the path and the line.
    pub fn locate(&self, i: usize) -> (PathBuf, Option<u64>) {
        let line = self.lines.get(i).copied().filter(|&l| l > 0);
        (self.path.clone(), line)
    }
}

/// The file formats read, told apart by the file name's extension (after
/// removing `.gz`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// `.csv`: comma-separated, a header row, RFC 4180 quoting.
    Csv,
    /// `.tsv` or `.tab`: tab-separated, a header row, the same quoting.
    Tsv,
    /// `.jsonl` or `.ndjson`: one JSON object per line.
    JsonLines,
    /// `.json`: one JSON array of objects.
    JsonArray,
}

impl Format {
    /// The format of `path` by its name, if it is one of those read.
    pub fn of(path: &Path) -> Option<Format> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        let ext = name.rsplit_once('.')?.1;
        match ext {
            "csv" => Some(Format::Csv),
            "tsv" | "tab" => Some(Format::Tsv),
            "jsonl" | "ndjson" => Some(Format::JsonLines),
            "json" => Some(Format::JsonArray),
            _ => None,
        }
    }
}

/// Reads `path`'s bytes as stored (compressed or not); refuses anything but
/// a regular file (see [`open_regular`]).
pub(crate) fn read_raw(path: &Path) -> Result<Vec<u8>> {
    read_raw_limited(path, usize::MAX)
}

/// [`read_raw`] for a file that is one record: more than `limit` bytes is an
/// error, before reading.
pub(crate) fn read_raw_limited(path: &Path, limit: usize) -> Result<Vec<u8>> {
    let (mut file, bytes) = open_regular(path)?;
    if bytes > limit as u64 {
        return Err(record_too_large(
            path,
            None,
            usize::try_from(bytes).unwrap_or(usize::MAX),
            "this file",
        ));
    }
    let mut raw = Vec::with_capacity(usize::try_from(bytes).unwrap_or(0).saturating_add(1));
    file.read_to_end(&mut raw).map_err(|e| Error::io(path, e))?;
    Ok(raw)
}

/// Opens `path` for reading when it is a regular file (after following
/// symbolic links), with its size; else a one-line error that says what it
/// is. On Unix the file is opened without blocking and checked through the
/// open handle, so a FIFO is never waited on and a file swapped after the
/// check is still caught.
pub(crate) fn open_regular(path: &Path) -> Result<(std::fs::File, u64)> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    // A folder opens on Unix; check it by the path first for a clear message.
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
    {
        return Err(not_regular(path, &meta.file_type()));
    }
    let file = options.open(path).map_err(|e| Error::io(path, e))?;
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Err(not_regular(path, &meta.file_type()));
    }
    Ok((file, meta.len()))
}

/// The error for a path that is not a regular file.
fn not_regular(path: &Path, kind: &std::fs::FileType) -> Error {
    let what = if kind.is_dir() {
        "a directory"
    } else {
        file_kind(kind)
    };
    Error::data(
        path,
        None,
        None,
        format!("is {what}, not a regular file; give a regular file (copy the data into one)"),
    )
}

#[cfg(unix)]
fn file_kind(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a FIFO (named pipe)"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn file_kind(_: &std::fs::FileType) -> &'static str {
    "a special file"
}

/// An error at the first line of `text` longer than [`MAX_RECORD_BYTES`]
/// (its line break not counted), if any: a record can be no shorter than the line
/// it is on, and refusing here keeps the parser from buffering it.
pub(crate) fn check_line_lengths(path: &Path, text: &str) -> Result<()> {
    if text.len() <= MAX_RECORD_BYTES {
        return Ok(());
    }
    let mut line = 0u64;
    for l in text.split('\n') {
        line += 1;
        if l.len() > MAX_RECORD_BYTES {
            return Err(record_too_large(path, Some(line), l.len(), "this line"));
        }
    }
    Ok(())
}

/// The error for a record larger than [`MAX_RECORD_BYTES`]; `subject` says
/// what holds it (`this line`, `this row`, `record 3: text field \`t\``).
pub(crate) fn record_too_large(
    path: &Path,
    line: Option<u64>,
    bytes: usize,
    subject: &str,
) -> Error {
    let hint = if subject == "this line" {
        " (a file without line breaks?)"
    } else {
        ""
    };
    Error::data(
        path,
        line,
        None,
        format!(
            "{subject} holds {bytes} bytes, more than the {} MiB ({MAX_RECORD_BYTES} bytes) \
             one record may hold{hint}",
            MAX_RECORD_BYTES >> 20
        ),
    )
}

/// The identity of a file from its stored bytes.
pub(crate) fn identity(path: &Path, raw: &[u8]) -> FileIdentity {
    FileIdentity {
        path: path.to_path_buf(),
        bytes: raw.len() as u64,
        sha256: sha256_hex(raw),
    }
}

/// Lower-case hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for b in digest {
        hex.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
        hex.push(char::from_digit(u32::from(b & 15), 16).unwrap_or('0'));
    }
    hex
}

/// `raw` decompressed when `path` ends in `.gz` or `raw` starts with the gzip
/// magic bytes; `None` when it is not compressed. With a `limit`, more
/// decompressed bytes than that are an error (one record per file).
pub(crate) fn decompress(path: &Path, raw: &[u8], limit: Option<usize>) -> Result<Option<Vec<u8>>> {
    let named_gz = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    if !named_gz && !raw.starts_with(&[0x1f, 0x8b]) {
        return Ok(None);
    }
    let cap = limit.map_or(u64::MAX, |l| l as u64 + 1);
    let mut out = Vec::with_capacity(raw.len().saturating_mul(3).min(cap as usize));
    flate2::read::MultiGzDecoder::new(raw)
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|e| Error::data(path, None, None, format!("not a valid gzip file: {e}")))?;
    if let Some(limit) = limit
        && out.len() > limit
    {
        return Err(record_too_large(
            path,
            None,
            out.len(),
            "this file (decompressed)",
        ));
    }
    Ok(Some(out))
}

/// `bytes` as UTF-8 text (a leading byte-order mark removed), or an error that
/// names the line and byte column of the first bad byte.
pub(crate) fn utf8<'a>(path: &Path, bytes: &'a [u8]) -> Result<&'a str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.strip_prefix('\u{feff}').unwrap_or(text)),
        Err(e) => {
            let at = e.valid_up_to();
            let before = &bytes[..at];
            let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
            let line_start = before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1);
            let column = (at - line_start) as u64 + 1;
            Err(Error::data(
                path,
                Some(line),
                Some(column),
                format!(
                    "not valid UTF-8: byte 0x{:02x} at line {line}, byte column {column}",
                    bytes[at]
                ),
            ))
        }
    }
}

/// Parses the text of a CSV, TSV, JSON Lines or JSON-array file.
pub(crate) fn parse(path: &Path, format: Format, text: &str, columns: &Columns) -> Result<Table> {
    if text.trim().is_empty() {
        return Err(Error::data(path, None, None, "empty file"));
    }
    if format != Format::JsonArray {
        check_line_lengths(path, text)?;
    }
    let table = match format {
        Format::Csv => parse_delimited(path, text, b',', columns)?,
        Format::Tsv => parse_delimited(path, text, b'\t', columns)?,
        Format::JsonLines => parse_json_lines(path, text, columns)?,
        Format::JsonArray => parse_json_array(path, text, columns)?,
    };
    if table.examples.is_empty() {
        return Err(Error::data(path, None, None, "no examples in the file"));
    }
    Ok(table)
}

/// Picks the index of a column among `names`: the chosen one, else the first
/// default present; exact matches before case-insensitive ones. A name that
/// matches two columns (the same way) is an error naming it: the first would
/// otherwise be used silently.
pub(crate) fn resolve_column(
    path: &Path,
    names: &[&str],
    chosen: Option<&str>,
    defaults: &[&str],
    role: &str,
    flag: &str,
) -> Result<usize> {
    let wanted: Vec<&str> = chosen.map_or_else(|| defaults.to_vec(), |c| vec![c]);
    let matching = |w: &str, exact: bool| -> Vec<usize> {
        (0..names.len())
            .filter(|&i| {
                if exact {
                    names[i] == w
                } else {
                    names[i].eq_ignore_ascii_case(w)
                }
            })
            .collect()
    };
    let found = [true, false].into_iter().find_map(|exact| {
        wanted
            .iter()
            .map(|w| (*w, exact, matching(w, exact)))
            .find(|(_, _, m)| !m.is_empty())
    });
    match found {
        Some((_, _, m)) if m.len() == 1 => Ok(m[0]),
        Some((w, exact, m)) => {
            let fields = m
                .iter()
                .map(|i| (i + 1).to_string())
                .collect::<Vec<_>>()
                .join(" and ");
            let which = if exact {
                format!("column `{w}` appears {} times in the header", m.len())
            } else {
                let cols: Vec<&str> = m.iter().map(|&i| names[i]).collect();
                format!("columns {} all match `{w}` (ignoring case)", quoted(&cols))
            };
            Err(Error::data(
                path,
                Some(1),
                None,
                format!(
                    "{which} (fields {fields}), so the {role} column is ambiguous; rename or \
                     remove all but one{}",
                    if exact {
                        String::new()
                    } else {
                        format!(", or choose one by its exact name with {flag}")
                    }
                ),
            ))
        }
        None => {
            let looked = match chosen {
                Some(c) => format!("no {role} column `{c}`"),
                None => format!("no {role} column (looked for {})", quoted(defaults)),
            };
            Err(Error::data(
                path,
                Some(1),
                None,
                format!(
                    "{looked}; the columns are: {}; choose one with {flag}",
                    quoted(names)
                ),
            ))
        }
    }
}

/// Names for an error line, each in backticks: at most [`QUOTED_NAMES`]
/// of them and [`QUOTED_CHARS`] characters of each, so that a header that is
/// really a 5 MB line of text gives a line, not megabytes.
pub(crate) fn quoted(names: &[&str]) -> String {
    let mut shown: Vec<String> = names
        .iter()
        .take(QUOTED_NAMES)
        .map(|n| {
            if n.chars().count() > QUOTED_CHARS {
                let head: String = n.chars().take(QUOTED_CHARS).collect();
                format!("`{head}…` ({} characters)", n.chars().count())
            } else {
                format!("`{n}`")
            }
        })
        .collect();
    if names.len() > QUOTED_NAMES {
        shown.push(format!("and {} more", names.len() - QUOTED_NAMES));
    }
    shown.join(", ")
}

/// The most names [`quoted`] lists.
const QUOTED_NAMES: usize = 20;
/// The most characters of one name [`quoted`] shows.
const QUOTED_CHARS: usize = 40;

/// The csv crate's error, placed at the line `lines` finds for its position.
pub(crate) fn csv_error(path: &Path, e: &csv::Error, lines: &mut RecordLines) -> Error {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => Error::data(
            path,
            pos.as_ref().map(|p| lines.line_of(p)),
            None,
            format!("this row has {len} fields, the header has {expected_len}"),
        ),
        _ => Error::data(
            path,
            e.position().map(|p| lines.line_of(p)),
            None,
            e.to_string(),
        ),
    }
}

/// The 1-based line on which a CSV/TSV record starts, from the byte offset
/// the csv crate gives its position.
///
/// Not the crate's own `Position::line`: a record ends at the `\r` of a
/// `\r\n`, and the `\n` is only read with the next record, so in a CRLF
/// file every record's line was the one before it (an error in the first
/// row pointed at the header). The line here is the one of the record's
/// first byte: line breaks (and skipped empty lines) before it are counted.
/// Offsets only grow while a file is read, so the count goes on from the
/// last one: linear in the file.
pub(crate) struct RecordLines<'a> {
    bytes: &'a [u8],
    /// Where the count has reached, and the line there.
    offset: usize,
    line: u64,
}

impl<'a> RecordLines<'a> {
    /// A counter over the text the csv reader reads.
    pub(crate) fn new(text: &'a str) -> Self {
        RecordLines {
            bytes: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    /// The line of the record the csv crate places at `position`.
    pub(crate) fn line_of(&mut self, position: &csv::Position) -> u64 {
        let mut start = (position.byte() as usize).min(self.bytes.len());
        while start < self.bytes.len() && matches!(self.bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        if start < self.offset {
            // Not expected (offsets grow); count again from the start.
            (self.offset, self.line) = (0, 1);
        }
        self.line += self.bytes[self.offset..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        self.offset = start;
        self.line
    }
}

fn parse_delimited(path: &Path, text: &str, delimiter: u8, columns: &Columns) -> Result<Table> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let mut lines = RecordLines::new(text);
    let header = reader
        .headers()
        .map_err(|e| csv_error(path, &e, &mut lines))?
        .clone();
    let names: Vec<&str> = header.iter().map(str::trim).collect();
    let ti = resolve_column(
        path,
        &names,
        columns.text.as_deref(),
        &TEXT_COLUMNS,
        "text",
        "--text-col",
    )?;
    let li = resolve_column(
        path,
        &names,
        columns.label.as_deref(),
        &LABEL_COLUMNS,
        "label",
        "--label-col",
    )?;
    let mut table = Table {
        path: path.to_path_buf(),
        ..Table::default()
    };
    let mut record = csv::StringRecord::new();
    while reader
        .read_record(&mut record)
        .map_err(|e| csv_error(path, &e, &mut lines))?
    {
        let line = record.position().map_or(0, |p| lines.line_of(p));
        let bytes = record.as_slice().len() + record.len();
        if bytes > MAX_RECORD_BYTES {
            return Err(record_too_large(path, Some(line), bytes, "this row"));
        }
        let label = record.get(li).unwrap_or("").trim();
        if label.is_empty() {
            return Err(Error::data(
                path,
                Some(line),
                Some(li as u64 + 1),
                format!("empty label in column `{}` (field {})", names[li], li + 1),
            ));
        }
        let text = record.get(ti).unwrap_or("").to_owned();
        table.examples.push(Example {
            text,
            label: label.to_owned(),
        });
        table.lines.push(line);
    }
    Ok(table)
}

/// Which fields of a JSON object hold the text and the label.
struct Wanted<'c> {
    text: Vec<&'c str>,
    label: Vec<&'c str>,
}

impl<'c> Wanted<'c> {
    fn new(columns: &'c Columns) -> Self {
        let text = columns
            .text
            .as_deref()
            .map_or_else(|| TEXT_COLUMNS.to_vec(), |c| vec![c]);
        let label = columns
            .label
            .as_deref()
            .map_or_else(|| LABEL_COLUMNS.to_vec(), |c| vec![c]);
        Wanted { text, label }
    }

    /// Rank of `key` among `list` (lower is better; exact before caseless).
    fn rank(list: &[&str], key: &str) -> Option<usize> {
        list.iter()
            .position(|c| *c == key)
            .map(|r| 2 * r)
            .or_else(|| {
                list.iter()
                    .position(|c| c.eq_ignore_ascii_case(key))
                    .map(|r| 2 * r + 1)
            })
    }
}

enum Key {
    Text(usize),
    Label(usize),
    Other(String),
}

/// A label as found: a string or a number written as text, or null.
enum LabelValue {
    Text(String),
    Null,
}

/// A text as found: a string, null, or a string longer than
/// [`MAX_RECORD_BYTES`] (its length; not copied).
enum TextValue {
    Text(String),
    Null,
    TooLong(usize),
}

/// The fields of one JSON object that matter.
#[derive(Default)]
struct Row {
    text: Option<(usize, TextValue)>,
    label: Option<(usize, LabelValue)>,
    /// Names of the fields that were neither text nor label.
    others: Vec<String>,
    /// A wanted name that two fields matched equally well (`true`: the text),
    /// with its rank.
    duplicate: Option<(bool, usize)>,
}

struct RowSeed<'a, 'c>(&'a Wanted<'c>);
struct KeySeed<'a, 'c>(&'a Wanted<'c>);
struct LabelSeed;
struct TextSeed;
struct ArraySeed<'a, 'c>(&'a Wanted<'c>);

impl<'de> DeserializeSeed<'de> for KeySeed<'_, '_> {
    type Value = Key;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_, '_> {
    type Value = Key;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
        if let Some(r) = Wanted::rank(&self.0.text, key) {
            Ok(Key::Text(r))
        } else if let Some(r) = Wanted::rank(&self.0.label, key) {
            Ok(Key::Label(r))
        } else {
            Ok(Key::Other(key.to_owned()))
        }
    }
}

impl<'de> DeserializeSeed<'de> for LabelSeed {
    type Value = LabelValue;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<LabelValue, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for LabelSeed {
    type Value = LabelValue;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a label (a string or a number)")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<LabelValue, E> {
        Ok(LabelValue::Text(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<LabelValue, E> {
        Ok(LabelValue::Text(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<LabelValue, E> {
        Ok(LabelValue::Text(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<LabelValue, E> {
        Ok(LabelValue::Text(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<LabelValue, E> {
        // 1.0 and 1 are the same class.
        if v.fract() == 0.0 && v.abs() < 1e15 {
            Ok(LabelValue::Text((v as i64).to_string()))
        } else {
            Ok(LabelValue::Text(v.to_string()))
        }
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<LabelValue, E> {
        Ok(LabelValue::Text(v.to_string()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<LabelValue, E> {
        Ok(LabelValue::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<LabelValue, E> {
        Ok(LabelValue::Null)
    }
}

impl<'de> DeserializeSeed<'de> for TextSeed {
    type Value = TextValue;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<TextValue, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for TextSeed {
    type Value = TextValue;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a text (a string)")
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<TextValue, D::Error> {
        d.deserialize_str(self)
    }
    fn visit_none<E: de::Error>(self) -> Result<TextValue, E> {
        Ok(TextValue::Null)
    }
    fn visit_unit<E: de::Error>(self) -> Result<TextValue, E> {
        Ok(TextValue::Null)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<TextValue, E> {
        if v.len() > MAX_RECORD_BYTES {
            Ok(TextValue::TooLong(v.len()))
        } else {
            Ok(TextValue::Text(v.to_owned()))
        }
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<TextValue, E> {
        if v.len() > MAX_RECORD_BYTES {
            Ok(TextValue::TooLong(v.len()))
        } else {
            Ok(TextValue::Text(v))
        }
    }
}

impl<'de> DeserializeSeed<'de> for RowSeed<'_, '_> {
    type Value = Row;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Row, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_, '_> {
    type Value = Row;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Row, A::Error> {
        let mut row = Row::default();
        while let Some(key) = map.next_key_seed(KeySeed(self.0))? {
            match key {
                Key::Text(r) if row.text.as_ref().is_none_or(|(best, _)| r < *best) => {
                    row.text = Some((r, map.next_value_seed(TextSeed)?));
                }
                Key::Label(r) if row.label.as_ref().is_none_or(|(best, _)| r < *best) => {
                    row.label = Some((r, map.next_value_seed(LabelSeed)?));
                }
                Key::Other(name) => {
                    map.next_value::<IgnoredAny>()?;
                    row.others.push(name);
                }
                Key::Text(r) | Key::Label(r) => {
                    let is_text = matches!(key, Key::Text(_));
                    let best = if is_text {
                        row.text.as_ref().map(|(b, _)| *b)
                    } else {
                        row.label.as_ref().map(|(b, _)| *b)
                    };
                    if best == Some(r) && row.duplicate.is_none() {
                        row.duplicate = Some((is_text, r));
                    }
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(row)
    }
}

impl<'de> DeserializeSeed<'de> for ArraySeed<'_, '_> {
    type Value = Vec<Row>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Vec<Row>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ArraySeed<'_, '_> {
    type Value = Vec<Row>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON array of objects")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Row>, A::Error> {
        let mut rows = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(row) = seq.next_element_seed(RowSeed(self.0))? {
            rows.push(row);
        }
        Ok(rows)
    }
}

/// An error from serde_json, placed at `line` of the file (serde_json counts
/// lines within the text it was given, which for JSON Lines is one line).
fn json_error(path: &Path, line: Option<u64>, e: &serde_json::Error) -> Error {
    let message = e.to_string();
    let message = match message.rfind(" at line ") {
        Some(cut) => message[..cut].to_owned(),
        None => message,
    };
    let (line, column) = match line {
        Some(l) => (Some(l), Some(e.column() as u64)),
        None => (Some(e.line() as u64), Some(e.column() as u64)),
    };
    Error::data(path, line, column, format!("invalid JSON: {message}"))
}

/// Checks one parsed object and makes it an example.
fn row_to_example(
    path: &Path,
    row: Row,
    wanted: &Wanted,
    line: Option<u64>,
    record: Option<usize>,
) -> Result<Example> {
    let at = record.map_or_else(String::new, |r| format!("record {r}: "));
    let fields = |row: &Row| {
        let mut names: Vec<&str> = Vec::new();
        if let Some((r, _)) = &row.text {
            names.push(wanted.text[r / 2]);
        }
        if let Some((r, _)) = &row.label {
            names.push(wanted.label[r / 2]);
        }
        names.extend(row.others.iter().map(String::as_str));
        if names.is_empty() {
            "none".to_owned()
        } else {
            quoted(&names)
        }
    };
    if let Some((is_text, r)) = row.duplicate {
        let (name, flag) = if is_text {
            (wanted.text[r / 2], "--text-col")
        } else {
            (wanted.label[r / 2], "--label-col")
        };
        let which = if r % 2 == 0 {
            format!("field `{name}` appears twice in this object")
        } else {
            format!("two fields match `{name}` (ignoring case) in this object")
        };
        return Err(Error::data(
            path,
            line,
            None,
            format!(
                "{at}{which}, so the {} is ambiguous; remove one, or choose one by its exact \
                 name with {flag}",
                if is_text { "text" } else { "label" }
            ),
        ));
    }
    match &row.text {
        None => {
            return Err(Error::data(
                path,
                line,
                None,
                format!(
                    "{at}no text field (looked for {}); the fields are: {}; choose one with --text-col",
                    quoted(&wanted.text),
                    fields(&row)
                ),
            ));
        }
        Some((r, TextValue::Null)) => {
            return Err(Error::data(
                path,
                line,
                None,
                format!("{at}text field `{}` is null", wanted.text[r / 2]),
            ));
        }
        Some((r, TextValue::TooLong(bytes))) => {
            let subject = format!("{at}text field `{}`", wanted.text[r / 2]);
            return Err(record_too_large(path, line, *bytes, &subject));
        }
        Some((_, TextValue::Text(_))) => {}
    }
    let label = match &row.label {
        None => {
            return Err(Error::data(
                path,
                line,
                None,
                format!(
                    "{at}no label field (looked for {}); the fields are: {}; choose one with --label-col",
                    quoted(&wanted.label),
                    fields(&row)
                ),
            ));
        }
        Some((r, LabelValue::Null)) => {
            return Err(Error::data(
                path,
                line,
                None,
                format!("{at}label field `{}` is null", wanted.label[r / 2]),
            ));
        }
        Some((r, LabelValue::Text(l))) => {
            let l = l.trim();
            if l.is_empty() {
                return Err(Error::data(
                    path,
                    line,
                    None,
                    format!("{at}empty label in field `{}`", wanted.label[r / 2]),
                ));
            }
            l.to_owned()
        }
    };
    let text = match row.text {
        Some((_, TextValue::Text(t))) => t,
        // Every other case returned above.
        _ => String::new(),
    };
    Ok(Example { text, label })
}

fn parse_json_lines(path: &Path, text: &str, columns: &Columns) -> Result<Table> {
    let wanted = Wanted::new(columns);
    let lines: Vec<(u64, &str)> = text
        .split('\n')
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i as u64 + 1, l))
        .collect();
    let parsed: Vec<Result<Example>> = lines
        .par_iter()
        .with_min_len(512)
        .map(|&(line, l)| {
            let mut de = serde_json::Deserializer::from_str(l);
            let row = RowSeed(&wanted)
                .deserialize(&mut de)
                .and_then(|row| de.end().map(|()| row))
                .map_err(|e| json_error(path, Some(line), &e))?;
            row_to_example(path, row, &wanted, Some(line), None)
        })
        .collect();
    let mut table = Table {
        path: path.to_path_buf(),
        ..Table::default()
    };
    table.examples.reserve(parsed.len());
    for (example, &(line, _)) in parsed.into_iter().zip(&lines) {
        table.examples.push(example?);
        table.lines.push(line);
    }
    Ok(table)
}

fn parse_json_array(path: &Path, text: &str, columns: &Columns) -> Result<Table> {
    let wanted = Wanted::new(columns);
    let mut de = serde_json::Deserializer::from_str(text);
    let rows = ArraySeed(&wanted)
        .deserialize(&mut de)
        .and_then(|rows| de.end().map(|()| rows))
        .map_err(|e| json_error(path, None, &e))?;
    let mut table = Table {
        path: path.to_path_buf(),
        ..Table::default()
    };
    table.examples.reserve(rows.len());
    for (i, row) in rows.into_iter().enumerate() {
        table
            .examples
            .push(row_to_example(path, row, &wanted, None, Some(i))?);
        table.lines.push(0);
    }
    Ok(table)
}

/// Reads and parses one file; returns its examples and identity.
pub(crate) fn load_file(path: &Path, columns: &Columns) -> Result<(Table, FileIdentity)> {
    let format = Format::of(path).ok_or_else(|| {
        Error::data(
            path,
            None,
            None,
            "unknown file type: expected .csv, .tsv, .jsonl, .ndjson or .json (optionally .gz)",
        )
    })?;
    let raw = read_raw(path)?;
    if raw.is_empty() {
        return Err(Error::data(path, None, None, "empty file"));
    }
    let (id, table) = rayon::join(
        || identity(path, &raw),
        || -> Result<Table> {
            let unpacked = decompress(path, &raw, None)?;
            let text = utf8(path, unpacked.as_deref().unwrap_or(&raw))?;
            parse(path, format, text, columns)
        },
    );
    Ok((table?, id))
}

/// Reads an aclImdb-style folder `dir/<split>/<class>/*.txt` (or `.txt.gz`)
/// for `split` (`train` or `test`): one example per file, labelled by the
/// class folder's name; `unsup` is skipped. Files are read in the order of
/// their numeric id (the part of the name before `_`), then by name. Also
/// returns the `(relative path, stored bytes, sha256)` of each file.
pub(crate) fn load_acl_split(dir: &Path, split: &str) -> Result<(Table, Vec<AclFile>)> {
    let split_dir = dir.join(split);
    let mut files: Vec<(String, PathBuf, String)> = Vec::new();
    for class_dir in sorted_entries(&split_dir)? {
        let class = match class_dir.file_name().and_then(|n| n.to_str()) {
            Some(c) if class_dir.is_dir() && c != "unsup" => c.to_owned(),
            _ => continue,
        };
        let mut in_class: Vec<PathBuf> = sorted_entries(&class_dir)?
            .into_iter()
            .filter(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                p.is_file() && (name.ends_with(".txt") || name.ends_with(".txt.gz"))
            })
            .collect();
        in_class.sort_by_key(|p| {
            let name = p
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_owned();
            let id = name
                .split(['_', '.'])
                .next()
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or(u64::MAX);
            (id, name)
        });
        for p in in_class {
            let name = p
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_owned();
            files.push((format!("{split}/{class}/{name}"), p, class.clone()));
        }
    }
    let read: Vec<Result<(Example, AclFile)>> = files
        .par_iter()
        .map(|(rel, p, class)| {
            let raw = read_raw_limited(p, MAX_RECORD_BYTES)?;
            let unpacked = decompress(p, &raw, Some(MAX_RECORD_BYTES))?;
            let text = utf8(p, unpacked.as_deref().unwrap_or(&raw))?.to_owned();
            let example = Example {
                text,
                label: class.clone(),
            };
            Ok((
                example,
                AclFile {
                    rel: rel.clone(),
                    bytes: raw.len() as u64,
                    sha256: sha256_hex(&raw),
                },
            ))
        })
        .collect();
    let mut table = Table {
        path: split_dir,
        ..Table::default()
    };
    let mut manifest = Vec::with_capacity(read.len());
    for r in read {
        let (example, entry) = r?;
        table.examples.push(example);
        table.lines.push(0);
        manifest.push(entry);
    }
    if table.examples.is_empty() {
        return Err(Error::data(
            &table.path,
            None,
            None,
            "no class folders with .txt files",
        ));
    }
    Ok((table, manifest))
}

/// One review file of an aclImdb folder, for the folder's identity.
pub(crate) struct AclFile {
    /// Path relative to the folder, e.g. `train/pos/0_9.txt`.
    pub rel: String,
    /// Size as stored, in bytes.
    pub bytes: u64,
    /// Hex SHA-256 of the stored bytes.
    pub sha256: String,
}

/// The entries of folder `dir`, sorted by name.
pub(crate) fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        entries.push(entry.map_err(|e| Error::io(dir, e))?.path());
    }
    entries.sort();
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols() -> Columns {
        Columns::default()
    }

    #[test]
    fn formats_by_name() {
        assert_eq!(Format::of(Path::new("a/train.csv")), Some(Format::Csv));
        assert_eq!(Format::of(Path::new("train.TSV.gz")), Some(Format::Tsv));
        assert_eq!(Format::of(Path::new("x.jsonl.gz")), Some(Format::JsonLines));
        assert_eq!(
            Format::of(Path::new("reviews.json")),
            Some(Format::JsonArray)
        );
        assert_eq!(Format::of(Path::new("x.txt")), None);
    }

    #[test]
    fn utf8_error_has_line_and_byte_column() {
        let e = utf8(Path::new("f.csv"), b"ok\nab\xffc\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("f.csv:2:3: not valid UTF-8"), "{e}");
    }

    #[test]
    fn json_lines_with_defaults_and_numbers() {
        let text = "{\"review\": \"good\", \"sentiment\": 1, \"id\": 3}\n\n{\"text\": \"bad\", \"label\": 0.0, \"t\": \"x\"}\n";
        let t = parse(Path::new("f.jsonl"), Format::JsonLines, text, &cols()).unwrap();
        assert_eq!(
            t.examples[0],
            Example {
                text: "good".into(),
                label: "1".into()
            }
        );
        assert_eq!(
            t.examples[1],
            Example {
                text: "bad".into(),
                label: "0".into()
            }
        );
        assert_eq!(t.lines, [1, 3]);
    }

    #[test]
    fn json_missing_field_lists_the_fields() {
        let e = parse(
            Path::new("f.jsonl"),
            Format::JsonLines,
            "{\"body\": \"x\", \"label\": 1}",
            &cols(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("f.jsonl:1: no text field"), "{e}");
        assert!(e.contains("`label`, `body`"), "{e}");
    }

    #[test]
    fn json_array_records() {
        let text = "[{\"t\": \"a\", \"s\": 0}, {\"t\": \"b\", \"s\": 1}]";
        let t = parse(Path::new("r.json"), Format::JsonArray, text, &cols()).unwrap();
        assert_eq!(t.examples.len(), 2);
        let e = parse(
            Path::new("r.json"),
            Format::JsonArray,
            "[{\"t\": \"a\", \"s\": \" \"}]",
            &cols(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("record 0: empty label"), "{e}");
    }

    #[test]
    fn csv_chosen_columns_case_insensitive() {
        let text = "Review,Stars\n\"a, b\",5\nc,1\n";
        let columns = Columns {
            text: None,
            label: Some("stars".into()),
            ..Columns::default()
        };
        let t = parse(Path::new("f.csv"), Format::Csv, text, &columns).unwrap();
        assert_eq!(
            t.examples[0],
            Example {
                text: "a, b".into(),
                label: "5".into()
            }
        );
        assert_eq!(t.lines, [2, 3]);
    }

    /// Issue 35, finding 12: in a CRLF file the csv crate's record line was
    /// the line before (an error in the first row named the header's line).
    #[test]
    fn crlf_rows_are_placed_on_their_own_lines() {
        for (format, sep) in [(Format::Csv, ","), (Format::Tsv, "\t")] {
            let text = format!("text{sep}label\r\na{sep}1\r\n\r\n\"b\r\nc\"{sep}0\r\nd{sep}\r\n");
            let e = parse(Path::new("f.csv"), format, &text, &cols())
                .unwrap_err()
                .to_string();
            // Rows: `a` on line 2, `b…c` on lines 4-5 (after an empty line 3),
            // the empty label on line 6.
            assert!(e.starts_with("f.csv:6:2: empty label"), "{e}");
            let good = text.strip_suffix(&format!("d{sep}\r\n")).unwrap();
            let t = parse(Path::new("f.csv"), format, good, &cols()).unwrap();
            assert_eq!(t.lines, [2, 4], "{format:?}");
            let e = parse(
                Path::new("f.csv"),
                format,
                &format!("text{sep}label\r\na{sep}1\r\nb{sep}0{sep}x\r\n"),
                &cols(),
            )
            .unwrap_err()
            .to_string();
            assert!(e.starts_with("f.csv:3: this row has 3 fields"), "{e}");
        }
        // The same rows with LF line breaks: the lines were right already.
        let t = parse(
            Path::new("f.csv"),
            Format::Csv,
            "text,label\na,1\n\n\"b\nc\",0\n",
            &cols(),
        )
        .unwrap();
        assert_eq!(t.lines, [2, 4]);
        // JSON Lines splits at `\n`, so a CRLF file's lines were right too.
        let t = parse(
            Path::new("f.jsonl"),
            Format::JsonLines,
            "{\"text\": \"a\", \"label\": 1}\r\n\r\n{\"text\": \"b\", \"label\": 0}\r\n",
            &cols(),
        )
        .unwrap();
        assert_eq!(t.lines, [1, 3]);
        let e = parse(
            Path::new("f.jsonl"),
            Format::JsonLines,
            "{\"text\": \"a\", \"label\": 1}\r\n{\"text\": \"b\"}\r\n",
            &cols(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("f.jsonl:2"), "{e}");
    }
}
