//! The minute-by-minute samples, the markdown table they print as, and the verdict on
//! memory: flat or growing.

use std::fmt::Write;

use crate::processes::Usage;
use crate::tally::{Counts, Outcome};

/// RSS growth still called flat: up to this many KiB …
const FLAT_KIB: u64 = 2 * 1024;
/// … or up to this share of the baseline, whichever is larger.
const FLAT_SHARE: f64 = 0.05;
/// The minute whose sample is the baseline (in runs of at least twice as many).
const BASELINE_MINUTE: usize = 5;

/// One minute of the run.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Minutes since the workload started.
    pub minute: usize,
    /// The HTTP gateway's process.
    pub http: Usage,
    /// The sampled stdio gateway's process.
    pub stdio: Usage,
    /// CPU time the HTTP and the stdio gateway used this minute, in ticks of 1/100 s.
    pub cpu_ticks: (u64, u64),
    /// Requests to the HTTP gateway that ended this minute.
    pub http_counts: Counts,
    /// Requests to the stdio gateway that ended this minute.
    pub stdio_counts: Counts,
}

impl Sample {
    /// Whether both gateways run and answered requests this minute.
    pub fn answering(&self) -> bool {
        self.http.alive
            && self.stdio.alive
            && self.http_counts.answered() > 0
            && self.stdio_counts.answered() > 0
    }
}

fn mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

/// Ticks of 1/100 s as a share of one core over a minute.
fn percent_of_minute(ticks: u64) -> String {
    format!("{:.1}", ticks as f64 / 60.0)
}

/// The samples as a markdown table.
pub fn table(samples: &[Sample]) -> String {
    let mut out = String::from(
        "| min | HTTP RSS MiB | HTTP HWM MiB | HTTP threads | HTTP fds | HTTP CPU % | stdio RSS MiB | stdio HWM MiB | stdio threads | stdio fds | stdio CPU % | calls (HTTP + stdio) | ok | tool error | auth link | JSON-RPC error | transport error | dropped by client |\n",
    );
    out.push_str(&"|---:".repeat(18));
    out.push_str("|\n");
    for s in samples {
        let both = s.http_counts.plus(s.stdio_counts);
        let (h, d) = (s.http, s.stdio);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} ({} + {}) | {} | {} | {} | {} | {} | {} |",
            s.minute,
            mib(h.memory.rss_kib),
            mib(h.memory.peak_kib),
            h.threads,
            h.fds,
            percent_of_minute(s.cpu_ticks.0),
            mib(d.memory.rss_kib),
            mib(d.memory.peak_kib),
            d.threads,
            d.fds,
            percent_of_minute(s.cpu_ticks.1),
            both.total(),
            s.http_counts.total(),
            s.stdio_counts.total(),
            both.of(Outcome::Ok),
            both.of(Outcome::ToolError),
            both.of(Outcome::AuthLink),
            both.of(Outcome::RpcError),
            both.of(Outcome::TransportError),
            both.of(Outcome::Dropped),
        );
    }
    out
}

/// The memory verdict on one gateway.
#[derive(Debug)]
pub struct Growth {
    /// Which gateway.
    pub name: &'static str,
    /// The baseline minute.
    pub from_minute: usize,
    /// RSS then, in KiB.
    pub from_kib: u64,
    /// The last minute.
    pub to_minute: usize,
    /// RSS at the end, in KiB.
    pub to_kib: u64,
}

impl Growth {
    /// RSS growth from the baseline (minute 5, or the middle of a run shorter than
    /// ten minutes) to the last sample.
    pub fn of(name: &'static str, samples: &[Sample], rss: impl Fn(&Sample) -> u64) -> Self {
        let last = samples.last().expect("at least one sample");
        let baseline = samples
            .iter()
            .find(|s| s.minute == BASELINE_MINUTE.min(last.minute / 2).max(1))
            .unwrap_or(&samples[0]);
        Self {
            name,
            from_minute: baseline.minute,
            from_kib: rss(baseline),
            to_minute: last.minute,
            to_kib: rss(last),
        }
    }

    /// Growth within the bound: at most [`FLAT_KIB`] or [`FLAT_SHARE`] of the baseline.
    pub fn flat(&self) -> bool {
        let bound = FLAT_KIB.max((self.from_kib as f64 * FLAT_SHARE) as u64);
        self.to_kib <= self.from_kib + bound
    }

    /// One line: the numbers and the verdict.
    pub fn describe(&self) -> String {
        let delta = self.to_kib as i64 - self.from_kib as i64;
        let share = 100.0 * delta as f64 / self.from_kib.max(1) as f64;
        format!(
            "{} gateway RSS {} MiB at minute {} → {} MiB at minute {}: {:+.2} MiB ({:+.1}%): {}",
            self.name,
            mib(self.from_kib),
            self.from_minute,
            mib(self.to_kib),
            self.to_minute,
            delta as f64 / 1024.0,
            share,
            if self.flat() { "flat" } else { "GROWING" },
        )
    }
}

/// The bound, as the report states it.
pub fn bound() -> String {
    format!(
        "flat = RSS growth from minute {BASELINE_MINUTE} (or the middle of a shorter run) to the end ≤ {} MiB or ≤ {:.0}% of the baseline, whichever is larger",
        FLAT_KIB / 1024,
        FLAT_SHARE * 100.0
    )
}

/// Checks the memory verdict; `cargo test` runs it (it runs this bench without
/// `--bench`).
pub fn self_check() {
    let me = Usage::of(std::process::id());
    let sample = |minute| Sample {
        minute,
        http: me,
        stdio: me,
        cpu_ticks: (0, 0),
        http_counts: Counts::default(),
        stdio_counts: Counts::default(),
    };
    let long: Vec<Sample> = (1..=30).map(sample).collect();
    let growth = Growth::of("test", &long, |s| 40_000 + s.minute as u64 * 10);
    assert_eq!((growth.from_minute, growth.to_minute), (5, 30));
    assert!(growth.flat(), "{}", growth.describe());
    let short: Vec<Sample> = (1..=3).map(sample).collect();
    assert_eq!(Growth::of("test", &short, |_| 1).from_minute, 1);
    let growth = |from_kib, to_kib| Growth {
        name: "test",
        from_minute: 5,
        from_kib,
        to_minute: 30,
        to_kib,
    };
    assert!(growth(40_000, 40_000 + 2_048).flat(), "2 MiB is flat");
    assert!(!growth(40_000, 40_000 + 2_049).flat(), "more is growing");
    assert!(
        growth(100_000, 105_000).flat(),
        "5% of a large baseline is flat"
    );
    assert!(!growth(100_000, 105_001).flat(), "more is growing");
}
