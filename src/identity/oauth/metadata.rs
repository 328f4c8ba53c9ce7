//! OAuth 2.0 Protected Resource Metadata (RFC 9728): the document that tells an MCP client
//! which authorization server to get a token from, and the routes that serve it.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use url::Url;

use crate::identity::authenticator::Authenticator;
use crate::identity::config::{OAuthConfig, PROTECTED_RESOURCE_WELL_KNOWN};

/// The RFC 9728 document.
#[derive(Debug, Clone, Serialize)]
struct Document {
    resource: String,
    authorization_servers: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    scopes_supported: Vec<String>,
    bearer_methods_supported: [&'static str; 1],
}

/// This server as a protected resource: its metadata document and where it is served.
#[derive(Debug)]
pub(crate) struct ProtectedResource {
    document: Document,
    metadata_url: Url,
    /// The RFC 9728 path (well-known name + resource path), and the bare well-known path
    /// that clients try when they have no challenge to go by.
    paths: Vec<String>,
}

impl ProtectedResource {
    pub(crate) fn new(config: &OAuthConfig) -> Self {
        let mut paths = vec![config.resource_metadata_path()];
        if paths[0] != PROTECTED_RESOURCE_WELL_KNOWN {
            paths.push(PROTECTED_RESOURCE_WELL_KNOWN.to_owned());
        }
        Self {
            document: Document {
                resource: config.resource_url.to_string(),
                authorization_servers: vec![config.issuer.to_string()],
                scopes_supported: config.required_scopes.clone(),
                bearer_methods_supported: ["header"],
            },
            metadata_url: config.resource_metadata_url(),
            paths,
        }
    }

    /// Where the document is, for `WWW-Authenticate: Bearer resource_metadata="…"`.
    pub(crate) fn metadata_url(&self) -> &Url {
        &self.metadata_url
    }
}

/// Answers `GET /.well-known/oauth-protected-resource[/<resource path>]` with this server's
/// RFC 9728 metadata, or 404 when the server is not an OAuth resource server.
pub async fn protected_resource_metadata(State(auth): State<Arc<Authenticator>>) -> Response {
    match auth.protected_resource() {
        Some(resource) => Json(resource.document.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The routes serving [`protected_resource_metadata`] at its RFC 9728 paths (none outside
/// OAuth mode); merge them into the HTTP app, outside [`require_identity`](crate::identity::require_identity).
pub fn protected_resource_routes(auth: Arc<Authenticator>) -> Router {
    let paths = auth
        .protected_resource()
        .map(|resource| resource.paths.clone())
        .unwrap_or_default();
    paths
        .iter()
        .fold(Router::new(), |router, path| {
            router.route(path, get(protected_resource_metadata))
        })
        .with_state(auth)
}
