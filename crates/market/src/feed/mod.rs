//! A bookmaker's event feed: schema, HTTP client, events.

pub mod client;
pub mod events;
pub mod schema;

pub use client::{FeedClient, FeedConfig, FeedError};
pub use events::{FeedEvent, events_of};
pub use schema::Snapshot;
