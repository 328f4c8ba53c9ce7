//! The faults the soak turns on and off in the emulator: a one-minute cycle of
//! five-second windows, each one kind of fault, so every minute of the run sees them
//! all: delays past the gateway's `--request-timeout` and within it, 500, 502, 503,
//! 429 with `Retry-After`, bodies that are not JSON, connections reset after the
//! headers, bodies cut short. A quarter of the cycle has no faults.

use std::time::Duration;

use arcade_mcp_gateway::emulator::Faults;
use tokio::time::Instant;

use crate::processes::API_KEY;

/// The gateways' `--request-timeout`, in seconds.
pub const REQUEST_TIMEOUT_SECS: &str = "1";
/// How long one fault window lasts.
const WINDOW: Duration = Duration::from_secs(5);
/// Share of requests a fault window touches.
const SHARE: f64 = 0.2;

/// One fault window: its name (for the log) and what the emulator injects.
fn window(index: usize) -> (&'static str, Faults) {
    let base = Faults::default();
    match index % 12 {
        1 => (
            "delay past the timeout",
            Faults {
                latency_ms: 1_500,
                ..base
            },
        ),
        2 => (
            "500",
            Faults {
                error_rate: SHARE,
                ..base
            },
        ),
        3 => (
            "502",
            Faults {
                error_rate: SHARE,
                error_status: 502,
                ..base
            },
        ),
        4 => (
            "503",
            Faults {
                error_rate: SHARE,
                error_status: 503,
                ..base
            },
        ),
        5 => (
            "429 with Retry-After",
            Faults {
                rate_limit_rate: 0.1,
                ..base
            },
        ),
        6 => (
            "malformed body",
            Faults {
                malformed_rate: SHARE,
                ..base
            },
        ),
        7 => (
            "connection reset",
            Faults {
                drop_rate: SHARE,
                ..base
            },
        ),
        8 => (
            "truncated body",
            Faults {
                truncate_rate: SHARE,
                ..base
            },
        ),
        9 => (
            "slow answers",
            Faults {
                latency_ms: 400,
                ..base
            },
        ),
        _ => ("none", base),
    }
}

/// The emulator's admin endpoint for faults.
pub struct FaultSwitch {
    http: reqwest::Client,
    url: String,
}

impl FaultSwitch {
    /// The switch of the emulator at `base`.
    pub fn new(http: &reqwest::Client, base: &str) -> Self {
        Self {
            http: http.clone(),
            url: format!("{base}/_emulator/faults"),
        }
    }

    /// `PUT /_emulator/faults`.
    pub async fn set(&self, faults: &Faults) -> Result<(), reqwest::Error> {
        let request = self.http.put(&self.url).bearer_auth(API_KEY).json(faults);
        request.send().await?.error_for_status()?;
        Ok(())
    }

    /// Cycles through the windows until `deadline`, then turns faults off; returns how
    /// many times the faults were switched.
    pub async fn cycle_until(&self, deadline: Instant) -> u64 {
        let mut switches = 0;
        let mut index = 0;
        while Instant::now() < deadline {
            let (name, faults) = window(index);
            match self.set(&faults).await {
                Ok(()) => switches += 1,
                Err(error) => eprintln!("soak: could not set faults `{name}`: {error}"),
            }
            tokio::time::sleep_until(deadline.min(Instant::now() + WINDOW)).await;
            index += 1;
        }
        self.set(&Faults::default())
            .await
            .expect("faults turned off");
        switches
    }
}
