//! DNS-rebinding and cross-site protection for every route (`/mcp`, `/sse`, `/messages`,
//! health and metrics): the `Host` must be one this server answers to, and a browser's
//! `Origin`, when sent, must be allowed.
//!
//! rmcp's Streamable HTTP service has its own check for `/mcp`; it is switched off in
//! favour of this one so that one rule, with one set of messages, covers all routes.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{HOST, ORIGIN};
use axum::http::{StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The allowed hosts or origins cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum OriginError {
    /// A public bind without host names.
    #[error(
        "listening on a non-loopback address needs --allowed-host with each host name clients \
         use to reach this server (DNS rebinding protection), e.g. --allowed-host mcp.example.com"
    )]
    NoAllowedHost,
    /// An `--allowed-origin` that is not an origin.
    #[error(
        "--allowed-origin `{0}` is not an origin: write scheme://host[:port], e.g. https://app.example.com"
    )]
    BadOrigin(String),
}

/// Host names a loopback server answers to when no `--allowed-host` is given.
const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// The allow-lists, normalised at startup.
#[derive(Debug, Clone)]
pub struct OriginPolicy {
    /// Host names, or `host:port` authorities, in lowercase.
    hosts: Vec<String>,
    /// Origins as `scheme://host[:port]`, in lowercase; empty means loopback origins only.
    origins: Vec<String>,
}

impl OriginPolicy {
    /// The policy from `--allowed-host` and `--allowed-origin`. A server bound to a
    /// non-loopback address must name its hosts: answering to any `Host` is what DNS
    /// rebinding needs.
    pub fn new(
        hosts: &[String],
        origins: &[String],
        loopback_bind: bool,
    ) -> Result<Self, OriginError> {
        if hosts.is_empty() && !loopback_bind {
            return Err(OriginError::NoAllowedHost);
        }
        let hosts = if hosts.is_empty() {
            LOOPBACK_HOSTS.iter().map(|h| (*h).to_owned()).collect()
        } else {
            hosts
                .iter()
                .map(|h| {
                    h.trim()
                        .trim_start_matches('[')
                        .replace(']', "")
                        .to_lowercase()
                })
                .collect()
        };
        let origins = origins
            .iter()
            .map(|o| {
                let origin = o.trim().trim_end_matches('/').to_lowercase();
                match url::Url::parse(&origin) {
                    Ok(url) if url.host().is_some() && url.path() == "/" => Ok(origin),
                    _ => Err(OriginError::BadOrigin(o.clone())),
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { hosts, origins })
    }

    fn host_allowed(&self, uri: &Uri, host_header: Option<&str>) -> Result<(), &'static str> {
        let authority = match host_header {
            Some(host) => host.parse::<axum::http::uri::Authority>().ok(),
            None => uri.authority().cloned(),
        }
        .ok_or("the request has no valid Host header")?;
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        let host = host.to_lowercase();
        let with_port = authority.port_u16().map(|port| format!("{host}:{port}"));
        let allowed = self
            .hosts
            .iter()
            .any(|h| *h == host || Some(h) == with_port.as_ref());
        if allowed {
            Ok(())
        } else {
            Err(
                "this server does not answer to that Host (DNS rebinding protection); the operator can allow it with --allowed-host",
            )
        }
    }

    fn origin_allowed(&self, origin: &str) -> Result<(), &'static str> {
        let origin = origin.trim_end_matches('/').to_lowercase();
        let allowed = if self.origins.is_empty() {
            url::Url::parse(&origin).is_ok_and(|url| match url.host() {
                Some(url::Host::Domain(name)) => name == "localhost",
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            })
        } else {
            self.origins.contains(&origin)
        };
        if allowed {
            Ok(())
        } else {
            Err(
                "requests from this Origin are not allowed; the operator can allow a web app's origin with --allowed-origin",
            )
        }
    }
}

/// The middleware: 403 with a JSON body saying why, before anything else runs.
pub async fn check_origin(
    State(policy): State<Arc<OriginPolicy>>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let host = headers.get(HOST).map(|h| h.to_str().unwrap_or(""));
    let verdict =
        policy
            .host_allowed(request.uri(), host)
            .and_then(|()| match headers.get(ORIGIN) {
                None => Ok(()),
                Some(origin) => policy.origin_allowed(origin.to_str().unwrap_or("")),
            });
    match verdict {
        Ok(()) => next.run(request).await,
        Err(reason) => {
            tracing::warn!(reason, "refused a request by Host/Origin");
            super::json_error(StatusCode::FORBIDDEN, "forbidden_origin", reason).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(hosts: &[&str], origins: &[&str]) -> OriginPolicy {
        let hosts: Vec<String> = hosts.iter().map(|s| (*s).to_owned()).collect();
        let origins: Vec<String> = origins.iter().map(|s| (*s).to_owned()).collect();
        OriginPolicy::new(&hosts, &origins, true).unwrap()
    }

    #[test]
    fn loopback_hosts_by_default_with_any_port() {
        let p = policy(&[], &[]);
        let uri = Uri::from_static("/mcp");
        assert!(p.host_allowed(&uri, Some("127.0.0.1:8000")).is_ok());
        assert!(p.host_allowed(&uri, Some("[::1]:8000")).is_ok());
        assert!(p.host_allowed(&uri, Some("localhost")).is_ok());
        assert!(p.host_allowed(&uri, Some("evil.example:8000")).is_err());
        assert!(p.host_allowed(&uri, None).is_err());
    }

    #[test]
    fn named_hosts_with_or_without_port() {
        let p = policy(&["mcp.example.com", "other.example:8443"], &[]);
        let uri = Uri::from_static("/mcp");
        assert!(p.host_allowed(&uri, Some("MCP.example.com:443")).is_ok());
        assert!(p.host_allowed(&uri, Some("other.example:8443")).is_ok());
        assert!(p.host_allowed(&uri, Some("other.example:9000")).is_err());
    }

    #[test]
    fn origins_loopback_by_default_else_the_list() {
        let p = policy(&[], &[]);
        assert!(p.origin_allowed("http://localhost:3000").is_ok());
        assert!(p.origin_allowed("https://evil.example").is_err());
        assert!(p.origin_allowed("null").is_err());
        let p = policy(&[], &["https://app.example.com"]);
        assert!(p.origin_allowed("https://app.example.com").is_ok());
        assert!(p.origin_allowed("http://localhost:3000").is_err());
    }

    #[test]
    fn a_public_bind_must_name_its_hosts() {
        assert!(matches!(
            OriginPolicy::new(&[], &[], false),
            Err(OriginError::NoAllowedHost)
        ));
        assert!(matches!(
            OriginPolicy::new(&[], &["app.example.com".into()], true),
            Err(OriginError::BadOrigin(_))
        ));
    }
}
