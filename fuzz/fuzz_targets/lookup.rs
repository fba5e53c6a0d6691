//! The lookup handler on an empty and on a failing store.
#![no_main]
use futures::executor::block_on;
use libfuzzer_sys::fuzz_target;
use matchday_core::kv::MemoryKv;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (path, query) = match text.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (text.as_ref(), None),
    };
    for down in [false, true] {
        let kv = MemoryKv::new();
        kv.fail_reads(down);
        let r = block_on(matchday_core::lookup::handle("GET", path, query, &kv));
        assert!(r.status < 500 || (r.status == 503 && r.header("retry-after").is_some()));
    }
});
