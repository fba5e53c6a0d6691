//! Matchday's domain, shared by the Wasm components and the native sidecar.

pub mod domain;
pub mod ids;
pub mod leagues;
pub mod types;
