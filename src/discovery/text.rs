//! How tool text and queries become search terms, the same way for both: words split at
//! punctuation and at CamelCase and snake_case boundaries, lowercased, stop words
//! dropped, and stemmed (Snowball English), so "SendEmail", "send_email" and "sending
//! emails" meet at `send email`. A few words tools are commonly asked for by another
//! name have synonyms, which a query also searches for.

use rust_stemmers::{Algorithm, Stemmer};

/// Words too common in tool text and questions to tell tools apart.
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "any", "are", "as", "at", "be", "by", "can", "do", "for", "from", "get",
    "give", "how", "i", "in", "into", "is", "it", "its", "me", "my", "of", "on", "or", "our",
    "please", "show", "some", "that", "the", "their", "this", "to", "tool", "use", "want", "what",
    "which", "with", "you", "your",
];

/// Groups of words a tool is commonly asked for by: a query naming one also searches for
/// the others.
const SYNONYMS: &[&[&str]] = &[
    &["ticket", "issue", "bug"],
    &["message", "post", "send", "chat"],
    &["meeting", "event", "appointment"],
    &["doc", "document", "page"],
    &["repo", "repository"],
    &["mail", "email", "inbox"],
    &["file", "attachment"],
    &["pr", "pull"],
    &["delete", "remove"],
    &["create", "add", "new", "make"],
    &["find", "search", "lookup"],
    &["list", "fetch", "retrieve", "read"],
    &["update", "edit", "modify", "change"],
    &["user", "member", "people", "person"],
    &["task", "todo"],
    &["calendar", "schedule"],
];

/// Turns text into search terms.
pub struct Terms {
    stemmer: Stemmer,
    /// [`SYNONYMS`], stemmed.
    synonyms: Vec<Vec<String>>,
}

impl Default for Terms {
    fn default() -> Self {
        let stemmer = Stemmer::create(Algorithm::English);
        let synonyms = SYNONYMS
            .iter()
            .map(|group| group.iter().map(|w| stemmer.stem(w).into_owned()).collect())
            .collect();
        Self { stemmer, synonyms }
    }
}

impl Terms {
    /// The terms of `text`, in order.
    pub fn of(&self, text: &str) -> Vec<String> {
        words(text)
            .filter(|word| !STOP_WORDS.contains(&word.as_str()))
            .map(|word| self.stemmer.stem(&word).into_owned())
            .collect()
    }

    /// The other terms a query's `terms` also stand for.
    pub fn synonyms(&self, terms: &[String]) -> Vec<String> {
        let mut extra: Vec<String> = Vec::new();
        for group in self
            .synonyms
            .iter()
            .filter(|g| terms.iter().any(|t| g.contains(t)))
        {
            for other in group {
                if !terms.contains(other) && !extra.contains(other) {
                    extra.push(other.clone());
                }
            }
        }
        extra
    }
}

/// The lowercase words of `text`: split at anything not a letter or digit, and inside a
/// word at a lower-to-upper step (`SendEmail`), at the last capital of a run of capitals
/// followed by lowercase (`HTTPServer` → `http server`), and between letters and digits.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|part| !part.is_empty())
        .flat_map(split_camel)
        .map(|word| word.to_lowercase())
}

fn split_camel(part: &str) -> Vec<&str> {
    let chars: Vec<(usize, char)> = part.char_indices().collect();
    let mut pieces = Vec::new();
    let mut start = 0;
    for i in 1..chars.len() {
        let (at, c) = chars[i];
        let previous = chars[i - 1].1;
        let next_is_lower = chars.get(i + 1).is_some_and(|(_, n)| n.is_lowercase());
        let boundary = (previous.is_lowercase() && c.is_uppercase())
            || (previous.is_uppercase() && c.is_uppercase() && next_is_lower)
            || (previous.is_alphabetic() != c.is_alphabetic());
        if boundary {
            pieces.push(&part[start..at]);
            start = at;
        }
    }
    pieces.push(&part[start..]);
    pieces
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
    fn terms_are_stemmed_without_stop_words() {
        let terms = Terms::default();
        assert_eq!(terms.of("Sending the emails"), ["send", "email"]);
        assert_eq!(terms.of("SendEmail"), terms.of("send emails"));
    }

    #[test]
    fn a_synonym_stands_for_its_group() {
        let terms = Terms::default();
        let query = terms.of("open a ticket");
        let extra = terms.synonyms(&query);
        assert!(extra.contains(&"issu".to_owned()), "{extra:?}");
        assert!(!extra.contains(&"ticket".to_owned()));
    }
}
