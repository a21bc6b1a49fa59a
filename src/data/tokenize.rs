//! The review tokenizer.
//!
//! One pass over the text, no regular expressions, no allocation per token:
//! [`Tokenizer::tokenize`] writes the lower-cased tokens into a buffer it
//! reuses and hands out `&str` slices of it.
//!
//! The rules, in order of precedence:
//! 1. **HTML tags are removed.** A `<` followed by a letter, or by `/` and a
//!    letter, up to the next `>` within 256 bytes, counts as white space:
//!    `<br />`, `<i>`, `</i>`, `<a href="…">`. Any other `<` is punctuation.
//! 2. **Letters are lower-cased** (full Unicode lower-casing; ASCII fast path).
//! 3. **Words** are maximal runs of letters and digits (Unicode alphanumeric).
//!    An apostrophe (`'`, or the typographic `’` / `‘`, both written as `'`)
//!    between two alphanumerics stays inside the word: `don't`, `o'neill`,
//!    `80's`, `rock'n'roll`. Any other apostrophe is a quote mark and dropped.
//! 4. **Double quotes are dropped** (`"`, `“`, `”`): they delimit, they say
//!    little about sentiment.
//! 5. **Every other character that is neither alphanumeric nor white space is
//!    a token of its own** (`!`, `?`, `.`, `,`, `-`, `(`, `/`, `*`, …), and a run
//!    of the same character is one token: `!!!` → `!`, `...` → `.`. So
//!    `well-made` → `well` `-` `made`, `7/10` → `7` `/` `10`, `3.5` → `3` `.` `5`.
//!    Punctuation is kept because `!` and `?` carry sentiment.
//! 6. **White space** (and control characters) separates tokens and is dropped.
//!
//! HTML entities (`&amp;`) are not decoded: `&` is punctuation and `amp` a word.
//! A text may have no tokens at all (empty, or only tags and quotes); the
//! encoder maps that to a single `<unk>` (see [`super::prepare`]).

/// The longest HTML tag, in bytes from `<` to `>`, that rule 1 removes.
const MAX_TAG_BYTES: usize = 256;

/// A reusable tokenizer: holds the buffer that the tokens of the last text
/// live in, so tokenizing many texts allocates only while the buffer grows.
#[derive(Debug, Default, Clone)]
pub struct Tokenizer {
    buf: String,
    spans: Vec<(u32, u32)>,
    word_start: Option<usize>,
    last_punct: Option<char>,
}

impl Tokenizer {
    /// A tokenizer with empty buffers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Tokenizes `text` by the module's rules; the tokens borrow this
    /// tokenizer's buffer and are valid until the next call.
    pub fn tokenize(&mut self, text: &str) -> Tokens<'_> {
        self.buf.clear();
        self.spans.clear();
        self.word_start = None;
        self.last_punct = None;
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b.is_ascii_alphanumeric() {
                // Fast path: a whole run of ASCII letters and digits at once.
                let run_start = i;
                while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                    i += 1;
                }
                if self.word_start.is_none() {
                    self.word_start = Some(self.buf.len());
                }
                self.last_punct = None;
                let from = self.buf.len();
                self.buf.push_str(&text[run_start..i]);
                self.buf[from..].make_ascii_lowercase();
                continue;
            }
            if b < 0x80 {
                match b {
                    b'\'' => self.apostrophe(text, i + 1),
                    b'"' => self.separator(),
                    b'<' => {
                        if let Some(end) = tag_end(bytes, i) {
                            self.separator();
                            i = end;
                            continue;
                        }
                        self.punct('<');
                    }
                    0..=b' ' | 0x7f => self.separator(),
                    _ => self.punct(b as char),
                }
                i += 1;
            } else {
                let c = text[i..]
                    .chars()
                    .next()
                    .unwrap_or(char::REPLACEMENT_CHARACTER);
                match c {
                    '\u{2019}' | '\u{2018}' => self.apostrophe(text, i + c.len_utf8()),
                    '\u{201c}' | '\u{201d}' => self.separator(),
                    c if c.is_alphanumeric() => {
                        if self.word_start.is_none() {
                            self.word_start = Some(self.buf.len());
                        }
                        self.last_punct = None;
                        self.buf.extend(c.to_lowercase());
                    }
                    c if c.is_whitespace() || c.is_control() => self.separator(),
                    c => self.punct(c),
                }
                i += c.len_utf8();
            }
        }
        self.end_word();
        Tokens {
            buf: &self.buf,
            spans: self.spans.iter(),
        }
    }

    /// An apostrophe whose next character starts at byte `next` of `text`.
    fn apostrophe(&mut self, text: &str, next: usize) {
        let next_is_alnum = text[next..]
            .chars()
            .next()
            .is_some_and(char::is_alphanumeric);
        if self.word_start.is_some() && next_is_alnum {
            self.buf.push('\'');
        } else {
            self.separator();
        }
    }

    fn separator(&mut self) {
        self.end_word();
        self.last_punct = None;
    }

    fn punct(&mut self, c: char) {
        self.end_word();
        if self.last_punct != Some(c) {
            let start = self.buf.len();
            self.buf.push(c);
            self.spans.push((start as u32, self.buf.len() as u32));
            self.last_punct = Some(c);
        }
    }

    fn end_word(&mut self) {
        if let Some(start) = self.word_start.take() {
            self.spans.push((start as u32, self.buf.len() as u32));
        }
    }
}

/// If an HTML tag starts at byte `i` (a `<`), the byte index just past its `>`.
fn tag_end(bytes: &[u8], i: usize) -> Option<usize> {
    let after = bytes.get(i + 1..)?;
    let starts_tag = matches!(after, [b'/', c, ..] | [c, ..] if c.is_ascii_alphabetic());
    if !starts_tag {
        return None;
    }
    let window = &after[..after.len().min(MAX_TAG_BYTES)];
    window
        .iter()
        .position(|&b| b == b'>')
        .map(|p| i + 1 + p + 1)
}

/// The tokens of one text, borrowed from a [`Tokenizer`]'s buffer.
#[derive(Debug, Clone)]
pub struct Tokens<'a> {
    buf: &'a str,
    spans: std::slice::Iter<'a, (u32, u32)>,
}

impl<'a> Iterator for Tokens<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        self.spans
            .next()
            .map(|&(s, e)| &self.buf[s as usize..e as usize])
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.spans.size_hint()
    }
}

impl ExactSizeIterator for Tokens<'_> {}

/// Tokenizes one text into owned strings (convenient; [`Tokenizer`] is the
/// allocation-free way for many texts).
pub fn tokenize(text: &str) -> Vec<String> {
    Tokenizer::new().tokenize(text).map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        tokenize(s)
    }

    #[test]
    fn lower_cases_and_splits_on_space() {
        assert_eq!(
            toks("Great  Movie\tTONIGHT\n"),
            ["great", "movie", "tonight"]
        );
    }

    #[test]
    fn removes_html_tags() {
        assert_eq!(
            toks("Bad.<br /><br />Really <i>bad</i>"),
            ["bad", ".", "really", "bad"]
        );
        assert_eq!(toks("a<br/>b"), ["a", "b"]);
        assert_eq!(toks("<a href=\"x\">link</a>"), ["link"]);
    }

    #[test]
    fn a_lone_less_than_is_punctuation() {
        assert_eq!(toks("1 < 2"), ["1", "<", "2"]);
        assert_eq!(toks("x <3"), ["x", "<", "3"]);
        assert_eq!(toks("<b never closed"), ["<", "b", "never", "closed"]);
    }

    #[test]
    fn keeps_inner_apostrophes() {
        assert_eq!(
            toks("Don't, I'm O'Neill's"),
            ["don't", ",", "i'm", "o'neill's"]
        );
        assert_eq!(toks("it\u{2019}s"), ["it's"]);
        assert_eq!(toks("'quoted' dogs' 'til"), ["quoted", "dogs", "til"]);
    }

    #[test]
    fn punctuation_is_one_token_per_run() {
        assert_eq!(toks("Wow!!! Really?!"), ["wow", "!", "really", "?", "!"]);
        assert_eq!(
            toks("so... 7/10, well-made"),
            ["so", ".", "7", "/", "10", ",", "well", "-", "made"]
        );
        assert_eq!(toks("a . . b"), ["a", ".", ".", "b"]);
    }

    #[test]
    fn drops_double_quotes() {
        assert_eq!(
            toks("\"Titanic\" \u{201c}was\u{201d} ok"),
            ["titanic", "was", "ok"]
        );
    }

    #[test]
    fn unicode_letters() {
        assert_eq!(
            toks("CAFÉ Ça Ärger naïve"),
            ["café", "ça", "ärger", "naïve"]
        );
        assert_eq!(toks("Amélie—good"), ["amélie", "—", "good"]);
    }

    #[test]
    fn empty_and_tag_only_texts_have_no_tokens() {
        assert!(toks("").is_empty());
        assert!(toks("  <br /> \" ' ").is_empty());
    }

    #[test]
    fn buffer_is_reused() {
        let mut t = Tokenizer::new();
        assert_eq!(t.tokenize("one two").collect::<Vec<_>>(), ["one", "two"]);
        assert_eq!(t.tokenize("three").len(), 1);
    }
}
