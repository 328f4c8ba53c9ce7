//! What a query's values stand for. People name things by their values: `r/rust`,
//! `#design`, `ENG-42`, `acme/web`, `priya@acme.io`, `budget.xlsx`, `shipfast.dev`.
//! Split into words, a value only adds noise ("r", "eng", "42", "acme", "io"), but its
//! shape says what kind of thing is meant (a subreddit, a channel, an issue, a
//! repository, an email address, a spreadsheet, a domain). So each value is replaced
//! by the words for its kind, and a bare number, an amount, a clock time or a channel's
//! or hashtag's name, which say nothing about the tool, are dropped.

use super::text::is_stop_word;

/// The characters trimmed from either end of a whitespace-separated token before its
/// shape is read: quotes, brackets and sentence punctuation.
const TRIMMED: &[char] = &[
    '"', '\'', '`', '(', ')', '[', ']', '{', '}', ',', ';', '?', '!', '.', ':', '<', '>', '“', '”',
    '‘', '’',
];

/// File extensions and the words for the kind of file each names.
const FILE_KINDS: &[(&str, &str)] = &[
    ("pdf", "pdf file"),
    ("doc", "word document file"),
    ("docx", "word document file"),
    ("xls", "excel spreadsheet file"),
    ("xlsx", "excel spreadsheet file"),
    ("csv", "csv spreadsheet file"),
    ("ppt", "powerpoint presentation file"),
    ("pptx", "powerpoint presentation file"),
    ("txt", "text file"),
    ("md", "markdown file"),
    ("png", "image file"),
    ("jpg", "image file"),
    ("jpeg", "image file"),
    ("gif", "image file"),
    ("mp3", "audio file"),
    ("mp4", "video file"),
    ("zip", "archive file"),
    ("json", "json file"),
    ("py", "python code file"),
    ("js", "javascript code file"),
    ("ts", "typescript code file"),
    ("rs", "rust code file"),
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

/// The endings that make a dotted token a domain name.
const DOMAIN_ENDINGS: &[&str] = &[
    "com", "org", "net", "io", "dev", "ai", "app", "co", "so", "xyz", "me",
];

/// `text` with each value replaced by the words for its kind. A dotted name that
/// `is_term` knows as one word, as a catalog writes it (`customer.io` → `customerio`),
/// names a service rather than a domain and is kept. So is a brand written in
/// CamelCase that `is_term` knows whole (`GitHub`, `OneDrive`): split, its parts would
/// ask for other things ("git", "drive").
pub fn read_values(text: &str, is_term: impl Fn(&str) -> bool) -> String {
    let mut read = String::with_capacity(text.len());
    for token in unquoted_tokens(text) {
        let value = token.trim_matches(TRIMMED);
        let known = || value.contains('.') && is_term(&value.replace('.', "").to_lowercase());
        let brand = brand_name(value, &is_term);
        let replaced = match kind_of(value) {
            Some(_) if known() => token,
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
/// about the tool; `None` for ordinary words.
fn kind_of(value: &str) -> Option<&'static str> {
    let lower = value.to_ascii_lowercase();
    if lower == "1:1" || lower == "1on1" {
        return Some("meeting");
    }
    if DAYS.contains(&without_possessive(&lower)) {
        return Some("date");
    }
    if lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("www.") {
        return Some(file_kind(&lower).unwrap_or("url"));
    }
    if let Some(name) = lower
        .strip_prefix("r/")
        .or_else(|| lower.strip_prefix("/r/"))
    {
        return is_name(name).then_some("subreddit");
    }
    if let Some(rest) = value.strip_prefix('#') {
        return (is_name(rest) || is_number(rest)).then_some("");
    }
    if let Some((local, domain)) = value.split_once('@') {
        return if local.is_empty() {
            let handle = domain.starts_with(|c: char| c.is_alphanumeric()) && is_name(domain);
            handle.then_some("user")
        } else {
            is_domain(&domain.to_ascii_lowercase()).then_some("email")
        };
    }
    if is_version(&lower) {
        return Some("version");
    }
    if is_number(value) || is_amount(value) || is_clock_time(&lower) || is_constant_name(value) {
        return Some("");
    }
    if is_issue_key(value) {
        return Some("issue");
    }
    if let Some(kind) = file_kind(&lower) {
        return Some(kind);
    }
    if is_domain(&lower) {
        return Some("domain");
    }
    if is_owner_and_repository(value) {
        return Some("repository");
    }
    None
}

/// The words for the kind of file a name or link ends in.
fn file_kind(lower: &str) -> Option<&'static str> {
    let (stem, extension) = lower.rsplit_once('.')?;
    if stem.is_empty() {
        return None;
    }
    FILE_KINDS
        .iter()
        .find(|(known, _)| *known == extension)
        .map(|(_, kind)| *kind)
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

/// An amount of money: `$50`, `€3,000`, `12.50$`.
fn is_amount(text: &str) -> bool {
    let bare = text.trim_matches(['$', '€', '£', '¥']);
    bare != text && is_number(bare)
}

/// A time of day: `3pm`, `10am`, `9:30`, `16:00`.
fn is_clock_time(lower: &str) -> bool {
    let bare = lower
        .strip_suffix("am")
        .or_else(|| lower.strip_suffix("pm"))
        .unwrap_or(lower);
    let (hours, minutes) = bare.split_once(':').unwrap_or((bare, "00"));
    let hours_only = bare.len() < lower.len() || bare.contains(':');
    hours_only
        && (1..=2).contains(&hours.len())
        && hours.chars().all(|c| c.is_ascii_digit())
        && minutes.len() == 2
        && minutes.chars().all(|c| c.is_ascii_digit())
}

/// A name in capitals joined by `_`, as secrets, variables and keys are named
/// (`API_TOKEN`, `DATABASE_URL`): the query says what it is ("the API_TOKEN secret").
fn is_constant_name(value: &str) -> bool {
    value.contains('_')
        && value
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && value.chars().any(|c| c.is_ascii_uppercase())
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

/// A release's version: `v1.2`, `v1.2.0`, `1.2.0`.
fn is_version(lower: &str) -> bool {
    let (bare, prefixed) = match lower.strip_prefix('v') {
        Some(bare) => (bare, true),
        None => (lower, false),
    };
    let parts: Vec<&str> = bare.split('.').collect();
    parts.len() >= if prefixed { 2 } else { 3 }
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// A domain name: `stripe.com`, `shipfast.dev`, `docs.acme.io`.
fn is_domain(lower: &str) -> bool {
    lower.rsplit_once('.').is_some_and(|(name, ending)| {
        DOMAIN_ENDINGS.contains(&ending) && name.split('.').all(is_name)
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
            ("tell priya@northwind.io now", "tell email now"),
            ("ping @lena", "ping user"),
            ("diff v1.2.0 and 1.3.0", "diff version and version"),
            ("open budget.xlsx", "open excel spreadsheet file"),
            ("save https://x.com/w9.pdf", "save pdf file"),
            ("see https://example.com/page", "see url"),
            ("is shipfast.dev free", "is domain free"),
            ("my 1:1 with Tom", "my meeting with Tom"),
            (
                "what's on tomorrow, Thursday's and Friday’s?",
                "what's on date date and date",
            ),
            (
                "bill $3,000 at 3pm on 9:30 for 42 hours",
                "bill at on for hours",
            ),
            ("merge PR #42", "merge PR"),
            ("set the API_TOKEN secret", "set the secret"),
            ("add 'buy milk' to TickTick", "add to TickTick"),
            (
                "read the \"Q3 plan\" page, then 'x'.",
                "read the page, then",
            ),
            ("John's and Ana's files", "John's and Ana's files"),
            ("the 'unclosed quote", "the 'unclosed quote"),
        ];
        for (query, read) in cases {
            assert_eq!(read_values(query, |_| false), read, "{query}");
        }
    }

    #[test]
    fn a_brand_in_camel_case_is_one_word() {
        let known = |t: &str| t == "github" || t == "onedrive";
        assert_eq!(
            read_values("my GitHub's repos on OneDrive, SendEmail", known),
            "my github repos on onedrive SendEmail"
        );
    }

    #[test]
    fn a_service_written_as_a_domain_is_kept() {
        let known = |term: &str| term == "customerio";
        assert_eq!(
            read_values("send it from Customer.io, not acme.io", known),
            "send it from Customer.io, not domain"
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
        ] {
            assert_eq!(
                read_values(query, |_| false),
                query.split_whitespace().collect::<Vec<_>>().join(" ")
            );
        }
    }
}
