//! The sidecar's embedded match store: one SQLite file, `<data_dir>/matchday.db`.
//!
//! Why SQLite rather than Parquet here: see the crate README.

mod import;
mod merge;
mod read;
mod schema;

use std::path::{Path, PathBuf};

use rusqlite::Connection;

pub use import::{FileReport, ImportBatch};
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
        // WAL with NORMAL sync: a commit no longer waits for fsync (the
        // rollback journal's fsyncs made a full import I/O-bound, ~15 s instead
        // of ~2 s). A crash can lose the last commits but never corrupts the
        // file, and an import is re-runnable. The WAL file is folded back in
        // when the last connection closes, so the store is one file at rest.
        conn.pragma_update(None, "journal_mode", "wal")?;
        conn.pragma_update(None, "synchronous", "normal")?;
        // 64 MiB of page cache so a file's transaction never spills mid-way.
        conn.pragma_update(None, "cache_size", -65_536)?;
        // Savepoint journals (one per imported file) in memory, not in a
        // temp file that would receive a copy of every page a file touches.
        conn.pragma_update(None, "temp_store", "memory")?;
        schema::migrate(&conn)?;
        Ok(Store { conn, path })
    }

    /// The database file (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }
}
