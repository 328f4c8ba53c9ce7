//! A stand-in OAuth authorization server on loopback: publishes OpenID discovery metadata
//! and a JWKS that a test can rotate, counts JWKS fetches, and signs tokens with the
//! TEST-ONLY keys under `tests/fixtures/identity/`. With [`AuthServer::with_sign_in`] it
//! is also an OpenID provider for one client: a sign-in page at `/authorize` (a form
//! naming the person), and `/token` redeeming a code once, with PKCE, for an ID token.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{Query, State};
use axum::http::header::{AUTHORIZATION, LOCATION};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine as _;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
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
    provider: Arc<Mutex<Option<Provider>>>,
}

/// The OpenID provider part: its one client, the key it signs ID tokens with, and the
/// codes it has issued and not yet redeemed.
struct Provider {
    client_id: String,
    client_secret: Option<String>,
    signer: TestKey,
    codes: HashMap<String, Code>,
    redeemed: usize,
}

/// What a code stands for.
struct Code {
    user: String,
    redirect_uri: String,
    nonce: String,
    code_challenge: String,
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
            .route("/authorize", get(sign_in_page).post(signed_in))
            .route("/token", post(token))
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

    /// Also an OpenID provider for `client_id` (with `client_secret`, a confidential
    /// client), signing ID tokens with `signer` (which must be published).
    pub fn with_sign_in(
        self,
        signer: TestKey,
        client_id: &str,
        client_secret: Option<&str>,
    ) -> Self {
        *self.published.provider.lock().unwrap() = Some(Provider {
            client_id: client_id.to_owned(),
            client_secret: client_secret.map(str::to_owned),
            signer,
            codes: HashMap::new(),
            redeemed: 0,
        });
        self
    }

    /// How many codes `/token` redeemed.
    pub fn codes_redeemed(&self) -> usize {
        self.published
            .provider
            .lock()
            .unwrap()
            .as_ref()
            .map_or(0, |p| p.redeemed)
    }
}

/// `GET /authorize`: the sign-in page, a form carrying the request on and asking who
/// the person is (a stand-in for a password prompt).
async fn sign_in_page(Query(query): Query<HashMap<String, String>>) -> Html<String> {
    let hidden: String = query
        .iter()
        .map(|(name, value)| {
            format!(
                r#"<input type="hidden" name="{}" value="{}">"#,
                html_escape::encode_double_quoted_attribute(name),
                html_escape::encode_double_quoted_attribute(value)
            )
        })
        .collect();
    Html(format!(
        r#"<!doctype html><html><head><title>Test OpenID provider</title></head><body>
<h1>Sign in (TEST-ONLY provider)</h1><form method="post" action="/authorize">{hidden}
<label>User <input id="username" name="username" autofocus></label>
<button id="sign-in" type="submit">Sign in</button></form></body></html>"#
    ))
}

/// `POST /authorize`: signs the named person in and sends the browser back with a code.
async fn signed_in(
    State(published): State<Published>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut provider = published.provider.lock().unwrap();
    let Some(provider) = provider.as_mut() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    if field("client_id") != provider.client_id
        || field("response_type") != "code"
        || field("code_challenge_method") != "S256"
        || field("username").is_empty()
    {
        return (StatusCode::BAD_REQUEST, "bad sign-in request").into_response();
    }
    let code = format!("code-{}", uuid::Uuid::new_v4().simple());
    provider.codes.insert(
        code.clone(),
        Code {
            user: field("username"),
            redirect_uri: field("redirect_uri"),
            nonce: field("nonce"),
            code_challenge: field("code_challenge"),
        },
    );
    let mut back = Url::parse(&field("redirect_uri")).unwrap();
    back.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &field("state"));
    (StatusCode::SEE_OTHER, [(LOCATION, back.to_string())]).into_response()
}

/// `POST /token`: redeems a code once, for its client, its redirect URI and the PKCE
/// verifier of its challenge.
async fn token(
    State(published): State<Published>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let issuer = published.issuer.lock().unwrap().clone();
    let mut provider = published.provider.lock().unwrap();
    let Some(provider) = provider.as_mut() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    let refuse = |why: &str| {
        (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant", "error_description": why})),
        )
            .into_response()
    };
    if let Some(secret) = &provider.client_secret {
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{secret}", provider.client_id))
        );
        if headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
            return (
                StatusCode::UNAUTHORIZED,
                Json(json!({"error": "invalid_client"})),
            )
                .into_response();
        }
    }
    let Some(code) = provider.codes.remove(&field("code")) else {
        return refuse("unknown or used code");
    };
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(field("code_verifier").as_bytes()));
    if field("grant_type") != "authorization_code"
        || field("client_id") != provider.client_id
        || field("redirect_uri") != code.redirect_uri
        || challenge != code.code_challenge
    {
        return refuse("the code does not match this request");
    }
    provider.redeemed += 1;
    let mut claims = claims(&issuer, &provider.client_id, &code.user);
    claims["nonce"] = json!(code.nonce);
    let id_token = provider.signer.sign(&claims);
    Json(json!({"access_token": "opaque-test-access-token", "token_type": "Bearer", "id_token": id_token}))
        .into_response()
}

async fn jwks(State(published): State<Published>) -> Json<Value> {
    published.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    Json(json!({ "keys": *published.keys.lock().unwrap() }))
}

async fn openid_configuration(State(published): State<Published>) -> Json<Value> {
    let issuer = published.issuer.lock().unwrap().clone();
    Json(json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/jwks.json"),
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
    }))
}
