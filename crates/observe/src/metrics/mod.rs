//! Request metrics across instances: accumulate per instance
//! ([`accumulator`]), merge into a few KV slots in batches ([`slots`]),
//! sum and render them in Prometheus' text format ([`exposition`]).

pub mod accumulator;
pub mod exposition;
pub mod slots;
pub mod snapshot;

pub use accumulator::{Accumulator, FlushPolicy, FlushReason};
pub use snapshot::{BuildSeen, Snapshot};

/// Sources of served predictions, the label values of `matchday_predictions_total`.
pub const PREDICTION_SOURCES: [&str; 3] = ["sync", "async", "precomputed"];
