//! Arcade's *custom user verifier*, served by the gateway (`--user-verifier`):
//! `GET /arcade/verify?flow_id=…`.
//!
//! After a provider's consent page, Arcade sends the person's browser here. The
//! gateway tells who that person is by the identity mode in force, never from the
//! link ([`browser`]): the proxy's headers, the fixed user on loopback, or a sign-in
//! at the OAuth issuer (`/arcade/verify/callback` is where the issuer sends the
//! browser back). It then calls `POST /v1/auth/confirm_user` with that user, and
//! Arcade completes the grant only if the flow was started for them; calls waiting on
//! the grant (URL elicitation, the in-call wait, a multi round-trip retry) see it
//! completed through `auth/status` and go on.
//!
//! A link that is malformed, or carries anything but `flow_id`, a person who cannot
//! be identified, and a sign-in that is forged, replayed or too old get a page saying
//! so, and Arcade is not called. Every page is [`pages`]'s. Each client (its address)
//! may load the routes [`PER_MINUTE`] times a minute.

mod browser;
mod cookies;
mod pages;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, RawQuery, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use url::Url;

pub use browser::BrowserIdentityError;

use self::browser::{Browser, Identified, Refusal};
use self::pages::{Page, see_other};
use super::metrics::Metrics;
use crate::arcade::types::ConfirmUserRequest;
use crate::arcade::{ArcadeClient, ArcadeError};
use crate::audit::{AuditLog, verification_refused};
use crate::identity::{Authenticator, BrowserLoginConfig, UserId};
use crate::shared_state::ReplayGuard;

/// Where the verifier is served.
pub const VERIFY_PATH: &str = "/arcade/verify";
/// Where the OAuth issuer sends the browser back after a sign-in.
pub const CALLBACK_PATH: &str = "/arcade/verify/callback";
/// Loads of the verifier's routes one client address may make a minute: a person
/// needs two or three per grant; a script guessing flows or hammering the issuer gets
/// refused. Behind a proxy (trusted-header mode) the proxy is one address, shared by
/// every person it signs in, hence the room.
pub const PER_MINUTE: u32 = 60;
/// Addresses remembered before the idle ones are swept.
const MAX_REMEMBERED_CLIENTS: usize = 4096;
/// The longest `flow_id` accepted: Arcade's are short opaque ids.
const MAX_FLOW_ID_CHARS: usize = 200;

/// The verifier's configuration, checked by [`crate::cli`].
#[derive(Debug, Clone)]
pub struct VerifierSettings {
    /// Where browsers reach it: `<public origin>/arcade/verify`, the URL to enter in
    /// Arcade's dashboard.
    pub url: Url,
    /// In OAuth mode, how the person signs in at the issuer.
    pub sign_in: Option<BrowserLoginConfig>,
}

impl VerifierSettings {
    /// The verifier of a server whose public origin is that of `public_url`.
    pub fn at(public_url: &Url, sign_in: Option<BrowserLoginConfig>) -> Self {
        let mut url = public_url.clone();
        url.set_path(VERIFY_PATH);
        url.set_query(None);
        url.set_fragment(None);
        Self { url, sign_in }
    }

    /// Where the issuer sends the browser back (`<public origin>/arcade/verify/callback`).
    pub fn callback_url(&self) -> Url {
        let mut url = self.url.clone();
        url.set_path(CALLBACK_PATH);
        url
    }
}

/// What the routes share.
struct Verifier {
    arcade: ArcadeClient,
    browser: Browser,
    audit: AuditLog,
    metrics: Arc<Metrics>,
    per_client: DefaultKeyedRateLimiter<IpAddr>,
}

/// What the verifier is built from, besides its settings.
pub struct VerifierParts {
    /// Who calls `confirm_user`.
    pub arcade: ArcadeClient,
    /// The identity mode of `/mcp` (headers and fixed user).
    pub auth: Arc<Authenticator>,
    /// The key sealing the OAuth mode's cookies (the `requestState` key).
    pub codec: rmcp::model::RequestStateCodec,
    /// Where a used sign-in `state` is marked (shared by the replicas with Redis).
    pub replay: ReplayGuard,
    /// Where the refusals are written.
    pub audit: AuditLog,
    /// Where outcomes are counted.
    pub metrics: Arc<Metrics>,
}

/// The verifier's routes, to merge outside the identity middleware (the person is
/// identified here, by the browser's means).
pub fn routes(
    settings: &VerifierSettings,
    parts: VerifierParts,
) -> Result<Router, BrowserIdentityError> {
    let browser = Browser::new(settings, parts.auth, parts.codec, parts.replay)?;
    let quota = Quota::per_minute(NonZeroU32::new(PER_MINUTE).expect("PER_MINUTE is not zero"));
    let verifier = Arc::new(Verifier {
        arcade: parts.arcade,
        browser,
        audit: parts.audit,
        metrics: parts.metrics,
        per_client: RateLimiter::keyed(quota),
    });
    Ok(Router::new()
        .route(VERIFY_PATH, get(verify))
        .route(CALLBACK_PATH, get(callback))
        .with_state(verifier))
}

/// `GET /arcade/verify?flow_id=…`.
async fn verify(
    State(verifier): State<Arc<Verifier>>,
    RawQuery(query): RawQuery,
    request: Request,
) -> Response {
    if let Some(refused) = verifier.over_limit(&request) {
        return refused;
    }
    let flow_id = match flow_id(query.as_deref()) {
        Ok(flow_id) => flow_id,
        Err(page) => return verifier.page("bad_link", page),
    };
    match verifier.browser.identify(request.headers(), &flow_id).await {
        Identified::Person(user) => verifier.confirm(&flow_id, &user).await.into_response(),
        Identified::Elsewhere(response) => response,
        Identified::Refused(refusal) => verifier.refuse(refusal),
    }
}

/// `GET /arcade/verify/callback?code=…&state=…`: back from the issuer.
async fn callback(
    State(verifier): State<Arc<Verifier>>,
    RawQuery(query): RawQuery,
    request: Request,
) -> Response {
    if let Some(refused) = verifier.over_limit(&request) {
        return refused;
    }
    match verifier
        .browser
        .signed_in(request.headers(), query.as_deref())
        .await
    {
        Ok((user, flow_id, session)) => {
            let mut response = verifier.confirm(&flow_id, &user).await.into_response();
            response.headers_mut().extend(session);
            response
        }
        Err(refusal) => verifier.refuse(refusal),
    }
}

impl Verifier {
    /// A 429 page when this client has loaded the routes too often.
    fn over_limit(&self, request: &Request) -> Option<Response> {
        let client = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| {
                client_of(info.0.ip())
            });
        if self.per_client.len() > MAX_REMEMBERED_CLIENTS {
            self.per_client.retain_recent();
        }
        self.per_client.check_key(&client).err()?;
        Some(self.page(
            "rate_limited",
            Page::problem(StatusCode::TOO_MANY_REQUESTS, "Too many attempts").says(format!(
                "This browser opened verification pages more than {PER_MINUTE} times in a \
                 minute. Wait a minute, then open the authorization link again."
            )),
        ))
    }

    /// Counts `outcome` and answers with `page`.
    fn page(&self, outcome: &'static str, page: Page) -> Response {
        tracing::info!(
            outcome,
            status = page.status().as_u16(),
            "user verifier page"
        );
        self.metrics.user_verification(outcome);
        page.into_response()
    }

    /// Answers with a refusal's page, clearing its cookies.
    fn refuse(&self, (outcome, page, clear): Refusal) -> Response {
        let mut response = self.page(outcome, page);
        response.headers_mut().extend(clear);
        response
    }

    /// Asks Arcade to complete `flow_id` for `user`, and says how it went.
    async fn confirm(&self, flow_id: &str, user: &UserId) -> Response {
        let request = ConfirmUserRequest {
            flow_id: flow_id.to_owned(),
            user_id: user.as_str().to_owned(),
        };
        match self.arcade.confirm_user(&request).await {
            Ok(answer) => {
                tracing::info!(user = %user, auth_id = answer.auth_id, "user verified; Arcade completed the grant");
                self.metrics.user_verification("granted");
                match answer.next_uri.as_deref().filter(|uri| is_web_url(uri)) {
                    Some(next) => see_other(next),
                    None => Page::granted().into_response(),
                }
            }
            Err(ArcadeError::Rejected { status: 400, .. } | ArcadeError::PermissionDenied { .. }) => {
                tracing::warn!(user = %user, "Arcade refused the verification: the flow was started for another user");
                verification_refused(&self.audit, user);
                self.page("verification_refused", refused_page(user))
            }
            Err(ArcadeError::NotFound { .. }) => self.page(
                "unknown_flow",
                Page::problem(StatusCode::NOT_FOUND, "This link has expired")
                    .says("Arcade does not know this authorization, or it was already completed.")
                    .says("Nothing was granted. Ask your assistant again: it will give you a new link."),
            ),
            Err(error) => {
                tracing::warn!(%error, "confirm_user failed");
                self.page(
                    "upstream_error",
                    Page::problem(StatusCode::BAD_GATEWAY, "Arcade could not confirm you")
                        .says("Arcade did not answer as expected, so nothing was granted yet.")
                        .says("Try again in a moment by reloading this page."),
                )
            }
        }
    }
}

/// The client an address counts as: itself, or for IPv6 its /64 (what one host is
/// usually given), so a host cannot multiply its share by changing addresses.
fn client_of(address: IpAddr) -> IpAddr {
    match address.to_canonical() {
        IpAddr::V6(v6) => {
            let mut octets = v6.octets();
            octets[8..].fill(0);
            IpAddr::V6(octets.into())
        }
        v4 => v4,
    }
}

/// The page of a flow started for someone else.
fn refused_page(user: &UserId) -> Page {
    Page::problem(
        StatusCode::FORBIDDEN,
        "This link belongs to another account",
    )
    .says(format!(
        "This authorization link was started by another account than yours ({user}). \
             Nothing was granted."
    ))
    .says(
        "If you want to grant access for yourself, ask your assistant while signed in as \
             yourself: it will give you your own link.",
    )
}

/// The `flow_id` of the query, which must be the only parameter: a link naming a user,
/// or anything else, is not Arcade's and is refused whole.
fn flow_id(query: Option<&str>) -> Result<String, Page> {
    let bad = |why: &str| {
        Page::problem(
            StatusCode::BAD_REQUEST,
            "This is not a valid authorization link",
        )
        .says(why.to_owned())
        .says("Nothing was granted. Open the link your assistant gave you again, unchanged.")
    };
    let mut flow = None;
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match name.as_ref() {
            "flow_id" if flow.is_none() => flow = Some(value.into_owned()),
            "flow_id" => return Err(bad("The link names more than one flow.")),
            _ => {
                return Err(bad(
                    "The link carries more than the flow it is for; this page takes only \
                     the flow id, and never who you are from the link.",
                ));
            }
        }
    }
    let flow = flow.ok_or_else(|| bad("The link has no flow id."))?;
    let well_formed = !flow.is_empty()
        && flow.chars().count() <= MAX_FLOW_ID_CHARS
        && flow
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~'));
    if well_formed {
        Ok(flow)
    } else {
        Err(bad("The flow id in the link is malformed."))
    }
}

/// Whether `uri` is an `http(s)` URL: the only `next_uri` the browser is sent on to.
fn is_web_url(uri: &str) -> bool {
    Url::parse(uri).is_ok_and(|url| matches!(url.scheme(), "https" | "http"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_lone_well_formed_flow_id_is_taken() {
        assert_eq!(flow_id(Some("flow_id=af_123-x")).unwrap(), "af_123-x");
        for query in [
            None,
            Some(""),
            Some("flow_id="),
            Some("flow_id=af_1&user_id=ann"),
            Some("user_id=ann&flow_id=af_1"),
            Some("flow_id=af_1&flow_id=af_2"),
            Some("flow_id=%3Cscript%3E"),
            Some("flow_id=a%20b"),
        ] {
            assert!(flow_id(query).is_err(), "{query:?}");
        }
        assert!(flow_id(Some(&format!("flow_id={}", "a".repeat(201)))).is_err());
    }

    #[test]
    fn the_verifier_and_its_callback_sit_on_the_public_origin() {
        let settings = VerifierSettings::at(
            &Url::parse("https://mcp.example.com/mcp?x=1").unwrap(),
            None,
        );
        assert_eq!(
            settings.url.as_str(),
            "https://mcp.example.com/arcade/verify"
        );
        assert_eq!(
            settings.callback_url().as_str(),
            "https://mcp.example.com/arcade/verify/callback"
        );
    }

    #[test]
    fn an_ipv6_host_counts_as_its_64() {
        let one: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let other: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(client_of(one), client_of(other));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(client_of(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn only_web_urls_are_followed() {
        assert!(is_web_url("https://app.example.com/done"));
        assert!(!is_web_url("javascript:alert(1)"));
        assert!(!is_web_url("/relative"));
    }
}
