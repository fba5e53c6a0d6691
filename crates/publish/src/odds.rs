//! `odds.parquet` (optional): 1X2 prices per match, bookmaker and kind.
//!
//! Columns: `match_id i64`, `bookmaker utf8` (football-data column prefix
//! such as `PS`, or a feed's bookmaker name), `kind utf8` (`opening`,
//! `closing` or `current`), `odd_home`, `odd_draw`, `odd_away f64`,
//! `captured_at timestamp(ms, UTC)?` (when the prices were taken, if known).
//!
//! Every price must be a finite number above 1.0 with a booksum of at least
//! 1 (margin removal needs a margin), and `(match_id, bookmaker, kind)` must
//! be unique: a file that breaks this is refused whole. Rows of matches that
//! `matches.parquet` does not have are *not* an error: the publish skips and
//! reports them (odds are scraped independently of the match source).

use crate::artifacts::{batch, format_time, read_batches, timestamp_field, write_batch};
use crate::columns::Column;
use crate::error::ArtifactError;
use arrow_array::ArrayRef;
use arrow_array::builder::{
    Float64Builder, Int64Builder, StringBuilder, TimestampMillisecondBuilder,
};
use arrow_schema::{DataType, Field};
use bytes::Bytes;
use chrono::DateTime;
use matchday_core::margin;
use matchday_core::types::OddsKind;
use std::collections::HashSet;
use std::sync::Arc;

pub const ODDS: &str = "odds.parquet";

/// One row of `odds.parquet`.
#[derive(Debug, Clone, PartialEq)]
pub struct OddsRecord {
    pub match_id: i64,
    pub bookmaker: String,
    pub kind: OddsKind,
    pub home: f64,
    pub draw: f64,
    pub away: f64,
    /// RFC 3339 UTC.
    pub captured_at: Option<String>,
}

impl OddsRecord {
    pub fn prices(&self) -> [f64; 3] {
        [self.home, self.draw, self.away]
    }
}

pub fn read(bytes: Bytes) -> Result<Vec<OddsRecord>, ArtifactError> {
    let a = ODDS;
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for batch in read_batches(a, bytes)? {
        let id = Column::of(a, &batch, "match_id")?;
        let bookmaker = Column::of(a, &batch, "bookmaker")?;
        let kind = Column::of(a, &batch, "kind")?;
        let home = Column::of(a, &batch, "odd_home")?;
        let draw = Column::of(a, &batch, "odd_draw")?;
        let away = Column::of(a, &batch, "odd_away")?;
        let captured = Column::of(a, &batch, "captured_at")?;
        for row in 0..batch.num_rows() {
            let n = out.len();
            let record = OddsRecord {
                match_id: id.i64(row)?,
                bookmaker: bookmaker.str(row)?.trim().to_string(),
                kind: OddsKind::parse(kind.str(row)?).ok_or_else(|| {
                    ArtifactError::row(a, n, "kind must be opening, closing or current")
                })?,
                home: home.f64(row)?,
                draw: draw.f64(row)?,
                away: away.f64(row)?,
                captured_at: captured.timestamp_opt(row)?.map(format_time),
            };
            if record.bookmaker.is_empty() || record.bookmaker.len() > 64 {
                return Err(ArtifactError::row(
                    a,
                    n,
                    "bookmaker must be 1 to 64 characters",
                ));
            }
            match margin::implied(record.prices(), margin::CARD_METHOD) {
                Ok(_) => {}
                Err(margin::MarginError::BadPrice) => {
                    return Err(ArtifactError::row(
                        a,
                        n,
                        "prices must be finite numbers above 1.0",
                    ));
                }
                Err(margin::MarginError::NegativeMargin) => {
                    return Err(ArtifactError::row(
                        a,
                        n,
                        format!(
                            "prices {:?} have a negative margin (sum of 1/odds below 1)",
                            record.prices()
                        ),
                    ));
                }
            }
            if !seen.insert((
                record.match_id,
                record.bookmaker.clone(),
                record.kind.as_str(),
            )) {
                return Err(ArtifactError::row(
                    a,
                    n,
                    format!(
                        "match {} has two {} {} quotes",
                        record.match_id,
                        record.bookmaker,
                        record.kind.as_str()
                    ),
                ));
            }
            out.push(record);
        }
    }
    Ok(out)
}

pub fn write(records: &[OddsRecord]) -> Result<Vec<u8>, ArtifactError> {
    let a = ODDS;
    let mut id = Int64Builder::new();
    let (mut bookmaker, mut kind) = (StringBuilder::new(), StringBuilder::new());
    let (mut home, mut draw, mut away) = (
        Float64Builder::new(),
        Float64Builder::new(),
        Float64Builder::new(),
    );
    let mut captured = TimestampMillisecondBuilder::new().with_timezone("UTC");
    for (row, r) in records.iter().enumerate() {
        id.append_value(r.match_id);
        bookmaker.append_value(&r.bookmaker);
        kind.append_value(r.kind.as_str());
        home.append_value(r.home);
        draw.append_value(r.draw);
        away.append_value(r.away);
        let at = match &r.captured_at {
            Some(t) => Some(
                DateTime::parse_from_rfc3339(t)
                    .map_err(|_| ArtifactError::row(a, row, format!("`{t}` is not RFC 3339")))?
                    .timestamp_millis(),
            ),
            None => None,
        };
        captured.append_option(at);
    }
    let mut captured_field = timestamp_field("captured_at");
    captured_field = captured_field.with_nullable(true);
    let fields = vec![
        Field::new("match_id", DataType::Int64, false),
        Field::new("bookmaker", DataType::Utf8, false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("odd_home", DataType::Float64, false),
        Field::new("odd_draw", DataType::Float64, false),
        Field::new("odd_away", DataType::Float64, false),
        captured_field,
    ];
    let columns: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(bookmaker.finish()),
        Arc::new(kind.finish()),
        Arc::new(home.finish()),
        Arc::new(draw.finish()),
        Arc::new(away.finish()),
        Arc::new(captured.finish()),
    ];
    write_batch(a, batch(a, fields, columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: i64, bookmaker: &str, kind: OddsKind, prices: [f64; 3]) -> OddsRecord {
        OddsRecord {
            match_id: id,
            bookmaker: bookmaker.into(),
            kind,
            home: prices[0],
            draw: prices[1],
            away: prices[2],
            captured_at: (kind == OddsKind::Current).then(|| "2023-03-31T10:00:00Z".into()),
        }
    }

    #[test]
    fn round_trips() {
        let records = vec![
            record(1, "PS", OddsKind::Opening, [2.0, 3.5, 4.0]),
            record(1, "PS", OddsKind::Closing, [1.9, 3.6, 4.3]),
            record(2, "Fonbet", OddsKind::Current, [2.5, 3.2, 2.9]),
        ];
        let back = read(write(&records).unwrap().into()).unwrap();
        assert_eq!(back, records);
    }

    #[test]
    fn bad_rows_reject_the_file() {
        for bad in [
            vec![record(1, "PS", OddsKind::Opening, [1.0, 3.5, 4.0])],
            vec![record(1, "PS", OddsKind::Opening, [f64::NAN, 3.5, 4.0])],
            vec![record(1, "Max", OddsKind::Opening, [2.5, 4.0, 5.0])],
            vec![record(1, "", OddsKind::Opening, [2.0, 3.5, 4.0])],
            vec![
                record(1, "PS", OddsKind::Opening, [2.0, 3.5, 4.0]),
                record(1, "PS", OddsKind::Opening, [2.1, 3.5, 4.0]),
            ],
        ] {
            assert!(read(write(&bad).unwrap().into()).is_err(), "{bad:?}");
        }
    }
}
