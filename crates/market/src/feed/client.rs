//! The feed's HTTP client: one GET per snapshot, with a connect and an
//! overall timeout, retries with exponential backoff on transport errors,
//! 5xx and 429 (honouring `Retry-After`), a minimum interval between
//! requests, and errors that say what to check.

use crate::feed::schema::Snapshot;
use std::time::{Duration, Instant};
use thiserror::Error;

/// How to talk to the feed.
#[derive(Debug, Clone)]
pub struct FeedConfig {
    /// Base URL, e.g. `http://127.0.0.1:8089` (no trailing path needed).
    pub base_url: String,
    /// Time allowed to establish a connection.
    pub connect_timeout: Duration,
    /// Time allowed for a whole request, body included.
    pub request_timeout: Duration,
    /// Retries after the first attempt.
    pub retries: u32,
    /// First backoff; doubled after every failed attempt.
    pub backoff: Duration,
    /// Longest wait between attempts (also caps `Retry-After`).
    pub max_backoff: Duration,
    /// Rate limit: at least this long between two requests of one client.
    pub min_interval: Duration,
    /// Largest response accepted.
    pub max_bytes: u64,
}

impl FeedConfig {
    pub fn new(base_url: impl Into<String>) -> Self {
        FeedConfig {
            base_url: base_url.into(),
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            retries: 3,
            backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(10),
            min_interval: Duration::from_secs(1),
            max_bytes: 64 * 1024 * 1024,
        }
    }
}

#[derive(Debug, Error, PartialEq)]
pub enum FeedError {
    #[error(
        "the bookmaker feed at {url} is unreachable ({attempts} attempts; last error: {last}); check the feed URL and that the feed is up"
    )]
    Unreachable {
        url: String,
        attempts: u32,
        last: String,
    },
    #[error("the bookmaker feed at {url} answered HTTP {status} ({attempts} attempts)")]
    Status {
        url: String,
        status: u16,
        attempts: u32,
    },
    #[error("the bookmaker feed at {url} sent something that is not a feed packet: {detail}")]
    Malformed { url: String, detail: String },
}

/// A client for one feed.
pub struct FeedClient {
    config: FeedConfig,
    agent: ureq::Agent,
    last_request: Option<Instant>,
}

enum Attempt {
    Done(Vec<u8>),
    /// Worth retrying; `after` overrides the backoff (`Retry-After`).
    Retry {
        error: String,
        status: Option<u16>,
        after: Option<Duration>,
    },
    Fail(FeedError),
}

impl FeedClient {
    pub fn new(config: FeedConfig) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_connect(Some(config.connect_timeout))
            .timeout_global(Some(config.request_timeout))
            // Statuses are handled here, with their retry rules.
            .http_status_as_error(false)
            .build()
            .into();
        FeedClient {
            config,
            agent,
            last_request: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!(
            "{}/{}",
            self.config.base_url.trim_end_matches('/'),
            path.trim_start_matches('/')
        )
    }

    fn wait_for_rate_limit(&mut self) {
        if let Some(last) = self.last_request {
            let since = last.elapsed();
            if since < self.config.min_interval {
                std::thread::sleep(self.config.min_interval - since);
            }
        }
        self.last_request = Some(Instant::now());
    }

    fn attempt(&mut self, url: &str) -> Attempt {
        self.wait_for_rate_limit();
        let response = self
            .agent
            .get(url)
            .header("accept", "application/json")
            .call();
        let mut response = match response {
            Ok(r) => r,
            Err(e) => {
                return Attempt::Retry {
                    error: e.to_string(),
                    status: None,
                    after: None,
                };
            }
        };
        let status = response.status().as_u16();
        if status == 429 || status >= 500 {
            let after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            return Attempt::Retry {
                error: format!("HTTP {status}"),
                status: Some(status),
                after,
            };
        }
        if !(200..300).contains(&status) {
            return Attempt::Fail(FeedError::Status {
                url: url.to_string(),
                status,
                attempts: 0,
            });
        }
        match response
            .body_mut()
            .with_config()
            .limit(self.config.max_bytes)
            .read_to_vec()
        {
            Ok(body) => Attempt::Done(body),
            Err(e) => Attempt::Retry {
                error: format!("reading the body: {e}"),
                status: None,
                after: None,
            },
        }
    }

    /// The raw body of `GET <base>/<path>`, retried as configured.
    pub fn get(&mut self, path: &str) -> Result<Vec<u8>, FeedError> {
        let url = self.url(path);
        let attempts = self.config.retries + 1;
        let mut backoff = self.config.backoff;
        let mut last = (String::new(), None);
        for attempt in 1..=attempts {
            match self.attempt(&url) {
                Attempt::Done(body) => return Ok(body),
                Attempt::Fail(FeedError::Status { status, .. }) => {
                    return Err(FeedError::Status {
                        url,
                        status,
                        attempts: attempt,
                    });
                }
                Attempt::Fail(other) => return Err(other),
                Attempt::Retry {
                    error,
                    status,
                    after,
                } => {
                    last = (error, status);
                    if attempt < attempts {
                        let wait = after.unwrap_or(backoff).min(self.config.max_backoff);
                        std::thread::sleep(wait);
                        backoff = (backoff * 2).min(self.config.max_backoff);
                    }
                }
            }
        }
        Err(match last {
            (_, Some(status)) => FeedError::Status {
                url,
                status,
                attempts,
            },
            (error, None) => FeedError::Unreachable {
                url,
                attempts,
                last: error,
            },
        })
    }

    /// One feed packet from `GET <base>/<path>`; also returns its raw bytes
    /// (the sidecar keeps them as the recorded snapshot).
    pub fn snapshot(&mut self, path: &str) -> Result<(Snapshot, Vec<u8>), FeedError> {
        let body = self.get(path)?;
        let snapshot = Snapshot::parse(&body).map_err(|e| FeedError::Malformed {
            url: self.url(path),
            detail: e.to_string(),
        })?;
        Ok((snapshot, body))
    }
}
