pub mod ingest;
pub mod monitor;
pub mod pipeline;
pub mod publish;
