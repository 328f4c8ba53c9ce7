//! URL templates of declarative tools: `https://host/fixed/path/{param}/more`.
//!
//! Placeholders may stand only in the path, and each value is percent-encoded as one
//! path segment (everything but `A-Z a-z 0-9 - . _ ~` is encoded, so `/`, `?`, `#`,
//! `@`, `:` and `%` cannot change the URL's shape); a value that would make a segment
//! `.` or `..`, or is empty, is refused. Scheme, host and port are fixed by the
//! template, checked once when it is parsed and again on every rendered URL.

use std::collections::BTreeSet;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::Url;

/// What is encoded in a path segment value: all but RFC 3986's unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Why a URL template is wrong (found at start-up).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// Not a URL.
    #[error("url `{0}` is not a valid URL")]
    Invalid(String),
    /// Not https (or http on loopback).
    #[error(
        "url `{0}` must use https (http is allowed only for loopback hosts: localhost, 127.0.0.1, [::1])"
    )]
    Scheme(String),
    /// A placeholder before the path.
    #[error(
        "url `{0}`: placeholders may appear only in the path; the scheme, host and port must be fixed"
    )]
    PlaceholderInAuthority(String),
    /// A query or fragment in the template.
    #[error("url `{0}` must not contain `?` or `#`: put query parameters in `request.query`")]
    QueryInUrl(String),
    /// `{` without `}` or the like.
    #[error("url `{0}` has an unclosed or empty placeholder")]
    Unbalanced(String),
    /// Credentials in the URL.
    #[error("url `{0}` must not contain a user name or password")]
    Credentials(String),
}

/// Why a URL could not be built from the arguments (refused before sending).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// A path parameter without a value.
    #[error("argument `{0}` is needed to build the request's URL")]
    Missing(String),
    /// A value that would make an empty, `.` or `..` path segment.
    #[error(
        "argument `{0}` may not be empty, `.` or `..`: it is one segment of the request's path"
    )]
    BadSegment(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Placeholder(String),
}

/// A text with `{param}` placeholders (query values, headers, body strings), filled
/// in verbatim: these parts cannot change where the request goes.
#[derive(Debug, Clone)]
pub struct TextTemplate(Vec<Part>);

impl TextTemplate {
    /// Parses `text`; `None` if its braces do not balance.
    pub fn parse(text: &str) -> Option<Self> {
        split(text).map(Self)
    }

    /// The names of the placeholders.
    pub fn placeholders(&self) -> BTreeSet<&str> {
        placeholder_names(&self.0)
    }

    /// The text for these values; `None` when any placeholder has no value (the
    /// query parameter, header or body field is then left out).
    pub fn render(&self, value: impl Fn(&str) -> Option<String>) -> Option<String> {
        let mut complete = true;
        let text = render_parts(&self.0, |name| {
            let found = value(name);
            complete &= found.is_some();
            found
        });
        complete.then_some(text)
    }

    /// The placeholder, when the whole text is exactly one (`"{count}"`), so a JSON
    /// body can take the argument's value with its type.
    pub fn sole_placeholder(&self) -> Option<&str> {
        match self.0.as_slice() {
            [Part::Literal(a), Part::Placeholder(name), Part::Literal(b)]
                if a.is_empty() && b.is_empty() =>
            {
                Some(name)
            }
            _ => None,
        }
    }
}

/// A parsed URL template.
#[derive(Debug, Clone)]
pub struct UrlTemplate {
    parts: Vec<Part>,
    /// The template with every placeholder replaced by `x`: fixes scheme, host, port.
    shape: Url,
}

impl UrlTemplate {
    /// Parses and checks `template`.
    pub fn parse(template: &str) -> Result<Self, TemplateError> {
        if template.contains(['?', '#']) {
            return Err(TemplateError::QueryInUrl(template.to_owned()));
        }
        let parts =
            split(template).ok_or_else(|| TemplateError::Unbalanced(template.to_owned()))?;
        let (scheme, rest) = template
            .split_once("://")
            .ok_or_else(|| TemplateError::Invalid(template.to_owned()))?;
        let authority = rest.split('/').next().unwrap_or_default();
        if authority.contains(['{', '}']) || scheme.contains(['{', '}']) {
            return Err(TemplateError::PlaceholderInAuthority(template.to_owned()));
        }
        let shape = Url::parse(&render_parts(&parts, |_| Some("x".to_owned())))
            .map_err(|_| TemplateError::Invalid(template.to_owned()))?;
        if !shape.username().is_empty() || shape.password().is_some() {
            return Err(TemplateError::Credentials(template.to_owned()));
        }
        let allowed = match shape.scheme() {
            "https" => shape.host().is_some(),
            "http" => is_loopback(&shape),
            _ => false,
        };
        if !allowed {
            return Err(TemplateError::Scheme(template.to_owned()));
        }
        Ok(Self { parts, shape })
    }

    /// The names of the placeholders.
    pub fn placeholders(&self) -> BTreeSet<&str> {
        placeholder_names(&self.parts)
    }

    /// The URL for these values, each encoded as a path segment.
    pub fn render(&self, value: impl Fn(&str) -> Option<String>) -> Result<Url, RenderError> {
        let mut missing = None;
        let mut bad = None;
        let text = render_parts(&self.parts, |name| {
            let Some(raw) = value(name) else {
                missing.get_or_insert_with(|| name.to_owned());
                return None;
            };
            if raw.is_empty() || raw == "." || raw == ".." {
                bad.get_or_insert_with(|| name.to_owned());
            }
            Some(utf8_percent_encode(&raw, SEGMENT).to_string())
        });
        if let Some(name) = missing {
            return Err(RenderError::Missing(name));
        }
        if let Some(name) = bad {
            return Err(RenderError::BadSegment(name));
        }
        let url = Url::parse(&text).expect("a checked template with encoded values parses");
        let same_origin = url.scheme() == self.shape.scheme()
            && url.host() == self.shape.host()
            && url.port_or_known_default() == self.shape.port_or_known_default();
        // Unreachable by construction; kept as a guard so a future change to the
        // encoding cannot send a token to another host.
        assert!(same_origin, "a rendered URL left the template's origin");
        Ok(url)
    }
}

/// Splits a template into literals and placeholders; `None` if braces do not balance.
fn split(template: &str) -> Option<Vec<Part>> {
    let mut parts = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        if rest.as_bytes()[open] == b'}' {
            return None;
        }
        let close = rest[open..].find('}')? + open;
        let name = &rest[open + 1..close];
        if name.is_empty() || name.contains('{') {
            return None;
        }
        parts.push(Part::Literal(rest[..open].to_owned()));
        parts.push(Part::Placeholder(name.trim().to_owned()));
        rest = &rest[close + 1..];
    }
    parts.push(Part::Literal(rest.to_owned()));
    Some(parts)
}

fn placeholder_names(parts: &[Part]) -> BTreeSet<&str> {
    parts
        .iter()
        .filter_map(|p| match p {
            Part::Placeholder(name) => Some(name.as_str()),
            Part::Literal(_) => None,
        })
        .collect()
}

fn render_parts(parts: &[Part], mut value: impl FnMut(&str) -> Option<String>) -> String {
    parts
        .iter()
        .map(|part| match part {
            Part::Literal(text) => text.clone(),
            Part::Placeholder(name) => value(name).unwrap_or_default(),
        })
        .collect()
}

/// Whether the URL's host is a loopback address or `localhost`.
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template() -> UrlTemplate {
        UrlTemplate::parse("https://api.example.com/users/{user}/items/{id}.json").unwrap()
    }

    fn render(id: &str) -> Result<String, RenderError> {
        template()
            .render(|name| {
                Some(if name == "user" {
                    "me".into()
                } else {
                    id.into()
                })
            })
            .map(String::from)
    }

    #[test]
    fn values_are_encoded_as_one_segment() {
        assert_eq!(
            render("42").unwrap(),
            "https://api.example.com/users/me/items/42.json"
        );
        for (value, encoded) in [
            ("../../admin", "..%2F..%2Fadmin"),
            ("a@evil.com", "a%40evil.com"),
            ("//evil.com", "%2F%2Fevil.com"),
            ("%2F", "%252F"),
            ("x?y=1", "x%3Fy%3D1"),
            ("x#frag", "x%23frag"),
            ("a b:c", "a%20b%3Ac"),
        ] {
            let url = render(value).unwrap();
            assert_eq!(
                url,
                format!("https://api.example.com/users/me/items/{encoded}.json")
            );
        }
    }

    #[test]
    fn dot_segments_and_empty_values_are_refused() {
        let t = UrlTemplate::parse("https://api.example.com/a/{id}").unwrap();
        for value in ["", ".", ".."] {
            assert_eq!(
                t.render(|_| Some(value.into())),
                Err(RenderError::BadSegment("id".into()))
            );
        }
        assert_eq!(t.render(|_| None), Err(RenderError::Missing("id".into())));
    }

    #[test]
    fn text_templates_fill_in_or_leave_out() {
        let t = TextTemplate::parse("in:{box} {q}").unwrap();
        let all = |name: &str| Some(format!("<{name}>"));
        assert_eq!(t.render(all).unwrap(), "in:<box> <q>");
        assert_eq!(t.render(|n| (n == "box").then(|| "x".into())), None);
        assert_eq!(
            TextTemplate::parse("{n}").unwrap().sole_placeholder(),
            Some("n")
        );
        assert_eq!(
            TextTemplate::parse("x{n}").unwrap().sole_placeholder(),
            None
        );
        assert!(TextTemplate::parse("{n").is_none());
    }

    #[test]
    fn templates_fix_scheme_host_and_port() {
        use TemplateError::*;
        let bad = |t: &str| UrlTemplate::parse(t).unwrap_err();
        assert!(matches!(bad("http://api.example.com/x"), Scheme(_)));
        assert!(matches!(bad("ftp://api.example.com/x"), Scheme(_)));
        assert!(matches!(bad("https://{host}/x"), PlaceholderInAuthority(_)));
        assert!(matches!(
            bad("https://api.example.com:{port}/x"),
            PlaceholderInAuthority(_)
        ));
        assert!(matches!(
            bad("https://api{x}.example.com/x"),
            PlaceholderInAuthority(_)
        ));
        assert!(matches!(
            bad("https://a.example.com/x?q={q}"),
            QueryInUrl(_)
        ));
        assert!(matches!(bad("https://a.example.com/{x"), Unbalanced(_)));
        assert!(matches!(bad("https://a.example.com/{}"), Unbalanced(_)));
        assert!(matches!(bad("https://u:p@a.example.com/x"), Credentials(_)));
        assert!(UrlTemplate::parse("http://127.0.0.1:8080/x/{id}").is_ok());
        assert!(UrlTemplate::parse("http://localhost/x").is_ok());
        assert!(UrlTemplate::parse("http://[::1]:9/x").is_ok());
        assert_eq!(
            template().placeholders().into_iter().collect::<Vec<_>>(),
            ["id", "user"]
        );
    }
}
