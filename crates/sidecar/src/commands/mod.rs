pub mod ingest;
pub mod market;
pub mod pipeline;
pub mod publish;
