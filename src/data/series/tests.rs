use std::path::{Path, PathBuf};

use super::*;

/// Writes `text` to `name` in `dir`.
fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The error's text, checked to name `file` at `line` and to say `words`.
fn fails_at<T: std::fmt::Debug>(result: Result<T>, file: &str, line: u64, words: &str) -> String {
    let e = result.unwrap_err().to_string();
    assert!(e.contains(&format!("{file}:{line}")), "{e}");
    assert!(e.contains(words), "{e}");
    assert_eq!(e.lines().count(), 1, "{e}");
    e
}

fn ts(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "x.ts", text);
    (dir, path)
}

fn ts_error(text: &str, line: u64, words: &str) -> String {
    let (_dir, path) = ts(text);
    fails_at(read_ts(&path), "x.ts", line, words)
}

const UNI: &str = "# a comment\n@problemName Uni\n@timeStamps false\n@missing true\n\
                   @univariate true\n@equalLength false\n@classLabel true a b\n\n@data\n\
                   1,2,3:a\n# between\n4.5, ?,-1e3 :b\n\n7:a\n";

#[test]
fn ts_univariate_unequal_lengths_and_missing() {
    let (_dir, path) = ts(UNI);
    let (split, channels) = read_ts(&path).unwrap();
    assert_eq!(channels, 1);
    assert_eq!(split.len(), 3);
    assert_eq!(split.labels, ["a", "b", "a"]);
    assert_eq!(split.lines, [10, 12, 14]);
    assert_eq!(split.values[0], [1.0, 2.0, 3.0]);
    assert_eq!(split.values[1][0], 4.5);
    assert!(split.values[1][1].is_nan());
    assert_eq!(split.values[1][2], -1000.0);
    assert_eq!(split.values[2], [7.0]);
    assert_eq!(split.missing(), 1);
}

#[test]
fn ts_multivariate_step_major_crlf_and_nan() {
    let text = "@problemName M\r\n@univariate false\r\n@dimension 2\r\n@equalLength true\r\n\
                @seriesLength 3\r\n@CLASSLABEL TRUE x Y\r\n@data\r\n1,2,3:4,5,6:x\r\n\
                7,NaN,9:10,11,nan:y\r\n";
    let (_dir, path) = ts(text);
    let (split, channels) = read_ts(&path).unwrap();
    assert_eq!(channels, 2);
    assert_eq!(split.values[0], [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    assert_eq!(split.labels, ["x", "y"]);
    assert_eq!(split.lines, [8, 9]);
    assert_eq!(split.missing(), 2);
}

#[test]
fn ts_without_dimensions_takes_the_first_series() {
    let (_dir, path) = ts("@classLabel true 1 2\n@data\n1,2:3,4:1\n5:6:2\n");
    let (split, channels) = read_ts(&path).unwrap();
    assert_eq!(channels, 2);
    assert_eq!(split.values[1], [5.0, 6.0]);
    ts_error(
        "@classLabel true 1 2\n@data\n1,2:3,4:1\n5:2\n",
        4,
        "series 2 has 1 channel but series 1 (line 3) has 2",
    );
}

#[test]
fn ts_dimensions_against_the_header() {
    ts_error(
        "@dimensions 12\n@classLabel true a b\n@data\n1:2:a\n",
        4,
        "series 1 has 2 channels but the header says @dimensions 12",
    );
    ts_error(
        "@univariate true\n@classLabel true a b\n@data\n1:a\n1:2:b\n",
        5,
        "series 2 has 2 channels but the header says @univariate true",
    );
    ts_error(
        "@univariate true\n@dimensions 3\n@classLabel true a b\n@data\n1:a\n",
        2,
        "@dimensions 3 contradicts @univariate true (line 1)",
    );
}

#[test]
fn ts_equal_length_and_series_length() {
    ts_error(
        "@equalLength true\n@classLabel true a b\n@data\n1,2:a\n1,2,3:b\n",
        5,
        "series 2 has length 3 but series 1 (line 4) has 2, and the header says @equalLength true",
    );
    ts_error(
        "@equalLength true\n@seriesLength 3\n@classLabel true a b\n@data\n1,2,3:a\n1,2:b\n",
        6,
        "series 2 has length 2 but the header says @seriesLength 3 (line 2)",
    );
    // Unequal lengths between series are fine without @equalLength true.
    let (_dir, path) =
        ts("@equalLength false\n@seriesLength 3\n@classLabel true a b\n@data\n1:a\n1,2:b\n");
    assert_eq!(read_ts(&path).unwrap().0.len(), 2);
}

#[test]
fn ts_channels_of_one_series_differ_in_length() {
    ts_error(
        "@dimensions 3\n@classLabel true a b\n@data\n1,2,3:1,2,3:1,2,3:a\n1,2:1,2,3:1,2:b\n",
        5,
        "series 2 has channels of different lengths (dim0 2, dim1 3, dim2 2)",
    );
}

#[test]
fn ts_label_not_listed() {
    let e = ts_error(
        "@classLabel true a b\n@data\n1,2:a\n1,2:c\n",
        4,
        "series 2 has the class label `c`, which @classLabel (line 1) does not list (`a`, `b`)",
    );
    assert!(e.contains("x.ts:4:5:"), "{e}");
    // Compared ignoring ASCII case, as aeon does; kept as written.
    let (_dir, path) = ts("@classLabel true Standing Running\n@data\n1:standing\n2:Running\n");
    assert_eq!(read_ts(&path).unwrap().0.labels, ["standing", "Running"]);
}

#[test]
fn ts_bad_values() {
    let e = ts_error(
        "@classLabel true a b\n@data\n1,2:a\n1,x2,3:b\n",
        4,
        "series 2, channel dim0, value 2: `x2` is not a number; write a number, or ? for a missing value",
    );
    assert!(e.contains("x.ts:4:3:"), "{e}");
    ts_error(
        "@classLabel true a b\n@data\n1,inf:a\n",
        3,
        "series 1, channel dim0, value 2: `inf` is infinite",
    );
    ts_error(
        "@classLabel true a b\n@data\n1,-Infinity:a\n",
        3,
        "`-Infinity` is infinite",
    );
    ts_error(
        "@classLabel true a b\n@data\n1,1e39:a\n",
        3,
        "`1e39` is beyond the range of a 32-bit float",
    );
    ts_error(
        "@classLabel true a b\n@data\n1,,3:a\n",
        3,
        "value 2: an empty value; write a number, or ? for a missing value",
    );
}

#[test]
fn ts_length_zero_and_no_label() {
    ts_error(
        "@classLabel true a b\n@data\n1:a\n :b\n",
        4,
        "series 2 has length 0 (channel dim0 is empty)",
    );
    ts_error(
        "@classLabel true a b\n@data\n1,2,3\n",
        3,
        "series 1 has no class label",
    );
    ts_error(
        "@classLabel true a b\n@data\n1,2,3: \n",
        3,
        "series 1 has an empty class label",
    );
}

#[test]
fn ts_header_refusals() {
    ts_error(
        "@problemName T\n@timeStamps true\n@classLabel true 1 2\n@data\n(1,2):1\n",
        2,
        "@timeStamps true (values with time stamps) is not supported",
    );
    ts_error(
        "@problemName R\n@targetlabel true\n@data\n1,2:0.5\n",
        2,
        "classification needs @classLabel true",
    );
    ts_error(
        "@classLabel false\n@data\n1,2\n",
        1,
        "classification needs @classLabel true",
    );
    ts_error(
        "@classLabel true\n@data\n1,2:a\n",
        1,
        "@classLabel true lists no class",
    );
    ts_error(
        "@univariate maybe\n@data\n",
        1,
        "@univariate takes one value, true or false, not `maybe`",
    );
    ts_error(
        "@dimensions 0\n@data\n",
        1,
        "@dimensions takes a positive whole number, not `0`",
    );
    ts_error("@data extra\n1:a\n", 1, "@data takes no value");
}

#[test]
fn ts_no_data_tag_and_no_series() {
    ts_error(
        "@problemName X\n@classLabel true a b\n\n",
        2,
        "the file ends without a line `@data`",
    );
    ts_error("@problemName X\n1,2:a\n@data\n", 2, "a series before @data");
    ts_error(
        "@classLabel true a b\n@data\n# none\n\n",
        2,
        "no series after @data",
    );
    ts_error(
        "@classLabel true a b\n@data\n1:a\n@missing true\n",
        4,
        "a header line after @data",
    );
}

fn columns(time: Option<&str>, channels: Option<&[&str]>) -> LongColumns {
    LongColumns {
        series: Some("id".into()),
        time: time.map(Into::into),
        label: Some("label".into()),
        channels: channels.map(|c| c.iter().map(|s| (*s).to_owned()).collect()),
    }
}

fn csv_file(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "long.csv", text);
    (dir, path)
}

#[test]
fn long_csv_ordered_by_numeric_time() {
    let text =
        "id,t,label,x,y\nb,10,pos,1,2\na,2,neg,3,4\nb,9,pos,5,6\na,1,neg,7,8\nb,2.5,pos,9,10\n";
    let (_dir, path) = csv_file(text);
    let (split, channels) = read_long_csv(&path, &columns(Some("t"), None)).unwrap();
    assert_eq!(channels, ["x", "y"]);
    assert_eq!(split.labels, ["pos", "neg"]);
    assert_eq!(split.lines, [2, 3]);
    // Numerically 2.5 < 9 < 10 (as text "10" < "2.5" < "9").
    assert_eq!(split.values[0], [9.0, 10.0, 5.0, 6.0, 1.0, 2.0]);
    assert_eq!(split.values[1], [7.0, 8.0, 3.0, 4.0]);
}

#[test]
fn long_csv_ordered_by_iso_date_text_and_file_order() {
    let text = "id,day,label,v\ns1,2024-03-01,up,3\ns1,2024-01-15,up,1\ns1,2024-02-01,up,2\n";
    let (_dir, path) = csv_file(text);
    let (split, _) = read_long_csv(&path, &columns(Some("day"), None)).unwrap();
    assert_eq!(split.values[0], [1.0, 2.0, 3.0]);
    // Without a time column: the file's order, the day being a channel…
    let (split, _) = read_long_csv(&path, &columns(None, Some(&["v"]))).unwrap();
    assert_eq!(split.values[0], [3.0, 1.0, 2.0]);
    // …which is not a number.
    fails_at(
        read_long_csv(&path, &columns(None, None)),
        "long.csv",
        2,
        "column `day`: `2024-03-01` is not a number",
    );
}

#[test]
fn long_csv_ordered_by_iso_instants_of_mixed_spelling() {
    // As text "2024-01-02 01:00" < "2024-01-02T00:30"; as instants the other way.
    let text =
        "t,v\n2024-01-02 01:00,3\n2024-01-02T00:30,2\n2024-01-01,1\n2024-01-02T02:00+01:00,0\n";
    let (_dir, path) = csv_file(text);
    let only = LongColumns {
        series: None,
        time: Some("t".into()),
        label: None,
        channels: None,
    };
    // 02:00+01:00 is 01:00 UTC: the same instant as the first row.
    fails_at(
        read_long_csv(&path, &only),
        "long.csv",
        5,
        "two rows at time",
    );
    let text = "t,v\n2024-01-02 01:00,3\n2024-01-02T00:30,2\n2024-01-01,1\n";
    let (_dir, path) = csv_file(text);
    let (split, channels) = read_long_csv(&path, &only).unwrap();
    assert_eq!(channels, ["v"]);
    assert_eq!(split.values[0], [1.0, 2.0, 3.0]);
    assert_eq!(split.names, [""]);
    assert_eq!(split.row_lines[0], [4, 3, 2]);
    assert_eq!(
        split.times[0],
        ["2024-01-01", "2024-01-02T00:30", "2024-01-02 01:00"]
    );
}

#[test]
fn long_csv_channel_selection() {
    let text = "label,x,id,y,z\nA,1,s,2,3\nA,4,s,5,6\nB,7,r,8,9\n";
    let (_dir, path) = csv_file(text);
    let (split, channels) = read_long_csv(&path, &columns(None, Some(&["z", "x"]))).unwrap();
    assert_eq!(channels, ["z", "x"]);
    assert_eq!(split.values, [vec![3.0, 1.0, 6.0, 4.0], vec![9.0, 7.0]]);
    let (_, channels) = read_long_csv(&path, &columns(None, None)).unwrap();
    assert_eq!(channels, ["x", "y", "z"]);
    let e = fails_at(
        read_long_csv(&path, &columns(None, Some(&["w"]))),
        "long.csv",
        1,
        "no channel column `w`",
    );
    assert!(e.contains("`label`, `x`, `id`, `y`, `z`"), "{e}");
    let e = read_long_csv(&path, &columns(None, Some(&["x", "id"])))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("--channels: column `id` is the series column"),
        "{e}"
    );
    let e = read_long_csv(&path, &columns(Some("id"), None))
        .unwrap_err()
        .to_string();
    assert!(e.contains("is both the series and the time column"), "{e}");
}

#[test]
fn long_csv_label_varies_within_a_series() {
    let (_dir, path) = csv_file("id,label,v\na,x,1\nb,y,2\na,z,3\n");
    fails_at(
        read_long_csv(&path, &columns(None, None)),
        "long.csv",
        4,
        "series `a` has the label `z` on this line but `x` on line 2",
    );
}

#[test]
fn long_csv_duplicate_time() {
    let (_dir, path) = csv_file("id,t,label,v\na,1,x,1\na,2,x,2\nb,1,y,0\na,1.0,x,3\n");
    fails_at(
        read_long_csv(&path, &columns(Some("t"), None)),
        "long.csv",
        5,
        "series `a` has two rows at time `1.0` (lines 2 and 5)",
    );
}

#[test]
fn long_csv_bad_values_and_missing() {
    let (_dir, path) = csv_file("id,label,v,w\na,x,1,\na,x,NaN,?\na,x,na,NA\na,x,2,3\n");
    let (split, _) = read_long_csv(&path, &columns(None, None)).unwrap();
    assert_eq!(split.missing(), 5);
    assert_eq!(split.values[0][6..], [2.0, 3.0]);
    let (_dir, path) = csv_file("id,label,v,w\na,x,1,2\na,x,3,abc\n");
    let e = fails_at(
        read_long_csv(&path, &columns(None, None)),
        "long.csv",
        3,
        "column `w`: `abc` is not a number",
    );
    assert!(e.contains("long.csv:3:4:"), "{e}");
    let (_dir, path) = csv_file("id,label,v\na,x,1\na,x,-inf\n");
    fails_at(
        read_long_csv(&path, &columns(None, None)),
        "long.csv",
        3,
        "column `v`: `-inf` is infinite",
    );
    let (_dir, path) = csv_file("id,label,v\na,,1\n");
    fails_at(
        read_long_csv(&path, &columns(None, None)),
        "long.csv",
        2,
        "empty label in column `label`",
    );
}

#[test]
fn long_tsv_and_crlf_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "long.tsv", "id\tlabel\tv\r\na\tx\t1\r\nb\ty\tbad\r\n");
    fails_at(
        read_long_csv(&path, &columns(None, None)),
        "long.tsv",
        3,
        "column `v`: `bad` is not a number",
    );
}

/// A pair of `.ts` files in a fresh folder.
fn ts_pair(train: &str, test: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let a = write(&dir, "train.ts", train);
    let b = write(&dir, "test.ts", test);
    (dir, a, b)
}

const HEAD: &str = "@problemName P\n@classLabel true a b c\n@data\n";

#[test]
fn pair_of_ts_files() {
    let (_dir, a, b) = ts_pair(
        &format!("{HEAD}1,2:3,4:a\n5:6:b\n"),
        &format!("{HEAD}1:2:b\n"),
    );
    let files = read_pair(&a, &b, None).unwrap();
    assert_eq!(files.channels, ["dim0", "dim1"]);
    assert_eq!((files.train.len(), files.test.len()), (2, 1));
}

#[test]
fn pair_test_label_unseen() {
    let (_dir, a, b) = ts_pair(&format!("{HEAD}1:a\n2:b\n"), &format!("{HEAD}1:a\n\n2:c\n"));
    let e = fails_at(
        read_pair(&a, &b, None),
        "test.ts",
        6,
        "the test label `c` never occurs in the training file",
    );
    assert!(e.contains("train.ts"), "{e}");
}

#[test]
fn pair_one_class_only() {
    let (_dir, a, b) = ts_pair(&format!("{HEAD}1:a\n2:a\n"), &format!("{HEAD}1:a\n"));
    let e = read_pair(&a, &b, None).unwrap_err().to_string();
    assert!(
        e.contains("train.ts: every training series has the label `a`"),
        "{e}"
    );
    assert!(e.contains("at least two classes"), "{e}");
    assert_eq!(e.lines().count(), 1, "{e}");
}

#[test]
fn pair_channel_count_mismatch() {
    let (_dir, a, b) = ts_pair(&format!("{HEAD}1:2:a\n2:3:b\n"), &format!("{HEAD}1:a\n"));
    let e = fails_at(
        read_pair(&a, &b, None),
        "test.ts",
        4,
        "this file has 1 channel (`dim0`) but the training file",
    );
    assert!(e.contains("train.ts has 2 (`dim0`, `dim1`)"), "{e}");
}

#[test]
fn pair_of_long_csv_files() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(&dir, "train.csv", "id,label,v,w\na,x,1,2\nb,y,3,4\n");
    let b = write(&dir, "test.csv", "id,label,v,u\nc,x,1,2\n");
    let e = read_pair(&a, &b, None).unwrap_err().to_string();
    assert!(e.starts_with("--series-col: "), "{e}");
    fails_at(
        read_pair(&a, &b, Some(&columns(None, None))),
        "test.csv",
        2,
        "this file has 2 channels (`v`, `u`) but the training file",
    );
    let files = read_pair(&a, &b, Some(&columns(None, Some(&["v"])))).unwrap();
    assert_eq!(files.channels, ["v"]);
    assert_eq!(files.test.values, [vec![1.0]]);
    let ts = write(&dir, "test.ts", &format!("{HEAD}1:a\n"));
    let e = read_pair(&a, &ts, Some(&columns(None, None)))
        .unwrap_err()
        .to_string();
    assert!(e.contains("is a .ts file but this one is not"), "{e}");
}

#[test]
fn ts_by_extension() {
    assert!(is_ts(Path::new("a/B_TRAIN.TS")));
    assert!(!is_ts(Path::new("a/b.ts.gz")));
    assert!(!is_ts(Path::new("a/b.csv")));
}

/// The bundled JapaneseVowels files (aeon's copy of the UEA set).
#[test]
fn japanese_vowels_bundled() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/japanese-vowels");
    let files = read_pair(&dir.join("train.ts"), &dir.join("test.ts"), None).unwrap();
    assert_eq!(files.channels.len(), 12);
    assert_eq!((files.train.len(), files.test.len()), (270, 370));
    let lengths = |s: &SeriesSplit| -> (usize, usize) {
        let l = s.values.iter().map(|v| v.len() / 12);
        (l.clone().min().unwrap(), l.max().unwrap())
    };
    assert_eq!(lengths(&files.train), (7, 26));
    assert_eq!(lengths(&files.test), (7, 29));
    let mut classes = files.train.labels.clone();
    classes.sort();
    classes.dedup();
    assert_eq!(classes, ["1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    assert_eq!(files.train.missing() + files.test.missing(), 0);
}
