//! Rate limits shared by every instance, without a KV write per request.
//!
//! **Why not a write per request.** On Spin's default SQLite store a handler
//! that writes once per request tops out near 900 req/s (each write is a
//! commit), against ~6.5k req/s read-only. So counts live in instance memory
//! and reach the store in batches.
//!
//! **What is shared.** One counter per identity (API key or client address)
//! per window, `ratelimit/<window>/<identity>`, kept with the store's atomic
//! `increment` (`wasi:keyvalue/atomics`), so any number of instances can add
//! to it without losing updates. The limit is checked as a sliding window
//! over the current and previous counters ([`window`]). A token bucket would
//! need its (tokens, time) pair updated atomically, which Spin's KV cannot do
//! without a compare-and-swap loop — a write per request again.
//!
//! **What an instance does per request.**
//! 1. First sight of an identity in a window: read the two counters (two
//!    reads, once per identity per window per instance).
//! 2. Decide from its view: the counters as last read or returned, plus what
//!    it admitted and has not pushed yet. Over the limit → 429; a rejected
//!    request costs nothing and writes nothing.
//! 3. Push its unpushed count with one `increment` (whose result refreshes
//!    its view) when either
//!    - the identity's unpushed count reaches `remaining / assumed_instances`
//!      (clamped to `1..=sync_every`): far from the limit it pushes every
//!      `sync_every` requests, close to it on every request, so the last part
//!      of a window is counted exactly; or
//!    - the instance holds `sync_every` unpushed requests over all
//!      identities: an identity spread thinly over many short-lived instances
//!      is still counted.
//!
//! **Accuracy** (stated in the README, measured by the simulation tests):
//! with `N` instances serving one identity at once, requests not yet pushed
//! are invisible to the other instances, at most `sync_every` per instance,
//! so a window admits at most `L + N × sync_every` (and, near the limit, far
//! fewer: pushes happen on every request there). An instance that ends
//! (Spin retires one after 128 requests or 1 s idle) loses fewer than
//! `sync_every` unpushed requests. Nothing is ever counted twice, so a
//! client under its limit is never refused because of the batching.
//!
//! **When the store fails**, the limiter fails open to its per-instance
//! view: it keeps counting locally, backs off pushes for a second, and the
//! handler answers 503 for the data anyway.

pub mod sweep;
pub mod window;

use matchday_core::kv::{KvCounter, KvError, KvWrite, decode_counter};
use std::cell::RefCell;
use std::collections::HashMap;

/// Every key the limiter writes starts with this.
pub const KEY_PREFIX: &str = "ratelimit/";

/// The shared counter of `identity` in `window`.
pub fn counter_key(window: u64, identity: &str) -> String {
    format!("{KEY_PREFIX}{window}/{identity}")
}

/// `requests` per `window_ms`; `requests == 0` turns the limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub requests: u64,
    pub window_ms: u64,
}

impl Limit {
    pub const fn per_minute(requests: u64) -> Self {
        Limit {
            requests,
            window_ms: 60_000,
        }
    }

    pub fn is_off(&self) -> bool {
        self.requests == 0 || self.window_ms == 0
    }
}

/// How often counts reach the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncPolicy {
    /// Most unpushed requests an identity, or the whole instance, may hold.
    pub every: u64,
    /// How many instances are assumed to serve one identity at once; the
    /// push threshold near the limit is the remaining budget divided by it.
    pub assumed_instances: u64,
    /// After a failed push, how long to count only locally.
    pub backoff_ms: u64,
}

impl Default for SyncPolicy {
    fn default() -> Self {
        SyncPolicy {
            every: 16,
            assumed_instances: 4,
            backoff_ms: 1_000,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    Limited { retry_after_s: u32 },
}

/// Identities an instance tracks at most; a flood of distinct client
/// addresses must not grow instance memory without bound.
const MAX_ENTRIES: usize = 4096;

#[derive(Debug, Default, Clone)]
struct Entry {
    window: u64,
    /// Global count of the previous window, as known.
    previous: u64,
    /// Global count of this window, as last read or returned by a push.
    current: u64,
    /// Admitted here, not pushed yet.
    unsynced: u64,
    /// Being pushed right now (still counted until the push returns).
    in_flight: u64,
    /// Whether both counters were read in this window.
    loaded: bool,
}

#[derive(Debug, Default)]
struct State {
    entries: HashMap<String, Entry>,
    /// Sum of `unsynced` over all entries.
    pending: u64,
    /// No pushes before this time (after a store failure).
    backoff_until_ms: u64,
    /// The last window this instance checked whether a sweep was due.
    sweep_checked: u64,
    /// A window whose sweep this instance should try, once its response is
    /// out ([`RateLimiter::take_due_sweep`]).
    sweep_due: Option<u64>,
}

struct Roll {
    window: u64,
    load: bool,
    old_push: Option<Push>,
}

#[derive(Debug)]
struct Push {
    identity: String,
    window: u64,
    delta: u64,
}

/// The per-instance limiter. Keep one per instance (a `thread_local!` in a
/// component); it is cheap to create, and correct (if less exact) when an
/// instance serves a single request.
#[derive(Debug, Default)]
pub struct RateLimiter {
    state: RefCell<State>,
    sync: SyncPolicy,
}

impl RateLimiter {
    pub fn new(sync: SyncPolicy) -> Self {
        RateLimiter {
            state: RefCell::default(),
            sync: SyncPolicy {
                every: sync.every.max(1),
                assumed_instances: sync.assumed_instances.max(1),
                ..sync
            },
        }
    }

    pub fn sync_policy(&self) -> SyncPolicy {
        self.sync
    }

    /// Counts one request of `identity` costing `cost`, and says whether it
    /// fits `limit`. `kv: None` (the store could not be opened) counts
    /// locally only. Never fails: store errors degrade to the local view.
    pub async fn check<K: KvCounter + KvWrite>(
        &self,
        kv: Option<&K>,
        identity: &str,
        limit: Limit,
        cost: u64,
        now_ms: u64,
    ) -> Verdict {
        if limit.is_off() {
            return Verdict::Allowed;
        }
        // No RefCell borrow is held across an await: requests served
        // concurrently by one instance interleave at every await.
        let roll = self.roll(identity, now_ms / limit.window_ms);
        if roll.load
            && let Some(kv) = kv
        {
            if let Some(push) = roll.old_push {
                self.push(kv, push, now_ms).await;
            }
            self.load(kv, identity, roll.window).await;
        }
        let pushes = match self.decide(identity, roll.window, limit, cost, now_ms, kv.is_some()) {
            Ok(pushes) => pushes,
            Err(retry_after_s) => return Verdict::Limited { retry_after_s },
        };
        if let Some(kv) = kv {
            for push in pushes {
                self.push(kv, push, now_ms).await;
            }
        }
        Verdict::Allowed
    }

    /// Brings the identity's entry to `window` (never backwards: a request
    /// that started before a rollover is judged in the later window).
    fn roll(&self, identity: &str, window: u64) -> Roll {
        let mut guard = self.state.borrow_mut();
        if !guard.entries.contains_key(identity) {
            make_room(&mut guard, window);
            guard.entries.insert(
                identity.to_string(),
                Entry {
                    window,
                    ..Entry::default()
                },
            );
            return Roll {
                window,
                load: true,
                old_push: None,
            };
        }
        let state = &mut *guard;
        let Some(entry) = state.entries.get_mut(identity) else {
            unreachable!("checked above")
        };
        if entry.window >= window {
            return Roll {
                window: entry.window,
                load: !entry.loaded,
                old_push: None,
            };
        }
        let adjacent = entry.window + 1 == window;
        // This instance's own counts of the window that just ended: pushed so
        // other instances see them as "previous", and kept as a floor for it.
        let old_push = (adjacent && entry.unsynced > 0).then(|| Push {
            identity: identity.to_string(),
            window: entry.window,
            delta: entry.unsynced,
        });
        let previous = if adjacent {
            entry.current + entry.unsynced + entry.in_flight
        } else {
            0
        };
        state.pending -= entry.unsynced;
        *entry = Entry {
            window,
            previous,
            ..Entry::default()
        };
        Roll {
            window,
            load: true,
            old_push,
        }
    }

    async fn load<K: KvCounter>(&self, kv: &K, identity: &str, window: u64) {
        let previous = match window.checked_sub(1) {
            Some(before) => read_counter(kv, &counter_key(before, identity)).await,
            None => Ok(0),
        };
        let current = read_counter(kv, &counter_key(window, identity)).await;
        let mut state = self.state.borrow_mut();
        if let Some(entry) = state.entries.get_mut(identity)
            && entry.window == window
        {
            if let Ok(p) = previous {
                entry.previous = entry.previous.max(p);
            }
            if let Ok(c) = current {
                entry.current = entry.current.max(c);
            }
            entry.loaded = previous.is_ok() && current.is_ok();
        }
    }

    /// Admits or refuses; on admission, takes the counts that are due.
    fn decide(
        &self,
        identity: &str,
        window: u64,
        limit: Limit,
        cost: u64,
        now_ms: u64,
        can_push: bool,
    ) -> Result<Vec<Push>, u32> {
        let mut guard = self.state.borrow_mut();
        let state = &mut *guard;
        let elapsed = now_ms % limit.window_ms;
        // The entry exists unless `make_room` dropped it during an await;
        // if another request rolled it to a later window, judge in that one.
        let entry = state
            .entries
            .entry(identity.to_string())
            .or_insert_with(|| Entry {
                window,
                ..Entry::default()
            });
        let counted = entry.current + entry.unsynced + entry.in_flight;
        let used = window::estimate(entry.previous, counted, elapsed, limit.window_ms);
        if used + cost as f64 > limit.requests as f64 {
            let ms = window::retry_after_ms(
                entry.previous,
                counted,
                limit.requests,
                cost,
                elapsed,
                limit.window_ms,
            );
            return Err(ms.div_ceil(1000).clamp(1, u64::from(u32::MAX)) as u32);
        }
        entry.unsynced += cost;
        state.pending += cost;
        if !can_push || now_ms < state.backoff_until_ms {
            return Ok(Vec::new());
        }
        let remaining = (limit.requests as f64 - used - cost as f64).max(0.0) as u64;
        let threshold = (remaining / self.sync.assumed_instances).clamp(1, self.sync.every);
        let mut pushes = Vec::new();
        if state.pending >= self.sync.every {
            // The instance holds too much unpushed: push every identity.
            for (id, e) in state.entries.iter_mut().filter(|(_, e)| e.unsynced > 0) {
                pushes.push(take(id, e));
            }
            state.pending = 0;
        } else if entry.unsynced >= threshold {
            state.pending -= entry.unsynced;
            pushes.push(take(identity, entry));
        }
        Ok(pushes)
    }

    async fn push<K: KvCounter + KvWrite>(&self, kv: &K, push: Push, now_ms: u64) {
        let delta = i64::try_from(push.delta).unwrap_or(i64::MAX);
        let result = kv
            .increment(&counter_key(push.window, &push.identity), delta)
            .await;
        {
            let mut guard = self.state.borrow_mut();
            let state = &mut *guard;
            if let Some(entry) = state.entries.get_mut(&push.identity)
                && entry.window == push.window
            {
                entry.in_flight = entry.in_flight.saturating_sub(push.delta);
                match &result {
                    Ok(total) => entry.current = entry.current.max((*total).max(0) as u64),
                    Err(_) => {
                        entry.unsynced += push.delta;
                        state.pending += push.delta;
                    }
                }
            }
            match &result {
                Ok(_) if state.sweep_checked < push.window => {
                    state.sweep_checked = push.window;
                    state.sweep_due = Some(push.window);
                }
                Ok(_) => {}
                Err(err) => {
                    log_store_error(err);
                    state.backoff_until_ms = now_ms + self.sync.backoff_ms;
                }
            }
        }
    }

    /// The window whose old counters this instance should offer to sweep
    /// ([`sweep::sweep_if_first`]), at most once per window; `None` when
    /// nothing is due. The sweep lists the store's keys, so the caller runs
    /// it after the response has gone (the Spin adapter spawns it), never
    /// inside a request.
    pub fn take_due_sweep(&self) -> Option<u64> {
        self.state.borrow_mut().sweep_due.take()
    }

    /// Unpushed requests this instance holds (tests, metrics).
    pub fn pending(&self) -> u64 {
        self.state.borrow().pending
    }
}

fn take(identity: &str, entry: &mut Entry) -> Push {
    let delta = std::mem::take(&mut entry.unsynced);
    entry.in_flight += delta;
    Push {
        identity: identity.to_string(),
        window: entry.window,
        delta,
    }
}

/// Keeps the map under [`MAX_ENTRIES`]: drop identities not seen in this or
/// the previous window first, then everything (their unpushed counts are
/// lost, at most `sync_every` in all).
fn make_room(state: &mut State, window: u64) {
    if state.entries.len() < MAX_ENTRIES {
        return;
    }
    state
        .entries
        .retain(|_, e| e.window + 1 >= window && e.in_flight == 0);
    if state.entries.len() >= MAX_ENTRIES {
        state.entries.clear();
    }
    state.pending = state.entries.values().map(|e| e.unsynced).sum();
}

async fn read_counter<K: KvCounter>(kv: &K, key: &str) -> Result<u64, KvError> {
    match kv.get(key).await {
        Ok(Some(bytes)) => Ok(decode_counter(&bytes).unwrap_or(0).max(0) as u64),
        Ok(None) => Ok(0),
        Err(err) => {
            log_store_error(&err);
            Err(err)
        }
    }
}

fn log_store_error(err: &KvError) {
    // The message is the store's; the identity (which may be an address)
    // is not logged.
    eprintln!("rate limit: {err}; counting locally");
}

#[cfg(test)]
mod tests;
