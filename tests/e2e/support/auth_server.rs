//! A stand-in OAuth authorization server on loopback: publishes OpenID discovery metadata
//! and a JWKS that a test can rotate, counts JWKS fetches, and signs tokens with the
//! TEST-ONLY keys under `tests/fixtures/identity/`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use url::Url;

use super::{loopback_listener, serve};

/// A TEST-ONLY signing key and its public JWK.
pub struct TestKey {
    pub kid: &'static str,
    alg: Algorithm,
    encoding: EncodingKey,
}

impl TestKey {
    fn load(kid: &'static str, alg: Algorithm, file: &str) -> Self {
        let path = format!(
            "{}/tests/fixtures/identity/{file}",
            env!("CARGO_MANIFEST_DIR")
        );
        let pem = std::fs::read(path).unwrap();
        let encoding = match alg {
            Algorithm::ES256 => EncodingKey::from_ec_pem(&pem),
            _ => EncodingKey::from_rsa_pem(&pem),
        }
        .unwrap();
        Self { kid, alg, encoding }
    }

    /// RS256 key `rsa-a`.
    pub fn rsa_a() -> Self {
        Self::load("rsa-a", Algorithm::RS256, "TEST_ONLY_rsa_a.pem")
    }

    /// RS256 key `rsa-b`.
    pub fn rsa_b() -> Self {
        Self::load("rsa-b", Algorithm::RS256, "TEST_ONLY_rsa_b.pem")
    }

    /// ES256 key `ec-a`.
    pub fn ec() -> Self {
        Self::load("ec-a", Algorithm::ES256, "TEST_ONLY_ec_p256.pem")
    }

    /// The public half, as the JWKS publishes it.
    pub fn jwk(&self) -> Value {
        let mut jwk = Jwk::from_encoding_key(&self.encoding, self.alg).unwrap();
        jwk.common.key_id = Some(self.kid.to_owned());
        serde_json::to_value(jwk).unwrap()
    }

    /// A JWT of `claims` signed with this key and naming it.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_as(self.kid, claims)
    }

    /// A JWT of `claims` signed with this key but naming key `kid` (a forgery when `kid`
    /// belongs to another key).
    pub fn sign_as(&self, kid: &str, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.kid = Some(kid.to_owned());
        jsonwebtoken::encode(&header, claims, &self.encoding).unwrap()
    }
}

/// Seconds since the epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Claims valid for ten minutes, for `user` (`sub`), from `issuer` to `audience`.
pub fn claims(issuer: &str, audience: &str, user: &str) -> Value {
    json!({
        "iss": issuer,
        "aud": audience,
        "sub": user,
        "iat": now(),
        "exp": now() + 600,
    })
}

#[derive(Clone, Default)]
struct Published {
    keys: Arc<Mutex<Vec<Value>>>,
    jwks_fetches: Arc<AtomicUsize>,
    issuer: Arc<Mutex<String>>,
}

/// The stand-in authorization server.
pub struct AuthServer {
    /// Its issuer identifier, as tokens carry it in `iss` (no trailing slash).
    pub issuer: String,
    published: Published,
}

impl AuthServer {
    /// Starts serving `keys` on a free loopback port.
    pub async fn start(keys: &[&TestKey]) -> Self {
        let published = Published::default();
        let (listener, addr) = loopback_listener().await;
        let issuer = format!("http://{addr}");
        *published.issuer.lock().unwrap() = issuer.clone();
        let app = Router::new()
            .route("/jwks.json", get(jwks))
            .route(
                "/.well-known/openid-configuration",
                get(openid_configuration),
            )
            .with_state(published.clone());
        serve(listener, app);
        let server = Self { issuer, published };
        server.publish(keys);
        server
    }

    /// Replaces the published keys (a key rotation).
    pub fn publish(&self, keys: &[&TestKey]) {
        *self.published.keys.lock().unwrap() = keys.iter().map(|key| key.jwk()).collect();
    }

    /// The issuer as configured in the gateway.
    pub fn issuer_url(&self) -> Url {
        Url::parse(&self.issuer).unwrap()
    }

    /// Where the JWKS is.
    pub fn jwks_url(&self) -> Url {
        Url::parse(&format!("{}/jwks.json", self.issuer)).unwrap()
    }

    /// How many times the JWKS was fetched.
    pub fn jwks_fetches(&self) -> usize {
        self.published.jwks_fetches.load(Ordering::SeqCst)
    }
}

async fn jwks(State(published): State<Published>) -> Json<Value> {
    published.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    Json(json!({ "keys": *published.keys.lock().unwrap() }))
}

async fn openid_configuration(State(published): State<Published>) -> Json<Value> {
    let issuer = published.issuer.lock().unwrap().clone();
    Json(json!({ "issuer": issuer, "jwks_uri": format!("{issuer}/jwks.json") }))
}
