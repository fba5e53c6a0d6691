//! Online predictions for Matchday: the `predict` endpoint group and the
//! model registry behind it.
//!
//! Everything here builds for wasm32-wasip2 and is tested natively against
//! core's `MemoryKv`; the `predict` and `admin` components only adapt Spin to
//! it. One code path loads models for serving and for the registry's publish
//! checks (`matchday-inference`, tract), so what publish accepts, serving runs.

pub mod admin;
pub mod api;
pub mod cache;
pub mod card;
pub mod features;
pub mod model;
pub mod predict;
pub mod registry;
pub mod tasks;
pub mod timing;
pub mod upload;
pub mod validate;
