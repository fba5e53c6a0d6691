//! Monitoring records and where they live: drift and quality summaries,
//! stored reports, the model registry as read for health, and the
//! manifest's route table.

pub mod components;
pub mod models;
pub mod records;
pub mod reports;
