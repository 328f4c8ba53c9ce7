//! The open-file limit and the connection cap it allows: each connection costs a file
//! descriptor, and the process needs more for its own upstream requests, logs and
//! Redis. A cap above what the limit allows would have `accept` fail with every slot
//! seemingly free, and the server refuse everyone.

/// Descriptors kept apart from connections, at the least: upstream connections (Arcade,
/// providers, Redis, the collector), the audit log, the listener and the runtime.
const RESERVED_AT_LEAST: u64 = 64;

/// The connection cap for `asked` connections (`--max-connections`), after raising the
/// soft open-file limit to the hard one: at most the limit less a quarter of it (and
/// `RESERVED_AT_LEAST`). Logs what it did.
pub fn connection_cap(asked: usize) -> usize {
    let Some(limit) = raise_open_file_limit() else {
        return asked;
    };
    let reserved = (limit / 4).max(RESERVED_AT_LEAST);
    let allowed = usize::try_from(limit.saturating_sub(reserved))
        .unwrap_or(usize::MAX)
        .max(1);
    if allowed < asked {
        tracing::warn!(
            asked,
            serving = allowed,
            open_files = limit,
            "the open-file limit is {limit}: serving at most {allowed} connections at once, \
             not --max-connections {asked}, keeping {reserved} descriptors for upstream \
             requests; raise the limit (ulimit -n, LimitNOFILE=) to serve more"
        );
        allowed
    } else {
        tracing::info!(
            max_connections = asked,
            open_files = limit,
            "the open-file limit ({limit}) allows --max-connections {asked}"
        );
        asked
    }
}

/// Raises the soft open-file limit to the hard one; the limit now in force, or `None`
/// where there is no such limit to read.
#[cfg(unix)]
fn raise_open_file_limit() -> Option<u64> {
    let (soft, hard) = match rlimit::getrlimit(rlimit::Resource::NOFILE) {
        Ok(limits) => limits,
        Err(error) => {
            tracing::warn!(%error, "cannot read the open-file limit");
            return None;
        }
    };
    match rlimit::increase_nofile_limit(hard) {
        Ok(raised) if raised > soft => {
            tracing::info!("raised the open-file limit from {soft} to {raised}");
            Some(raised)
        }
        Ok(_) => Some(soft),
        Err(error) => {
            tracing::warn!(%error, soft, hard, "cannot raise the open-file limit");
            Some(soft)
        }
    }
}

#[cfg(not(unix))]
fn raise_open_file_limit() -> Option<u64> {
    None
}
