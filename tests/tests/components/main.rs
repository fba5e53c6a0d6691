//! The component tests: the real `spin.toml` served by the local host, fed
//! by the real sidecar. One test binary with a module per area, because each
//! binary links the host (wasmtime) and the sidecar (tract, arrow): eight
//! binaries cost eight large links on every build.

mod deploy_assets;
mod faults;
mod gateway;
mod lookup;
mod market;
mod observe;
mod predict;
mod publish;
