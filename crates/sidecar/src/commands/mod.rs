pub mod evaluate;
pub mod ingest;
pub mod monitor;
pub mod market;
pub mod pipeline;
pub mod publish;
pub mod registry;
