//! The limiter against an in-memory store: exactness on one instance, the
//! stated accuracy across instances that come and go, behaviour when the
//! store fails. The simulations print their figures (`--nocapture`); the
//! README quotes them.

use super::*;
use futures::executor::block_on;
use matchday_core::kv::{KvRead, MemoryKv};

const MINUTE: u64 = 60_000;

fn check(limiter: &RateLimiter, kv: &MemoryKv, id: &str, limit: Limit, now: u64) -> Verdict {
    block_on(limiter.check(Some(kv), id, limit, 1, now))
}

#[test]
fn one_instance_enforces_the_limit_exactly() {
    let kv = MemoryKv::new();
    let limiter = RateLimiter::new(SyncPolicy::default());
    let limit = Limit::per_minute(100);
    let start = 10 * MINUTE;
    let mut allowed = 0;
    for i in 0..150 {
        match check(&limiter, &kv, "key0", limit, start + i) {
            Verdict::Allowed => allowed += 1,
            Verdict::Limited { retry_after_s } => {
                assert!((1..=120).contains(&retry_after_s), "{retry_after_s}");
            }
        }
    }
    assert_eq!(allowed, 100);
    let stored = block_on(kv.get(&counter_key(10, "key0"))).unwrap().unwrap();
    assert_eq!(
        decode_counter(&stored),
        Some(100),
        "every admitted request reached the store"
    );
    assert!(
        kv.writes() < 40,
        "batched: {} writes for 100 admitted",
        kv.writes()
    );
}

#[test]
fn refused_requests_write_nothing() {
    let kv = MemoryKv::new();
    let limiter = RateLimiter::new(SyncPolicy::default());
    let limit = Limit::per_minute(5);
    for i in 0..5 {
        assert_eq!(check(&limiter, &kv, "k", limit, i), Verdict::Allowed);
    }
    let writes = kv.writes();
    for i in 0..1000 {
        assert!(matches!(
            check(&limiter, &kv, "k", limit, 10 + i),
            Verdict::Limited { .. }
        ));
    }
    assert_eq!(kv.writes(), writes);
}

#[test]
fn the_previous_window_still_counts_then_decays() {
    let kv = MemoryKv::new();
    let limiter = RateLimiter::new(SyncPolicy::default());
    let limit = Limit::per_minute(60);
    for i in 0..60 {
        assert_eq!(
            check(&limiter, &kv, "k", limit, 59_000 + i),
            Verdict::Allowed
        );
    }
    // Just after the boundary the 60 of the last minute still weigh ~60.
    let Verdict::Limited { retry_after_s } = check(&limiter, &kv, "k", limit, MINUTE + 100) else {
        panic!("a fresh window must not double the limit");
    };
    assert!((1..=2).contains(&retry_after_s), "{retry_after_s}");
    // Half a minute later, half of them have decayed.
    let allowed = (0..60)
        .filter(|i| check(&limiter, &kv, "k", limit, MINUTE + 30_000 + i) == Verdict::Allowed)
        .count();
    assert_eq!(allowed, 30);
}

#[test]
fn another_instance_sees_the_pushed_counts() {
    let kv = MemoryKv::new();
    let limit = Limit::per_minute(40);
    let a = RateLimiter::new(SyncPolicy::default());
    for i in 0..40 {
        assert_eq!(check(&a, &kv, "k", limit, i), Verdict::Allowed);
    }
    // A new instance (fresh memory) reads the shared counter.
    let b = RateLimiter::new(SyncPolicy::default());
    assert!(matches!(
        check(&b, &kv, "k", limit, 100),
        Verdict::Limited { .. }
    ));
    // Other identities are not affected.
    assert_eq!(check(&b, &kv, "other", limit, 100), Verdict::Allowed);
}

#[test]
fn a_failing_store_degrades_to_local_counting_and_recovers() {
    let kv = MemoryKv::new();
    let limiter = RateLimiter::new(SyncPolicy::default());
    let limit = Limit::per_minute(50);
    kv.fail_reads(true);
    kv.fail_writes_after(0);
    let allowed = (0..80)
        .filter(|i| check(&limiter, &kv, "k", limit, *i) == Verdict::Allowed)
        .count();
    assert_eq!(allowed, 50, "the instance still limits on its own view");
    assert_eq!(limiter.pending(), 50);
    kv.fail_reads(false);
    kv.heal_writes();
    // After the back-off, the next admitted request (of any identity) pushes
    // the held counts: the instance holds more than `sync_every`.
    assert_eq!(
        check(&limiter, &kv, "other", limit, 5_000),
        Verdict::Allowed
    );
    let stored = decode_counter(&block_on(kv.get(&counter_key(0, "k"))).unwrap().unwrap());
    assert_eq!(stored, Some(50));
    assert_eq!(limiter.pending(), 0);
}

#[test]
fn no_store_at_all_counts_locally() {
    let limiter = RateLimiter::new(SyncPolicy::default());
    let limit = Limit::per_minute(3);
    let verdicts: Vec<_> = (0..5)
        .map(|i| block_on(limiter.check(None::<&MemoryKv>, "k", limit, 1, i)))
        .collect();
    assert_eq!(
        verdicts.iter().filter(|v| **v == Verdict::Allowed).count(),
        3
    );
}

#[test]
fn an_off_limit_never_refuses_and_never_touches_the_store() {
    let kv = MemoryKv::new();
    let limiter = RateLimiter::new(SyncPolicy::default());
    for i in 0..100 {
        assert_eq!(
            check(&limiter, &kv, "k", Limit::per_minute(0), i),
            Verdict::Allowed
        );
    }
    assert!(kv.is_empty());
}

#[test]
fn many_identities_stay_within_bounded_memory() {
    let kv = MemoryKv::new();
    let limiter = RateLimiter::new(SyncPolicy::default());
    for i in 0..20_000u64 {
        check(&limiter, &kv, &format!("ip-{i}"), Limit::per_minute(10), i);
    }
    assert!(limiter.state.borrow().entries.len() <= MAX_ENTRIES);
    assert!(limiter.pending() < limiter.sync_policy().every);
}

/// A pool of instances sharing one store, retired after a number of
/// requests like Spin retires wasi:http 0.3 instances (128 by default).
struct Pool {
    kv: MemoryKv,
    instances: Vec<(RateLimiter, u32)>,
    reuse: u32,
    sync: SyncPolicy,
    rng: u64,
}

impl Pool {
    fn new(instances: usize, reuse: u32, sync: SyncPolicy, seed: u64) -> Pool {
        Pool {
            kv: MemoryKv::new(),
            instances: (0..instances)
                .map(|_| (RateLimiter::new(sync), 0))
                .collect(),
            reuse,
            sync,
            rng: seed | 1,
        }
    }

    fn random(&mut self) -> u64 {
        // xorshift64*: deterministic, good enough to spread requests.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn request(&mut self, id: &str, limit: Limit, now: u64) -> Verdict {
        let i = (self.random() % self.instances.len() as u64) as usize;
        let verdict = block_on(self.instances[i].0.check(Some(&self.kv), id, limit, 1, now));
        self.instances[i].1 += 1;
        if self.instances[i].1 >= self.reuse {
            // Retired: whatever it had not pushed is gone.
            self.instances[i] = (RateLimiter::new(self.sync), 0);
        }
        verdict
    }
}

struct Outcome {
    /// Admitted requests of the limited identity, per full window.
    per_window: Vec<u64>,
    requests: u64,
    /// Admitted requests of every identity.
    admitted: u64,
    writes: usize,
}

/// `windows` minutes of traffic: the identity `"hot"` asks `demand` requests
/// a minute; `background` other identities ask `background_rate` each.
fn simulate(
    instances: usize,
    reuse: u32,
    limit: u64,
    demand: u64,
    background: u64,
    background_rate: u64,
    seed: u64,
) -> Outcome {
    let sync = SyncPolicy::default();
    let mut pool = Pool::new(instances, reuse, sync, seed);
    let limit = Limit::per_minute(limit);
    let windows = 4;
    let per_minute = demand + background * background_rate;
    let mut per_window = vec![0u64; windows];
    let mut requests = 0;
    let mut admitted = 0;
    let names: Vec<String> = (0..background).map(|b| format!("bg{b}")).collect();
    for n in 0..per_minute * windows as u64 {
        let now = MINUTE + n * MINUTE / per_minute; // start at window 1, evenly spaced
        let window = ((now - MINUTE) / MINUTE) as usize;
        // Interleave: the hot identity gets `demand` of every `per_minute` slots.
        let hot = (pool.random() % per_minute) < demand;
        let id = if hot {
            "hot"
        } else {
            &names[(pool.random() % background.max(1)) as usize]
        };
        let verdict = pool.request(id, limit, now);
        requests += 1;
        if verdict == Verdict::Allowed {
            admitted += 1;
            if hot {
                per_window[window] += 1;
            }
        }
    }
    Outcome {
        per_window,
        requests,
        admitted,
        writes: pool.kv.writes(),
    }
}

fn report(name: &str, limit: u64, instances: usize, outcome: &Outcome) -> (f64, f64) {
    // The first window starts with no history, so only later ones are steady.
    let steady = &outcome.per_window[1..];
    let max = *steady.iter().max().unwrap() as f64 / limit as f64;
    let min = *steady.iter().min().unwrap() as f64 / limit as f64;
    eprintln!(
        "rate-limit simulation {name}: limit {limit}/min, {instances} instances retired every 128 requests: hot key admitted per minute {:?} = {min:.3}..{max:.3} × limit; {} requests, {} admitted, {} KV writes ({:.3} per admitted request)",
        outcome.per_window,
        outcome.requests,
        outcome.admitted,
        outcome.writes,
        outcome.writes as f64 / outcome.admitted as f64
    );
    (min, max)
}

#[test]
fn accuracy_with_instances_retired_every_128_requests() {
    let sync = SyncPolicy::default();
    for (instances, limit, demand) in [
        (1, 600, 3000),
        (4, 600, 3000),
        (8, 600, 6000),
        (4, 6000, 30000),
    ] {
        let outcome = simulate(instances, 128, limit, demand, 0, 0, 7);
        let (min, max) = report("one hot key at 5-10x its limit", limit, instances, &outcome);
        let bound = 1.0 + (instances as u64 * sync.every) as f64 / limit as f64;
        assert!(max <= bound, "{max} > {bound}");
        assert!(
            min >= 0.95,
            "{min}: a client over its limit still gets ~all of it"
        );
    }
}

#[test]
fn accuracy_when_the_hot_key_hides_among_many_others() {
    // The hot key is a third of the traffic, among 50 keys using a fifth of
    // their limit: each instance sees few of its requests before it is
    // retired, so only the instance-wide push keeps them counted.
    let sync = SyncPolicy::default();
    let (instances, limit) = (4, 600);
    let outcome = simulate(instances, 128, limit, 3000, 50, 120, 11);
    let (min, max) = report("hot key in a crowd of 50", limit, instances, &outcome);
    let bound = 1.0 + (instances as u64 * sync.every) as f64 / limit as f64;
    assert!(max <= bound, "{max} > {bound}");
    assert!(min >= 0.95, "{min}");
}

#[test]
fn clients_under_their_limit_are_never_refused() {
    let sync = SyncPolicy::default();
    let mut pool = Pool::new(4, 128, sync, 3);
    let limit = Limit::per_minute(600);
    for n in 0..2_000u64 {
        // 500 a minute for 4 minutes, for each of two keys.
        let id = if n % 2 == 0 { "a" } else { "b" };
        let now = MINUTE + n * MINUTE / 1_000;
        assert_eq!(
            pool.request(id, limit, now),
            Verdict::Allowed,
            "request {n}"
        );
    }
}

#[test]
fn one_request_per_instance_needs_sync_every_1() {
    // With a fresh instance per request, nothing ever reaches the store
    // unless every request pushes: the documented setting for that mode.
    let limit = Limit::per_minute(50);
    for (every, expect_limited) in [(16, false), (1, true)] {
        let sync = SyncPolicy {
            every,
            ..SyncPolicy::default()
        };
        let mut pool = Pool::new(1, 1, sync, 5);
        let allowed = (0..100)
            .filter(|n| pool.request("k", limit, MINUTE + n) == Verdict::Allowed)
            .count();
        assert_eq!(
            allowed == 50,
            expect_limited,
            "sync_every {every}: {allowed} allowed"
        );
    }
}

#[test]
fn far_from_the_limit_writes_are_one_in_sync_every() {
    // A key well under its limit: pushes happen every `sync_every` requests.
    let outcome = simulate(4, 128, 1_000_000, 6000, 0, 0, 13);
    report("one key far under its limit", 1_000_000, 4, &outcome);
    let per_admitted = outcome.writes as f64 / outcome.admitted as f64;
    assert!(per_admitted < 0.08, "{per_admitted}");
}

#[test]
fn the_sweep_is_offered_once_per_window_and_never_runs_inside_a_request() {
    let kv = MemoryKv::new();
    block_on(kv.set(&counter_key(3, "ip-gone"), &1i64.to_le_bytes())).unwrap();
    let limiter = RateLimiter::new(SyncPolicy {
        every: 1,
        ..SyncPolicy::default()
    });
    let limit = Limit::per_minute(1_000);
    assert_eq!(limiter.take_due_sweep(), None);
    for i in 0..3 {
        assert_eq!(
            check(&limiter, &kv, "key0", limit, 10 * MINUTE + i),
            Verdict::Allowed
        );
    }
    // The request listed no keys and deleted nothing: the old counter is there.
    assert!(
        block_on(kv.get(&counter_key(3, "ip-gone")))
            .unwrap()
            .is_some()
    );
    assert_eq!(
        limiter.take_due_sweep(),
        Some(10),
        "once, for the window of the push"
    );
    assert_eq!(limiter.take_due_sweep(), None);
    check(&limiter, &kv, "key0", limit, 10 * MINUTE + 10);
    assert_eq!(
        limiter.take_due_sweep(),
        None,
        "not again in the same window"
    );
    // After the response, the caller runs it.
    assert_eq!(block_on(sweep::sweep_if_first(&kv, 10)), 1);
    assert!(
        block_on(kv.get(&counter_key(3, "ip-gone")))
            .unwrap()
            .is_none()
    );
    check(&limiter, &kv, "key0", limit, 11 * MINUTE);
    assert_eq!(limiter.take_due_sweep(), Some(11));
}
