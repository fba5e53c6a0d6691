//! Removing the counters of windows that no longer matter.
//!
//! Each identity leaves one counter per window it was active in; those of
//! clients never seen again would pile up forever. Once per window, the
//! first instance to push a count in it (decided by an atomic increment of
//! a marker key, so exactly one instance wins) lists the limiter's keys and
//! deletes every counter older than the previous window. The listing costs
//! one `get-keys` a minute for the whole app, and since it grows with the
//! store it never runs inside a request: the limiter only notes that a sweep
//! is due ([`super::RateLimiter::take_due_sweep`]) and the Spin adapter runs
//! it in a task spawned after the response. The deletes are as many as the
//! counters created, so they at most double the limiter's writes.

use super::KEY_PREFIX;
use matchday_core::kv::{KvCounter, KvWrite};

/// Most deletions in one sweep, so the instance that sweeps is soon free for
/// its next request; the rest goes in the next window's sweep.
pub const MAX_DELETES: usize = 2_000;

/// The marker whose first increment in `window` elects the sweeper. The
/// `~` cannot start an identity (`key<n>`, `ip-...`).
pub fn marker_key(window: u64) -> String {
    format!("{KEY_PREFIX}{window}/~sweep")
}

/// The window of a limiter key, if it is one.
pub fn window_of(key: &str) -> Option<u64> {
    key.strip_prefix(KEY_PREFIX)?
        .split('/')
        .next()?
        .parse()
        .ok()
}

/// Sweeps counters older than `window - 1` if this caller is the first to
/// claim `window`. Returns how many keys it deleted. Failures are logged
/// and left for the next window.
pub async fn sweep_if_first<K: KvCounter + KvWrite>(kv: &K, window: u64) -> usize {
    let marker = marker_key(window);
    // A read first: most instances find the marker taken and stop without
    // writing.
    if !matches!(kv.get(&marker).await, Ok(None)) {
        return 0;
    }
    if kv.increment(&marker, 1).await != Ok(1) {
        return 0;
    }
    let keys = match kv.keys_with_prefix(KEY_PREFIX).await {
        Ok(keys) => keys,
        Err(err) => {
            eprintln!("rate limit sweep: {err}");
            return 0;
        }
    };
    let mut deleted = 0;
    for key in keys
        .iter()
        .filter(|k| window_of(k).is_some_and(|w| w + 1 < window))
        .take(MAX_DELETES)
    {
        if let Err(err) = kv.delete(key).await {
            eprintln!("rate limit sweep: {err}");
            break;
        }
        deleted += 1;
    }
    deleted
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;
    use matchday_core::kv::{KvRead, MemoryKv};

    #[test]
    fn the_first_caller_of_a_window_deletes_older_counters() {
        let kv = MemoryKv::new();
        for key in [
            "ratelimit/7/key0",
            "ratelimit/8/ip-1.2.3.4",
            "ratelimit/9/key0",
            "ratelimit/10/key0",
            "data/current",
        ] {
            block_on(kv.set(key, b"x")).unwrap();
        }
        assert_eq!(block_on(sweep_if_first(&kv, 10)), 2);
        assert_eq!(
            block_on(sweep_if_first(&kv, 10)),
            0,
            "the window is claimed"
        );
        assert!(
            block_on(kv.get("ratelimit/9/key0")).unwrap().is_some(),
            "previous window kept"
        );
        assert!(
            block_on(kv.get("data/current")).unwrap().is_some(),
            "other keys untouched"
        );
        assert_eq!(window_of("ratelimit/9/key0"), Some(9));
        assert_eq!(window_of(&marker_key(3)), Some(3));
        assert_eq!(window_of("data/v/1/pred/2"), None);
        // Next window: the old marker goes too.
        assert_eq!(block_on(sweep_if_first(&kv, 12)), 3);
    }

    #[test]
    fn a_failing_store_sweeps_nothing() {
        let kv = MemoryKv::new();
        kv.fail_reads(true);
        assert_eq!(block_on(sweep_if_first(&kv, 10)), 0);
    }
}
