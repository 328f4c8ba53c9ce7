//! The flags that shape how the gateway gets a grant to the person: how long to wait
//! in a call, how long a prompt stays open, and the key sealing `requestState`.

use std::time::Duration;

use rmcp::model::RequestStateCodec;
use secrecy::{ExposeSecret, SecretString};

use crate::config::ConfigError;
use crate::gateway::AuthorizationSettings;
use crate::shared_state::ReplayGuard;

/// Flags of `serve` about authorization prompts.
#[derive(Debug, Clone, clap::Args)]
pub struct AuthorizationArgs {
    /// For clients that cannot be asked directly: wait up to this long inside the call
    /// for the user to approve (sending progress and a log message with the link)
    /// before answering with the link
    #[arg(long, default_value_t = 0, value_name = "SECONDS")]
    pub auth_wait: u64,

    /// How long a prompt stays open: the longest wait for the user to approve once
    /// asked, and how long a sealed `requestState` stays valid
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    pub auth_timeout: u64,

    /// Key (at least 32 bytes) sealing the `requestState` of multi round-trip calls;
    /// every replica behind one address needs the same key. Prefer the variable: a
    /// flag is visible in the process list [env: ARCADE_GATEWAY_STATE_KEY]
    #[arg(long, env = "ARCADE_GATEWAY_STATE_KEY", hide_env_values = true,
          value_parser = parse_secret, value_name = "KEY")]
    pub request_state_key: Option<SecretString>,
}

/// Keeps a flag's value secret from the start: checked later, where a mistake can be
/// told without quoting it (clap quotes a value its parser rejects).
pub(super) fn parse_secret(raw: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(raw.to_owned()))
}

impl AuthorizationArgs {
    /// The settings, checked. Without a key, a random per-process key is made; where
    /// stateless replicas may share one address (`replicas`), a warning says that they
    /// need a shared key.
    pub fn settings(&self, replicas: bool) -> Result<AuthorizationSettings, ConfigError> {
        if self.auth_timeout == 0 {
            return Err(ConfigError::ZeroAuthTimeout);
        }
        let key = match &self.request_state_key {
            Some(key) => key.expose_secret().as_bytes().to_vec(),
            None => random_key(replicas)?,
        };
        let codec =
            RequestStateCodec::try_new(key.as_slice()).map_err(|_| ConfigError::ShortStateKey {
                actual: key.len(),
                minimum: RequestStateCodec::MIN_KEY_LENGTH,
            })?;
        let timeout = Duration::from_secs(self.auth_timeout);
        Ok(AuthorizationSettings {
            wait: Duration::from_secs(self.auth_wait).min(timeout),
            timeout,
            codec,
            // `startup` puts the replicas' shared guard in place when there is one.
            replay: ReplayGuard::local(),
        })
    }
}

/// A per-process key: enough for one process, not for replicas behind one address.
fn random_key(replicas: bool) -> Result<Vec<u8>, ConfigError> {
    if replicas {
        tracing::warn!(
            "no ARCADE_GATEWAY_STATE_KEY: requestState is sealed with a random \
             per-process key; stateless replicas behind one address need a shared key"
        );
    }
    let mut key = vec![0; RequestStateCodec::MIN_KEY_LENGTH];
    getrandom::fill(&mut key).map_err(ConfigError::Random)?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(key: Option<&str>) -> AuthorizationArgs {
        AuthorizationArgs {
            auth_wait: 600,
            auth_timeout: 300,
            request_state_key: key.map(|k| SecretString::from(k.to_owned())),
        }
    }

    #[test]
    fn a_short_key_is_refused_without_showing_it() {
        let error = args(Some("too-short-SECRET")).settings(true).unwrap_err();
        let shown = error.to_string();
        assert!(shown.contains("at least 32"), "{shown}");
        assert!(!shown.contains("SECRET"), "{shown}");
    }

    #[test]
    fn the_wait_never_exceeds_the_timeout_and_a_missing_key_is_generated() {
        let settings = args(None).settings(false).unwrap();
        assert_eq!(settings.wait, settings.timeout);
        let sealed = settings.codec.seal(b"x");
        assert_eq!(settings.codec.open(&sealed).unwrap(), b"x");
    }
}
