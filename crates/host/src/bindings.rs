//! Host bindings for the Spin interfaces (generated from `wit/`).
//!
//! `spin:key-value@3.0.0` and `spin:variables@3.0.0` declare `async func`s:
//! wasmtime generates them as `async` functions with store access
//! (`HostWithStore` traits taking an `Accessor`), which is what lets the
//! guest's other tasks progress while a host call is pending.
//! `wasi:keyvalue@0.2.0-draft2` functions are synchronous in WIT and stay
//! plain `&mut self` methods.

wasmtime::component::bindgen!({
    path: "wit",
    world: "matchday:host/spin-host",
    imports: { default: trappable },
    with: {
        "spin:key-value/key-value.store": crate::kv_host::SpinStore,
        "wasi:keyvalue/store.bucket": crate::kv_host::Bucket,
        "wasi:keyvalue/atomics.cas": crate::kv_host::Cas,
    },
    require_store_data_send: true,
});

pub use spin::key_value::key_value as spin_kv;
pub use spin::variables::variables as spin_variables;
pub use wasi::keyvalue as wasi_kv;
