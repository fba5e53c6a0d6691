//! Ingestion of football-data.co.uk CSVs into the sidecar's embedded match
//! store (SQLite, `<data_dir>/matchday.db`).
//!
//! ```no_run
//! use matchday_data::{IngestProgress, Store};
//!
//! let mut store = Store::open("./data")?;
//! let summary = store.ingest_football_data("../shared/data/football-data", |event| {
//!     if let IngestProgress::FileDone { index, files, report } = event {
//!         eprintln!("[{index}/{files}] {}: +{}", report.file, report.inserted);
//!     }
//! })?;
//! for reject in &summary.rejected {
//!     eprintln!("rejected {reject}");
//! }
//! let matches = store.matches()?; // sorted by (kick-off, id)
//! # Ok::<(), matchday_data::DataError>(())
//! ```

pub mod error;
pub mod football_data;
pub mod ingest;
pub mod store;
pub mod uk_time;

pub use error::{DataError, FileError};
pub use football_data::{ParsedFile, ParsedMatch, RejectedRow, RowError, Source, SourceEncoding};
pub use ingest::{IngestProgress, IngestSummary, football_data_files, ingest_dir, ingest_file};
pub use store::{Counts, DB_FILE_NAME, FileReport, ImportBatch, ImportRecord, Provenance, Store};
