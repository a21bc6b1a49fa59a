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
//! 3. **Words** are maximal runs of letters and digits (Unicode alphanumeric),
//!    except that a **CJK ideograph, kana or hangul syllable is a token of its
//!    own** (see [`stands_alone`]): text without spaces between words
//!    (Chinese, Japanese) becomes one token per character, as BERT's
//!    `BasicTokenizer` does, instead of one unknown token per sentence. So
//!    `日本語のテキスト` → `日` `本` `語` `の` `テ` `キ` `ス` `ト`, `第3章` → `第`
//!    `3` `章`, and `iPhone用` → `iphone` `用`.
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

/// [`ASCII_CLASS`] bit: an ASCII letter or digit.
const ALNUM: u8 = 1;
/// [`ASCII_CLASS`] bit: an ASCII upper-case letter.
const UPPER: u8 = 2;
/// [`ASCII_CLASS`] bit: ASCII white space or control (a separator).
const SPACE: u8 = 4;
/// Class bits of each byte value (0 for `'`, `"`, `<`, other ASCII
/// punctuation and every non-ASCII byte).
static ASCII_CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() {
            table[b] |= ALNUM;
        }
        if c.is_ascii_uppercase() {
            table[b] |= UPPER;
        }
        if c <= b' ' || c == 0x7f {
            table[b] |= SPACE;
        }
        b += 1;
    }
    table
};

/// No word is open.
const NO_WORD: usize = usize::MAX;

/// A reusable tokenizer. A token that needs no change (already lower-case,
/// no typographic apostrophe) is a slice of the text itself; the others are
/// written, normalised, into a buffer the tokenizer reuses, so tokenizing
/// many texts allocates only while that buffer grows.
#[derive(Debug, Default, Clone)]
pub struct Tokenizer {
    buf: String,
    spans: Vec<Span>,
}

/// Where a token is: bytes `start..end` of the text, or of the buffer when
/// `in_buf`.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: u32,
    end: u32,
    in_buf: bool,
}

impl Tokenizer {
    /// A tokenizer with empty buffers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Tokenizes `text` by the module's rules; the tokens borrow `text` and
    /// this tokenizer, and are valid until the next call.
    pub fn tokenize<'a>(&'a mut self, text: &'a str) -> Tokens<'a> {
        self.tokenize_prefix(text, usize::MAX)
    }

    /// Like [`Tokenizer::tokenize`], but may stop scanning once `max_tokens`
    /// tokens are found: the first `max_tokens` tokens are the same, a few
    /// more may follow.
    pub fn tokenize_prefix<'a>(&'a mut self, text: &'a str, max_tokens: usize) -> Tokens<'a> {
        self.buf.clear();
        self.spans.clear();
        let (buf, spans) = (&mut self.buf, &mut self.spans);
        let bytes = text.as_bytes();
        // The open word: its first byte (or NO_WORD) and whether it needs
        // normalising (upper case, non-ASCII letters, typographic apostrophe).
        let mut word = NO_WORD;
        let mut dirty = false;
        // The last punctuation token, while nothing else came after it.
        let mut last_punct: Option<char> = None;
        let mut i = 0;
        while i < bytes.len() {
            if spans.len() >= max_tokens {
                word = NO_WORD;
                break;
            }
            let class = ASCII_CLASS[bytes[i] as usize];
            if class & ALNUM != 0 {
                // A whole run of ASCII letters and digits at once.
                if word == NO_WORD {
                    word = i;
                    dirty = false;
                }
                let mut flags = class;
                i += 1;
                while let Some(&c) = bytes.get(i) {
                    let class = ASCII_CLASS[c as usize];
                    if class & ALNUM == 0 {
                        break;
                    }
                    flags |= class;
                    i += 1;
                }
                dirty |= flags & UPPER != 0;
                last_punct = None;
                continue;
            }
            if class & SPACE != 0 {
                end_word(buf, spans, text, &mut word, dirty, i);
                last_punct = None;
                i += 1;
                continue;
            }
            // The rare cases: quotes, apostrophes, tags, punctuation, non-ASCII.
            let c = text[i..]
                .chars()
                .next()
                .unwrap_or(char::REPLACEMENT_CHARACTER);
            let len = c.len_utf8();
            match c {
                '\'' | '\u{2019}' | '\u{2018}' => {
                    let next_is_alnum = text[i + len..]
                        .chars()
                        .next()
                        .is_some_and(|n| n.is_alphanumeric() && !stands_alone(n));
                    if word != NO_WORD && next_is_alnum {
                        dirty |= c != '\'';
                    } else {
                        end_word(buf, spans, text, &mut word, dirty, i);
                        last_punct = None;
                    }
                }
                '"' | '\u{201c}' | '\u{201d}' => {
                    end_word(buf, spans, text, &mut word, dirty, i);
                    last_punct = None;
                }
                '<' if tag_end(bytes, i).is_some() => {
                    end_word(buf, spans, text, &mut word, dirty, i);
                    last_punct = None;
                    i = tag_end(bytes, i).unwrap_or(i + 1);
                    continue;
                }
                c if c.is_alphanumeric() && stands_alone(c) => {
                    end_word(buf, spans, text, &mut word, dirty, i);
                    spans.push(Span {
                        start: i as u32,
                        end: (i + len) as u32,
                        in_buf: false,
                    });
                    last_punct = None;
                }
                c if c.is_alphanumeric() => {
                    if word == NO_WORD {
                        word = i;
                        dirty = false;
                    }
                    dirty |= !c.is_lowercase();
                    last_punct = None;
                }
                c if c.is_whitespace() || c.is_control() => {
                    end_word(buf, spans, text, &mut word, dirty, i);
                    last_punct = None;
                }
                c => {
                    end_word(buf, spans, text, &mut word, dirty, i);
                    if last_punct != Some(c) {
                        spans.push(Span {
                            start: i as u32,
                            end: (i + len) as u32,
                            in_buf: false,
                        });
                        last_punct = Some(c);
                    }
                }
            }
            i += len;
        }
        end_word(buf, spans, text, &mut word, dirty, bytes.len());
        Tokens {
            text,
            buf: &self.buf,
            spans: self.spans.iter(),
        }
    }
}

/// Whether the letter `c` is a token by itself (rule 3): a CJK ideograph
/// (the blocks of BERT's `_is_chinese_char`: U+3400–4DBF, U+4E00–9FFF,
/// U+F900–FAFF and U+20000–2FA1F, widened to the whole of planes 2 and 3 for
/// the extensions added since), a kana (hiragana, katakana, their phonetic
/// extensions, halfwidth katakana, the kana supplements) or a hangul syllable
/// (U+AC00–D7AF). Called only for non-ASCII alphanumerics, so punctuation in
/// these blocks (`、`, `・`) stays punctuation.
pub fn stands_alone(c: char) -> bool {
    matches!(
        u32::from(c),
        0x3040..=0x30FF          // hiragana, katakana
        | 0x31F0..=0x31FF        // katakana phonetic extensions
        | 0x3400..=0x4DBF        // CJK extension A
        | 0x4E00..=0x9FFF        // CJK unified ideographs
        | 0xAC00..=0xD7AF        // hangul syllables
        | 0xF900..=0xFAFF        // CJK compatibility ideographs
        | 0xFF66..=0xFF9F        // halfwidth katakana
        | 0x1AFF0..=0x1B16F      // kana extensions and supplement
        | 0x20000..=0x3FFFF // CJK extensions B–J, compatibility supplement
    )
}

/// Closes the open word, if any, at byte `end` of `text`: a slice of the
/// text when it needs no normalising, else its normalised form in `buf`.
#[inline(always)]
fn end_word(
    buf: &mut String,
    spans: &mut Vec<Span>,
    text: &str,
    word: &mut usize,
    dirty: bool,
    end: usize,
) {
    let start = *word;
    if start == NO_WORD {
        return;
    }
    *word = NO_WORD;
    if !dirty {
        spans.push(Span {
            start: start as u32,
            end: end as u32,
            in_buf: false,
        });
        return;
    }
    normalise(buf, spans, &text[start..end]);
}

/// Appends the lower-cased `word`, with typographic apostrophes as `'`, to
/// `buf`, and its span to `spans`.
#[inline(never)]
fn normalise(buf: &mut String, spans: &mut Vec<Span>, word: &str) {
    let from = buf.len();
    if word.is_ascii() {
        buf.push_str(word);
        buf[from..].make_ascii_lowercase();
    } else {
        for c in word.chars() {
            match c {
                '\u{2019}' | '\u{2018}' => buf.push('\''),
                c if c.is_ascii() => buf.push(c.to_ascii_lowercase()),
                c => buf.extend(c.to_lowercase()),
            }
        }
    }
    spans.push(Span {
        start: from as u32,
        end: buf.len() as u32,
        in_buf: true,
    });
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

/// The tokens of one text, borrowed from the text and a [`Tokenizer`].
#[derive(Debug, Clone)]
pub struct Tokens<'a> {
    text: &'a str,
    buf: &'a str,
    spans: std::slice::Iter<'a, Span>,
}

impl<'a> Iterator for Tokens<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        self.spans.next().map(|s| {
            let from = if s.in_buf { self.buf } else { self.text };
            &from[s.start as usize..s.end as usize]
        })
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
    fn cjk_kana_and_hangul_are_one_token_per_character() {
        assert_eq!(
            toks("这部电影很好看！"),
            ["这", "部", "电", "影", "很", "好", "看", "！"]
        );
        assert_eq!(
            toks("日本語のテキスト、ｶﾀｶﾅ"),
            [
                "日", "本", "語", "の", "テ", "キ", "ス", "ト", "、", "ｶ", "ﾀ", "ｶ", "ﾅ"
            ]
        );
        assert_eq!(toks("정말 재미있다"), ["정", "말", "재", "미", "있", "다"]);
        assert_eq!(toks("第3章 iPhone用"), ["第", "3", "章", "iphone", "用"]);
        assert_eq!(toks("a'日 𠀀𠀁"), ["a", "日", "𠀀", "𠀁"]);
        // Letters of other scripts still form words.
        assert_eq!(toks("Привет мир ελληνικά"), ["привет", "мир", "ελληνικά"]);
    }

    #[test]
    fn clean_tokens_are_slices_of_the_text_and_others_normalised() {
        let mut t = Tokenizer::new();
        let text = "ÉCOLE\u{2019}S don\u{2019}t good Bad\u{2019}";
        let toks: Vec<&str> = t.tokenize(text).collect();
        assert_eq!(toks, ["école's", "don't", "good", "bad"]);
        let good = toks[2];
        let inside = text.as_ptr() as usize..text.as_ptr() as usize + text.len();
        assert!(inside.contains(&(good.as_ptr() as usize)));
    }

    #[test]
    fn empty_and_tag_only_texts_have_no_tokens() {
        assert!(toks("").is_empty());
        assert!(toks("  <br /> \" ' ").is_empty());
    }

    #[test]
    fn prefix_gives_the_same_first_tokens() {
        let text = "One, TWO three! Don\u{2019}t <br />stop, never stop.";
        let all = tokenize(text);
        let mut t = Tokenizer::new();
        for n in 0..=all.len() + 1 {
            let prefix: Vec<&str> = t.tokenize_prefix(text, n).take(n).collect();
            assert_eq!(prefix, all[..n.min(all.len())]);
        }
    }

    #[test]
    fn buffer_is_reused() {
        let mut t = Tokenizer::new();
        assert_eq!(t.tokenize("one two").collect::<Vec<_>>(), ["one", "two"]);
        assert_eq!(t.tokenize("three").len(), 1);
    }
}
