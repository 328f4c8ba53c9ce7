//! Fault injection: latency, 5xx, 429s, malformed and truncated bodies and broken
//! connections, so the gateway's error handling and retry policy can be tested.
//!
//! Shares are applied deterministically, never by chance: the k-th request (counting
//! from 1 since the faults were last set, and only requests the `endpoints` filter lets
//! through) gets a fault of share `rate` iff `floor(k*rate) > floor((k-1)*rate)`. So 1.0
//! faults every request, 0.5 every second one, 0.25 every fourth. When several kinds
//! fall on one request the first of rate limit, error, malformed, drop, truncate wins.
//! A canned `answer`, when set, replaces every request the filter lets through, so a
//! test can make the engine say what a real engine might (a hostile authorization
//! link, a huge body, a huge error message) without the emulator growing a switch for
//! each.
//! With `count`, only the first `count` such requests are touched (delay included):
//! "fail the next N", after which the engine answers normally.

use parking_lot::Mutex;
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
    /// Share of requests answered with `error_status`.
    pub error_rate: f64,
    /// The 5xx status of those errors (500, 502, 503, …).
    pub error_status: u16,
    /// Share of requests answered 429.
    pub rate_limit_rate: f64,
    /// The `Retry-After` of those 429s, in seconds.
    pub retry_after_secs: u64,
    /// Say that `Retry-After` as an HTTP date instead of seconds.
    pub retry_after_as_date: bool,
    /// Share of requests answered 200 with a body that is not JSON.
    pub malformed_rate: f64,
    /// Share of requests whose connection breaks after the headers. An execute so
    /// faulted has RUN (and counts in `executions`): the client cannot know whether
    /// it did, which is the case a side-effecting call must survive.
    pub drop_rate: f64,
    /// Share of requests answered 200 whose body stops halfway, short of its declared
    /// `Content-Length`. Like a drop, a truncated execute has RUN.
    pub truncate_rate: f64,
    /// Only these endpoint keys (`execute`, `tools.list`, …) are faulted; all when absent.
    pub endpoints: Option<Vec<String>>,
    /// Only the first `count` requests the filter lets through are delayed or faulted;
    /// every request when absent.
    pub count: Option<u64>,
    /// Answer the requests the filter lets through with this status and JSON body
    /// instead of handling them (nothing runs).
    pub answer: Option<CannedAnswer>,
    /// Report the engine unhealthy, for this reason: `GET /v1/health` answers 503.
    pub unhealthy: Option<String>,
    /// Put at most this many items on a page of a listing, whatever `limit` asks (an
    /// engine may page by less than a client asks).
    pub max_page_size: Option<u32>,
}

/// A fixed answer for [`Faults::answer`]: what an engine that misbehaves might send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CannedAnswer {
    /// The HTTP status, e.g. 200 or 500.
    pub status: u16,
    /// The JSON body.
    pub body: serde_json::Value,
}

/// No faults; a 429, once set, asks the client to wait one second.
impl Default for Faults {
    fn default() -> Self {
        Self {
            latency_ms: 0,
            error_rate: 0.0,
            error_status: 500,
            rate_limit_rate: 0.0,
            retry_after_secs: 1,
            retry_after_as_date: false,
            malformed_rate: 0.0,
            drop_rate: 0.0,
            truncate_rate: 0.0,
            endpoints: None,
            count: None,
            answer: None,
            unhealthy: None,
            max_page_size: None,
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
    /// An `error_status` that is not a server error.
    #[error("fault `error_status` is {0}; give a server error status from 500 to 599, e.g. 502")]
    NotServerError(u16),
    /// A canned answer whose status is not an HTTP status.
    #[error("fault `answer.status` is {0}; give an HTTP status from 200 to 599")]
    BadAnswerStatus(u16),
}

impl Faults {
    /// Checks every share is within `[0, 1]`.
    pub fn validate(&self) -> Result<(), FaultsError> {
        let shares = [
            ("error_rate", self.error_rate),
            ("rate_limit_rate", self.rate_limit_rate),
            ("malformed_rate", self.malformed_rate),
            ("drop_rate", self.drop_rate),
            ("truncate_rate", self.truncate_rate),
        ];
        if let Some((name, value)) = shares.into_iter().find(|(_, v)| !(0.0..=1.0).contains(v)) {
            return Err(FaultsError::ShareOutOfRange { name, value });
        }
        if !(500..=599).contains(&self.error_status) {
            return Err(FaultsError::NotServerError(self.error_status));
        }
        if let Some(answer) = &self.answer
            && !(200..=599).contains(&answer.status)
        {
            return Err(FaultsError::BadAnswerStatus(answer.status));
        }
        Ok(())
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
    RateLimit {
        /// How long the client is asked to wait.
        secs: u64,
        /// Whether `Retry-After` says it as an HTTP date.
        as_date: bool,
    },
    /// A 5xx of this status.
    ServerError(u16),
    /// 200 with a body that is not JSON.
    Malformed,
    /// Run the request, then break the connection while sending the body.
    Drop,
    /// Run the request, then send half its body and end short of `Content-Length`.
    Truncate,
    /// Answer [`Faults::answer`] instead of handling the request.
    Canned,
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
        *self.inner.lock() = (faults, 0);
    }

    /// The faults in force.
    pub fn get(&self) -> Faults {
        self.inner.lock().0.clone()
    }

    /// Decides what happens to the next request to `endpoint`.
    pub fn decide(&self, endpoint: &str) -> Decision {
        let mut guard = self.inner.lock();
        let (faults, counter) = &mut *guard;
        let latency = Duration::from_millis(faults.latency_ms);
        if !faults.applies_to(endpoint) || faults.count.is_some_and(|n| *counter >= n) {
            return Decision::default();
        }
        *counter += 1;
        let hit = |rate: f64| falls_on(*counter, rate);
        let fault = if faults.answer.is_some() {
            Some(Fault::Canned)
        } else if hit(faults.rate_limit_rate) {
            Some(Fault::RateLimit {
                secs: faults.retry_after_secs,
                as_date: faults.retry_after_as_date,
            })
        } else if hit(faults.error_rate) {
            Some(Fault::ServerError(faults.error_status))
        } else if hit(faults.malformed_rate) {
            Some(Fault::Malformed)
        } else if hit(faults.drop_rate) {
            Some(Fault::Drop)
        } else if hit(faults.truncate_rate) {
            Some(Fault::Truncate)
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

/// The answer of a fault that replaces the handler (all but [`Fault::Drop`] and
/// [`Fault::Truncate`], which need the handler's answer).
pub fn fault_response(fault: Fault) -> Option<Response> {
    match fault {
        Fault::RateLimit { secs, as_date } => {
            let mut response = ApiError::RateLimited.into_response();
            let value = if as_date {
                let at = std::time::SystemTime::now() + Duration::from_secs(secs);
                HeaderValue::from_str(&httpdate::fmt_http_date(at)).expect("a date is ASCII")
            } else {
                HeaderValue::from(secs)
            };
            response.headers_mut().insert(header::RETRY_AFTER, value);
            Some(response)
        }
        Fault::ServerError(status) => Some(ApiError::InjectedServerError(status).into_response()),
        Fault::Malformed => Some(
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                "<html>upstream hiccup: this is not JSON {",
            )
                .into_response(),
        ),
        Fault::Drop | Fault::Truncate | Fault::Canned => None,
    }
}

/// The answer of [`Fault::Canned`].
pub fn canned_response(answer: Option<CannedAnswer>) -> Response {
    let Some(answer) = answer else {
        return ApiError::InjectedServerError(500).into_response();
    };
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(answer.body)).into_response()
}

/// Makes `response` end short: its full `Content-Length` is declared, half the body
/// is sent, then the body ends, so the client reads a truncated answer.
pub async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    let half = bytes.slice(..bytes.len() / 2);
    let chunks = futures::stream::iter([Ok::<Bytes, std::io::Error>(half)]).boxed();
    Response::from_parts(parts, Body::from_stream(chunks))
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
        assert_eq!(
            injector.decide("execute").fault,
            Some(Fault::ServerError(500))
        );
    }

    #[test]
    fn count_faults_only_the_next_n_requests() {
        let injector = FaultInjector::new(Faults {
            error_rate: 1.0,
            error_status: 503,
            latency_ms: 50,
            count: Some(2),
            ..Faults::default()
        });
        let decisions: Vec<Decision> = (0..4).map(|_| injector.decide("execute")).collect();
        assert_eq!(decisions[0].fault, Some(Fault::ServerError(503)));
        assert_eq!(decisions[1].latency, Duration::from_millis(50));
        assert_eq!(decisions[2], Decision::default());
        assert_eq!(decisions[3], Decision::default());
    }

    #[test]
    fn an_error_status_must_be_a_server_error() {
        let faults = Faults {
            error_status: 404,
            ..Faults::default()
        };
        assert_eq!(faults.validate(), Err(FaultsError::NotServerError(404)));
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
