//! Per-instance accumulation and the flush policy.
//!
//! A KV write per request would cap Spin's default store at ~900 req/s, so
//! an instance counts in memory and merges its delta into the store only
//! when the policy says so:
//!
//! - on the **first** request of the instance: with a fresh instance per
//!   request (instance reuse off) nothing would ever be flushed otherwise;
//! - every [`FlushPolicy::every_requests`]-th request of the instance: with
//!   Spin's default reuse limit of 128 and a divisor of it, the last request
//!   of an instance flushes too;
//! - when the oldest unflushed record is [`FlushPolicy::max_age`] old;
//! - after [`FlushPolicy::idle`] without a request (from a background task,
//!   see `matchday_spin::metrics`): Spin drops an instance after about a
//!   second idle, and this saves what it counted before that.
//!
//! Times are milliseconds on any monotonic clock the caller picks, which
//! keeps the policy testable without sleeping.

use super::snapshot::{BuildSeen, Snapshot};
use std::time::Duration;

/// Most labelled request series one instance keeps; more go to route
/// [`OVERFLOW_ROUTE`]. Route templates come from the manifest, so this only
/// bites on a bug or a hostile label, never on normal traffic.
pub const MAX_SERIES: usize = 256;
pub const OVERFLOW_ROUTE: &str = "other";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlushPolicy {
    pub every_requests: u64,
    pub max_age: Duration,
    pub idle: Duration,
}

impl Default for FlushPolicy {
    /// 64 divides Spin's default reuse limit (128): an instance flushes on
    /// its 1st, 64th and 128th request, ~2.3% of requests pay one KV read and
    /// one write. 250 ms idle leaves margin before Spin's 1 s idle drop.
    fn default() -> Self {
        FlushPolicy {
            every_requests: 64,
            max_age: Duration::from_secs(10),
            idle: Duration::from_millis(250),
        }
    }
}

/// Why a flush is due (for logs and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlushReason {
    FirstRequest,
    EveryN,
    MaxAge,
    Idle,
}

/// What one instance counted since its last successful flush.
#[derive(Debug, Clone)]
pub struct Accumulator {
    policy: FlushPolicy,
    pending: Snapshot,
    /// Requests this instance has recorded over its whole life.
    requests_seen: u64,
    pending_since_ms: Option<u64>,
    last_record_ms: u64,
    /// The component this instance runs, set by its first record.
    component: Option<String>,
}

impl Accumulator {
    pub fn new(policy: FlushPolicy) -> Self {
        Accumulator {
            policy,
            pending: Snapshot::default(),
            requests_seen: 0,
            pending_since_ms: None,
            last_record_ms: 0,
            component: None,
        }
    }

    pub fn policy(&self) -> FlushPolicy {
        self.policy
    }

    pub fn pending(&self) -> &Snapshot {
        &self.pending
    }

    pub fn requests_seen(&self) -> u64 {
        self.requests_seen
    }

    fn touch(&mut self, now_ms: u64) {
        self.pending_since_ms.get_or_insert(now_ms);
        self.last_record_ms = now_ms;
    }

    /// Counts one request. The first one also announces the instance and the
    /// component's build.
    pub fn record_request(
        &mut self,
        component: &str,
        build: &BuildSeen,
        route: &str,
        status: u16,
        latency: Duration,
        now_ms: u64,
    ) {
        if self.component.is_none() {
            self.component = Some(component.to_string());
            *self
                .pending
                .instances
                .entry(component.to_string())
                .or_insert(0) += 1;
        }
        if !self.pending.builds.contains_key(component) {
            self.pending
                .builds
                .insert(component.to_string(), build.clone());
        }
        let route_key = (component.to_string(), route.to_string());
        let route = if self.pending.latency.contains_key(&route_key)
            || self.pending.request_series() + 2 <= MAX_SERIES
        {
            route
        } else {
            OVERFLOW_ROUTE
        };
        *self
            .pending
            .requests
            .entry((component.to_string(), route.to_string(), status))
            .or_insert(0) += 1;
        self.pending
            .latency
            .entry((component.to_string(), route.to_string()))
            .or_default()
            .observe(latency);
        self.requests_seen += 1;
        self.touch(now_ms);
    }

    /// Counts one served prediction by source (`sync`, `async`, `precomputed`).
    pub fn record_prediction(&mut self, source: &str, now_ms: u64) {
        *self
            .pending
            .predictions
            .entry(source.to_string())
            .or_insert(0) += 1;
        self.touch(now_ms);
    }

    /// Counts one lookup of an in-instance cache (a loaded model, a page).
    pub fn record_cache(&mut self, component: &str, cache: &str, hit: bool, now_ms: u64) {
        let result = if hit { "hit" } else { "miss" };
        *self
            .pending
            .cache
            .entry((component.to_string(), cache.to_string(), result.to_string()))
            .or_insert(0) += 1;
        self.touch(now_ms);
    }

    /// Whether the request just recorded should flush before it returns.
    pub fn flush_due(&self, now_ms: u64) -> Option<FlushReason> {
        if self.pending.is_empty() {
            return None;
        }
        if self.requests_seen == 1 {
            return Some(FlushReason::FirstRequest);
        }
        if self.requests_seen > 0
            && self
                .requests_seen
                .is_multiple_of(self.policy.every_requests.max(1))
        {
            return Some(FlushReason::EveryN);
        }
        let age = now_ms.saturating_sub(self.pending_since_ms.unwrap_or(now_ms));
        (u128::from(age) >= self.policy.max_age.as_millis()).then_some(FlushReason::MaxAge)
    }

    /// How long the background task should still wait before the idle flush;
    /// `None` when nothing is pending (the task can stop).
    pub fn idle_wait(&self, now_ms: u64) -> Option<Duration> {
        if self.pending.is_empty() {
            return None;
        }
        let quiet = Duration::from_millis(now_ms.saturating_sub(self.last_record_ms));
        Some(self.policy.idle.saturating_sub(quiet))
    }

    /// Takes the pending delta for a flush, counting the flush in it (a
    /// failed flush hands it back with [`Accumulator::restore`]).
    pub fn take(&mut self) -> Snapshot {
        self.pending_since_ms = None;
        let mut delta = std::mem::take(&mut self.pending);
        if let Some(component) = &self.component {
            *delta.flushes.entry(component.clone()).or_insert(0) += 1;
        }
        delta
    }

    /// Puts back a delta whose flush failed, so the next flush retries it.
    pub fn restore(&mut self, mut delta: Snapshot, now_ms: u64) {
        if let Some(component) = &self.component
            && let Some(n) = delta.flushes.get_mut(component)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                delta.flushes.remove(component);
            }
        }
        delta.merge(&self.pending);
        self.pending = delta;
        self.pending_since_ms = Some(self.pending_since_ms.unwrap_or(now_ms).min(now_ms));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build() -> BuildSeen {
        BuildSeen {
            version: "0.1.0".into(),
            commit: "abc".into(),
            seen_at: 0,
        }
    }

    fn record(acc: &mut Accumulator, now_ms: u64) -> Option<FlushReason> {
        acc.record_request(
            "lookup",
            &build(),
            "/predict/matches/...",
            200,
            Duration::from_millis(1),
            now_ms,
        );
        acc.flush_due(now_ms)
    }

    #[test]
    fn flushes_on_the_first_and_every_nth_request() {
        let mut acc = Accumulator::new(FlushPolicy::default());
        let mut flushed_at = Vec::new();
        for i in 1..=128u64 {
            if record(&mut acc, i).is_some() {
                flushed_at.push(i);
                acc.take();
            }
        }
        // The 128th request (Spin's default reuse limit) flushes: nothing is
        // left behind when the instance is dropped after it.
        assert_eq!(flushed_at, vec![1, 64, 128]);
        assert!(acc.pending().is_empty());
    }

    #[test]
    fn flushes_when_the_oldest_record_is_too_old() {
        let policy = FlushPolicy::default();
        let mut acc = Accumulator::new(policy);
        assert_eq!(record(&mut acc, 0), Some(FlushReason::FirstRequest));
        acc.take();
        assert_eq!(record(&mut acc, 1_000), None);
        assert_eq!(record(&mut acc, 5_000), None);
        let late = 1_000 + policy.max_age.as_millis() as u64;
        assert_eq!(record(&mut acc, late), Some(FlushReason::MaxAge));
    }

    #[test]
    fn idle_wait_counts_down_from_the_last_record() {
        let mut acc = Accumulator::new(FlushPolicy::default());
        assert_eq!(
            acc.idle_wait(0),
            None,
            "nothing pending, nothing to wait for"
        );
        record(&mut acc, 1_000);
        assert_eq!(acc.idle_wait(1_000), Some(Duration::from_millis(250)));
        assert_eq!(acc.idle_wait(1_100), Some(Duration::from_millis(150)));
        assert_eq!(acc.idle_wait(2_000), Some(Duration::ZERO));
        acc.take();
        assert_eq!(acc.idle_wait(2_000), None);
    }

    #[test]
    fn the_first_record_announces_the_instance_and_take_counts_the_flush() {
        let mut acc = Accumulator::new(FlushPolicy::default());
        record(&mut acc, 0);
        record(&mut acc, 1);
        let delta = acc.take();
        assert_eq!(delta.instances["lookup"], 1);
        assert_eq!(delta.flushes["lookup"], 1);
        assert_eq!(delta.builds["lookup"], build());
        assert_eq!(
            delta.requests[&("lookup".into(), "/predict/matches/...".into(), 200)],
            2
        );
        record(&mut acc, 2);
        assert!(
            !acc.take().instances.contains_key("lookup"),
            "an instance is announced once"
        );
    }

    #[test]
    fn a_failed_flush_is_restored_without_double_counting_the_flush() {
        let mut acc = Accumulator::new(FlushPolicy::default());
        record(&mut acc, 0);
        let delta = acc.take();
        record(&mut acc, 1); // recorded while the flush was in progress
        acc.restore(delta, 2);
        let retried = acc.take();
        assert_eq!(
            retried.requests[&("lookup".into(), "/predict/matches/...".into(), 200)],
            2
        );
        assert_eq!(retried.flushes["lookup"], 1);
        assert_eq!(retried.instances["lookup"], 1);
    }

    #[test]
    fn series_beyond_the_cap_fold_into_one_overflow_route() {
        let mut acc = Accumulator::new(FlushPolicy::default());
        for i in 0..1_000 {
            acc.record_request(
                "lookup",
                &build(),
                &format!("/r{i}"),
                200,
                Duration::ZERO,
                0,
            );
        }
        assert!(acc.pending().request_series() <= MAX_SERIES + 2);
        let overflow = ("lookup".to_string(), OVERFLOW_ROUTE.to_string(), 200);
        assert!(acc.pending().requests[&overflow] > 800);
        let total: u64 = acc.pending().requests.values().sum();
        assert_eq!(total, 1_000, "nothing is dropped, only relabelled");
    }
}
