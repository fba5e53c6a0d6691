//! Turns validated artifacts into the key-value records of one data version.
//!
//! This is where the heavy work of the request path happens, once: joins,
//! sorting, pagination and JSON encoding. What comes out is a list of
//! `(key, value)` writes and the pointer that makes them live.

use crate::artifacts::{FeatureRow, FeatureTable};
use crate::bundle::BundleManifest;
use crate::error::ArtifactError;
use crate::market_records::{self, MarketData};
use matchday_core::codec::RecordBucket;
use matchday_core::feature_record::{FeatureRecord, FeatureValues};
use matchday_core::json;
use matchday_core::layout::{self, Counts, DataPointer, Listing};
use matchday_core::market::card;
use matchday_core::market::wire::SummaryRecord;
use matchday_core::recent::{self, RecentResult, RecentResults};
use matchday_core::types::{MatchStatus, MatchSummary, PrecomputedPrediction};
use matchday_core::window::TrainedMatches;
use serde_json::value::RawValue;
use std::collections::{BTreeMap, HashMap};

/// Average records per bucket: a lookup reads ~32 small JSON records (~12 KB)
/// instead of one, in exchange for ~30x fewer writes at publish time (Spin's
/// SQLite store commits each write separately).
pub const RECORDS_PER_BUCKET: usize = 32;

/// The decoded, mutually consistent content of a bundle.
#[derive(Debug, Clone)]
pub struct DataSet {
    pub manifest: BundleManifest,
    pub matches: Vec<MatchSummary>,
    pub predictions: Vec<PrecomputedPrediction>,
    pub features: FeatureTable,
    /// The optional market artifacts (odds, links, ROI), restricted to
    /// known matches; empty when the bundle has none.
    pub market: MarketData,
    /// The training matches of the manifest's run, when the bundle has them.
    pub trained: Option<TrainedMatches>,
}

impl DataSet {
    /// Whether a flagged forecast of the manifest's run says otherwise than
    /// the run's lists: `matchday predict` forecasts finished matches with
    /// the holdout fit and upcoming ones with the served fit.
    fn flag_contradicts_training(&self, p: &PrecomputedPrediction) -> bool {
        let (Some(trained), Some(flag)) = (&self.trained, p.out_of_sample) else {
            return false;
        };
        let learned = if p.is_future {
            trained.served_learned(p.match_id)
        } else {
            trained.holdout_learned(p.match_id)
        };
        p.model_run_id == trained.run_id && flag == learned
    }

    /// The match summaries by id.
    fn summaries(&self) -> HashMap<i64, &MatchSummary> {
        self.matches.iter().map(|m| (m.match_id, m)).collect()
    }

    /// Checks the artifacts against each other: every prediction and feature
    /// row is of a known match, predictions agree with match status, and
    /// the run's flagged forecasts with its training matches, when the
    /// bundle has them.
    pub fn check_consistency(&self) -> Result<(), ArtifactError> {
        let by_id = self.summaries();
        for (row, p) in self.predictions.iter().enumerate() {
            let m = summary_of(&by_id, crate::artifacts::PREDICTIONS, row, p.match_id)?;
            let problem = if p.is_future != (m.status == MatchStatus::Upcoming) {
                Some("is_future disagrees with matches.parquet")
            } else if self.flag_contradicts_training(p) {
                Some("out_of_sample disagrees with trained_matches.json")
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err(ArtifactError::row(
                    crate::artifacts::PREDICTIONS,
                    row,
                    format!("{problem} for match {}", p.match_id),
                ));
            }
        }
        for (row, f) in self.features.rows.iter().enumerate() {
            summary_of(&by_id, crate::artifacts::FEATURES, row, f.match_id)?;
        }
        Ok(())
    }
}

/// The summary of the match of row `row` of `artifact`, or the error naming
/// that row.
fn summary_of<'a>(
    by_id: &HashMap<i64, &'a MatchSummary>,
    artifact: &str,
    row: usize,
    match_id: i64,
) -> Result<&'a MatchSummary, ArtifactError> {
    by_id.get(&match_id).copied().ok_or_else(|| {
        ArtifactError::row(
            artifact,
            row,
            format!("match {match_id} is not in matches.parquet"),
        )
    })
}

/// Key-value writes, in order: `(key, value)`.
pub type Records = Vec<(String, Vec<u8>)>;

/// Every write of a version, plus its pointer (written last, by the caller).
pub struct VersionRecords {
    pub pointer: DataPointer,
    pub records: Records,
}

fn bucket_count(n: usize) -> u32 {
    u32::try_from(n.div_ceil(RECORDS_PER_BUCKET).max(1)).unwrap_or(u32::MAX)
}

fn buckets<T>(
    version: &str,
    items: &[T],
    buckets: u32,
    id: impl Fn(&T) -> i64,
    encode: impl Fn(&T) -> Result<Vec<u8>, ArtifactError>,
    key: impl Fn(&str, u32) -> String,
) -> Result<Records, ArtifactError> {
    let mut grouped: BTreeMap<u32, Vec<(i64, Vec<u8>)>> = BTreeMap::new();
    for item in items {
        grouped
            .entry(layout::bucket_of(id(item), buckets))
            .or_default()
            .push((id(item), encode(item)?));
    }
    grouped
        .into_iter()
        .map(|(bucket, mut records)| {
            let value = RecordBucket::encode(&mut records)
                .map_err(|e| ArtifactError::Bundle(e.to_string()))?;
            Ok((key(version, bucket), value))
        })
        .collect()
}

fn chunks(version: &str, listing: &Listing, rows: &[Vec<u8>], out: &mut Records) {
    market_records::chunked(
        rows,
        layout::CHUNK_ROWS,
        |i| layout::chunk_key(version, listing, i),
        out,
    );
}

fn feature_values(names: &[String], row: &FeatureRow) -> FeatureValues {
    // Unknown values are left out, as the seed's lookup dropped NaN.
    names
        .iter()
        .zip(&row.values)
        .filter_map(|(n, v)| {
            v.and_then(serde_json::Number::from_f64)
                .map(|v| (n.clone(), serde_json::Value::Number(v)))
        })
        .collect()
}

/// Builds the records of `version` from a consistent data set.
pub fn build(
    version: &str,
    data: &DataSet,
    published_at: &str,
) -> Result<VersionRecords, ArtifactError> {
    data.check_consistency()?;
    let mut matches: Vec<&MatchSummary> = data.matches.iter().collect();
    matches.sort_by(|a, b| (&a.start_time_utc, a.match_id).cmp(&(&b.start_time_utc, b.match_id)));
    let mut predictions: Vec<&PrecomputedPrediction> = data.predictions.iter().collect();
    predictions
        .sort_by(|a, b| (&a.start_time_utc, a.match_id).cmp(&(&b.start_time_utc, b.match_id)));

    let n_buckets = bucket_count(data.predictions.len().max(data.features.rows.len()));
    let mut records = buckets(
        version,
        &data.predictions,
        n_buckets,
        |p| p.match_id,
        |p| Ok(json::precomputed(p)),
        layout::prediction_bucket_key,
    )?;
    // With each match's kick-off and whether the run's served fit learned
    // its result, so `GET /predict/{id}` can say so of the serving model.
    // Encoded as they are bucketed: the records of all the data are tens
    // of megabytes of JSON, which need not be held twice.
    let by_id = data.summaries();
    let rows: Vec<(usize, &FeatureRow)> = data.features.rows.iter().enumerate().collect();
    records.extend(buckets(
        version,
        &rows,
        n_buckets,
        |(_, f)| f.match_id,
        |&(row, f)| {
            let m = summary_of(&by_id, crate::artifacts::FEATURES, row, f.match_id)?;
            let values = feature_values(&data.features.names, f);
            let finished = m.status == MatchStatus::Finished;
            let learned = data.trained.as_ref().map(|t| t.served_learned(f.match_id));
            Ok(FeatureRecord::encode(
                &m.start_time_utc,
                finished,
                learned,
                values,
            ))
        },
        layout::feature_bucket_key,
    )?);

    // Full match summaries, for the `lookup` interface (`summary`, `upcoming`).
    records.extend(buckets(
        version,
        &data.matches,
        n_buckets,
        |m| m.match_id,
        |m| Ok(SummaryRecord::from(m).to_json()),
        layout::match_bucket_key,
    )?);
    let upcoming_summaries: Vec<SummaryRecord> = matches
        .iter()
        .filter(|m| m.status == MatchStatus::Upcoming)
        .map(|m| SummaryRecord::from(*m))
        .collect();
    records.push((
        layout::upcoming_summaries_key(version),
        serde_json::to_vec(&upcoming_summaries).unwrap_or_default(),
    ));

    let upcoming: Vec<Vec<u8>> = matches
        .iter()
        .filter(|m| m.status == MatchStatus::Upcoming)
        .map(|m| json::upcoming_row(m))
        .collect();
    records.push((
        layout::upcoming_key(version),
        json::array(upcoming.iter().map(Vec::as_slice)),
    ));

    let all: Vec<Vec<u8>> = predictions
        .iter()
        .map(|p| json::prediction_row(p))
        .collect();
    chunks(version, &Listing::Predictions, &all, &mut records);
    let future: Vec<Vec<u8>> = predictions
        .iter()
        .filter(|p| p.is_future)
        .map(|p| json::prediction_row(p))
        .collect();
    chunks(version, &Listing::FuturePredictions, &future, &mut records);

    let mut by_year: BTreeMap<i32, Vec<Vec<u8>>> = BTreeMap::new();
    let mut by_month: BTreeMap<(i32, u32), Vec<Vec<u8>>> = BTreeMap::new();
    for m in &matches {
        let (year, month) = year_month(&m.start_time_utc).ok_or_else(|| {
            ArtifactError::Bundle(format!("match {} has a malformed start time", m.match_id))
        })?;
        let row = json::livescore_row(m);
        by_year.entry(year).or_default().push(row.clone());
        by_month.entry((year, month)).or_default().push(row);
    }
    for (year, rows) in &by_year {
        chunks(version, &Listing::LiveYear(*year), rows, &mut records);
    }
    for ((year, month), rows) in &by_month {
        chunks(
            version,
            &Listing::LiveMonth(*year, *month),
            rows,
            &mut records,
        );
    }

    let recent_results = recent_results(version, &matches, data, &mut records);

    let (market, market_records) = market_records::build(
        version,
        &data.matches,
        &data.predictions,
        &data.market,
        layout::CHUNK_ROWS,
    )?;
    records.extend(market_records);

    let pointer = DataPointer {
        version: version.to_string(),
        buckets: n_buckets,
        chunk_rows: layout::CHUNK_ROWS as u32,
        published_at: published_at.to_string(),
        as_of: data.manifest.as_of.clone(),
        predictions_computed_at: data.manifest.predictions_computed_at.clone(),
        model_run_id: data.manifest.model_run_id.clone(),
        counts: Counts {
            matches: data.matches.len() as u32,
            predictions: data.predictions.len() as u32,
            upcoming: upcoming.len() as u32,
        },
        market: Some(market),
        recent_results: Some(recent_results),
    };
    Ok(VersionRecords { pointer, records })
}

/// The last [`recent::MAX_ROWS`] finished matches with a result and a
/// feature row, in kick-off order (`matches` is sorted), as chunks of
/// [`recent::RecentResult`] rows; returns where they are.
fn recent_results(
    version: &str,
    matches: &[&MatchSummary],
    data: &DataSet,
    out: &mut Records,
) -> RecentResults {
    let features: HashMap<i64, &FeatureRow> =
        data.features.rows.iter().map(|f| (f.match_id, f)).collect();
    // Newest first, so only the rows kept are encoded.
    let mut recent: Vec<Vec<u8>> = matches
        .iter()
        .rev()
        .filter_map(|m| {
            let outcome = card::result(m)?;
            let row = features.get(&m.match_id)?;
            let values = feature_values(&data.features.names, row);
            let record = serde_json::to_vec(&values).ok()?;
            Some(RecentResult {
                match_id: m.match_id,
                kickoff: m.start_time_utc.clone(),
                outcome: outcome.class_index(),
                features: RawValue::from_string(String::from_utf8(record).ok()?).ok()?,
            })
        })
        .map(|r| r.to_json())
        .take(recent::MAX_ROWS)
        .collect();
    recent.reverse();
    market_records::chunked(
        &recent,
        recent::CHUNK_ROWS,
        |i| layout::chunk_key(version, &Listing::RecentResults, i),
        out,
    );
    RecentResults {
        rows: recent.len() as u32,
        chunk_rows: recent::CHUNK_ROWS as u32,
    }
}

/// `2023-05-28T15:30:00Z` → (2023, 5).
fn year_month(time: &str) -> Option<(i32, u32)> {
    let year = time.get(0..4)?.parse().ok()?;
    let month = time.get(5..7)?.parse().ok()?;
    Some((year, month))
}
