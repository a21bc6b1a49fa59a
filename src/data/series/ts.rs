//! The UEA/UCR `.ts` format, read as aeon (`load_from_ts_file`) reads it,
//! with more checks.
//!
//! A header of `@` lines (tags case-insensitive) ends with `@data`; each
//! line after it is one series: its channels separated by `:`, the values of
//! a channel by `,`, and the class label last. Lines that are blank or start
//! with `#` are skipped everywhere. The tags read:
//!
//! - `@timeStamps false` (true, values with time stamps, is refused);
//! - `@univariate true|false`, `@dimension N` or `@dimensions N`: the
//!   channels each series must have (true means 1); without them, the
//!   first series' count;
//! - `@equalLength true|false` and `@seriesLength N`: with `@equalLength
//!   true` every series has the first one's length, and with
//!   `@seriesLength` (unless `@equalLength false`) that length;
//! - `@classLabel true a b c`: the labels a series may have (compared
//!   ignoring ASCII case, as aeon lower-cases both); `@classLabel false`
//!   and `@targetLabel true` (regression) are refused;
//! - `@missing`, `@problemName` and any other tag are ignored.
//!
//! `?` and `NaN` (any case) are missing values. Unlike aeon, the channels of
//! one series must have the same length (aeon refuses that too), a series
//! may not be empty, and a value must be a finite number that fits an
//! `f32`.

use std::path::Path;

use super::{SeriesSplit, column, parse_value, quoted, shorten};
use crate::data::formats::{read_raw, utf8};
use crate::{Error, Result};

/// Reads a `.ts` file into one split and its channel count.
pub fn read_ts(path: &Path) -> Result<(SeriesSplit, usize)> {
    let raw = read_raw(path)?;
    let text = utf8(path, &raw)?;
    if text.trim().is_empty() {
        return Err(Error::data(
            path,
            None,
            None,
            "empty file; a .ts file holds header lines (@problemName …), @data, then one series \
             per line",
        ));
    }
    let mut lines = text
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i as u64 + 1, l.strip_suffix('\r').unwrap_or(l)));
    let (header, data_line) = read_header(path, &mut lines)?;
    let mut reader = Series {
        path,
        header: &header,
        split: SeriesSplit::default(),
        channels: None,
        first_length: None,
    };
    for (number, line) in lines {
        let trimmed = line.trim();
        if !trimmed.is_empty() && !trimmed.starts_with('#') {
            reader.read(number, line)?;
        }
    }
    let channels = match reader.channels {
        Some((channels, _)) => channels,
        None => {
            return Err(Error::data(
                path,
                Some(data_line),
                None,
                "no series after @data; write one series per line after it",
            ));
        }
    };
    Ok((reader.split, channels))
}

/// What the header says about the series; each with the line that says it.
#[derive(Debug, Default)]
struct Header {
    univariate: Option<(bool, u64)>,
    dimensions: Option<(usize, u64)>,
    equal_length: Option<(bool, u64)>,
    series_length: Option<(usize, u64)>,
    /// `@classLabel true`'s labels.
    classes: Option<(Vec<String>, u64)>,
}

/// Reads the header up to `@data`; returns it with the line of `@data`.
fn read_header<'a>(
    path: &Path,
    lines: &mut impl Iterator<Item = (u64, &'a str)>,
) -> Result<(Header, u64)> {
    let mut header = Header::default();
    let mut last = 1;
    for (number, line) in lines.by_ref() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        last = number;
        if line.starts_with('#') {
            continue;
        }
        let Some(tagged) = line.strip_prefix('@') else {
            return Err(Error::data(
                path,
                Some(number),
                None,
                "a series before @data: the header (lines starting with @) must end with a line \
                 `@data`, and the series follow it",
            ));
        };
        let mut tokens = tagged.split_whitespace();
        let tag = tokens.next().unwrap_or_default();
        let values: Vec<&str> = tokens.collect();
        if tag.eq_ignore_ascii_case("data") {
            if !values.is_empty() {
                return Err(Error::data(
                    path,
                    Some(number),
                    None,
                    "@data takes no value; put the series on the lines after it",
                ));
            }
            check_header(path, &header)?;
            return Ok((header, number));
        }
        read_tag(path, number, tag, &values, &mut header)?;
    }
    Err(Error::data(
        path,
        Some(last),
        None,
        "the file ends without a line `@data`; end the header with @data and put the series \
         after it",
    ))
}

/// Reads one header tag (`tag` without its `@`) into `header`.
fn read_tag(
    path: &Path,
    number: u64,
    tag: &str,
    values: &[&str],
    header: &mut Header,
) -> Result<()> {
    let err = |message: String| Error::data(path, Some(number), None, message);
    match tag.to_ascii_lowercase().as_str() {
        "timestamps" => {
            let stamped = boolean(path, number, tag, values)?;
            if stamped {
                return Err(err(format!(
                    "@{tag} true (values with time stamps) is not supported; write the values \
                     without time stamps and @{tag} false"
                )));
            }
        }
        "univariate" => header.univariate = Some((boolean(path, number, tag, values)?, number)),
        "equallength" => header.equal_length = Some((boolean(path, number, tag, values)?, number)),
        "dimension" | "dimensions" => {
            header.dimensions = Some((count(path, number, tag, values)?, number));
        }
        "serieslength" => header.series_length = Some((count(path, number, tag, values)?, number)),
        "targetlabel" => {
            let regression = boolean(path, number, tag, values)?;
            if regression {
                return Err(err(format!(
                    "@{tag} true marks a regression problem (a number to predict); \
                     classification needs @classLabel true and the class names"
                )));
            }
        }
        "classlabel" => match values.split_first() {
            Some((v, classes)) if v.eq_ignore_ascii_case("true") && !classes.is_empty() => {
                let classes = classes.iter().map(|c| (*c).to_owned()).collect();
                header.classes = Some((classes, number));
            }
            Some((v, _)) if v.eq_ignore_ascii_case("true") => {
                return Err(err(format!(
                    "@{tag} true lists no class; list them after it (@{tag} true a b c)"
                )));
            }
            Some((v, _)) if v.eq_ignore_ascii_case("false") => {
                return Err(err(format!(
                    "@{tag} false: the series have no class label; classification needs @{tag} \
                     true, the class names, and a label at the end of each series"
                )));
            }
            _ => {
                return Err(err(format!(
                    "@{tag} takes true and the class names (@{tag} true a b c), not `{}`",
                    shorten(&values.join(" "))
                )));
            }
        },
        // @missing (missing values are read either way), @problemName, and
        // tags aeon does not know either.
        _ => {}
    }
    Ok(())
}

/// The header's tags against each other.
fn check_header(path: &Path, header: &Header) -> Result<()> {
    if let (Some((true, u)), Some((d, line))) = (header.univariate, header.dimensions)
        && d != 1
    {
        return Err(Error::data(
            path,
            Some(line),
            None,
            format!(
                "@dimensions {d} contradicts @univariate true (line {u}); a univariate series \
                 has one channel: correct one of them"
            ),
        ));
    }
    Ok(())
}

/// A tag's one value, `true` or `false` (any case).
fn boolean(path: &Path, number: u64, tag: &str, values: &[&str]) -> Result<bool> {
    match values {
        [v] if v.eq_ignore_ascii_case("true") => Ok(true),
        [v] if v.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(Error::data(
            path,
            Some(number),
            None,
            format!(
                "@{tag} takes one value, true or false, not `{}`",
                shorten(&values.join(" "))
            ),
        )),
    }
}

/// A tag's one value, a positive integer.
fn count(path: &Path, number: u64, tag: &str, values: &[&str]) -> Result<usize> {
    match values {
        [v] => match v.parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(Error::data(
                path,
                Some(number),
                None,
                format!("@{tag} takes a positive whole number, not `{}`", shorten(v)),
            )),
        },
        _ => Err(Error::data(
            path,
            Some(number),
            None,
            format!(
                "@{tag} takes one value, a positive whole number, not `{}`",
                shorten(&values.join(" "))
            ),
        )),
    }
}

/// The series read so far, and what the first one set.
struct Series<'a> {
    path: &'a Path,
    header: &'a Header,
    split: SeriesSplit,
    /// The channel count, and the line of the first series.
    channels: Option<(usize, u64)>,
    /// The first series' length, and its line.
    first_length: Option<(usize, u64)>,
}

impl Series<'_> {
    fn error(&self, number: u64, column: Option<u64>, message: String) -> Error {
        Error::data(self.path, Some(number), column, message)
    }

    /// Reads the series on line `number` (not blank, not a comment).
    fn read(&mut self, number: u64, line: &str) -> Result<()> {
        let index = self.split.len() + 1;
        if line.trim_start().starts_with('@') {
            return Err(self.error(
                number,
                None,
                "a header line after @data; move it above @data".to_owned(),
            ));
        }
        let fields: Vec<&str> = line.split(':').collect();
        let Some((label_field, channel_fields)) =
            fields.split_last().filter(|(_, c)| !c.is_empty())
        else {
            return Err(self.error(
                number,
                None,
                format!(
                    "series {index} has no class label; write its channels separated by `:`, \
                     then `:` and the label"
                ),
            ));
        };
        let label = label_field.trim();
        if label.is_empty() {
            return Err(self.error(
                number,
                Some(column(line, label_field)),
                format!("series {index} has an empty class label after its last `:`"),
            ));
        }
        self.check_channels(index, number, channel_fields.len())?;
        let columns = channel_fields
            .iter()
            .enumerate()
            .map(|(c, field)| self.channel(index, number, line, c, field))
            .collect::<Result<Vec<_>>>()?;
        let length = columns[0].len();
        self.check_length(index, number, &columns)?;
        self.check_label(index, number, line, label_field)?;
        let mut values = Vec::with_capacity(length * columns.len());
        for t in 0..length {
            values.extend(columns.iter().map(|c| c[t]));
        }
        self.split.values.push(values);
        self.split.labels.push(label.to_owned());
        self.split.lines.push(number);
        Ok(())
    }

    /// The values of channel `c` of series `index`, from `field`.
    fn channel(
        &self,
        index: usize,
        number: u64,
        line: &str,
        c: usize,
        field: &str,
    ) -> Result<Vec<f32>> {
        if field.trim().is_empty() {
            return Err(self.error(
                number,
                Some(column(line, field)),
                format!(
                    "series {index} has length 0 (channel dim{c} is empty); a series needs at \
                     least one value"
                ),
            ));
        }
        field
            .split(',')
            .enumerate()
            .map(|(t, text)| {
                let value = text.trim();
                parse_value(value, is_missing).map_err(|bad| {
                    self.error(
                        number,
                        Some(column(line, text)),
                        format!(
                            "series {index}, channel dim{c}, value {}: {}",
                            t + 1,
                            bad.describe(value, "?")
                        ),
                    )
                })
            })
            .collect()
    }

    /// The channel count against the header's, or the first series'.
    fn check_channels(&mut self, index: usize, number: u64, n: usize) -> Result<()> {
        let expected = if let Some((d, _)) = self.header.dimensions {
            Some((d, format!("the header says @dimensions {d}")))
        } else if let Some((true, _)) = self.header.univariate {
            Some((1, "the header says @univariate true".to_owned()))
        } else {
            self.channels
                .map(|(d, line)| (d, format!("series 1 (line {line}) has {d}")))
        };
        match expected {
            Some((d, why)) if d != n => Err(self.error(
                number,
                None,
                format!(
                    "series {index} has {n} channel{} but {why}; every series needs the same \
                     channels",
                    if n == 1 { "" } else { "s" }
                ),
            )),
            _ => {
                self.channels.get_or_insert((n, number));
                Ok(())
            }
        }
    }

    /// The channels' lengths against each other and the header.
    fn check_length(&mut self, index: usize, number: u64, columns: &[Vec<f32>]) -> Result<()> {
        let length = columns[0].len();
        if columns.iter().any(|c| c.len() != length) {
            let lengths: Vec<String> = columns
                .iter()
                .enumerate()
                .map(|(c, v)| format!("dim{c} {}", v.len()))
                .collect();
            return Err(self.error(
                number,
                None,
                format!(
                    "series {index} has channels of different lengths ({}); every channel of a \
                     series needs the same length",
                    quoted_plain(&lengths)
                ),
            ));
        }
        let equal = self.header.equal_length.map(|(e, _)| e);
        if let Some((n, line)) = self.header.series_length
            && equal != Some(false)
            && length != n
        {
            return Err(self.error(
                number,
                None,
                format!(
                    "series {index} has length {length} but the header says @seriesLength {n} \
                     (line {line})"
                ),
            ));
        }
        match self.first_length {
            Some((first, line)) if equal == Some(true) && first != length => Err(self.error(
                number,
                None,
                format!(
                    "series {index} has length {length} but series 1 (line {line}) has {first}, \
                     and the header says @equalLength true; make them equal or say \
                     @equalLength false"
                ),
            )),
            _ => {
                self.first_length.get_or_insert((length, number));
                Ok(())
            }
        }
    }

    /// The label against `@classLabel`'s list (ignoring ASCII case).
    fn check_label(&self, index: usize, number: u64, line: &str, field: &str) -> Result<()> {
        let label = field.trim();
        let Some((classes, classes_line)) = &self.header.classes else {
            return Ok(());
        };
        if classes.iter().any(|c| c.eq_ignore_ascii_case(label)) {
            return Ok(());
        }
        let names: Vec<&str> = classes.iter().map(String::as_str).collect();
        Err(self.error(
            number,
            Some(column(line, field.trim_start())),
            format!(
                "series {index} has the class label `{}`, which @classLabel (line \
                 {classes_line}) does not list ({}); add it there or correct the label",
                shorten(label),
                quoted(&names)
            ),
        ))
    }
}

/// `items` joined by `, `: at most 20 of them.
fn quoted_plain(items: &[String]) -> String {
    let mut shown: Vec<&str> = items.iter().take(20).map(String::as_str).collect();
    let more = items.len().saturating_sub(20);
    let tail = format!("and {more} more");
    if more > 0 {
        shown.push(&tail);
    }
    shown.join(", ")
}

/// `?` and `NaN` (any case) mark a missing value.
fn is_missing(text: &str) -> bool {
    text == "?" || text.eq_ignore_ascii_case("nan")
}
