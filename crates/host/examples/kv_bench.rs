//! Measures the SQLite key-value backend: reads with one or several reader
//! connections from 1 and 2 threads, and single-key writes. Run with
//! `cargo run --profile native -p matchday-host --example kv_bench`.

use std::sync::Arc;
use std::time::Instant;

use matchday_host::{KvBackend, SqliteBackend};

const KEYS: usize = 1000;
const READS_PER_THREAD: usize = 200_000;
const WRITES: usize = 5_000;

fn reads(backend: Arc<SqliteBackend>, threads: usize) -> f64 {
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let backend = backend.clone();
            std::thread::spawn(move || {
                for i in 0..READS_PER_THREAD {
                    let key = format!("key/{}", (i * 7 + t) % KEYS);
                    let value = backend.get("default", &key).expect("read");
                    assert!(value.is_some());
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("reader thread");
    }
    (threads * READS_PER_THREAD) as f64 / start.elapsed().as_secs_f64()
}

fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("kv.db");
    {
        let seed = SqliteBackend::open(&path, 1)?;
        let entries: Vec<(String, Vec<u8>)> = (0..KEYS)
            .map(|i| (format!("key/{i}"), vec![b'x'; 2048]))
            .collect();
        seed.set_many("default", &entries)?;
    }
    for readers in [1, 2] {
        let backend = Arc::new(SqliteBackend::open(&path, readers)?);
        for threads in [1, 2] {
            println!(
                "reads: {readers} reader connection(s), {threads} thread(s): {:>9.0} gets/s",
                reads(backend.clone(), threads)
            );
        }
    }
    let backend = SqliteBackend::open(&path, 1)?;
    let start = Instant::now();
    for i in 0..WRITES {
        backend.set("default", &format!("w/{i}"), b"value")?;
    }
    println!(
        "writes (WAL, synchronous=NORMAL): {:>9.0} sets/s",
        WRITES as f64 / start.elapsed().as_secs_f64()
    );
    let start = Instant::now();
    for _ in 0..WRITES {
        backend.increment("default", "counter", 1)?;
    }
    println!(
        "increments:                       {:>9.0} /s",
        WRITES as f64 / start.elapsed().as_secs_f64()
    );
    Ok(())
}
