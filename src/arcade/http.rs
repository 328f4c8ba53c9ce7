//! What every HTTP answer from outside goes through before the gateway holds it:
//! a capped read, short quoted messages, and redirects that stay on their origin.
//! Shared by the Arcade client and the direct tools, so both bound an upstream the
//! same way.

use reqwest::Response;

/// Why a capped read stopped.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The body is larger than the cap: nothing past the cap was kept.
    #[error("the answer is larger than {0} bytes")]
    TooLarge(usize),
    /// The transport failed mid-body.
    #[error(transparent)]
    Transport(#[from] reqwest::Error),
}

/// Reads `response`'s body, at most `cap` bytes, refusing a declared or actual body
/// over it before it is held, so an upstream cannot make this process hold what it
/// likes.
pub async fn read_capped(mut response: Response, cap: usize) -> Result<Vec<u8>, ReadError> {
    if response.content_length().is_some_and(|n| n > cap as u64) {
        return Err(ReadError::TooLarge(cap));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > cap {
            return Err(ReadError::TooLarge(cap));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `text` on one line (whitespace runs, newlines included, become one space) and cut
/// to `max_chars` with `…`: an upstream's message quoted to a client can neither
/// flood it nor start lines of its own.
pub fn excerpt(text: &str, max_chars: usize) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text,
    }
}

/// A redirect policy that follows at most `max` redirects and none to another origin:
/// a request carries a key, a token or a user's input that must not travel to a host
/// the first answer chose.
pub fn same_origin_redirects(max: usize) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        let same_origin = attempt
            .previous()
            .last()
            .is_some_and(|previous| previous.origin() == attempt.url().origin());
        if !same_origin {
            attempt.stop()
        } else if attempt.previous().len() > max {
            attempt.error("too many redirects")
        } else {
            attempt.follow()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_one_short_line() {
        assert_eq!(excerpt("a\n\n  b\r\nc", 10), "a b c");
        assert_eq!(excerpt(&"x".repeat(50), 10), format!("{}…", "x".repeat(10)));
    }
}
