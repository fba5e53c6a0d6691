//! The Parquet artifacts of a publish: their schemas, readers and writers.
//!
//! The sidecar writes them with the writers here and the admin component reads
//! them with the readers here, so the schema has one definition. Readers check
//! every row: a value that would make an endpoint lie (probabilities that do
//! not sum to 1, a class that is not their argmax, a finished match without a
//! score) rejects the whole upload.

use crate::columns::Column;
use crate::error::ArtifactError;
use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int64Builder, StringBuilder, TimestampMillisecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use matchday_core::types::{
    MatchStatus, MatchSummary, Outcome, PrecomputedPrediction, Probabilities,
};
use matchday_core::window::TrainedMatches;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::collections::HashSet;
use std::sync::Arc;

pub const MATCHES: &str = "matches.parquet";
pub const PREDICTIONS: &str = "predictions.parquet";
pub const FEATURES: &str = "match_features.parquet";
/// Optional: the training matches of the run that made the predictions
/// (`matchday train`), from which each feature record says whether that
/// run's served model learned the match's result.
pub const TRAINED_MATCHES: &str = "trained_matches.json";

/// How far probabilities may stray from summing to 1.
pub const PROBABILITY_TOLERANCE: f64 = 1e-6;

/// RFC 3339 UTC with seconds, the one timestamp format of the API.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub(crate) fn parse_time(
    artifact: &str,
    row: usize,
    value: &str,
) -> Result<DateTime<Utc>, ArtifactError> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            ArtifactError::row(artifact, row, format!("`{value}` is not an RFC 3339 time"))
        })
}

/// The training matches of run `run_id`, the manifest's: another run's
/// lists would say what a model that is not this version's learned.
pub fn read_trained(bytes: &[u8], run_id: &str) -> Result<TrainedMatches, ArtifactError> {
    let trained =
        TrainedMatches::from_json(bytes).map_err(|e| ArtifactError::schema(TRAINED_MATCHES, e))?;
    if trained.run_id != run_id {
        return Err(ArtifactError::schema(
            TRAINED_MATCHES,
            format!("is of run `{}`, not `{run_id}`", trained.run_id),
        ));
    }
    Ok(trained)
}

/// Every record batch of a Parquet file.
pub fn read_batches(artifact: &str, bytes: Bytes) -> Result<Vec<RecordBatch>, ArtifactError> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
        .and_then(|b| b.with_batch_size(8192).build())
        .map_err(|e| ArtifactError::unreadable(artifact, e))?;
    reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ArtifactError::unreadable(artifact, e))
}

pub(crate) fn write_batch(artifact: &str, batch: RecordBatch) -> Result<Vec<u8>, ArtifactError> {
    // Snappy: the Wasm components cannot decode zstd (see platform notes).
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, batch.schema(), Some(props))
        .map_err(|e| ArtifactError::unreadable(artifact, e))?;
    writer
        .write(&batch)
        .map_err(|e| ArtifactError::unreadable(artifact, e))?;
    writer
        .close()
        .map_err(|e| ArtifactError::unreadable(artifact, e))?;
    Ok(out)
}

pub(crate) fn timestamp_field(name: &str) -> Field {
    Field::new(
        name,
        DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
        false,
    )
}

pub(crate) fn batch(
    artifact: &str,
    fields: Vec<Field>,
    columns: Vec<ArrayRef>,
) -> Result<RecordBatch, ArtifactError> {
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
        .map_err(|e| ArtifactError::schema(artifact, e.to_string()))
}

fn check_unique(
    artifact: &str,
    seen: &mut HashSet<i64>,
    id: i64,
    row: usize,
) -> Result<(), ArtifactError> {
    if seen.insert(id) {
        Ok(())
    } else {
        Err(ArtifactError::row(
            artifact,
            row,
            format!("match_id {id} appears twice"),
        ))
    }
}

// ---------------------------------------------------------------- matches

/// Reads `matches.parquet`: every match, played or upcoming.
pub fn read_matches(bytes: Bytes) -> Result<Vec<MatchSummary>, ArtifactError> {
    let a = MATCHES;
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for batch in read_batches(a, bytes)? {
        let id = Column::of(a, &batch, "match_id")?;
        let league = Column::of(a, &batch, "league")?;
        let tournament = Column::of(a, &batch, "tournament")?;
        let region = Column::of(a, &batch, "region")?;
        let season = Column::of(a, &batch, "season")?;
        let start = Column::of(a, &batch, "startTimeUtc")?;
        let home_id = Column::of(a, &batch, "homeTeamId")?;
        let home_name = Column::of(a, &batch, "homeTeamName")?;
        let away_id = Column::of(a, &batch, "awayTeamId")?;
        let away_name = Column::of(a, &batch, "awayTeamName")?;
        let home_score = Column::of(a, &batch, "home_score")?;
        let away_score = Column::of(a, &batch, "away_score")?;
        let is_future = Column::of(a, &batch, "is_future")?;
        for row in 0..batch.num_rows() {
            let match_id = id.i64(row)?;
            check_unique(a, &mut seen, match_id, out.len())?;
            let score = |col: &Column, side: &str| -> Result<Option<u8>, ArtifactError> {
                col.i64_opt(row)?
                    .map(|g| {
                        u8::try_from(g).map_err(|_| {
                            ArtifactError::row(
                                a,
                                out.len(),
                                format!("{side} score {g} is not a goal count"),
                            )
                        })
                    })
                    .transpose()
            };
            let (hs, aws) = (score(&home_score, "home")?, score(&away_score, "away")?);
            let future = is_future.bool(row)?;
            let status = match (future, hs, aws) {
                (true, None, None) => MatchStatus::Upcoming,
                (false, Some(_), Some(_)) => MatchStatus::Finished,
                (true, _, _) => {
                    return Err(ArtifactError::row(
                        a,
                        out.len(),
                        "an upcoming match has a score",
                    ));
                }
                (false, _, _) => {
                    return Err(ArtifactError::row(
                        a,
                        out.len(),
                        "a finished match has no full score",
                    ));
                }
            };
            let name = |col: &Column, what: &str| -> Result<String, ArtifactError> {
                let v = col.str(row)?.trim();
                if v.is_empty() {
                    Err(ArtifactError::row(a, out.len(), format!("{what} is empty")))
                } else {
                    Ok(v.to_string())
                }
            };
            out.push(MatchSummary {
                match_id,
                start_time_utc: format_time(start.timestamp(row)?),
                home_team_id: home_id.i64(row)?,
                home_team_name: name(&home_name, "homeTeamName")?,
                away_team_id: away_id.i64(row)?,
                away_team_name: name(&away_name, "awayTeamName")?,
                league: name(&league, "league")?,
                tournament: name(&tournament, "tournament")?,
                region: name(&region, "region")?,
                season: name(&season, "season")?,
                status,
                home_score: hs,
                away_score: aws,
            });
        }
    }
    Ok(out)
}

/// Writes `matches.parquet`.
pub fn write_matches(matches: &[MatchSummary]) -> Result<Vec<u8>, ArtifactError> {
    let a = MATCHES;
    let mut id = Int64Builder::new();
    let (mut league, mut tournament, mut region, mut season) = (
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
    );
    let mut start = TimestampMillisecondBuilder::new().with_timezone("UTC");
    let (mut home_id, mut away_id) = (Int64Builder::new(), Int64Builder::new());
    let (mut home_name, mut away_name) = (StringBuilder::new(), StringBuilder::new());
    let (mut home_score, mut away_score) = (Int64Builder::new(), Int64Builder::new());
    let mut is_future = BooleanBuilder::new();
    for (row, m) in matches.iter().enumerate() {
        id.append_value(m.match_id);
        league.append_value(&m.league);
        tournament.append_value(&m.tournament);
        region.append_value(&m.region);
        season.append_value(&m.season);
        start.append_value(parse_time(a, row, &m.start_time_utc)?.timestamp_millis());
        home_id.append_value(m.home_team_id);
        home_name.append_value(&m.home_team_name);
        away_id.append_value(m.away_team_id);
        away_name.append_value(&m.away_team_name);
        home_score.append_option(m.home_score.map(i64::from));
        away_score.append_option(m.away_score.map(i64::from));
        is_future.append_value(m.status == MatchStatus::Upcoming);
    }
    let fields = vec![
        Field::new("match_id", DataType::Int64, false),
        Field::new("league", DataType::Utf8, false),
        Field::new("tournament", DataType::Utf8, false),
        Field::new("region", DataType::Utf8, false),
        Field::new("season", DataType::Utf8, false),
        timestamp_field("startTimeUtc"),
        Field::new("homeTeamId", DataType::Int64, false),
        Field::new("homeTeamName", DataType::Utf8, false),
        Field::new("awayTeamId", DataType::Int64, false),
        Field::new("awayTeamName", DataType::Utf8, false),
        Field::new("home_score", DataType::Int64, true),
        Field::new("away_score", DataType::Int64, true),
        Field::new("is_future", DataType::Boolean, false),
    ];
    let columns: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(league.finish()),
        Arc::new(tournament.finish()),
        Arc::new(region.finish()),
        Arc::new(season.finish()),
        Arc::new(start.finish()),
        Arc::new(home_id.finish()),
        Arc::new(home_name.finish()),
        Arc::new(away_id.finish()),
        Arc::new(away_name.finish()),
        Arc::new(home_score.finish()),
        Arc::new(away_score.finish()),
        Arc::new(is_future.finish()),
    ];
    write_batch(a, batch(a, fields, columns)?)
}

// ------------------------------------------------------------ predictions

/// Reads `predictions.parquet` (the seed's columns, and our nullable
/// `out_of_sample`, which the seed's files lack). `computed_at` comes from
/// the bundle manifest: it is when the batch ran, not a per-row value.
pub fn read_predictions(
    bytes: Bytes,
    computed_at: &str,
) -> Result<Vec<PrecomputedPrediction>, ArtifactError> {
    let a = PREDICTIONS;
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for batch in read_batches(a, bytes)? {
        let id = Column::of(a, &batch, "match_id")?;
        let ph = Column::of(a, &batch, "proba_home")?;
        let pd = Column::of(a, &batch, "proba_draw")?;
        let pa = Column::of(a, &batch, "proba_away")?;
        let class = Column::of(a, &batch, "predicted_class")?;
        let label = Column::of(a, &batch, "predicted_label")?;
        let is_future = Column::of(a, &batch, "is_future")?;
        let start = Column::of(a, &batch, "startTimeUtc")?;
        let home = Column::of(a, &batch, "homeTeamName")?;
        let away = Column::of(a, &batch, "awayTeamName")?;
        let run = Column::of(a, &batch, "model_run_id")?;
        let stage = Column::of(a, &batch, "model_stage")?;
        let out_of_sample = Column::optional(a, &batch, "out_of_sample");
        for row in 0..batch.num_rows() {
            let n = out.len();
            let match_id = id.i64(row)?;
            check_unique(a, &mut seen, match_id, n)?;
            let p = [ph.f64(row)?, pd.f64(row)?, pa.f64(row)?];
            if p.iter().any(|x| !x.is_finite() || !(0.0..=1.0).contains(x)) {
                return Err(ArtifactError::row(
                    a,
                    n,
                    "probabilities must be finite and within [0, 1]",
                ));
            }
            if (p.iter().sum::<f64>() - 1.0).abs() > PROBABILITY_TOLERANCE {
                return Err(ArtifactError::row(
                    a,
                    n,
                    format!("probabilities sum to {}, not 1", p.iter().sum::<f64>()),
                ));
            }
            let predicted = class
                .i64(row)
                .ok()
                .and_then(Outcome::from_class_index)
                .ok_or_else(|| ArtifactError::row(a, n, "predicted_class must be 0, 1 or 2"))?;
            if p[usize::from(predicted.class_index())] < p.iter().cloned().fold(f64::MIN, f64::max)
            {
                return Err(ArtifactError::row(
                    a,
                    n,
                    "predicted_class is not the most probable outcome",
                ));
            }
            if label.str(row)? != predicted.label() {
                return Err(ArtifactError::row(
                    a,
                    n,
                    format!(
                        "predicted_label must be `{}` for class {}",
                        predicted.label(),
                        predicted.class_index()
                    ),
                ));
            }
            out.push(PrecomputedPrediction {
                match_id,
                probabilities: Probabilities {
                    home_win: p[0],
                    draw: p[1],
                    away_win: p[2],
                },
                predicted_class: predicted,
                is_future: is_future.bool(row)?,
                start_time_utc: format_time(start.timestamp(row)?),
                home_team_name: home.str(row)?.to_string(),
                away_team_name: away.str(row)?.to_string(),
                model_run_id: run.str(row)?.to_string(),
                model_stage: stage.str(row)?.to_string(),
                predictions_computed_at: computed_at.to_string(),
                out_of_sample: match &out_of_sample {
                    Some(column) => column.bool_opt(row)?,
                    None => None,
                },
            });
        }
    }
    Ok(out)
}

/// Writes `predictions.parquet` with the seed's columns and `out_of_sample`.
pub fn write_predictions(predictions: &[PrecomputedPrediction]) -> Result<Vec<u8>, ArtifactError> {
    let a = PREDICTIONS;
    let mut id = Int64Builder::new();
    let (mut ph, mut pd, mut pa) = (
        Float64Builder::new(),
        Float64Builder::new(),
        Float64Builder::new(),
    );
    let mut class = Int64Builder::new();
    let mut label = StringBuilder::new();
    let mut is_future = BooleanBuilder::new();
    let mut out_of_sample = BooleanBuilder::new();
    let mut start = TimestampMillisecondBuilder::new().with_timezone("UTC");
    let (mut home, mut away, mut run, mut stage) = (
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
    );
    for (row, p) in predictions.iter().enumerate() {
        id.append_value(p.match_id);
        ph.append_value(p.probabilities.home_win);
        pd.append_value(p.probabilities.draw);
        pa.append_value(p.probabilities.away_win);
        class.append_value(i64::from(p.predicted_class.class_index()));
        label.append_value(p.predicted_class.label());
        is_future.append_value(p.is_future);
        out_of_sample.append_option(p.out_of_sample);
        start.append_value(parse_time(a, row, &p.start_time_utc)?.timestamp_millis());
        home.append_value(&p.home_team_name);
        away.append_value(&p.away_team_name);
        run.append_value(&p.model_run_id);
        stage.append_value(&p.model_stage);
    }
    let fields = vec![
        Field::new("match_id", DataType::Int64, false),
        Field::new("proba_home", DataType::Float64, false),
        Field::new("proba_draw", DataType::Float64, false),
        Field::new("proba_away", DataType::Float64, false),
        Field::new("predicted_class", DataType::Int64, false),
        Field::new("predicted_label", DataType::Utf8, false),
        Field::new("is_future", DataType::Boolean, false),
        timestamp_field("startTimeUtc"),
        Field::new("homeTeamName", DataType::Utf8, false),
        Field::new("awayTeamName", DataType::Utf8, false),
        Field::new("model_run_id", DataType::Utf8, false),
        Field::new("model_stage", DataType::Utf8, false),
        Field::new("out_of_sample", DataType::Boolean, true),
    ];
    let columns: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(ph.finish()),
        Arc::new(pd.finish()),
        Arc::new(pa.finish()),
        Arc::new(class.finish()),
        Arc::new(label.finish()),
        Arc::new(is_future.finish()),
        Arc::new(start.finish()),
        Arc::new(home.finish()),
        Arc::new(away.finish()),
        Arc::new(run.finish()),
        Arc::new(stage.finish()),
        Arc::new(out_of_sample.finish()),
    ];
    write_batch(a, batch(a, fields, columns)?)
}

// --------------------------------------------------------------- features

/// Per-match model inputs, as the batch computed them.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureTable {
    /// Feature names in column order.
    pub names: Vec<String>,
    pub rows: Vec<FeatureRow>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FeatureRow {
    pub match_id: i64,
    /// `None` = unknown (e.g. a team's first match); never NaN.
    pub values: Vec<Option<f64>>,
}

/// Columns of `match_features.parquet` that are not features.
const FEATURE_KEY_COLUMNS: &[&str] = &["match_id", "outcome_1x2"];

/// Reads `match_features.parquet`: `match_id` plus one float column per
/// feature. NaN and null both mean "unknown"; infinities are rejected.
pub fn read_features(bytes: Bytes) -> Result<FeatureTable, ArtifactError> {
    let a = FEATURES;
    let batches = read_batches(a, bytes)?;
    let mut table = FeatureTable {
        names: Vec::new(),
        rows: Vec::new(),
    };
    let mut seen = HashSet::new();
    for batch in &batches {
        let schema = batch.schema();
        let names: Vec<String> = schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .filter(|n| !FEATURE_KEY_COLUMNS.contains(&n.as_str()))
            .collect();
        if table.names.is_empty() {
            table.names = names.clone();
        }
        if names.is_empty() {
            return Err(ArtifactError::schema(a, "no feature columns"));
        }
        let id = Column::of(a, batch, "match_id")?;
        let columns: Vec<Column> = names
            .iter()
            .map(|n| Column::of(a, batch, n))
            .collect::<Result<_, _>>()?;
        for row in 0..batch.num_rows() {
            let n = table.rows.len();
            let match_id = id.i64(row)?;
            check_unique(a, &mut seen, match_id, n)?;
            let mut values = Vec::with_capacity(columns.len());
            for (col, name) in columns.iter().zip(&names) {
                let v = col.f64_opt(row)?.filter(|v| !v.is_nan());
                if v.is_some_and(f64::is_infinite) {
                    return Err(ArtifactError::row(a, n, format!("`{name}` is infinite")));
                }
                values.push(v);
            }
            table.rows.push(FeatureRow { match_id, values });
        }
    }
    Ok(table)
}

/// Writes `match_features.parquet` (nulls for unknown values).
pub fn write_features(table: &FeatureTable) -> Result<Vec<u8>, ArtifactError> {
    let a = FEATURES;
    let mut id = Int64Builder::new();
    let mut columns: Vec<Float64Builder> =
        table.names.iter().map(|_| Float64Builder::new()).collect();
    for row in &table.rows {
        if row.values.len() != table.names.len() {
            return Err(ArtifactError::schema(
                a,
                format!(
                    "match {} has {} values for {} features",
                    row.match_id,
                    row.values.len(),
                    table.names.len()
                ),
            ));
        }
        id.append_value(row.match_id);
        for (builder, value) in columns.iter_mut().zip(&row.values) {
            builder.append_option(value.filter(|v| v.is_finite()));
        }
    }
    let mut fields = vec![Field::new("match_id", DataType::Int64, false)];
    fields.extend(
        table
            .names
            .iter()
            .map(|n| Field::new(n, DataType::Float64, true)),
    );
    let mut arrays: Vec<ArrayRef> = vec![Arc::new(id.finish())];
    arrays.extend(columns.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
    write_batch(a, batch(a, fields, arrays)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::StringArray;

    fn prediction(match_id: i64, out_of_sample: Option<bool>) -> PrecomputedPrediction {
        PrecomputedPrediction {
            match_id,
            probabilities: Probabilities {
                home_win: 0.5,
                draw: 0.3,
                away_win: 0.2,
            },
            predicted_class: Outcome::HomeWin,
            is_future: false,
            start_time_utc: "2022-05-01T15:00:00Z".into(),
            home_team_name: "A".into(),
            away_team_name: "B".into(),
            model_run_id: "run".into(),
            model_stage: "champion".into(),
            predictions_computed_at: "2026-12-07T00:00:00Z".into(),
            out_of_sample,
        }
    }

    /// `predictions.parquet` with its `out_of_sample` column replaced by
    /// `column` (or dropped), as another tool might write it.
    fn with_flag_column(column: Option<ArrayRef>) -> Bytes {
        let written = write_predictions(&[prediction(1, Some(true))]).unwrap();
        let batch = read_batches(PREDICTIONS, written.into()).unwrap().remove(0);
        let keep: Vec<usize> = (0..batch.num_columns())
            .filter(|&i| batch.schema().field(i).name() != "out_of_sample")
            .collect();
        let mut batch = batch.project(&keep).unwrap();
        if let Some(column) = column {
            let mut fields: Vec<Field> = batch
                .schema()
                .fields()
                .iter()
                .map(|f| f.as_ref().clone())
                .collect();
            fields.push(Field::new(
                "out_of_sample",
                column.data_type().clone(),
                true,
            ));
            let mut columns = batch.columns().to_vec();
            columns.push(column);
            batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap();
        }
        write_batch(PREDICTIONS, batch).unwrap().into()
    }

    #[test]
    fn the_sample_flag_round_trips_with_its_unknowns() {
        let rows = [
            prediction(1, Some(true)),
            prediction(2, Some(false)),
            prediction(3, None),
        ];
        let bytes = write_predictions(&rows).unwrap();
        let read = read_predictions(bytes.into(), "2026-12-07T00:00:00Z").unwrap();
        assert_eq!(read, rows);
    }

    #[test]
    fn a_seed_file_without_the_flag_reads_as_unknown() {
        let read = read_predictions(with_flag_column(None), "t").unwrap();
        assert_eq!(read[0].out_of_sample, None);
    }

    #[test]
    fn a_flag_that_is_not_a_boolean_is_refused() {
        let text: ArrayRef = Arc::new(StringArray::from(vec!["yes"]));
        let err = read_predictions(with_flag_column(Some(text)), "t").unwrap_err();
        assert!(
            err.to_string()
                .contains("column `out_of_sample` must be a boolean"),
            "{err}"
        );
    }
}
