//! How tool text and queries become search terms, the same way for both: words split at
//! punctuation and at CamelCase and snake_case boundaries, lowercased, stop words
//! dropped, and stemmed (Snowball English), so "SendEmail", "send_email" and "sending
//! emails" meet at `send email`.

use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::FxHashMap;

/// Words that open a question: they tell the action asked for (see
/// [`super::lexicon`]), not the tool, so a query is searched without them unless they
/// are all it has ("who am I").
const QUESTION_WORDS: &[&str] = &[
    "how", "what", "when", "where", "which", "who", "whose", "why",
];

/// Turns text into search terms.
pub struct Terms {
    stemmer: Stemmer,
}

impl Default for Terms {
    fn default() -> Self {
        Self {
            stemmer: Stemmer::create(Algorithm::English),
        }
    }
}

impl Terms {
    /// The terms of `text`, in order.
    pub fn of(&self, text: &str) -> Vec<String> {
        let mut terms = Vec::new();
        for_each_word(text, |word| {
            if !is_stop_word(word) {
                terms.push(self.stem(word));
            }
        });
        terms
    }

    /// The term of one lowercase word.
    pub fn stem(&self, word: &str) -> String {
        self.stemmer.stem(word).into_owned()
    }
}

/// The terms of a batch of tools, numbered as they are first seen. Tool text repeats
/// its words (every `repo_name`, every "the ID of the"), so a batch stems each distinct
/// word once and keeps numbers, not strings, per tool.
#[derive(Default)]
pub struct BatchTerms {
    terms: Terms,
    /// Each lowercase word seen, and the number of its term.
    seen: FxHashMap<String, u32>,
    /// The same for words kept unstemmed.
    seen_unstemmed: FxHashMap<String, u32>,
    /// Each term, by number.
    pub vocabulary: Vec<String>,
    /// The number of each term already in `vocabulary`.
    numbers: FxHashMap<String, u32>,
}

impl BatchTerms {
    /// Adds the numbers of the terms of `text` to `numbers`.
    pub fn add(&mut self, text: &str, numbers: &mut Vec<u32>) {
        for_each_word(text, |word| {
            if !is_stop_word(word) {
                numbers.push(self.number(word, false));
            }
        });
    }

    /// Adds the numbers of the words of `text` unstemmed, each as `=word`, so they meet
    /// a query's words only in the same form.
    pub fn add_unstemmed(&mut self, text: &str, numbers: &mut Vec<u32>) {
        for_each_word(text, |word| {
            if !is_stop_word(word) {
                numbers.push(self.number(word, true));
            }
        });
    }

    fn number(&mut self, word: &str, unstemmed: bool) -> u32 {
        let seen = if unstemmed {
            &self.seen_unstemmed
        } else {
            &self.seen
        };
        if let Some(number) = seen.get(word) {
            return *number;
        }
        let term = if unstemmed {
            format!("={word}")
        } else {
            self.terms.stem(word)
        };
        let next = self.vocabulary.len() as u32;
        let number = *self.numbers.entry(term.clone()).or_insert(next);
        if number == next {
            self.vocabulary.push(term);
        }
        let seen = if unstemmed {
            &mut self.seen_unstemmed
        } else {
            &mut self.seen
        };
        seen.insert(word.to_owned(), number);
        number
    }
}

/// Whether `word` (lowercase) is too common in tool text and questions to tell tools
/// apart. A `match`, because every word of every tool is looked up here.
pub fn is_stop_word(word: &str) -> bool {
    matches!(
        word,
        "a" | "all"
            // What is left of a contraction ("what's", "don't", "I'm", "we'll").
            | "d"
            | "ll"
            | "m"
            | "re"
            | "s"
            | "t"
            | "ve"
            | "am"
            | "an"
            | "and"
            | "any"
            | "are"
            | "as"
            | "at"
            | "be"
            | "by"
            | "can"
            | "do"
            | "for"
            | "from"
            | "here"
            | "how"
            | "i"
            | "in"
            | "into"
            | "is"
            | "it"
            | "its"
            | "me"
            | "my"
            | "of"
            | "on"
            | "or"
            | "our"
            | "please"
            | "some"
            | "that"
            | "the"
            | "their"
            | "there"
            | "this"
            | "to"
            | "tool"
            | "us"
            | "use"
            | "want"
            | "we"
            | "with"
            | "you"
            | "your"
    )
}

/// Whether `word` (lowercase) opens a question.
pub fn is_question_word(word: &str) -> bool {
    QUESTION_WORDS.contains(&word)
}

/// The lowercase words of `text` (see [`for_each_word`]).
pub fn words(text: &str) -> impl Iterator<Item = String> {
    let mut words = Vec::new();
    for_each_word(text, |word| words.push(word.to_owned()));
    words.into_iter()
}

/// Calls `each` with every lowercase word of `text`: split at anything not a letter or
/// digit, and inside a word at a lower-to-upper step (`SendEmail`), at the last capital
/// of a run of capitals followed by lowercase (`HTTPServer` → `http server`), and
/// between letters and digits.
pub fn for_each_word(text: &str, mut each: impl FnMut(&str)) {
    let mut lower = String::new();
    let mut lowercased = |piece: &str| {
        if piece.bytes().any(|b| b.is_ascii_uppercase()) {
            lower.clear();
            lower.push_str(piece);
            lower.make_ascii_lowercase();
            each(&lower);
        } else {
            each(piece);
        }
    };
    if text.is_ascii() {
        let bytes = text.as_bytes();
        let mut start = None;
        for (at, byte) in bytes.iter().enumerate() {
            match (start, byte.is_ascii_alphanumeric()) {
                (None, true) => start = Some(at),
                (Some(from), false) => {
                    split_camel_ascii(&text[from..at], &mut lowercased);
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(from) = start {
            split_camel_ascii(&text[from..], &mut lowercased);
        }
        return;
    }
    let mut lower = String::new();
    for part in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|p| !p.is_empty())
    {
        split_camel(part, |piece| {
            lower.clear();
            lower.extend(piece.chars().flat_map(char::to_lowercase));
            lowercased(&lower);
        });
    }
}

/// [`split_camel`] for ASCII text, byte by byte: most tool text is ASCII.
fn split_camel_ascii(part: &str, mut each: impl FnMut(&str)) {
    let bytes = part.as_bytes();
    let mut start = 0;
    for at in 1..bytes.len() {
        let (previous, c) = (bytes[at - 1], bytes[at]);
        let next_is_lower = bytes.get(at + 1).is_some_and(u8::is_ascii_lowercase);
        let boundary = (previous.is_ascii_lowercase() && c.is_ascii_uppercase())
            || (previous.is_ascii_uppercase() && c.is_ascii_uppercase() && next_is_lower)
            || (previous.is_ascii_alphabetic() != c.is_ascii_alphabetic());
        if boundary {
            each(&part[start..at]);
            start = at;
        }
    }
    each(&part[start..]);
}

fn split_camel(part: &str, mut each: impl FnMut(&str)) {
    let mut start = 0;
    let mut previous: Option<char> = None;
    let mut chars = part.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if let Some(previous) = previous {
            let next_is_lower = chars.peek().is_some_and(|(_, n)| n.is_lowercase());
            let boundary = (previous.is_lowercase() && c.is_uppercase())
                || (previous.is_uppercase() && c.is_uppercase() && next_is_lower)
                || (previous.is_alphabetic() != c.is_alphabetic());
            if boundary {
                each(&part[start..at]);
                start = at;
            }
        }
        previous = Some(c);
    }
    each(&part[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_and_snake_case_split_into_words() {
        let words: Vec<String> = words("SendEmail list_pull_requests HTTPServer v2Api").collect();
        assert_eq!(
            words,
            [
                "send", "email", "list", "pull", "requests", "http", "server", "v", "2", "api"
            ]
        );
    }

    #[test]
    fn stop_words_are_known() {
        assert!(is_stop_word("the") && is_stop_word("a") && !is_stop_word("email"));
    }

    #[test]
    fn ascii_and_other_text_split_alike() {
        let ascii: Vec<String> = words("getHTTPStatus2xx").collect();
        let other: Vec<String> = words("getHTTPStatus2xxé").collect();
        assert_eq!(ascii, ["get", "http", "status", "2", "xx"]);
        assert_eq!(other, ["get", "http", "status", "2", "xxé"]);
    }

    #[test]
    fn terms_are_stemmed_without_stop_words() {
        let terms = Terms::default();
        assert_eq!(terms.of("Sending the emails"), ["send", "email"]);
        assert_eq!(terms.of("SendEmail"), terms.of("send emails"));
    }

    #[test]
    fn a_batch_numbers_each_term_once() {
        let mut batch = BatchTerms::default();
        let (mut first, mut second) = (Vec::new(), Vec::new());
        batch.add("Sending emails", &mut first);
        batch.add("send the email", &mut second);
        assert_eq!(first, second);
        let mut unstemmed = Vec::new();
        batch.add_unstemmed("Emails", &mut unstemmed);
        assert_eq!(batch.vocabulary[unstemmed[0] as usize], "=emails");
        assert_eq!(batch.vocabulary.len(), 3);
    }
}
