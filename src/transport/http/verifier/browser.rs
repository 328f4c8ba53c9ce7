//! Who is at the browser, by the identity mode of `/mcp`: the proxy's headers and the
//! fixed user are checked as on `/mcp` (the [`Authenticator`]); in OAuth mode the
//! person signs in at the issuer, and a sealed session cookie remembers them for a
//! while ([`cookies`](super::cookies)). The link's query is never asked.

use std::sync::Arc;
use std::time::Duration;

use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use rmcp::model::RequestStateCodec;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use super::VerifierSettings;
use super::cookies::{Cookies, Read, SESSION, SIGN_IN};
use super::pages::{Page, see_other};
use crate::identity::{Authenticator, BrowserLogin, IdentityError, PendingLogin, UserId};
use crate::shared_state::{ReplayError, ReplayGuard};

/// Why the verifier cannot identify browsers as configured.
#[derive(Debug, thiserror::Error)]
pub enum BrowserIdentityError {
    /// The OAuth sign-in cannot be set up.
    #[error(transparent)]
    Identity(#[from] IdentityError),
}

/// Headers to add to an answer (the cookies set or cleared).
pub(super) type Cookie = (HeaderName, HeaderValue);

/// A refusal: its outcome (for the metrics), its page, and the cookies to clear.
pub(super) type Refusal = (&'static str, Page, Vec<Cookie>);

/// What the verifier learned about the person at the browser.
pub(super) enum Identified {
    /// Proved by the mode.
    Person(UserId),
    /// Not known yet: the browser is sent to sign in (OAuth mode).
    Elsewhere(Response),
    /// Not proved: the outcome, the page saying why, and the cookies to clear.
    Refused(Refusal),
}

/// How the verifier identifies browsers.
pub(super) enum Browser {
    /// As `/mcp` does: the proxy's headers, or the fixed user.
    Headers(Arc<Authenticator>),
    /// A sign-in at the OAuth issuer.
    SignIn(Box<SignIn>),
}

/// OAuth mode's sign-in and what it keeps.
pub(super) struct SignIn {
    login: BrowserLogin,
    cookies: Cookies,
    replay: ReplayGuard,
}

/// The sign-in cookie: the sign-in under way and the flow it is for.
#[derive(Serialize, Deserialize)]
struct SigningIn {
    pending: PendingLogin,
    flow_id: String,
}

/// The session cookie: who signed in.
#[derive(Serialize, Deserialize)]
struct Session {
    user: String,
}

impl Browser {
    /// Identifies browsers by sign-in when `settings` say so, else as `/mcp` does.
    pub(super) fn new(
        settings: &VerifierSettings,
        auth: Arc<Authenticator>,
        codec: RequestStateCodec,
        replay: ReplayGuard,
    ) -> Result<Self, BrowserIdentityError> {
        let Some(config) = settings.sign_in.clone() else {
            return Ok(Self::Headers(auth));
        };
        let cookies = Cookies::new(
            codec,
            config.oauth.issuer.as_str(),
            &config.client_id,
            settings.url.scheme() == "https",
        );
        Ok(Self::SignIn(Box::new(SignIn {
            login: BrowserLogin::new(config)?,
            cookies,
            replay,
        })))
    }

    /// Who is at the browser that opened the link of `flow_id`.
    pub(super) async fn identify(&self, headers: &HeaderMap, flow_id: &str) -> Identified {
        match self {
            Self::Headers(auth) => match auth.authenticate(headers).await {
                Ok(verified) => Identified::Person(verified.user),
                Err(rejection) => Identified::Refused((
                    "no_identity",
                    Page::problem(StatusCode::UNAUTHORIZED, "We could not tell who you are")
                        .says(rejection.description().to_owned())
                        .says(
                            "Nothing was granted. Open the authorization link through your \
                             organization's sign-in, the way you reach your assistant.",
                        ),
                    Vec::new(),
                )),
            },
            Self::SignIn(sign_in) => sign_in.identify(headers, flow_id).await,
        }
    }

    /// Back from the issuer: who signed in, the flow they came for, and the cookies to
    /// set; or why the sign-in is refused.
    pub(super) async fn signed_in(
        &self,
        headers: &HeaderMap,
        query: Option<&str>,
    ) -> Result<(UserId, String, Vec<Cookie>), Refusal> {
        match self {
            Self::Headers(_) => Err((
                "bad_link",
                Page::problem(StatusCode::NOT_FOUND, "Nothing to sign in to").says(
                    "This server does not sign people in: it learns who you are another way.",
                ),
                Vec::new(),
            )),
            Self::SignIn(sign_in) => sign_in.finish(headers, query).await,
        }
    }
}

impl SignIn {
    async fn identify(&self, headers: &HeaderMap, flow_id: &str) -> Identified {
        match self.cookies.read::<Session>(SESSION, headers) {
            Read::Valid(session) => Identified::Person(UserId::new(session.user)),
            Read::Absent | Read::Expired => self.start(flow_id).await,
            Read::Forged => Identified::Refused((
                "forged_cookie",
                forged_page(),
                vec![(SET_COOKIE, self.cookies.clear(SESSION))],
            )),
        }
    }

    /// Sends the browser to the issuer, keeping the sign-in in a sealed cookie.
    async fn start(&self, flow_id: &str) -> Identified {
        let unavailable = |why: String| {
            Identified::Refused((
                "sign_in_unavailable",
                Page::problem(StatusCode::BAD_GATEWAY, "Sign-in is not available")
                    .says(why)
                    .says("Nothing was granted. Try the link again in a moment."),
                Vec::new(),
            ))
        };
        let pending = match PendingLogin::new() {
            Ok(pending) => pending,
            Err(error) => return unavailable(error.to_string()),
        };
        let url = match self.login.authorization_url(&pending).await {
            Ok(url) => url,
            Err(error) => return unavailable(error.to_string()),
        };
        let cookie = SigningIn {
            pending,
            flow_id: flow_id.to_owned(),
        };
        let Some(set) = self.cookies.set(SIGN_IN, &cookie) else {
            return unavailable("the sign-in could not be recorded".to_owned());
        };
        let mut response = see_other(url.as_str());
        response.headers_mut().append(SET_COOKIE, set);
        Identified::Elsewhere(response)
    }

    async fn finish(
        &self,
        headers: &HeaderMap,
        query: Option<&str>,
    ) -> Result<(UserId, String, Vec<Cookie>), Refusal> {
        let clear = vec![(SET_COOKIE, self.cookies.clear(SIGN_IN))];
        let refuse = |outcome, page| (outcome, page, clear.clone());
        let answer = Answer::parse(query).map_err(|page| refuse("bad_link", page))?;
        let signing_in = match self.cookies.read::<SigningIn>(SIGN_IN, headers) {
            Read::Valid(signing_in) => signing_in,
            Read::Absent => return Err(refuse("no_sign_in", no_sign_in_page())),
            Read::Expired => return Err(refuse("sign_in_expired", expired_page())),
            Read::Forged => return Err(refuse("forged_cookie", forged_page())),
        };
        let expected = signing_in.pending.state.as_bytes();
        let state_matches = answer
            .state
            .as_deref()
            .is_some_and(|state| bool::from(state.as_bytes().ct_eq(expected)));
        if !state_matches {
            return Err(refuse("state_mismatch", state_mismatch_page()));
        }
        let used = format!("user-verifier-state:{}", signing_in.pending.state);
        let valid_for = SIGN_IN.lifetime + Duration::from_secs(60);
        match self.replay.first_use(&used, valid_for).await {
            Ok(()) => {}
            Err(ReplayError::AlreadyUsed) => return Err(refuse("state_replayed", replayed_page())),
            Err(ReplayError::Unverifiable) => {
                return Err(refuse(
                    "sign_in_unavailable",
                    Page::problem(StatusCode::SERVICE_UNAVAILABLE, "Sign-in cannot be checked")
                        .says(
                            "This server cannot check the sign-in right now. Nothing was granted.",
                        )
                        .says("Open the authorization link again in a moment."),
                ));
            }
        }
        let code = match (answer.code, answer.error) {
            (Some(code), None) => code,
            _ => return Err(refuse("sign_in_declined", declined_page())),
        };
        let user = self
            .login
            .finish(&code, &signing_in.pending)
            .await
            .map_err(|error| {
                tracing::warn!(%error, "a user verifier sign-in failed");
                refuse(
                    "sign_in_failed",
                    Page::problem(StatusCode::BAD_GATEWAY, "Sign-in failed")
                        .says(error.to_string())
                        .says("Nothing was granted. Open the authorization link again."),
                )
            })?;
        let session = Session {
            user: user.as_str().to_owned(),
        };
        let mut cookies = clear.clone();
        if let Some(set) = self.cookies.set(SESSION, &session) {
            cookies.push((SET_COOKIE, set));
        }
        Ok((user, signing_in.flow_id, cookies))
    }
}

/// The issuer's answer in the callback's query.
#[derive(Default)]
struct Answer {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

impl Answer {
    /// Reads `code`, `state` and `error`, each at most once; other parameters
    /// (`iss`, `session_state`, `error_description`…) are the issuer's and ignored.
    fn parse(query: Option<&str>) -> Result<Self, Page> {
        let mut answer = Self::default();
        for (name, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            let slot = match name.as_ref() {
                "code" => &mut answer.code,
                "state" => &mut answer.state,
                "error" => &mut answer.error,
                _ => continue,
            };
            if slot.replace(value.into_owned()).is_some() {
                return Err(Page::problem(StatusCode::BAD_REQUEST, "This sign-in answer is malformed")
                    .says("It repeats a parameter. Nothing was granted. Open the authorization link again."));
            }
        }
        Ok(answer)
    }
}

fn forged_page() -> Page {
    Page::problem(StatusCode::BAD_REQUEST, "Your sign-in could not be read")
        .says("This browser sent a sign-in cookie that this server did not issue: it was altered, or set by another server.")
        .says("Nothing was granted. Open the authorization link again to sign in anew.")
}

fn no_sign_in_page() -> Page {
    Page::problem(StatusCode::BAD_REQUEST, "No sign-in is under way in this browser")
        .says("The sign-in began in another browser, or this browser does not keep cookies for this site.")
        .says("Nothing was granted. Open the authorization link again in this browser.")
}

fn expired_page() -> Page {
    Page::problem(StatusCode::BAD_REQUEST, "Your sign-in took too long")
        .says("The sign-in was not finished in time, so it is no longer accepted.")
        .says("Nothing was granted. Open the authorization link again to sign in anew.")
}

fn state_mismatch_page() -> Page {
    Page::problem(
        StatusCode::BAD_REQUEST,
        "This sign-in answer is not for this browser",
    )
    .says("It does not answer the sign-in this browser started.")
    .says("Nothing was granted. Open the authorization link again.")
}

fn replayed_page() -> Page {
    Page::problem(
        StatusCode::BAD_REQUEST,
        "This sign-in answer was already used",
    )
    .says("Each sign-in answer is accepted once.")
    .says("Nothing was granted. Open the authorization link again to sign in anew.")
}

fn declined_page() -> Page {
    Page::problem(StatusCode::FORBIDDEN, "The sign-in did not complete")
        .says("The sign-in service did not sign you in (it was cancelled or refused).")
        .says("Nothing was granted. Open the authorization link again to try once more.")
}
