//! The verifier's pages: minimal server-rendered HTML, every value escaped, no script,
//! and headers that keep them from being framed, cached, sniffed or leaking the link
//! (the flow id) to another site.

use std::sync::LazyLock;

use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use html_escape::encode_text;
use sha2::{Digest, Sha256};

/// The one style sheet, inline: the policy allows exactly it, by its hash.
const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:34rem;margin:4rem auto;\
padding:0 1rem;color:#222;line-height:1.45}h1{font-size:1.35rem}.ok{color:#1a7f37}\
.no{color:#b42318}small{color:#666}";

/// `default-src 'none'`: nothing loads, nothing runs; the page's own style only.
static POLICY: LazyLock<HeaderValue> = LazyLock::new(|| {
    use base64::Engine as _;
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(STYLE));
    let policy = format!(
        "default-src 'none'; style-src 'sha256-{hash}'; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'"
    );
    HeaderValue::from_str(&policy).expect("the policy is ASCII")
});

/// What a page says: its status, its title and its paragraphs (plain text, escaped
/// here), with the title marked good or bad.
#[derive(Debug, Clone)]
pub(super) struct Page {
    status: StatusCode,
    title: &'static str,
    paragraphs: Vec<String>,
    good: bool,
}

impl Page {
    /// A page telling of something that went wrong or was refused.
    pub(super) fn problem(status: StatusCode, title: &'static str) -> Self {
        Self {
            status,
            title,
            paragraphs: Vec::new(),
            good: false,
        }
    }

    /// The success page.
    pub(super) fn granted() -> Self {
        Self {
            status: StatusCode::OK,
            title: "Access granted",
            paragraphs: vec![
                "Your account is confirmed and the access you approved is granted.".to_owned(),
                "You can close this tab and return to your assistant.".to_owned(),
            ],
            good: true,
        }
    }

    /// Adds a paragraph (plain text).
    pub(super) fn says(mut self, text: impl Into<String>) -> Self {
        self.paragraphs.push(text.into());
        self
    }

    /// The status of the page.
    pub(super) fn status(&self) -> StatusCode {
        self.status
    }

    fn html(&self) -> String {
        let class = if self.good { "ok" } else { "no" };
        let paragraphs: String = self
            .paragraphs
            .iter()
            .map(|p| format!("<p>{}</p>", encode_text(p)))
            .collect();
        format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title>\
             <style>{STYLE}</style></head><body><h1 class=\"{class}\">{title}</h1>{paragraphs}\
             <p><small>arcade-mcp-gateway · user verification</small></p></body></html>",
            title = encode_text(self.title),
        )
    }
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.html()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        headers.insert(CONTENT_SECURITY_POLICY, POLICY.clone());
        protect(headers);
        response
    }
}

/// A 303 to `location` (the issuer's sign-in, or Arcade's `next_uri`), with the same
/// protective headers as a page.
pub(super) fn see_other(location: &str) -> Response {
    let Ok(location) = HeaderValue::from_str(location) else {
        return Page::problem(StatusCode::BAD_GATEWAY, "Cannot continue")
            .says("The address to continue to is not a valid URL; nothing else is needed from you.")
            .into_response();
    };
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    headers.insert(LOCATION, location);
    protect(headers);
    response
}

/// No framing, no caching, no sniffing, no `Referer` carrying the link onward.
fn protect(headers: &mut HeaderMap) {
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_is_escaped_and_no_script_can_run() {
        let page = Page::problem(StatusCode::FORBIDDEN, "Refused")
            .says("<script>alert(1)</script> & \"quotes\"");
        let html = page.clone().html();
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        let response = page.into_response();
        let policy = response.headers()[CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(policy.starts_with("default-src 'none'"), "{policy}");
        assert!(!policy.contains("script-src"), "{policy}");
        assert_eq!(response.headers()[X_FRAME_OPTIONS], "DENY");
        assert_eq!(response.headers()[REFERRER_POLICY], "no-referrer");
    }

    #[test]
    fn the_style_is_allowed_by_its_hash() {
        use base64::Engine as _;
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(STYLE));
        assert!(POLICY.to_str().unwrap().contains(&hash));
    }
}
