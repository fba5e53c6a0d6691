//! The metric values one instance accumulates and one KV slot holds: plain
//! counters keyed by their labels, mergeable by addition.
//!
//! Everything is an integer (latency sums in microseconds) so merging is
//! exact and order-free: the sum over slots is the same whichever instance
//! flushed into which slot, and in which order.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// Upper bounds (seconds) of the latency histogram buckets; one more bucket
/// counts everything above the last bound (`+Inf`). Handlers answer in well
/// under a millisecond to tens of milliseconds, so the bounds are dense there.
pub const LATENCY_BOUNDS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];
const BUCKETS: usize = LATENCY_BOUNDS.len() + 1;

/// Version of the encoded record; a record of another version is ignored.
const FORMAT: u32 = 1;

/// `(component, route template, status)`.
pub type RequestKey = (String, String, u16);
/// `(component, route template)`.
pub type RouteKey = (String, String);
/// `(component, cache, "hit" | "miss")`.
pub type CacheKey = (String, String, String);

/// Latency histogram of one route: per-bucket (not cumulative) counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Histogram {
    pub buckets: [u64; BUCKETS],
    pub sum_micros: u64,
    pub count: u64,
}

impl Histogram {
    pub fn observe(&mut self, latency: Duration) {
        let seconds = latency.as_secs_f64();
        let bucket = LATENCY_BOUNDS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(LATENCY_BOUNDS.len());
        self.buckets[bucket] += 1;
        self.sum_micros = self
            .sum_micros
            .saturating_add(u64::try_from(latency.as_micros()).unwrap_or(u64::MAX));
        self.count += 1;
    }

    fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.buckets.iter_mut().zip(other.buckets) {
            *a += b;
        }
        self.sum_micros = self.sum_micros.saturating_add(other.sum_micros);
        self.count += other.count;
    }
}

/// The build a component reported, and when (unix seconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildSeen {
    pub version: String,
    pub commit: String,
    pub seen_at: i64,
}

/// Counters of one instance since its last flush (a delta), or the merged
/// content of a KV slot (a total).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    pub requests: BTreeMap<RequestKey, u64>,
    pub latency: BTreeMap<RouteKey, Histogram>,
    /// Predictions served, by source (`sync`, `async`, `precomputed`).
    pub predictions: BTreeMap<String, u64>,
    pub cache: BTreeMap<CacheKey, u64>,
    /// Instances that recorded at least one request, by component.
    pub instances: BTreeMap<String, u64>,
    /// Successful flushes, by component.
    pub flushes: BTreeMap<String, u64>,
    /// The latest build each component reported.
    pub builds: BTreeMap<String, BuildSeen>,
}

fn add<K: Ord + Clone>(into: &mut BTreeMap<K, u64>, from: &BTreeMap<K, u64>) {
    for (key, n) in from {
        *into.entry(key.clone()).or_insert(0) += n;
    }
}

impl Snapshot {
    pub fn is_empty(&self) -> bool {
        *self == Snapshot::default()
    }

    /// Number of labelled request series (what the cardinality guard bounds).
    pub fn request_series(&self) -> usize {
        self.requests.len() + self.latency.len()
    }

    /// Adds `other` into `self`. Builds keep the most recently seen one.
    pub fn merge(&mut self, other: &Snapshot) {
        add(&mut self.requests, &other.requests);
        for (key, h) in &other.latency {
            self.latency.entry(key.clone()).or_default().merge(h);
        }
        add(&mut self.predictions, &other.predictions);
        add(&mut self.cache, &other.cache);
        add(&mut self.instances, &other.instances);
        add(&mut self.flushes, &other.flushes);
        for (component, build) in &other.builds {
            let newer = self
                .builds
                .get(component)
                .is_none_or(|b| build.seen_at >= b.seen_at);
            if newer {
                self.builds.insert(component.clone(), build.clone());
            }
        }
    }

    /// Compact JSON (a slot record is a few KB, read and written once per flush).
    pub fn encode(&self) -> Vec<u8> {
        let wire = Wire {
            v: FORMAT,
            requests: self
                .requests
                .iter()
                .map(|((c, r, s), n)| (c.clone(), r.clone(), *s, *n))
                .collect(),
            latency: self
                .latency
                .iter()
                .map(|((c, r), h)| (c.clone(), r.clone(), *h))
                .collect(),
            predictions: self.predictions.clone(),
            cache: self
                .cache
                .iter()
                .map(|((c, k, r), n)| (c.clone(), k.clone(), r.clone(), *n))
                .collect(),
            instances: self.instances.clone(),
            flushes: self.flushes.clone(),
            builds: self.builds.clone(),
        };
        serde_json::to_vec(&wire).unwrap_or_default()
    }

    /// Decodes a record; `None` for a corrupt one or another format version.
    pub fn decode(bytes: &[u8]) -> Option<Snapshot> {
        let wire: Wire = serde_json::from_slice(bytes).ok()?;
        if wire.v != FORMAT {
            return None;
        }
        let mut snapshot = Snapshot {
            predictions: wire.predictions,
            instances: wire.instances,
            flushes: wire.flushes,
            builds: wire.builds,
            ..Snapshot::default()
        };
        for (c, r, s, n) in wire.requests {
            *snapshot.requests.entry((c, r, s)).or_insert(0) += n;
        }
        for (c, r, h) in wire.latency {
            snapshot.latency.entry((c, r)).or_default().merge(&h);
        }
        for (c, k, r, n) in wire.cache {
            *snapshot.cache.entry((c, k, r)).or_insert(0) += n;
        }
        Some(snapshot)
    }
}

/// The encoded form: maps keyed by tuples become lists of rows.
#[derive(Serialize, Deserialize)]
struct Wire {
    v: u32,
    #[serde(default)]
    requests: Vec<(String, String, u16, u64)>,
    #[serde(default)]
    latency: Vec<(String, String, Histogram)>,
    #[serde(default)]
    predictions: BTreeMap<String, u64>,
    #[serde(default)]
    cache: Vec<(String, String, String, u64)>,
    #[serde(default)]
    instances: BTreeMap<String, u64>,
    #[serde(default)]
    flushes: BTreeMap<String, u64>,
    #[serde(default)]
    builds: BTreeMap<String, BuildSeen>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn histogram_buckets_are_upper_inclusive_with_an_overflow_bucket() {
        let mut h = Histogram::default();
        h.observe(Duration::from_micros(500)); // exactly the first bound
        h.observe(Duration::from_micros(501));
        h.observe(Duration::from_secs(10)); // above every bound
        assert_eq!(h.buckets[0], 1);
        assert_eq!(h.buckets[1], 1);
        assert_eq!(h.buckets[LATENCY_BOUNDS.len()], 1);
        assert_eq!(h.count, 3);
        assert_eq!(h.sum_micros, 500 + 501 + 10_000_000);
    }

    #[test]
    fn merge_adds_counters_and_keeps_the_newest_build() {
        let mut a = Snapshot::default();
        a.requests.insert(("lookup".into(), "/x".into(), 200), 2);
        a.latency
            .entry(("lookup".into(), "/x".into()))
            .or_default()
            .observe(ms(2));
        a.builds.insert(
            "lookup".into(),
            BuildSeen {
                version: "0.1.0".into(),
                commit: "old".into(),
                seen_at: 10,
            },
        );
        let mut b = a.clone();
        b.builds.get_mut("lookup").unwrap().commit = "new".into();
        b.builds.get_mut("lookup").unwrap().seen_at = 20;
        b.predictions.insert("precomputed".into(), 1);

        let mut total = a.clone();
        total.merge(&b);
        assert_eq!(total.requests[&("lookup".into(), "/x".into(), 200)], 4);
        assert_eq!(total.latency[&("lookup".into(), "/x".into())].count, 2);
        assert_eq!(total.predictions["precomputed"], 1);
        assert_eq!(total.builds["lookup"].commit, "new");
        // Order does not matter.
        let mut other_way = b.clone();
        other_way.merge(&a);
        assert_eq!(other_way, total);
    }

    #[test]
    fn encoding_round_trips_and_rejects_garbage() {
        let mut s = Snapshot::default();
        s.requests.insert(("a".into(), "/r".into(), 404), 7);
        s.latency
            .entry(("a".into(), "/r".into()))
            .or_default()
            .observe(ms(30));
        s.cache
            .insert(("predict".into(), "model".into(), "hit".into()), 3);
        s.instances.insert("a".into(), 1);
        s.flushes.insert("a".into(), 2);
        assert_eq!(Snapshot::decode(&s.encode()), Some(s));
        assert_eq!(Snapshot::decode(b"not json"), None);
        assert_eq!(Snapshot::decode(br#"{"v":99}"#), None);
        assert_eq!(Snapshot::decode(br#"{"v":1}"#), Some(Snapshot::default()));
    }
}
