//! What the soak's requests came to, counted as they happen and read each minute; and
//! the ledger of side-effecting calls sent, to hold the emulator's execution counter to.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;

use crate::clients::ClientError;

/// How one request ended, as its client saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A result that is not an error.
    Ok,
    /// A result with `isError`: a fault upstream, a bad argument, a refused grant.
    ToolError,
    /// The "authorization required" result with a link.
    AuthLink,
    /// A JSON-RPC error answer (an unknown tool, invalid parameters).
    RpcError,
    /// No answer: the connection failed, an HTTP error status, the client's own
    /// timeout on a call it did not mean to drop.
    TransportError,
    /// The client dropped the connection mid-call on purpose (or cancelled it).
    Dropped,
}

impl Outcome {
    const ALL: [Outcome; 6] = [
        Outcome::Ok,
        Outcome::ToolError,
        Outcome::AuthLink,
        Outcome::RpcError,
        Outcome::TransportError,
        Outcome::Dropped,
    ];

    /// What a JSON-RPC answer (or its absence) says.
    pub fn of(answer: &Result<Value, ClientError>) -> Self {
        let Ok(message) = answer else {
            return Outcome::TransportError;
        };
        let result = &message["result"];
        if message.get("error").is_some() {
            Outcome::RpcError
        } else if result["structuredContent"]["authorization_required"] == true {
            Outcome::AuthLink
        } else if result["isError"] == true {
            Outcome::ToolError
        } else {
            Outcome::Ok
        }
    }
}

/// Counters of outcomes, one set per gateway.
#[derive(Debug, Default)]
pub struct Tally {
    counts: [AtomicU64; Outcome::ALL.len()],
}

impl Tally {
    /// Counts one request.
    pub fn add(&self, outcome: Outcome) {
        self.counts[outcome as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// The counts so far.
    pub fn snapshot(&self) -> Counts {
        Counts(self.counts.each_ref().map(|c| c.load(Ordering::Relaxed)))
    }
}

/// A reading of a [`Tally`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts([u64; Outcome::ALL.len()]);

impl Counts {
    /// What was counted between `earlier` and this reading.
    pub fn since(self, earlier: Counts) -> Counts {
        Counts(std::array::from_fn(|i| self.0[i] - earlier.0[i]))
    }

    /// Requests that ended so.
    pub fn of(self, outcome: Outcome) -> u64 {
        self.0[outcome as usize]
    }

    /// Every request.
    pub fn total(self) -> u64 {
        self.0.iter().sum()
    }

    /// Requests the gateway answered (with a result or a JSON-RPC error).
    pub fn answered(self) -> u64 {
        self.total() - self.of(Outcome::TransportError) - self.of(Outcome::Dropped)
    }

    /// Both readings together.
    pub fn plus(self, other: Counts) -> Counts {
        Counts(std::array::from_fn(|i| self.0[i] + other.0[i]))
    }
}

/// Calls of side-effecting tools sent, per (Arcade tool name, user): each may have run
/// once upstream at most.
#[derive(Debug, Default)]
pub struct Ledger {
    sent: Mutex<BTreeMap<(String, String), u64>>,
}

impl Ledger {
    /// Notes one call of `tool` for `user` sent to a gateway.
    pub fn sent(&self, tool: &str, user: &str) {
        let mut sent = self.sent.lock().expect("ledger lock");
        *sent.entry((tool.to_owned(), user.to_owned())).or_default() += 1;
    }

    /// Checks the emulator's `executions` (tool → user → runs) of the tools in
    /// `tools`: returns the calls sent and the runs counted, or every (tool, user)
    /// that ran more often than it was called.
    pub fn check(&self, executions: &Value, tools: &[&str]) -> Result<(u64, u64), Vec<String>> {
        let sent = self.sent.lock().expect("ledger lock");
        let mut twice = Vec::new();
        let mut runs_total = 0;
        for tool in tools {
            let by_user = executions[tool].as_object().into_iter().flatten();
            for (user, runs) in by_user {
                let runs = runs.as_u64().unwrap_or(0);
                let calls = sent
                    .get(&((*tool).to_owned(), user.clone()))
                    .copied()
                    .unwrap_or(0);
                runs_total += runs;
                if runs > calls {
                    twice.push(format!("{tool} for {user}: {runs} runs of {calls} calls"));
                }
            }
        }
        let calls_total = sent.values().sum();
        if twice.is_empty() {
            Ok((calls_total, runs_total))
        } else {
            Err(twice)
        }
    }
}

/// Checks the classification and the ledger the soak's verdict rests on; `cargo test`
/// runs them (it runs this bench without `--bench`).
pub fn self_check() {
    use serde_json::json;
    let link = json!({"result": {"structuredContent": {"authorization_required": true}}});
    let cases = [
        (Ok(json!({"result": {"content": []}})), Outcome::Ok),
        (Ok(json!({"result": {"isError": true}})), Outcome::ToolError),
        (Ok(link), Outcome::AuthLink),
        (Ok(json!({"error": {"code": -32602}})), Outcome::RpcError),
        (Err(ClientError::Closed), Outcome::TransportError),
    ];
    for (answer, outcome) in cases {
        assert_eq!(Outcome::of(&answer), outcome, "{answer:?}");
    }
    let ledger = Ledger::default();
    ledger.sent("Mail.SendEmail", "ann");
    let once = json!({"Mail.SendEmail": {"ann": 1}});
    assert_eq!(ledger.check(&once, &["Mail.SendEmail"]), Ok((1, 1)));
    let twice = json!({"Mail.SendEmail": {"ann": 2, "bob": 1}});
    let errors = ledger.check(&twice, &["Mail.SendEmail"]).unwrap_err();
    assert_eq!(
        errors.len(),
        2,
        "a second run and a run never called: {errors:?}"
    );
}
