//! The sidecar's commands as a library, so the component tests can prepare
//! and publish data exactly as the `matchday` CLI does.

pub mod commands;
mod progress;
mod workdir;

pub use workdir::WorkDir;
