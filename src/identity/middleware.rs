//! The axum middleware that puts the caller's [`UserId`] on every request it lets through.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::authenticator::Authenticator;
use super::trusted_header::{PROXY_SECRET_HEADER, USER_ID_HEADER};
use super::user::OAuthClientId;
use super::user::UserId;

/// Authenticates the request and inserts its [`UserId`] into the request extensions, where
/// the handlers behind it (rmcp's Streamable HTTP service sees them in
/// `http::request::Parts::extensions`) find who is calling; refuses it otherwise.
///
/// The credential headers (`Authorization`, `Arcade-User-Id`, `X-Gateway-Proxy-Secret`)
/// are removed before the request goes on: the extension is the only answer to "who",
/// and no token travels further than this layer.
///
/// ```no_run
/// # use std::sync::Arc;
/// # use arcade_mcp_gateway::identity::{Authenticator, protected_resource_routes, require_identity};
/// # fn wire(auth: Arc<Authenticator>, mcp_routes: axum::Router) -> axum::Router {
/// mcp_routes
///     .layer(axum::middleware::from_fn_with_state(auth.clone(), require_identity))
///     .merge(protected_resource_routes(auth))
/// # }
/// ```
pub async fn require_identity(
    State(auth): State<Arc<Authenticator>>,
    mut request: Request,
    next: Next,
) -> Response {
    match auth.authenticate(request.headers()).await {
        Ok(verified) => {
            strip_credentials(request.headers_mut());
            request.extensions_mut().insert::<UserId>(verified.user);
            if let Some(client) = verified.oauth_client {
                request.extensions_mut().insert::<OAuthClientId>(client);
            }
            next.run(request).await
        }
        Err(rejection) => {
            tracing::info!(status = %rejection.status(), reason = rejection.description(), "refused a request");
            rejection.into_response()
        }
    }
}

fn strip_credentials(headers: &mut HeaderMap) {
    for name in [AUTHORIZATION, USER_ID_HEADER, PROXY_SECRET_HEADER] {
        headers.remove(name);
    }
}
