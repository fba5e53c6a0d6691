//! Why an upload was refused, in words an operator can act on.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ArtifactError {
    #[error("{artifact}: not a readable Parquet file ({detail})")]
    Unreadable { artifact: String, detail: String },
    #[error("{artifact}: {detail}")]
    Schema { artifact: String, detail: String },
    #[error("{artifact}, row {row}: {detail}")]
    Row {
        artifact: String,
        row: usize,
        detail: String,
    },
    #[error("bundle: {0}")]
    Bundle(String),
}

impl ArtifactError {
    pub fn unreadable(artifact: &str, detail: impl std::fmt::Display) -> Self {
        ArtifactError::Unreadable {
            artifact: artifact.into(),
            detail: detail.to_string(),
        }
    }

    pub fn schema(artifact: &str, detail: impl Into<String>) -> Self {
        ArtifactError::Schema {
            artifact: artifact.into(),
            detail: detail.into(),
        }
    }

    pub fn row(artifact: &str, row: usize, detail: impl Into<String>) -> Self {
        ArtifactError::Row {
            artifact: artifact.into(),
            row,
            detail: detail.into(),
        }
    }
}
