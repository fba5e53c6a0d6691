//! Matchday's domain, shared by the Wasm components and the native sidecar.
//!
//! Everything here builds for both the host and `wasm32-wasip2`, and is tested
//! natively; components only adapt HTTP and the key-value store to it.

pub mod auth;
pub mod codec;
pub mod domain;
pub mod error;
pub mod feature_record;
pub mod ids;
pub mod json;
pub mod kv;
pub mod layout;
pub mod leagues;
pub mod library;
pub mod lookup;
pub mod margin;
pub mod market;
pub mod query;
pub mod recent;
pub mod registry_layout;
pub mod response;
pub mod route;
pub mod stats;
pub mod strict_json;
pub mod types;
pub mod window;
