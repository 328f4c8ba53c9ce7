//! The verifier's two cookies in OAuth mode, sealed (HMAC-SHA256, with an expiry) by the
//! key that seals `requestState`, so every replica sharing `ARCADE_GATEWAY_STATE_KEY`
//! reads them:
//! - the *sign-in* cookie, from leaving for the issuer to coming back: the `state`,
//!   `nonce` and PKCE verifier of that sign-in, and the flow it is for;
//! - the *session* cookie, after it: who signed in, for a short while.
//!
//! Each is sealed with its own purpose, issuer and client id as associated data: a
//! `requestState`, the other cookie, or a cookie of another gateway does not open.
//! Sealed is signed, not encrypted: the cookies are `HttpOnly`, and hold nothing a
//! person could use beyond their own sign-in.

use std::time::Duration;

use axum::http::header::COOKIE;
use axum::http::{HeaderMap, HeaderValue};
use rmcp::model::{RequestStateCodec, RequestStateError, SealOptions};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The path both cookies are sent to: the verifier's routes only.
const PATH: &str = "/arcade/verify";

/// A cookie the verifier keeps.
#[derive(Debug, Clone, Copy)]
pub(super) struct Kind {
    /// The cookie's name.
    name: &'static str,
    /// What it is for, sealed with it.
    purpose: &'static str,
    /// How long it stays valid.
    pub(super) lifetime: Duration,
}

/// A sign-in under way: long enough to sign in at the issuer, short enough that a
/// forgotten tab's answer is refused.
pub(super) const SIGN_IN: Kind = Kind {
    name: "arcade_gateway_sign_in",
    purpose: "arcade-mcp-gateway/user-verifier/sign-in/v1",
    lifetime: Duration::from_secs(10 * 60),
};

/// Who signed in: long enough for the links one task brings up, short enough that a
/// shared browser forgets the person soon.
pub(super) const SESSION: Kind = Kind {
    name: "arcade_gateway_session",
    purpose: "arcade-mcp-gateway/user-verifier/session/v1",
    lifetime: Duration::from_secs(15 * 60),
};

/// What a request's cookie of one kind turned out to be.
#[derive(Debug)]
pub(super) enum Read<T> {
    /// The browser sent none.
    Absent,
    /// Sealed by this server for this purpose, and not expired.
    Valid(T),
    /// Sealed by this server, but too old.
    Expired,
    /// Not sealed by this server for this purpose: altered, or another server's.
    Forged,
}

/// Seals and opens the cookies, and writes their `Set-Cookie` lines.
pub(super) struct Cookies {
    codec: RequestStateCodec,
    /// The issuer and client id, so a cookie of another setup does not open.
    context: String,
    /// `Secure`, except when the verifier's public URL is plain HTTP on loopback.
    secure: bool,
}

impl Cookies {
    /// Cookies sealed by `codec` for the sign-in at `issuer` as `client_id`.
    pub(super) fn new(
        codec: RequestStateCodec,
        issuer: &str,
        client_id: &str,
        secure: bool,
    ) -> Self {
        Self {
            codec,
            context: format!("{issuer}\n{client_id}"),
            secure,
        }
    }

    fn associated_data(&self, kind: Kind) -> Vec<u8> {
        format!("{}\n{}", kind.purpose, self.context).into_bytes()
    }

    /// The `Set-Cookie` value holding `value` sealed as `kind`.
    pub(super) fn set<T: Serialize>(&self, kind: Kind, value: &T) -> Option<HeaderValue> {
        let data = self.associated_data(kind);
        let options = SealOptions::new().associated_data(&data).ttl(kind.lifetime);
        let sealed = self.codec.seal_json_with(value, &options).ok()?;
        let line = format!(
            "{}={sealed}; Max-Age={}{}",
            kind.name,
            kind.lifetime.as_secs(),
            self.attributes()
        );
        HeaderValue::from_str(&line).ok()
    }

    /// The `Set-Cookie` value that makes the browser forget `kind`.
    pub(super) fn clear(&self, kind: Kind) -> HeaderValue {
        let line = format!("{}=; Max-Age=0{}", kind.name, self.attributes());
        HeaderValue::from_str(&line).expect("cookie names and attributes are ASCII")
    }

    fn attributes(&self) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!("; Path={PATH}; HttpOnly; SameSite=Lax{secure}")
    }

    /// The request's cookie of `kind`, opened. Two cookies of that name are forged:
    /// a browser sends one per name and path.
    pub(super) fn read<T: DeserializeOwned>(&self, kind: Kind, headers: &HeaderMap) -> Read<T> {
        let mut values = headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|header| header.to_str().ok())
            .flat_map(|header| header.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .filter(|(name, _)| *name == kind.name)
            .map(|(_, value)| value);
        let sealed = match (values.next(), values.next()) {
            (None, _) => return Read::Absent,
            (Some(one), None) => one,
            (Some(_), Some(_)) => return Read::Forged,
        };
        match self
            .codec
            .open_json_with(sealed, &self.associated_data(kind))
        {
            Ok(value) => Read::Valid(value),
            Err(RequestStateError::Expired) => Read::Expired,
            Err(_) => Read::Forged,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cookies(key: &[u8], client: &str) -> Cookies {
        Cookies::new(
            RequestStateCodec::try_new(key.to_vec()).unwrap(),
            "https://issuer",
            client,
            true,
        )
    }

    fn sent(set: &HeaderValue) -> HeaderMap {
        let pair = set.to_str().unwrap().split(';').next().unwrap().to_owned();
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_str(&format!("other=1; {pair}")).unwrap(),
        );
        headers
    }

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn a_cookie_opens_only_for_its_own_kind_key_and_client() {
        let ours = cookies(KEY, "gateway");
        let set = ours.set(SESSION, &"ann").unwrap();
        let line = set.to_str().unwrap();
        for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/arcade/verify"] {
            assert!(line.contains(attribute), "{line}");
        }
        assert!(
            matches!(ours.read::<String>(SESSION, &sent(&set)), Read::Valid(user) if user == "ann")
        );
        assert!(matches!(
            ours.read::<String>(SIGN_IN, &sent(&set)),
            Read::Absent
        ));
        let renamed = HeaderValue::from_str(&line.replace(SESSION.name, SIGN_IN.name)).unwrap();
        assert!(matches!(
            ours.read::<String>(SIGN_IN, &sent(&renamed)),
            Read::Forged
        ));
        let other_key = cookies(b"fedcba9876543210fedcba9876543210", "gateway");
        assert!(matches!(
            other_key.read::<String>(SESSION, &sent(&set)),
            Read::Forged
        ));
        let other_client = cookies(KEY, "another-gateway");
        assert!(matches!(
            other_client.read::<String>(SESSION, &sent(&set)),
            Read::Forged
        ));
        let tampered = HeaderValue::from_str(&line.replacen('.', ".x", 1)).unwrap();
        assert!(matches!(
            ours.read::<String>(SESSION, &sent(&tampered)),
            Read::Forged
        ));
        assert!(matches!(
            ours.read::<String>(SESSION, &HeaderMap::new()),
            Read::Absent
        ));
    }
}
