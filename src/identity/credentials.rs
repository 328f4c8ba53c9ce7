//! Reading credentials out of request headers, refusing ambiguous ones (a header sent
//! twice could be read differently by a proxy and by this server); and the one hash
//! this module keeps of a token or secret instead of the thing itself.

use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, HeaderName};
use sha2::{Digest, Sha256};

use super::rejection::AuthRejection;

/// The value of a header that must appear at most once, as visible ASCII text.
pub(crate) fn single_header<'a>(
    headers: &'a HeaderMap,
    name: &HeaderName,
) -> Result<Option<&'a str>, AuthRejection> {
    let mut values = headers.get_all(name).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        if headers.contains_key(name) {
            return Err(AuthRejection::malformed(format!(
                "the {name} header appears more than once; send it once"
            )));
        }
        return Ok(None);
    };
    value
        .to_str()
        .map(|v| Some(v.trim()))
        .map_err(|_| AuthRejection::malformed(format!("the {name} header is not plain ASCII text")))
}

/// The token of an `Authorization: Bearer <token>` header, if one was sent.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Result<Option<&str>, AuthRejection> {
    let Some(value) = single_header(headers, &AUTHORIZATION)? else {
        return Ok(None);
    };
    let token = value
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty() && !token.contains(' '));
    token.map(Some).ok_or_else(|| {
        AuthRejection::malformed("the Authorization header must be `Bearer <token>`")
    })
}

/// SHA-256 of some bytes: what the token file and the proxy secret are compared by.
pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(values: &[&'static str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(AUTHORIZATION, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn reads_a_bearer_token_whatever_the_scheme_case() {
        assert_eq!(
            bearer_token(&headers(&["Bearer abc"])).unwrap(),
            Some("abc")
        );
        assert_eq!(
            bearer_token(&headers(&["bearer  abc "])).unwrap(),
            Some("abc")
        );
        assert_eq!(bearer_token(&headers(&[])).unwrap(), None);
    }

    #[test]
    fn refuses_other_schemes_empty_and_repeated_tokens() {
        for bad in [
            &["Basic abc"][..],
            &["Bearer"],
            &["Bearer a b"],
            &["Bearer a", "Bearer b"],
        ] {
            let err = bearer_token(&headers(bad)).unwrap_err();
            assert_eq!(err.error_code(), "invalid_request", "{bad:?}");
        }
    }
}
