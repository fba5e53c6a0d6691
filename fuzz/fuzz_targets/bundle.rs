//! Publish bundles (tar + Parquet + JSON manifest) from an admin: any bytes
//! are refused as a client error, and nothing becomes live.
#![no_main]
use futures::executor::block_on;
use libfuzzer_sys::fuzz_target;
use matchday_core::kv::MemoryKv;
use matchday_publish::admin::{self, Action};

fuzz_target!(|data: &[u8]| {
    let kv = MemoryKv::new();
    let r = block_on(admin::execute(
        Action::Publish,
        data,
        &kv,
        chrono::Utc::now(),
    ));
    assert!(r.status < 500 || r.status == 503);
    assert!(
        block_on(matchday_core::lookup::live_pointer(&kv))
            .unwrap()
            .is_none()
            || r.status == 201
    );
});
