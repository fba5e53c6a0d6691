//! The publish protocol between the sidecar and the admin component.
//!
//! The sidecar writes Parquet artifacts with [`artifacts`] and packs them in a
//! [`bundle`]; the admin component decodes and validates the bundle with the
//! same code, builds a version's [`records`] and [`commit`]s them with one
//! pointer flip.

pub mod admin;
pub mod artifacts;
pub mod bundle;
mod columns;
pub mod commit;
pub mod error;
pub mod links;
pub mod market_records;
pub mod odds;
pub mod records;
pub mod roi;

pub use error::ArtifactError;
