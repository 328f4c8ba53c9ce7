//! Fault injection: latency, 500s, 429s, malformed bodies and broken connections, so the
//! gateway's error handling and retry policy can be tested.
//!
//! Shares are applied deterministically, never by chance: the k-th request (counting
//! from 1 since the faults were last set, and only requests the `endpoints` filter lets
//! through) gets a fault of share `rate` iff `floor(k*rate) > floor((k-1)*rate)`. So 1.0
//! faults every request, 0.5 every second one, 0.25 every fourth. When several kinds
//! fall on one request the first of rate limit, error, malformed, drop wins.

use std::sync::Mutex;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde::{Deserialize, Serialize};

use super::errors::ApiError;

/// Which faults to inject, set by flags or by `PUT /_emulator/faults`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Delay added to every `/v1` request, in milliseconds.
    pub latency_ms: u64,
    /// Share of requests answered 500.
    pub error_rate: f64,
    /// Share of requests answered 429.
    pub rate_limit_rate: f64,
    /// The `Retry-After` of those 429s, in seconds.
    pub retry_after_secs: u64,
    /// Share of requests answered 200 with a body that is not JSON.
    pub malformed_rate: f64,
    /// Share of requests whose connection breaks after the headers. An execute so
    /// faulted has RUN (and counts in `executions`): the client cannot know whether
    /// it did, which is the case a side-effecting call must survive.
    pub drop_rate: f64,
    /// Only these endpoint keys (`execute`, `tools.list`, …) are faulted; all when absent.
    pub endpoints: Option<Vec<String>>,
}

/// No faults; a 429, once set, asks the client to wait one second.
impl Default for Faults {
    fn default() -> Self {
        Self {
            latency_ms: 0,
            error_rate: 0.0,
            rate_limit_rate: 0.0,
            retry_after_secs: 1,
            malformed_rate: 0.0,
            drop_rate: 0.0,
            endpoints: None,
        }
    }
}

/// Why a [`Faults`] value was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FaultsError {
    /// A share outside `[0, 1]`.
    #[error(
        "fault share `{name}` is {value}; give a number from 0 to 1 (0.25 faults every fourth request)"
    )]
    ShareOutOfRange {
        /// The field's name.
        name: &'static str,
        /// The value given.
        value: f64,
    },
}

impl Faults {
    /// Checks every share is within `[0, 1]`.
    pub fn validate(&self) -> Result<(), FaultsError> {
        let shares = [
            ("error_rate", self.error_rate),
            ("rate_limit_rate", self.rate_limit_rate),
            ("malformed_rate", self.malformed_rate),
            ("drop_rate", self.drop_rate),
        ];
        match shares.into_iter().find(|(_, v)| !(0.0..=1.0).contains(v)) {
            Some((name, value)) => Err(FaultsError::ShareOutOfRange { name, value }),
            None => Ok(()),
        }
    }

    fn applies_to(&self, endpoint: &str) -> bool {
        self.endpoints
            .as_ref()
            .is_none_or(|list| list.iter().any(|e| e == endpoint))
    }
}

/// The fault chosen for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 429 with `Retry-After`.
    RateLimit(u64),
    /// 500.
    ServerError,
    /// 200 with a body that is not JSON.
    Malformed,
    /// Run the request, then break the connection while sending the body.
    Drop,
}

/// What the fault layer does to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Decision {
    /// Delay before handling.
    pub latency: Duration,
    /// The fault, if any.
    pub fault: Option<Fault>,
}

/// The current faults and the counter their shares are applied from.
#[derive(Debug, Default)]
pub struct FaultInjector {
    inner: Mutex<(Faults, u64)>,
}

impl FaultInjector {
    /// An injector starting with `faults`.
    pub fn new(faults: Faults) -> Self {
        Self {
            inner: Mutex::new((faults, 0)),
        }
    }

    /// Replaces the faults and restarts the counter.
    pub fn set(&self, faults: Faults) {
        *self.inner.lock().expect("faults lock") = (faults, 0);
    }

    /// The faults in force.
    pub fn get(&self) -> Faults {
        self.inner.lock().expect("faults lock").0.clone()
    }

    /// Decides what happens to the next request to `endpoint`.
    pub fn decide(&self, endpoint: &str) -> Decision {
        let mut guard = self.inner.lock().expect("faults lock");
        let (faults, counter) = &mut *guard;
        let latency = Duration::from_millis(faults.latency_ms);
        if !faults.applies_to(endpoint) {
            return Decision::default();
        }
        *counter += 1;
        let hit = |rate: f64| falls_on(*counter, rate);
        let fault = if hit(faults.rate_limit_rate) {
            Some(Fault::RateLimit(faults.retry_after_secs))
        } else if hit(faults.error_rate) {
            Some(Fault::ServerError)
        } else if hit(faults.malformed_rate) {
            Some(Fault::Malformed)
        } else if hit(faults.drop_rate) {
            Some(Fault::Drop)
        } else {
            None
        };
        Decision { latency, fault }
    }
}

/// Whether request `k` (from 1) gets a fault of share `rate`.
fn falls_on(k: u64, rate: f64) -> bool {
    let k = k as f64;
    (k * rate).floor() > ((k - 1.0) * rate).floor()
}

/// The answer of a fault that replaces the handler (everything but [`Fault::Drop`]).
pub fn fault_response(fault: Fault) -> Option<Response> {
    match fault {
        Fault::RateLimit(secs) => {
            let mut response = ApiError::RateLimited.into_response();
            let value = HeaderValue::from(secs);
            response.headers_mut().insert(header::RETRY_AFTER, value);
            Some(response)
        }
        Fault::ServerError => Some(ApiError::InjectedServerError.into_response()),
        Fault::Malformed => Some(
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                "<html>upstream hiccup: this is not JSON {",
            )
                .into_response(),
        ),
        Fault::Drop => None,
    }
}

/// Makes `response` break its connection: the headers go out, then half the body, then
/// the stream fails, so the client sees the connection die mid-answer.
pub async fn drop_after_headers(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let half = bytes.slice(..bytes.len() / 2);
    parts.headers.remove(header::CONTENT_LENGTH);
    let chunks = futures::stream::iter([
        Ok::<Bytes, std::io::Error>(half),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "emulator fault: connection dropped",
        )),
    ])
    .boxed();
    Response::from_parts(parts, Body::from_stream(chunks))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(rate: f64) -> Vec<bool> {
        (1..=8).map(|k| falls_on(k, rate)).collect()
    }

    #[test]
    fn shares_are_deterministic() {
        assert_eq!(pattern(1.0), vec![true; 8]);
        assert_eq!(pattern(0.0), vec![false; 8]);
        assert_eq!(
            pattern(0.5),
            vec![false, true, false, true, false, true, false, true]
        );
        assert_eq!(pattern(0.25).iter().filter(|x| **x).count(), 2);
    }

    #[test]
    fn endpoint_filter_skips_other_endpoints() {
        let injector = FaultInjector::new(Faults {
            error_rate: 1.0,
            endpoints: Some(vec!["execute".into()]),
            ..Faults::default()
        });
        assert_eq!(injector.decide("tools.list").fault, None);
        assert_eq!(injector.decide("execute").fault, Some(Fault::ServerError));
    }

    #[test]
    fn out_of_range_share_is_refused() {
        let faults = Faults {
            drop_rate: 1.5,
            ..Faults::default()
        };
        assert!(faults.validate().is_err());
    }
}
