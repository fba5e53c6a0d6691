//! Request metrics on the Spin side: what a component (or the shared
//! request middleware) calls after each request. The policy and the merge
//! are `matchday_observe::metrics`; this module holds the instance's
//! accumulator and talks to `wasi:keyvalue`.
//!
//! Components do not call it: [`RequestMetrics`] is the default observer
//! of [`crate::Service`], so every request through the gateway is counted.
//!
//! `record` costs a few map updates; on the requests where the policy says
//! so (an instance's 1st, every 64th, or 10 s after the oldest unflushed
//! count) it also merges the instance's counts into one KV slot (one read,
//! one compare-and-swap write) before returning. A background task flushes
//! after 250 ms without a request, before Spin drops an idle instance.
//! Set `MATCHDAY_METRICS=off` in a component's environment to turn it off.

use matchday_core::kv::KvError;
use matchday_observe::endpoints::BuildInfo;
use matchday_observe::metrics::slots::{self, FlushError};
use matchday_observe::metrics::{Accumulator, BuildSeen, FlushPolicy, FlushReason};
use spin_sdk::experimental::wasi::keyvalue::store;
use std::cell::RefCell;
use std::time::{Duration, Instant};

/// The crate version and git commit this component was built from.
pub const BUILD_VERSION: &str = env!("CARGO_PKG_VERSION");
pub const BUILD_COMMIT: &str = env!("MATCHDAY_GIT_COMMIT");

pub fn build_info(component: &str) -> BuildInfo {
    BuildInfo {
        component: component.to_string(),
        version: BUILD_VERSION.to_string(),
        commit: BUILD_COMMIT.to_string(),
    }
}

/// One instance's metric state. Wasm instances are single-threaded.
struct Instance {
    enabled: bool,
    accumulator: Accumulator,
    started: Instant,
    build: Option<BuildSeen>,
    /// Where this instance's next flush starts looking for a slot; random
    /// per instance so instances spread over the slots.
    next_slot: usize,
    bucket: Option<store::Bucket>,
    idle_task_running: bool,
}

thread_local! {
    static INSTANCE: RefCell<Instance> = RefCell::new(Instance::new());
}

impl Instance {
    fn new() -> Self {
        use std::hash::BuildHasher;
        let enabled =
            !std::env::var("MATCHDAY_METRICS").is_ok_and(|v| v.eq_ignore_ascii_case("off"));
        Instance {
            enabled,
            accumulator: Accumulator::new(FlushPolicy::default()),
            started: Instant::now(),
            build: None,
            next_slot: std::collections::hash_map::RandomState::new().hash_one(0u8) as usize,
            bucket: None,
            idle_task_running: false,
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn ensure_build(&mut self) {
        self.build.get_or_insert_with(|| BuildSeen {
            version: BUILD_VERSION.to_string(),
            commit: BUILD_COMMIT.to_string(),
            seen_at: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64),
        });
    }

    /// Merges the pending counts into a slot; keeps them on failure.
    fn flush(&mut self, reason: FlushReason) -> bool {
        let delta = self.accumulator.take();
        let first_slot = self.next_slot;
        let result = match self.bucket() {
            Ok(bucket) => slots::flush(&crate::WasiCas(bucket), &delta, first_slot),
            Err(e) => Err(FlushError::Store(e)),
        };
        match result {
            Ok(flushed) => {
                self.next_slot = flushed.slot + 1;
                if flushed.replaced_corrupt {
                    eprintln!(
                        "metrics: slot {} was unreadable and was reset",
                        flushed.slot
                    );
                }
                true
            }
            Err(e) => {
                eprintln!("metrics: flush ({reason:?}) failed, kept for the next one: {e}");
                self.next_slot += 1;
                let now = self.now_ms();
                self.accumulator.restore(delta, now);
                // A broken bucket handle is reopened next time.
                self.bucket = None;
                false
            }
        }
    }

    fn bucket(&mut self) -> Result<&store::Bucket, KvError> {
        if self.bucket.is_none() {
            self.bucket = Some(crate::open_bucket()?);
        }
        Ok(self.bucket.as_ref().expect("just opened"))
    }
}

/// Counts one handled request, and flushes when the policy says so.
pub fn record(component: &str, route: &str, status: u16, latency: Duration) {
    let flushed = INSTANCE.with_borrow_mut(|instance| {
        if !instance.enabled {
            return None;
        }
        let now = instance.now_ms();
        instance.ensure_build();
        let Instance {
            accumulator, build, ..
        } = instance;
        if let Some(build) = build {
            accumulator.record_request(component, build, route, status, latency, now);
        }
        let due = instance.accumulator.flush_due(now)?;
        Some(instance.flush(due))
    });
    if flushed != Some(true) {
        start_idle_flush();
    }
}

/// Counts one served prediction (`sync`, `async` or `precomputed`).
pub fn record_prediction(source: &str) {
    INSTANCE.with_borrow_mut(|instance| {
        if instance.enabled {
            let now = instance.now_ms();
            instance.accumulator.record_prediction(source, now);
        }
    });
}

/// Counts one lookup of an in-instance cache (e.g. `predict`'s loaded model).
pub fn record_cache(component: &str, cache: &str, hit: bool) {
    INSTANCE.with_borrow_mut(|instance| {
        if instance.enabled {
            let now = instance.now_ms();
            instance
                .accumulator
                .record_cache(component, cache, hit, now);
        }
    });
}

/// Starts (once per instance at a time) the task that flushes after the
/// instance has been quiet for the policy's idle time. It runs after the
/// response is sent, inside the request's component-model task, so it
/// delays nobody; if Spin drops the instance first, its counts are lost.
fn start_idle_flush() {
    let start = INSTANCE.with_borrow_mut(|instance| {
        let start = instance.enabled && !instance.idle_task_running;
        instance.idle_task_running |= start;
        start
    });
    if !start {
        return;
    }
    spin_sdk::wit_bindgen::spawn(async {
        let mut failures = 0;
        loop {
            let (wait, idle) = INSTANCE.with_borrow(|i| {
                (
                    i.accumulator.idle_wait(i.now_ms()),
                    i.accumulator.policy().idle,
                )
            });
            match wait {
                None => break,
                Some(wait) if !wait.is_zero() => spin_sdk::time::sleep(wait).await,
                Some(_) => {
                    if INSTANCE.with_borrow_mut(|i| i.flush(FlushReason::Idle)) {
                        continue;
                    }
                    failures += 1;
                    if failures == 3 {
                        break; // the next request's flush retries
                    }
                    spin_sdk::time::sleep(idle).await;
                }
            }
        }
        INSTANCE.with_borrow_mut(|i| i.idle_task_running = false);
    });
}

/// The gateway's observer: every request through [`crate::Service`] is
/// counted here, labelled with the gateway's route template, never the raw
/// path. Parameters are written `:match_id` rather than `{match_id}`:
/// braces inside label values trip common exposition parsers.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestMetrics;

impl matchday_gateway::Observer for RequestMetrics {
    fn record(&self, r: &matchday_gateway::RequestRecord<'_>) {
        let route = r.route.replace('{', ":").replace('}', "");
        record(r.component, &route, r.status, r.latency);
    }
}
