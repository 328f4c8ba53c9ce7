//! How the gateway gets a grant to the person: how long to wait in a call, how long a
//! prompt stays open, the codec sealing `requestState` and where its single use is kept. Built from `serve`'s flags
//! by [`crate::cli`].

use std::time::Duration;

use rmcp::model::RequestStateCodec;

use crate::shared_state::ReplayGuard;

/// How the gateway gets a grant to the person, checked and ready.
#[derive(Debug, Clone)]
pub struct AuthorizationSettings {
    /// How long a call without a way to ask the person waits for the grant (never
    /// more than [`Self::timeout`]).
    pub wait: Duration,
    /// How long a prompt stays open.
    pub timeout: Duration,
    /// Seals and opens `requestState`.
    pub codec: RequestStateCodec,
    /// Where a used `requestState` is marked, so that it finishes one call only: this
    /// process's memory, or the Redis replicas share.
    pub replay: ReplayGuard,
}
