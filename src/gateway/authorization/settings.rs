//! The flags that shape how the gateway gets a grant to the person: how long to wait
//! in a call, how long a prompt stays open, and the key sealing `requestState`.

use std::time::Duration;

use rmcp::model::RequestStateCodec;
use secrecy::{ExposeSecret, SecretString};

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

fn parse_secret(raw: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(raw.to_owned()))
}

/// A mistake in the authorization flags.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A state key too short to resist guessing.
    #[error(
        "ARCADE_GATEWAY_STATE_KEY (--request-state-key) is {actual} bytes long; it needs at \
         least {minimum}: generate one with `openssl rand -hex 32`"
    )]
    ShortKey {
        /// The length given.
        actual: usize,
        /// The least accepted.
        minimum: usize,
    },
    /// A zero `--auth-timeout`.
    #[error("--auth-timeout must be at least 1 second (the default is 300)")]
    ZeroTimeout,
    /// The system could not give random bytes for a key.
    #[error("could not generate a request-state key: {0}; set ARCADE_GATEWAY_STATE_KEY")]
    Random(getrandom::Error),
}

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
}

impl AuthorizationArgs {
    /// The settings, checked. Without a key, a random per-process key is made and a
    /// warning says what that means for replicas.
    pub fn settings(&self) -> Result<AuthorizationSettings, SettingsError> {
        if self.auth_timeout == 0 {
            return Err(SettingsError::ZeroTimeout);
        }
        let key = match &self.request_state_key {
            Some(key) => key.expose_secret().as_bytes().to_vec(),
            None => {
                tracing::warn!(
                    "no ARCADE_GATEWAY_STATE_KEY: requestState is sealed with a random \
                     per-process key; stateless replicas behind one address need a shared key"
                );
                let mut key = vec![0; RequestStateCodec::MIN_KEY_LENGTH];
                getrandom::fill(&mut key).map_err(SettingsError::Random)?;
                key
            }
        };
        let minimum = RequestStateCodec::MIN_KEY_LENGTH;
        let codec =
            RequestStateCodec::try_new(key.as_slice()).map_err(|_| SettingsError::ShortKey {
                actual: key.len(),
                minimum,
            })?;
        let timeout = Duration::from_secs(self.auth_timeout);
        Ok(AuthorizationSettings {
            wait: Duration::from_secs(self.auth_wait).min(timeout),
            timeout,
            codec,
        })
    }
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
        let error = args(Some("too-short-SECRET")).settings().unwrap_err();
        let shown = error.to_string();
        assert!(shown.contains("at least 32"), "{shown}");
        assert!(!shown.contains("SECRET"), "{shown}");
    }

    #[test]
    fn the_wait_never_exceeds_the_timeout_and_a_missing_key_is_generated() {
        let settings = args(None).settings().unwrap();
        assert_eq!(settings.wait, settings.timeout);
        let sealed = settings.codec.seal(b"x");
        assert_eq!(settings.codec.open(&sealed).unwrap(), b"x");
    }
}
