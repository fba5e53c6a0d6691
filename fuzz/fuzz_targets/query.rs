//! Query strings: parsing and every typed accessor.
#![no_main]
use libfuzzer_sys::fuzz_target;
use matchday_core::query::Query;

fuzz_target!(|data: &[u8]| {
    let raw = String::from_utf8_lossy(data);
    if let Ok(q) = Query::parse(Some(&raw)) {
        for name in ["limit", "offset", "year", "month", "future_only", "league"] {
            let _ = q.int(name, i64::MIN..=i64::MAX);
            let _ = q.bool(name);
            let _ = q.str(name);
            let _ = q.one_of(name, &["a", "b"]);
        }
    }
});
