//! Error types. Row-level problems are not errors: they become
//! [`RejectedRow`](crate::RejectedRow)s and the import goes on.

use std::path::PathBuf;

use thiserror::Error;

/// Something that stops an operation: I/O, the database, or a store that was
/// written by something else.
#[derive(Debug, Error)]
pub enum DataError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the store has schema version {found}; this build reads version {supported}")]
    UnsupportedSchema { found: i32, supported: i32 },
    #[error("store holds an unreadable value: {0}")]
    CorruptStore(String),
}

impl DataError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DataError::Io {
            path: path.into(),
            source,
        }
    }
}

/// A file that cannot be parsed at all. The importer reports it as a rejected
/// "row" of the file (line 0 = the file name, line 1 = the header) and goes on
/// with the next file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FileError {
    #[error("file name {0:?} is not <season>.csv with a season like 2019-2020")]
    BadFileName(String),
    #[error("header has no {0} column")]
    MissingColumn(&'static str),
}

impl FileError {
    /// The line a rejected-row report points at.
    pub fn line(&self) -> u64 {
        match self {
            FileError::BadFileName(_) => 0,
            FileError::MissingColumn(_) => 1,
        }
    }
}
