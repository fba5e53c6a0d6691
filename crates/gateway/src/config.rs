//! The gateway's settings, read from Spin variables.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `api_keys` | (required, secret) | comma-separated keys accepted in `X-API-Key`; list old and new while rotating |
//! | `admin_token` | (required for `admin`, secret) | comma-separated bearer tokens of `/admin/*` |
//! | `cors_allowed_origins` | empty | origins browsers may call from (`*` for any); empty = no cross-origin |
//! | `rate_limit_per_minute` | 1200 | requests a minute per API key; 0 = no limit |
//! | `rate_limit_open_per_minute` | 120 | requests a minute per client address on the open routes; 0 = no limit |
//! | `rate_limit_sync_every` | 16 | most requests an instance counts before pushing them to the store; 1 = exact (a write per request) |
//!
//! A malformed optional value falls back to its default with a warning (the
//! warning names the variable, never a secret's value). A secret variable
//! that is not configured at all leaves its routes closed: `503` (the
//! service is misconfigured) rather than open.

use crate::cors::CorsPolicy;
use crate::ratelimit::{Limit, SyncPolicy};
use matchday_core::auth;

pub const API_KEYS: &str = "api_keys";
pub const ADMIN_TOKEN: &str = "admin_token";
pub const CORS_ALLOWED_ORIGINS: &str = "cors_allowed_origins";
pub const RATE_LIMIT_PER_MINUTE: &str = "rate_limit_per_minute";
pub const RATE_LIMIT_OPEN_PER_MINUTE: &str = "rate_limit_open_per_minute";
pub const RATE_LIMIT_SYNC_EVERY: &str = "rate_limit_sync_every";

/// Every variable the gateway reads; each component maps them all.
pub const VARIABLES: &[&str] = &[
    API_KEYS,
    ADMIN_TOKEN,
    CORS_ALLOWED_ORIGINS,
    RATE_LIMIT_PER_MINUTE,
    RATE_LIMIT_OPEN_PER_MINUTE,
    RATE_LIMIT_SYNC_EVERY,
];

pub const DEFAULT_KEY_LIMIT_PER_MINUTE: u64 = 1200;
pub const DEFAULT_OPEN_LIMIT_PER_MINUTE: u64 = 120;
/// Request bodies of the JSON endpoints; a component raises it for its
/// routes (admin's bundle upload) with `Service::max_body_bytes`.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;

/// A list of secrets whose `Debug` shows only how many there are.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secrets(Vec<String>);

impl Secrets {
    pub fn parse(raw: &str) -> Self {
        Secrets(auth::parse_secrets(raw))
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({} configured)", self.0.len())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayConfig {
    /// `None`: the variable is not available to the component.
    pub api_keys: Option<Secrets>,
    pub admin_tokens: Option<Secrets>,
    pub cors: CorsPolicy,
    pub key_limit: Limit,
    pub open_limit: Limit,
    pub sync: SyncPolicy,
    pub max_body_bytes: usize,
}

impl Default for GatewayConfig {
    /// Closed: no keys, no tokens, no cross-origin, default limits.
    fn default() -> Self {
        GatewayConfig {
            api_keys: None,
            admin_tokens: None,
            cors: CorsPolicy::Disabled,
            key_limit: Limit::per_minute(DEFAULT_KEY_LIMIT_PER_MINUTE),
            open_limit: Limit::per_minute(DEFAULT_OPEN_LIMIT_PER_MINUTE),
            sync: SyncPolicy::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}

impl GatewayConfig {
    /// Builds the config from a variable lookup (`None`: not defined for the
    /// component). Returns warnings for the log; they never quote secrets.
    pub fn from_variables(get: impl Fn(&str) -> Option<String>) -> (GatewayConfig, Vec<String>) {
        let mut warnings = Vec::new();
        let mut config = GatewayConfig {
            api_keys: get(API_KEYS).map(|raw| Secrets::parse(&raw)),
            admin_tokens: get(ADMIN_TOKEN).map(|raw| Secrets::parse(&raw)),
            ..GatewayConfig::default()
        };
        if let Some(raw) = get(CORS_ALLOWED_ORIGINS) {
            let (policy, rejected) = CorsPolicy::parse(&raw);
            for entry in rejected {
                warnings.push(format!(
                    "{CORS_ALLOWED_ORIGINS}: `{entry}` is not an origin (scheme://host[:port]); ignored"
                ));
            }
            config.cors = policy;
        }
        let mut number = |name: &str, default: u64, max: u64| -> u64 {
            match get(name) {
                None => default,
                Some(raw) => match raw.trim().parse::<u64>() {
                    Ok(n) if n <= max => n,
                    _ => {
                        warnings.push(format!(
                            "{name}: `{}` is not a whole number up to {max}; using {default}",
                            raw.trim()
                        ));
                        default
                    }
                },
            }
        };
        config.key_limit = Limit::per_minute(number(
            RATE_LIMIT_PER_MINUTE,
            DEFAULT_KEY_LIMIT_PER_MINUTE,
            1 << 40,
        ));
        config.open_limit = Limit::per_minute(number(
            RATE_LIMIT_OPEN_PER_MINUTE,
            DEFAULT_OPEN_LIMIT_PER_MINUTE,
            1 << 40,
        ));
        let every = number(RATE_LIMIT_SYNC_EVERY, SyncPolicy::default().every, 1 << 20);
        config.sync.every = every.max(1);
        if config.api_keys.as_ref().is_some_and(Secrets::is_empty) {
            warnings.push(format!(
                "{API_KEYS} is empty: every API-key route answers 401"
            ));
        }
        (config, warnings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> (GatewayConfig, Vec<String>) {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        GatewayConfig::from_variables(|name| map.get(name).cloned())
    }

    #[test]
    fn reads_every_variable() {
        let (c, warnings) = config(&[
            (API_KEYS, "k1, k2"),
            (ADMIN_TOKEN, "t"),
            (CORS_ALLOWED_ORIGINS, "https://a.example"),
            (RATE_LIMIT_PER_MINUTE, "60"),
            (RATE_LIMIT_OPEN_PER_MINUTE, "0"),
            (RATE_LIMIT_SYNC_EVERY, "4"),
        ]);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(c.api_keys.unwrap().as_slice(), ["k1", "k2"]);
        assert_eq!(c.key_limit, Limit::per_minute(60));
        assert!(c.open_limit.is_off());
        assert_eq!(c.sync.every, 4);
        assert_eq!(
            c.cors,
            CorsPolicy::AllowList(vec!["https://a.example".into()])
        );
    }

    #[test]
    fn defaults_are_closed_and_bad_numbers_fall_back() {
        let (c, _) = config(&[]);
        assert_eq!(c.api_keys, None);
        assert_eq!(c.cors, CorsPolicy::Disabled);
        let (c, warnings) = config(&[
            (API_KEYS, ""),
            (RATE_LIMIT_PER_MINUTE, "-5"),
            (RATE_LIMIT_SYNC_EVERY, "0"),
        ]);
        assert_eq!(c.key_limit, Limit::per_minute(DEFAULT_KEY_LIMIT_PER_MINUTE));
        assert_eq!(c.sync.every, 1, "0 means exact, never zero");
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(c.api_keys.unwrap().is_empty());
    }

    #[test]
    fn secrets_never_show_in_debug_or_warnings() {
        let (c, warnings) = config(&[
            (API_KEYS, "super-secret-key"),
            (ADMIN_TOKEN, "admin-secret"),
            (CORS_ALLOWED_ORIGINS, "nonsense"),
        ]);
        let shown = format!("{c:?} {warnings:?}");
        assert!(
            !shown.contains("super-secret-key") && !shown.contains("admin-secret"),
            "{shown}"
        );
    }
}
