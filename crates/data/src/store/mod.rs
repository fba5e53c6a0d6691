//! The sidecar's embedded match store: one SQLite file, `<data_dir>/matchday.db`.
//!
//! Why SQLite rather than Parquet here: see the crate README.

mod import;
mod read;
mod schema;

use std::path::{Path, PathBuf};

use rusqlite::Connection;

pub use import::FileReport;
pub use read::{Counts, ImportRecord, Provenance};

use crate::error::DataError;

/// File name of the store inside the data directory.
pub const DB_FILE_NAME: &str = "matchday.db";

/// Format of `matches.kickoff_utc`: fixed width, so text order is time order.
const KICKOFF_FORMAT: &str = "%Y-%m-%dT%H:%M:%SZ";

/// An open match store. Not shared between threads (one writer: the sidecar).
pub struct Store {
    conn: Connection,
    path: Option<PathBuf>,
}

impl Store {
    /// Opens (creating if needed) `<data_dir>/matchday.db`.
    pub fn open(data_dir: impl AsRef<Path>) -> Result<Store, DataError> {
        let dir = data_dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| DataError::io(dir, e))?;
        let path = dir.join(DB_FILE_NAME);
        Store::init(Connection::open(&path)?, Some(path))
    }

    /// A throw-away store, for tests.
    pub fn open_in_memory() -> Result<Store, DataError> {
        Store::init(Connection::open_in_memory()?, None)
    }

    fn init(conn: Connection, path: Option<PathBuf>) -> Result<Store, DataError> {
        conn.pragma_update(None, "foreign_keys", true)?;
        schema::migrate(&conn)?;
        Ok(Store { conn, path })
    }

    /// The database file (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }
}
