pub mod evaluate;
pub mod ingest;
pub mod pipeline;
pub mod publish;
pub mod registry;
