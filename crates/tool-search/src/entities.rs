//! What a query's values stand for. People name things by their values: `r/rust`,
//! `#design`, `ENG-42`, `acme/web`, "tomorrow". Split into words, a value only adds
//! noise ("r", "eng", "42", "acme"), but its shape says what kind of thing is meant (a
//! subreddit, an issue, a repository, a date). So each value is replaced by the words
//! for its kind, and a quoted text or a channel's or hashtag's name, which say nothing
//! about the tool, are dropped. Only the rules that pay on query sets the ranking was
//! not tuned on are here (see `docs/discovery.md`): emails, links, files, domains,
//! versions and bare numbers were read too, and left out on the numbers.
//! A new rule follows the rule for list entries in `lexicon.rs`.

use super::ranking::{Rule, Rules};
use super::text::is_stop_word;

/// The characters trimmed from either end of a whitespace-separated token before its
/// shape is read: quotes, brackets and sentence punctuation.
const TRIMMED: &[char] = &[
    '"', '\'', '`', '(', ')', '[', ']', '{', '}', ',', ';', '?', '!', '.', ':', '<', '>', '“', '”',
    '‘', '’',
];

/// Words that name a day: a date is a value, and its kind is a date.
const DAYS: &[&str] = &[
    "today",
    "tomorrow",
    "yesterday",
    "tonight",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// `text` with each value replaced by the words for its kind, by `rules`. A brand
/// written in CamelCase that `is_term` knows whole (`GitHub`, `OneDrive`) is kept as one
/// word: split, its parts would ask for other things ("git", "drive").
pub fn read_values(text: &str, is_term: impl Fn(&str) -> bool, rules: Rules) -> String {
    let mut read = String::with_capacity(text.len());
    let tokens = if rules.has(Rule::QuotedTexts) {
        unquoted_tokens(text)
    } else {
        text.split_whitespace().collect()
    };
    for token in tokens {
        let value = token.trim_matches(TRIMMED);
        let brand = brand_name(value, &is_term).filter(|_| rules.has(Rule::BrandNames));
        let replaced = match kind_of(value, rules) {
            Some(kind) => kind,
            None => brand.as_deref().unwrap_or(token),
        };
        if !replaced.is_empty() {
            if !read.is_empty() {
                read.push(' ');
            }
            read.push_str(replaced);
        }
    }
    read
}

/// `value` lowercased, less a possessive, if it is written in CamelCase and `is_term`
/// knows it as one word.
fn brand_name(value: &str, is_term: impl Fn(&str) -> bool) -> Option<String> {
    let name = without_possessive(value);
    let camel = name
        .as_bytes()
        .windows(2)
        .any(|pair| pair[0].is_ascii_lowercase() && pair[1].is_ascii_uppercase());
    let lower = name.to_ascii_lowercase();
    (camel && is_term(&lower)).then_some(lower)
}

/// `word` less a possessive `'s`, with a straight or a curly apostrophe.
fn without_possessive(word: &str) -> &str {
    word.trim_end_matches("'s").trim_end_matches("’s")
}

/// The whitespace-separated tokens of `text` less those quoted: a quoted text is a
/// value (a title, a name, a message), as in "add 'buy milk' to my list". A quote opens
/// at a token's start and closes at a token's end, so apostrophes ("John's") are not
/// quotes; a quote never closed quotes nothing.
fn unquoted_tokens(text: &str) -> Vec<&str> {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let mut kept = Vec::with_capacity(tokens.len());
    let mut at = 0;
    while at < tokens.len() {
        let closing = tokens[at].chars().next().and_then(closing_quote);
        let end = closing.and_then(|close| {
            (at..tokens.len()).find(|&to| {
                let token = tokens[to].trim_end_matches(['.', ',', '?', '!', ':', ';', ')']);
                let opened = if to == at { 1 } else { 0 };
                token.chars().count() > opened && token.ends_with(close)
            })
        });
        match end {
            Some(end) => at = end + 1,
            None => {
                kept.push(tokens[at]);
                at += 1;
            }
        }
    }
    kept
}

/// The quote that closes one opened by `open`, if `open` opens a quote.
fn closing_quote(open: char) -> Option<char> {
    match open {
        '\'' => Some('\''),
        '"' => Some('"'),
        '‘' => Some('’'),
        '“' => Some('”'),
        _ => None,
    }
}

/// The words for the kind of thing `value` is, empty for a value that says nothing
/// about the tool; `None` for ordinary words. Only `rules`' rules are applied.
fn kind_of(value: &str, rules: Rules) -> Option<&'static str> {
    let lower = value.to_ascii_lowercase();
    let on = |rule: Rule| rules.has(rule);
    if on(Rule::OneOnOne) && (lower == "1:1" || lower == "1on1") {
        return Some("meeting");
    }
    if on(Rule::Days) && DAYS.contains(&without_possessive(&lower)) {
        return Some("date");
    }
    if let Some(name) = lower
        .strip_prefix("r/")
        .or_else(|| lower.strip_prefix("/r/"))
        .filter(|_| on(Rule::Subreddits))
    {
        return is_name(name).then_some("subreddit");
    }
    if let Some(rest) = value.strip_prefix('#').filter(|_| on(Rule::Hashtags)) {
        return (is_name(rest) || is_number(rest)).then_some("");
    }
    if on(Rule::IssueKeys) && is_issue_key(value) {
        return Some("issue");
    }
    if on(Rule::Repositories) && is_owner_and_repository(value) {
        return Some("repository");
    }
    None
}

/// A name of letters, digits, `_` and `-`, with at least one letter.
fn is_name(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        && text.chars().any(char::is_alphabetic)
}

/// Digits, maybe with separators and a sign: `42`, `1,000`, `3.5`, `-2`.
fn is_number(text: &str) -> bool {
    let digits = text.trim_start_matches(['-', '+']);
    !digits.is_empty()
        && digits.starts_with(|c: char| c.is_ascii_digit())
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c == '.')
}

/// A tracker's issue key: capitals, a dash, digits (`ENG-231`, `PROJ-7`).
fn is_issue_key(value: &str) -> bool {
    value.split_once('-').is_some_and(|(team, number)| {
        !team.is_empty()
            && team.chars().all(|c| c.is_ascii_uppercase())
            && !number.is_empty()
            && number.chars().all(|c| c.is_ascii_digit())
    })
}

/// `owner/repository`, as code hosts name a repository (`acme/web`, `rust-lang/rust`).
fn is_owner_and_repository(value: &str) -> bool {
    let name = |part: &str| {
        is_name(part.trim_end_matches(".git").replace('.', "").as_str())
            && !part.chars().all(|c| c.is_ascii_digit())
            && !is_stop_word(&part.to_ascii_lowercase())
    };
    value
        .split_once('/')
        .is_some_and(|(owner, repository)| name(owner) && name(repository))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_become_the_words_for_their_kind() {
        let cases = [
            ("post in r/rust asking", "post in subreddit asking"),
            ("who's in #design?", "who's in"),
            ("move ENG-412 to In Review", "move issue to In Review"),
            ("stars of rust-lang/rust", "stars of repository"),
            ("my 1:1 with Tom", "my meeting with Tom"),
            (
                "what's on tomorrow, Thursday's and Friday’s?",
                "what's on date date and date",
            ),
            ("merge PR #42", "merge PR"),
            ("add 'buy milk' to TickTick", "add to TickTick"),
            (
                "read the \"Q3 plan\" page, then 'x'.",
                "read the page, then",
            ),
            ("John's and Ana's files", "John's and Ana's files"),
            ("the 'unclosed quote", "the 'unclosed quote"),
        ];
        for (query, read) in cases {
            assert_eq!(read_values(query, |_| false, Rules::ALL), read, "{query}");
        }
    }

    #[test]
    fn a_brand_in_camel_case_is_one_word() {
        let known = |t: &str| t == "github" || t == "onedrive";
        assert_eq!(
            read_values(
                "my GitHub's repos on OneDrive, SendEmail",
                known,
                Rules::ALL
            ),
            "my github repos on onedrive SendEmail"
        );
    }

    #[test]
    fn ordinary_words_and_near_misses_are_kept() {
        for query in [
            "send an email to the team",
            "read and/or write",
            "what's new in Q3?",
            "a 5-slide deck",
            "who @-mentioned me",
            "open budget.xlsx from https://acme.io, at 3pm",
        ] {
            assert_eq!(
                read_values(query, |_| false, Rules::ALL),
                query.split_whitespace().collect::<Vec<_>>().join(" ")
            );
        }
    }
}
