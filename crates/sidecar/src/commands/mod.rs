pub mod evaluate;
pub mod ingest;
pub mod market;
pub mod monitor;
pub mod pipeline;
pub mod publish;
pub mod registry;
