//! The vocabulary: token ↔ id.
//!
//! Id 0 is `<pad>`, id 1 is `<unk>`; words follow from id 2, most frequent
//! first, ties broken by the word's bytes in ascending order, so the same
//! counts always give the same ids. Words seen fewer than `min_count` times
//! are left out, and at most `max_size - 2` words are kept. Neither special
//! token can collide with a word: the tokenizer never emits `<` and letters
//! together.

use rustc_hash::FxHashMap;

use super::tokenize::Tokenizer;

/// Id of the padding token `<pad>`.
pub const PAD_ID: i64 = 0;
/// Id of the unknown-word token `<unk>`.
pub const UNK_ID: i64 = 1;
/// The padding token's text.
pub const PAD: &str = "<pad>";
/// The unknown-word token's text.
pub const UNK: &str = "<unk>";

/// A vocabulary: `<pad>`, `<unk>`, then words by decreasing count. Stored
/// as its words in id order (the index is rebuilt on reading).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(into = "VocabWords", try_from = "VocabWords")]
pub struct Vocab {
    words: Vec<String>,
    index: FxHashMap<String, i64>,
}

/// A [`Vocab`] as stored: every entry in id order, `<pad>` and `<unk>` first.
#[derive(serde::Serialize, serde::Deserialize)]
struct VocabWords(Vec<String>);

impl From<Vocab> for VocabWords {
    fn from(v: Vocab) -> Self {
        VocabWords(v.words)
    }
}

impl TryFrom<VocabWords> for Vocab {
    type Error = String;

    fn try_from(VocabWords(mut words): VocabWords) -> std::result::Result<Self, String> {
        if words.len() < 2 || words[0] != PAD || words[1] != UNK {
            return Err(format!("a stored vocabulary starts with {PAD} and {UNK}"));
        }
        Ok(Vocab::from_words(words.split_off(2)))
    }
}

impl Vocab {
    /// Builds a vocabulary from `(word, count)` pairs (each word once):
    /// keeps words with `count >= min_count` (a `min_count` of 0 acts as 1),
    /// most frequent first, at most `max_size` entries in all (`<pad>` and
    /// `<unk>` included; a `max_size` below 2 still keeps those two).
    pub fn from_counts<'a>(
        counts: impl IntoIterator<Item = (&'a str, u64)>,
        max_size: usize,
        min_count: usize,
    ) -> Self {
        let words = select_words(counts, max_size.saturating_sub(2), min_count);
        Self::from_words(words)
    }

    /// Counts the tokens of `texts` and builds a vocabulary as
    /// [`Vocab::from_counts`] does.
    pub fn build<'a>(
        texts: impl IntoIterator<Item = &'a str>,
        max_size: usize,
        min_count: usize,
    ) -> Self {
        let mut counts: FxHashMap<String, u64> = FxHashMap::default();
        let mut tokenizer = Tokenizer::new();
        for text in texts {
            for tok in tokenizer.tokenize(text) {
                match counts.get_mut(tok) {
                    Some(c) => *c += 1,
                    None => {
                        counts.insert(tok.to_owned(), 1);
                    }
                }
            }
        }
        Self::from_counts(
            counts.iter().map(|(w, &c)| (w.as_str(), c)),
            max_size,
            min_count,
        )
    }

    /// A vocabulary of `<pad>`, `<unk>` and then `words` in the order given.
    pub(crate) fn from_words(words: Vec<String>) -> Self {
        let mut all = Vec::with_capacity(words.len() + 2);
        all.push(PAD.to_owned());
        all.push(UNK.to_owned());
        all.extend(words);
        let index = all
            .iter()
            .enumerate()
            .map(|(i, w)| (w.clone(), i as i64))
            .collect();
        Vocab { words: all, index }
    }

    /// Number of entries, `<pad>` and `<unk>` included.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Always false: `<pad>` and `<unk>` are always there.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The id of `token`, or [`UNK_ID`] when it is not in the vocabulary.
    pub fn id(&self, token: &str) -> i64 {
        self.index.get(token).copied().unwrap_or(UNK_ID)
    }

    /// The token with id `id`, if there is one.
    pub fn word(&self, id: i64) -> Option<&str> {
        usize::try_from(id)
            .ok()
            .and_then(|i| self.words.get(i))
            .map(String::as_str)
    }

    /// All entries, in id order.
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// Appends the ids of the first `max_len` tokens of `text` to `out`, or a
    /// single [`UNK_ID`] when the text has no tokens; returns how many were
    /// appended (at least 1 when `max_len >= 1`).
    pub fn encode_into(
        &self,
        tokenizer: &mut Tokenizer,
        text: &str,
        max_len: usize,
        out: &mut Vec<i64>,
    ) -> usize {
        let before = out.len();
        out.extend(
            tokenizer
                .tokenize_prefix(text, max_len)
                .take(max_len)
                .map(|t| self.id(t)),
        );
        if out.len() == before && max_len > 0 {
            out.push(UNK_ID);
        }
        out.len() - before
    }
}

/// The words to keep, in id order (from id 2): `count >= min_count`, at most
/// `max_words`, by decreasing count then ascending bytes.
pub(crate) fn select_words<'a>(
    counts: impl IntoIterator<Item = (&'a str, u64)>,
    max_words: usize,
    min_count: usize,
) -> Vec<String> {
    let min_count = min_count.max(1) as u64;
    let mut kept: Vec<(&str, u64)> = counts
        .into_iter()
        .filter(|&(_, c)| c >= min_count)
        .collect();
    let by_rank = |a: &(&str, u64), b: &(&str, u64)| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0));
    if kept.len() > max_words {
        if max_words == 0 {
            return Vec::new();
        }
        kept.select_nth_unstable_by(max_words - 1, by_rank);
        kept.truncate(max_words);
    }
    kept.sort_unstable_by(by_rank);
    kept.into_iter().map(|(w, _)| w.to_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specials_first_then_by_count_then_bytes() {
        let v = Vocab::build(["b a c a b a", "d c"], 100, 1);
        assert_eq!(v.words(), ["<pad>", "<unk>", "a", "b", "c", "d"]);
        assert_eq!(v.id("<pad>"), PAD_ID);
        assert_eq!(v.id("a"), 2);
        assert_eq!(v.id("zzz"), UNK_ID);
        assert_eq!(v.word(3), Some("b"));
        assert_eq!(v.word(99), None);
    }

    #[test]
    fn size_cap_includes_specials_and_ties_are_deterministic() {
        // b, c and d tie at 2: the cap keeps the first by bytes.
        let v = Vocab::build(["a a a d d c c b b"], 4, 1);
        assert_eq!(v.words(), ["<pad>", "<unk>", "a", "b"]);
        let counts = [("d", 2u64), ("c", 2), ("b", 2), ("a", 3)];
        let w = Vocab::from_counts(counts.iter().copied(), 4, 1);
        let w_rev = Vocab::from_counts(counts.iter().rev().copied(), 4, 1);
        assert_eq!(w, v);
        assert_eq!(w_rev, v);
    }

    #[test]
    fn min_count_drops_rare_words() {
        let v = Vocab::build(["a a b"], 100, 2);
        assert_eq!(v.words(), ["<pad>", "<unk>", "a"]);
        let v0 = Vocab::build(["a a b"], 100, 0);
        assert_eq!(v0.len(), 4);
    }

    #[test]
    fn encode_truncates_and_maps_empty_to_unk() {
        let v = Vocab::build(["good bad good"], 100, 1);
        let mut t = Tokenizer::new();
        let mut out = Vec::new();
        assert_eq!(v.encode_into(&mut t, "Good, BAD movie", 3, &mut out), 3);
        assert_eq!(out, [2, UNK_ID, 3]);
        out.clear();
        assert_eq!(v.encode_into(&mut t, "<br />", 3, &mut out), 1);
        assert_eq!(out, [UNK_ID]);
    }
}
