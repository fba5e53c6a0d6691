//! Typed access to Parquet columns by name, with errors that say which column
//! and which row is wrong. Accepts the common physical variations (Int32 for
//! Int64, Float32 for Float64, any timestamp unit) so files written by other
//! tools (pandas, polars) validate too.

use crate::error::ArtifactError;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int32Type, Int64Type, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use chrono::{DateTime, Utc};

/// One named column of a batch.
pub struct Column<'a> {
    artifact: &'a str,
    name: &'a str,
    array: &'a ArrayRef,
}

impl<'a> Column<'a> {
    pub fn of(
        artifact: &'a str,
        batch: &'a RecordBatch,
        name: &'a str,
    ) -> Result<Self, ArtifactError> {
        let array = batch.column_by_name(name).ok_or_else(|| {
            ArtifactError::schema(artifact, format!("required column `{name}` is missing"))
        })?;
        Ok(Column {
            artifact,
            name,
            array,
        })
    }

    /// A column a file may leave out (one the seed's files do not have).
    pub fn optional(artifact: &'a str, batch: &'a RecordBatch, name: &'a str) -> Option<Self> {
        batch.column_by_name(name).map(|array| Column {
            artifact,
            name,
            array,
        })
    }

    fn wrong_type(&self, expected: &str) -> ArtifactError {
        ArtifactError::schema(
            self.artifact,
            format!(
                "column `{}` must be {expected}, found {}",
                self.name,
                self.array.data_type()
            ),
        )
    }

    fn null_at(&self, row: usize) -> ArtifactError {
        ArtifactError::row(self.artifact, row, format!("`{}` is null", self.name))
    }

    pub fn i64_opt(&self, row: usize) -> Result<Option<i64>, ArtifactError> {
        if self.array.is_null(row) {
            return Ok(None);
        }
        Ok(Some(match self.array.data_type() {
            DataType::Int64 => self.array.as_primitive::<Int64Type>().value(row),
            DataType::Int32 => i64::from(self.array.as_primitive::<Int32Type>().value(row)),
            _ => return Err(self.wrong_type("an integer")),
        }))
    }

    pub fn i64(&self, row: usize) -> Result<i64, ArtifactError> {
        self.i64_opt(row)?.ok_or_else(|| self.null_at(row))
    }

    pub fn f64_opt(&self, row: usize) -> Result<Option<f64>, ArtifactError> {
        if self.array.is_null(row) {
            return Ok(None);
        }
        Ok(Some(match self.array.data_type() {
            DataType::Float64 => self.array.as_primitive::<Float64Type>().value(row),
            DataType::Float32 => f64::from(self.array.as_primitive::<Float32Type>().value(row)),
            _ => return Err(self.wrong_type("a float")),
        }))
    }

    pub fn f64(&self, row: usize) -> Result<f64, ArtifactError> {
        self.f64_opt(row)?.ok_or_else(|| self.null_at(row))
    }

    /// A nullable boolean column.
    pub fn bool_opt(&self, row: usize) -> Result<Option<bool>, ArtifactError> {
        if self.array.is_null(row) {
            return Ok(None);
        }
        match self.array.data_type() {
            DataType::Boolean => Ok(Some(self.array.as_boolean().value(row))),
            _ => Err(self.wrong_type("a boolean")),
        }
    }

    pub fn bool(&self, row: usize) -> Result<bool, ArtifactError> {
        self.bool_opt(row)?.ok_or_else(|| self.null_at(row))
    }

    pub fn str(&self, row: usize) -> Result<&'a str, ArtifactError> {
        if self.array.is_null(row) {
            return Err(self.null_at(row));
        }
        match self.array.data_type() {
            DataType::Utf8 => Ok(self.array.as_string::<i32>().value(row)),
            DataType::LargeUtf8 => Ok(self.array.as_string::<i64>().value(row)),
            DataType::Utf8View => Ok(self.array.as_string_view().value(row)),
            _ => Err(self.wrong_type("a string")),
        }
    }

    /// A nullable string column.
    pub fn str_opt(&self, row: usize) -> Result<Option<&'a str>, ArtifactError> {
        if self.array.is_null(row) {
            return Ok(None);
        }
        self.str(row).map(Some)
    }

    /// A nullable timestamp column.
    pub fn timestamp_opt(&self, row: usize) -> Result<Option<DateTime<Utc>>, ArtifactError> {
        if self.array.is_null(row) {
            return Ok(None);
        }
        self.timestamp(row).map(Some)
    }

    /// A timestamp column, read as UTC whatever its unit (a naive timestamp
    /// is taken to be UTC, as pandas writes them).
    pub fn timestamp(&self, row: usize) -> Result<DateTime<Utc>, ArtifactError> {
        if self.array.is_null(row) {
            return Err(self.null_at(row));
        }
        let micros = match self.array.data_type() {
            DataType::Timestamp(TimeUnit::Second, _) => self
                .array
                .as_primitive::<TimestampSecondType>()
                .value(row)
                .checked_mul(1_000_000),
            DataType::Timestamp(TimeUnit::Millisecond, _) => self
                .array
                .as_primitive::<TimestampMillisecondType>()
                .value(row)
                .checked_mul(1_000),
            DataType::Timestamp(TimeUnit::Microsecond, _) => Some(
                self.array
                    .as_primitive::<TimestampMicrosecondType>()
                    .value(row),
            ),
            DataType::Timestamp(TimeUnit::Nanosecond, _) => Some(
                self.array
                    .as_primitive::<TimestampNanosecondType>()
                    .value(row)
                    / 1_000,
            ),
            _ => return Err(self.wrong_type("a timestamp")),
        };
        micros
            .and_then(DateTime::from_timestamp_micros)
            .ok_or_else(|| {
                ArtifactError::row(
                    self.artifact,
                    row,
                    format!("`{}` is out of range", self.name),
                )
            })
    }
}
