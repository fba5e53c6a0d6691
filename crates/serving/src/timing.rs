//! Where a request's time goes: key-value reads and writes, model load
//! (parse + optimise, on a cache miss only) and inference. Reported in a
//! `Server-Timing` header (milliseconds) so a benchmark can split latency
//! without instrumenting the host.

use matchday_core::kv::{KvError, KvRead, KvWrite};
use std::cell::Cell;
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
pub struct Timing {
    kv: Cell<Duration>,
    load: Cell<Duration>,
    infer: Cell<Duration>,
    /// Whether the per-instance model cache held the model; `None` when no
    /// model was needed (a prediction-cache hit).
    model_hit: Cell<Option<bool>>,
}

impl Timing {
    pub fn add_load(&self, d: Duration) {
        self.load.set(self.load.get() + d);
    }

    pub fn add_infer(&self, d: Duration) {
        self.infer.set(self.infer.get() + d);
    }

    pub fn model_cache(&self, hit: bool) {
        self.model_hit.set(Some(hit));
    }

    /// The model cache's answer, when a model was needed.
    pub fn model_cache_hit(&self) -> Option<bool> {
        self.model_hit.get()
    }

    /// `kv;dur=0.041, load;dur=0.000;desc="hit", infer;dur=0.052`.
    pub fn header(&self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let desc = match self.model_hit.get() {
            None => String::new(),
            Some(hit) => format!(";desc=\"{}\"", if hit { "hit" } else { "miss" }),
        };
        format!(
            "kv;dur={:.3}, load;dur={:.3}{desc}, infer;dur={:.3}",
            ms(self.kv.get()),
            ms(self.load.get()),
            ms(self.infer.get())
        )
    }
}

/// A store that adds the time of every operation to a [`Timing`].
pub struct TimedKv<'a, K> {
    pub inner: &'a K,
    pub timing: &'a Timing,
}

impl<K> TimedKv<'_, K> {
    fn record<T>(&self, started: Instant, out: T) -> T {
        self.timing.kv.set(self.timing.kv.get() + started.elapsed());
        out
    }
}

impl<K: KvRead> KvRead for TimedKv<'_, K> {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        let started = Instant::now();
        let out = self.inner.get(key).await;
        self.record(started, out)
    }
}

impl<K: KvWrite> KvWrite for TimedKv<'_, K> {
    async fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        let started = Instant::now();
        let out = self.inner.set(key, value).await;
        self.record(started, out)
    }

    async fn delete(&self, key: &str) -> Result<(), KvError> {
        let started = Instant::now();
        let out = self.inner.delete(key).await;
        self.record(started, out)
    }

    async fn keys_with_prefix(&self, prefix: &str) -> Result<Vec<String>, KvError> {
        let started = Instant::now();
        let out = self.inner.keys_with_prefix(prefix).await;
        self.record(started, out)
    }
}
