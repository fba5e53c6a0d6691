//! Matchday's observability, as plain logic the components adapt.
//!
//! Nothing is shared between Spin instances and any request may land on a
//! fresh one, so request metrics are accumulated per instance and merged
//! into a few key-value records in batches ([`metrics`]); the `/metrics`
//! endpoint sums those records. Drift and quality reports are computed by
//! the sidecar and published through `admin` as [`monitoring`] records; the
//! `monitoring` component only reads them ([`endpoints`]).

pub mod endpoints;
pub mod metrics;
pub mod monitoring;
