//! Request bodies: strict JSON validation and deserialisation agree, and
//! what is accepted is valid JSON.
#![no_main]
use libfuzzer_sys::fuzz_target;
use matchday_core::strict_json::{self, JsonLimits};

fuzz_target!(|data: &[u8]| {
    let checked = strict_json::validate(data, JsonLimits::default());
    let parsed = strict_json::from_slice::<serde_json::Value>(data, JsonLimits::default());
    assert_eq!(checked.is_ok(), parsed.is_ok());
    if let Err(e) = parsed {
        assert!(e.status == 400 || e.status == 422);
    }
});
