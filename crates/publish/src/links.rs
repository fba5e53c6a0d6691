//! `links.parquet` (optional): bookmaker feed events linked to matches.
//!
//! Columns: `event_id utf8`, `bookmaker utf8`, `match_id i64`, `layer utf8`
//! (`exact`, `alias` or `similarity`: which layer of the linker decided),
//! `score f64` in [0, 1], `event_url utf8?` (the bookmaker's page),
//! `feed_home`, `feed_away utf8` (names as the feed wrote them),
//! `feed_start timestamp(ms, UTC)`.
//!
//! An event links to one match and a match to at most one event per
//! bookmaker. Links to matches that `matches.parquet` does not have are
//! skipped and reported, like odds.

use crate::artifacts::{
    batch, format_time, parse_time, read_batches, timestamp_field, write_batch,
};
use crate::columns::Column;
use crate::error::ArtifactError;
use arrow_array::ArrayRef;
use arrow_array::builder::{
    Float64Builder, Int64Builder, StringBuilder, TimestampMillisecondBuilder,
};
use arrow_schema::{DataType, Field};
use bytes::Bytes;
use std::collections::HashSet;
use std::sync::Arc;

pub const LINKS: &str = "links.parquet";

/// The layers of the linker, in the order it tries them.
pub const LAYERS: [&str; 3] = ["exact", "alias", "similarity"];

#[derive(Debug, Clone, PartialEq)]
pub struct LinkRecord {
    pub event_id: String,
    pub bookmaker: String,
    pub match_id: i64,
    pub layer: String,
    pub score: f64,
    pub event_url: Option<String>,
    pub feed_home: String,
    pub feed_away: String,
    /// RFC 3339 UTC.
    pub feed_start: String,
}

pub fn read(bytes: Bytes) -> Result<Vec<LinkRecord>, ArtifactError> {
    let a = LINKS;
    let mut out = Vec::new();
    let (mut events, mut matches) = (HashSet::new(), HashSet::new());
    for batch in read_batches(a, bytes)? {
        let event = Column::of(a, &batch, "event_id")?;
        let bookmaker = Column::of(a, &batch, "bookmaker")?;
        let id = Column::of(a, &batch, "match_id")?;
        let layer = Column::of(a, &batch, "layer")?;
        let score = Column::of(a, &batch, "score")?;
        let url = Column::of(a, &batch, "event_url")?;
        let home = Column::of(a, &batch, "feed_home")?;
        let away = Column::of(a, &batch, "feed_away")?;
        let start = Column::of(a, &batch, "feed_start")?;
        for row in 0..batch.num_rows() {
            let n = out.len();
            let record = LinkRecord {
                event_id: event.str(row)?.to_string(),
                bookmaker: bookmaker.str(row)?.to_string(),
                match_id: id.i64(row)?,
                layer: layer.str(row)?.to_string(),
                score: score.f64(row)?,
                event_url: url.str_opt(row)?.map(str::to_string),
                feed_home: home.str(row)?.to_string(),
                feed_away: away.str(row)?.to_string(),
                feed_start: format_time(start.timestamp(row)?),
            };
            if !LAYERS.contains(&record.layer.as_str()) {
                return Err(ArtifactError::row(
                    a,
                    n,
                    format!("layer must be one of {}", LAYERS.join(", ")),
                ));
            }
            if !(0.0..=1.0).contains(&record.score) {
                return Err(ArtifactError::row(a, n, "score must be within [0, 1]"));
            }
            if let Some(url) = &record.event_url
                && !(url.starts_with("https://") || url.starts_with("http://"))
            {
                return Err(ArtifactError::row(a, n, "event_url must be an http(s) URL"));
            }
            if !events.insert((record.bookmaker.clone(), record.event_id.clone())) {
                return Err(ArtifactError::row(
                    a,
                    n,
                    format!("event {} is linked twice", record.event_id),
                ));
            }
            if !matches.insert((record.bookmaker.clone(), record.match_id)) {
                return Err(ArtifactError::row(
                    a,
                    n,
                    format!(
                        "match {} is linked to two {} events",
                        record.match_id, record.bookmaker
                    ),
                ));
            }
            out.push(record);
        }
    }
    Ok(out)
}

pub fn write(records: &[LinkRecord]) -> Result<Vec<u8>, ArtifactError> {
    let a = LINKS;
    let (mut event, mut bookmaker, mut layer) = (
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
    );
    let mut id = Int64Builder::new();
    let mut score = Float64Builder::new();
    let (mut url, mut home, mut away) = (
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
    );
    let mut start = TimestampMillisecondBuilder::new().with_timezone("UTC");
    for (row, r) in records.iter().enumerate() {
        event.append_value(&r.event_id);
        bookmaker.append_value(&r.bookmaker);
        id.append_value(r.match_id);
        layer.append_value(&r.layer);
        score.append_value(r.score);
        url.append_option(r.event_url.as_deref());
        home.append_value(&r.feed_home);
        away.append_value(&r.feed_away);
        start.append_value(parse_time(a, row, &r.feed_start)?.timestamp_millis());
    }
    let fields = vec![
        Field::new("event_id", DataType::Utf8, false),
        Field::new("bookmaker", DataType::Utf8, false),
        Field::new("match_id", DataType::Int64, false),
        Field::new("layer", DataType::Utf8, false),
        Field::new("score", DataType::Float64, false),
        Field::new("event_url", DataType::Utf8, true),
        Field::new("feed_home", DataType::Utf8, false),
        Field::new("feed_away", DataType::Utf8, false),
        timestamp_field("feed_start"),
    ];
    let columns: Vec<ArrayRef> = vec![
        Arc::new(event.finish()),
        Arc::new(bookmaker.finish()),
        Arc::new(id.finish()),
        Arc::new(layer.finish()),
        Arc::new(score.finish()),
        Arc::new(url.finish()),
        Arc::new(home.finish()),
        Arc::new(away.finish()),
        Arc::new(start.finish()),
    ];
    write_batch(a, batch(a, fields, columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(event: &str, id: i64) -> LinkRecord {
        LinkRecord {
            event_id: event.into(),
            bookmaker: "Fonbet".into(),
            match_id: id,
            layer: "alias".into(),
            score: 1.0,
            event_url: Some(format!("https://book.example/events/{event}")),
            feed_home: "Manchester United".into(),
            feed_away: "Fulham".into(),
            feed_start: "2023-04-02T15:30:00Z".into(),
        }
    }

    #[test]
    fn round_trips_and_refuses_double_links() {
        let records = vec![link("e1", 1), link("e2", 2)];
        assert_eq!(read(write(&records).unwrap().into()).unwrap(), records);
        let twice = vec![link("e1", 1), link("e1", 2)];
        assert!(read(write(&twice).unwrap().into()).is_err());
        let shared = vec![link("e1", 1), link("e2", 1)];
        assert!(read(write(&shared).unwrap().into()).is_err());
        let mut bad = link("e3", 3);
        bad.layer = "guess".into();
        assert!(read(write(&[bad]).unwrap().into()).is_err());
        let mut bad = link("e4", 4);
        bad.event_url = Some("javascript:alert(1)".into());
        assert!(read(write(&[bad]).unwrap().into()).is_err());
    }
}
