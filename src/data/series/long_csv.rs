//! A long CSV (or TSV, by a `.tsv` or `.tab` name; either optionally
//! `.gz`): a header row, then one row per time step of one series.
//!
//! - The series column groups the rows into series, in the order of their
//!   first row; without one (a forecast's single series) every row is of one
//!   series.
//! - The time column, when given, orders the rows of a series: numerically
//!   when every time in the file is a finite number, else by the instant
//!   when every time is an ISO 8601 date or date and time (a time without
//!   an offset is read as UTC; a space may stand for the `T`), else as text.
//!   Two rows of one series at the same time are an error; without a time
//!   column the rows keep the file's order. Spacing is not checked: a
//!   weekend or a holiday between two rows is no gap.
//! - The label column, when given, holds the series' label, the same on
//!   each of its rows.
//! - The channels are the columns chosen, or every other column, in the
//!   header's order. An empty cell, `NaN`, `NA` (any case) or `?` is a
//!   missing value; anything else must be a finite number.
//!
//! Columns are found by their header name as the text readers find theirs
//! (exactly, else ignoring ASCII case; a name matching two columns is an
//! error). Lines are the file's, the header being line 1.

use std::cmp::Ordering;
use std::path::Path;

use indexmap::IndexMap;

use super::{LongColumns, SeriesSplit, parse_value, shorten};
use crate::data::formats::{
    Format, MAX_RECORD_BYTES, RecordLines, check_line_lengths, csv_error, decompress, read_raw,
    record_too_large, resolve_column, utf8,
};
use crate::{Error, Result};

/// Reads a long CSV into one split and its channel names.
pub fn read_long_csv(path: &Path, columns: &LongColumns) -> Result<(SeriesSplit, Vec<String>)> {
    let delimiter = match Format::of(path) {
        Some(Format::Csv) => b',',
        Some(Format::Tsv) => b'\t',
        _ => {
            return Err(Error::data(
                path,
                None,
                None,
                "unknown file type for numeric series: expected .ts (UEA/UCR), or a long .csv or \
                 .tsv (optionally .gz)",
            ));
        }
    };
    let raw = read_raw(path)?;
    let unpacked = decompress(path, &raw, None)?;
    let text = utf8(path, unpacked.as_deref().unwrap_or(&raw))?;
    if text.trim().is_empty() {
        return Err(Error::data(path, None, None, "empty file"));
    }
    check_line_lengths(path, text)?;
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
    let layout = Layout::resolve(path, &names, columns)?;
    let mut groups: IndexMap<String, Group> = IndexMap::new();
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
        layout.add(path, &record, line, &mut groups)?;
    }
    if groups.is_empty() {
        return Err(Error::data(
            path,
            Some(1),
            None,
            "no rows after the header; write one row per time step",
        ));
    }
    let split = finish(path, groups, layout.channels.len())?;
    Ok((split, layout.channel_names))
}

/// Where the columns are (0-based field indices).
#[derive(Debug)]
struct Layout {
    series: Option<usize>,
    time: Option<usize>,
    label: Option<usize>,
    channels: Vec<usize>,
    /// The channels' names, as in the header.
    channel_names: Vec<String>,
    /// Every column's name, for errors.
    names: Vec<String>,
}

impl Layout {
    /// Finds the columns `columns` names in the header `names`.
    fn resolve(path: &Path, names: &[&str], columns: &LongColumns) -> Result<Layout> {
        let find = |name: &str, role: &str, flag: &str| {
            resolve_column(path, names, Some(name), &[], role, flag)
        };
        let optional = |name: &Option<String>, role: &str, flag: &str| {
            name.as_deref().map(|n| find(n, role, flag)).transpose()
        };
        let series = optional(&columns.series, "series", "--series-col")?;
        let time = optional(&columns.time, "time", "--time-col")?;
        let label = optional(&columns.label, "label", "--label-col")?;
        let mut roles: Vec<(usize, &str)> = Vec::new();
        roles.extend(series.map(|c| (c, "series")));
        roles.extend(label.map(|c| (c, "label")));
        roles.extend(time.map(|t| (t, "time")));
        if let Some((a, b)) = roles
            .iter()
            .enumerate()
            .find_map(|(i, a)| roles[i + 1..].iter().find(|b| b.0 == a.0).map(|b| (a, b)))
        {
            return Err(Error::config(
                format!("--{}-col", b.1),
                format!(
                    "column `{}` is both the {} and the {} column; give each its own column",
                    names[a.0], a.1, b.1
                ),
            ));
        }
        let channels: Vec<usize> = match &columns.channels {
            Some(list) => {
                let found = list
                    .iter()
                    .map(|c| find(c, "channel", "--channels"))
                    .collect::<Result<Vec<_>>>()?;
                check_channels(&found, &roles, names)?;
                found
            }
            None => (0..names.len())
                .filter(|i| !roles.iter().any(|r| r.0 == *i))
                .collect(),
        };
        if channels.is_empty() {
            return Err(Error::data(
                path,
                Some(1),
                None,
                "no channel column: the header has only the series, time and label columns; \
                 add a column of values",
            ));
        }
        Ok(Layout {
            series,
            time,
            label,
            channel_names: channels.iter().map(|&c| names[c].to_owned()).collect(),
            channels,
            names: names.iter().map(|n| (*n).to_owned()).collect(),
        })
    }

    /// Adds the row `record` (on `line`) to its series in `groups`.
    fn add(
        &self,
        path: &Path,
        record: &csv::StringRecord,
        line: u64,
        groups: &mut IndexMap<String, Group>,
    ) -> Result<()> {
        let cell = |i: usize| record.get(i).unwrap_or_default().trim();
        let required = |i: usize, what: &str| -> Result<&str> {
            let value = cell(i);
            if value.is_empty() {
                return Err(Error::data(
                    path,
                    Some(line),
                    Some(i as u64 + 1),
                    format!(
                        "empty {what} in column `{}`; every row needs its series, label and time",
                        self.names[i]
                    ),
                ));
            }
            Ok(value)
        };
        let series = self.series.map(|c| required(c, "series")).transpose()?;
        let series = series.unwrap_or_default();
        let label = self.label.map(|c| required(c, "label")).transpose()?;
        let label = label.unwrap_or_default();
        let time = self.time.map(|t| required(t, "time")).transpose()?;
        let mut values = Vec::with_capacity(self.channels.len());
        for &c in &self.channels {
            let text = cell(c);
            values.push(parse_value(text, is_missing).map_err(|bad| {
                Error::data(
                    path,
                    Some(line),
                    Some(c as u64 + 1),
                    format!(
                        "column `{}`: {}",
                        self.names[c],
                        bad.describe(text, "an empty cell (or NaN, NA, ?)")
                    ),
                )
            })?);
        }
        let group = groups.entry(series.to_owned()).or_insert_with(|| Group {
            label: label.to_owned(),
            first_line: line,
            ..Group::default()
        });
        if group.label != label {
            return Err(Error::data(
                path,
                Some(line),
                self.label.map(|c| c as u64 + 1),
                format!(
                    "series `{}` has the label `{}` on this line but `{}` on line {}; every row \
                     of a series needs the same label",
                    shorten(series),
                    shorten(label),
                    shorten(&group.label),
                    group.first_line
                ),
            ));
        }
        group.times.push(time.unwrap_or_default().to_owned());
        group.lines.push(line);
        group.values.extend(values);
        Ok(())
    }
}

/// The given channels against each other and the other columns.
fn check_channels(found: &[usize], roles: &[(usize, &str)], names: &[&str]) -> Result<()> {
    for (i, c) in found.iter().enumerate() {
        if let Some((_, role)) = roles.iter().find(|r| r.0 == *c) {
            return Err(Error::config(
                "--channels",
                format!(
                    "column `{}` is the {role} column; a channel must be another column",
                    names[*c]
                ),
            ));
        }
        if found[..i].contains(c) {
            return Err(Error::config(
                "--channels",
                format!(
                    "column `{}` is listed twice; list each channel once",
                    names[*c]
                ),
            ));
        }
    }
    Ok(())
}

/// The rows of one series, in file order.
#[derive(Debug, Default)]
struct Group {
    label: String,
    /// The line of its first row.
    first_line: u64,
    /// Per row: its time (empty without a time column), its line.
    times: Vec<String>,
    lines: Vec<u64>,
    /// Per row, its channels' values.
    values: Vec<f32>,
}

/// The series of `groups`, each ordered by time; two rows of one series at
/// the same time are an error.
fn finish(path: &Path, groups: IndexMap<String, Group>, channels: usize) -> Result<SeriesSplit> {
    let keys = TimeKeys::of(groups.values().flat_map(|g| &g.times));
    let mut split = SeriesSplit::default();
    for (name, group) in groups {
        let compare = |a: &usize, b: &usize| keys.compare(&group.times[*a], &group.times[*b]);
        let mut order: Vec<usize> = (0..group.lines.len()).collect();
        order.sort_by(compare);
        if let Some(pair) = order
            .windows(2)
            .find(|w| compare(&w[0], &w[1]) == Ordering::Equal && !group.times[w[0]].is_empty())
        {
            let (a, b) = (group.lines[pair[0]], group.lines[pair[1]]);
            return Err(Error::data(
                path,
                Some(a.max(b)),
                None,
                format!(
                    "series `{}` has two rows at time `{}` (lines {} and {}); keep one row per \
                     time step",
                    shorten(&name),
                    shorten(&group.times[pair[1]]),
                    a.min(b),
                    a.max(b)
                ),
            ));
        }
        let mut values = Vec::with_capacity(group.values.len());
        for &row in &order {
            values.extend_from_slice(&group.values[row * channels..(row + 1) * channels]);
        }
        split.values.push(values);
        split.labels.push(group.label);
        split.lines.push(group.first_line);
        split.names.push(name);
        split
            .times
            .push(order.iter().map(|&r| group.times[r].clone()).collect());
        split
            .row_lines
            .push(order.iter().map(|&r| group.lines[r]).collect());
    }
    Ok(split)
}

/// How the times of a file are compared: as numbers when every one is a
/// finite number, as instants when every one is an ISO 8601 date or date
/// and time, else as text.
#[derive(Debug)]
enum TimeKeys {
    Numbers,
    Instants,
    Text,
}

impl TimeKeys {
    /// The comparison that fits every time in `times`.
    fn of<'a>(times: impl Iterator<Item = &'a String> + Clone) -> TimeKeys {
        if times.clone().all(|t| number(t).is_some()) {
            TimeKeys::Numbers
        } else if times.clone().all(|t| instant(t).is_some()) {
            TimeKeys::Instants
        } else {
            TimeKeys::Text
        }
    }

    /// `a` against `b`, both times of the file.
    fn compare(&self, a: &str, b: &str) -> Ordering {
        match self {
            TimeKeys::Numbers => number(a)
                .unwrap_or(0.0)
                .total_cmp(&number(b).unwrap_or(0.0)),
            TimeKeys::Instants => instant(a).cmp(&instant(b)),
            TimeKeys::Text => a.cmp(b),
        }
    }
}

/// `text` as a finite number.
fn number(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// `text` as an ISO 8601 instant in nanoseconds since 1970 (UTC): a date
/// (`2024-03-01`, midnight), or a date and time with or without an offset
/// (`2024-03-01T13:30`, `2024-03-01 13:30:00Z`, `…+01:00`).
pub(crate) fn instant(text: &str) -> Option<i128> {
    use time::format_description::well_known::Iso8601;
    use time::{Date, OffsetDateTime, PrimitiveDateTime};
    let text = match text.as_bytes().get(10) {
        Some(b' ') => format!("{}T{}", &text[..10], &text[11..]),
        _ => text.to_owned(),
    };
    let at = OffsetDateTime::parse(&text, &Iso8601::DEFAULT)
        .or_else(|_| PrimitiveDateTime::parse(&text, &Iso8601::DEFAULT).map(|t| t.assume_utc()))
        .or_else(|_| Date::parse(&text, &Iso8601::DEFAULT).map(|d| d.midnight().assume_utc()))
        .ok()?;
    Some(at.unix_timestamp_nanos())
}

/// An empty cell, `?`, `NaN` or `NA` (any case) marks a missing value.
fn is_missing(text: &str) -> bool {
    text.is_empty()
        || text == "?"
        || text.eq_ignore_ascii_case("nan")
        || text.eq_ignore_ascii_case("na")
}
