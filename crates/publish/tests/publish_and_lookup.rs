//! The publish protocol and the lookup request path, end to end over an
//! in-memory store: what the admin component writes is what lookup serves,
//! a bad upload changes nothing, and a reader never sees two versions.

use futures::executor::block_on;
use matchday_core::codec::RecordBucket;
use matchday_core::feature_record::FeatureRecord;
use matchday_core::kv::{KvError, KvRead, KvSwap, KvWrite, MemoryKv};
use matchday_core::layout;
use matchday_core::lookup;
use matchday_core::types::{
    MatchStatus, MatchSummary, Outcome, PrecomputedPrediction, Probabilities,
};
use matchday_core::window::TrainedMatches;
use matchday_publish::artifacts::{self, FeatureRow, FeatureTable};
use matchday_publish::bundle::{Bundle, BundleManifest, FORMAT};
use matchday_publish::commit::{self, PublishError};
use serde_json::Value;
use std::collections::BTreeMap;

const RUN: &str = "run-a";

/// `n` matches, one per day from 2023-01-01; those from day `upcoming_from` on are upcoming.
fn sample(
    n: usize,
    upcoming_from: usize,
    run: &str,
) -> (Vec<MatchSummary>, Vec<PrecomputedPrediction>, FeatureTable) {
    let mut matches = Vec::new();
    let mut predictions = Vec::new();
    let mut features = FeatureTable {
        names: vec!["diff_elo".into(), "diff_win_5_mean".into()],
        rows: Vec::new(),
    };
    for i in 0..n {
        let day =
            chrono::NaiveDate::from_ymd_opt(2023, 1, 1).unwrap() + chrono::Days::new(i as u64);
        let start = format!("{day}T15:00:00Z");
        let future = i >= upcoming_from;
        let id = 1000 + i as i64;
        matches.push(MatchSummary {
            match_id: id,
            start_time_utc: start.clone(),
            home_team_id: 1,
            home_team_name: format!("Home {i}"),
            away_team_id: 2,
            away_team_name: format!("Away {i}"),
            league: "E0".into(),
            tournament: "Premier League".into(),
            region: "England".into(),
            season: "2022-2023".into(),
            status: if future {
                MatchStatus::Upcoming
            } else {
                MatchStatus::Finished
            },
            home_score: (!future).then_some(2),
            away_score: (!future).then_some(1),
        });
        let home = 0.2 + (i % 5) as f64 * 0.1;
        let draw = 0.25;
        predictions.push(PrecomputedPrediction {
            match_id: id,
            probabilities: Probabilities {
                home_win: home,
                draw,
                away_win: 1.0 - home - draw,
            },
            predicted_class: if home >= 1.0 - home - draw && home >= draw {
                Outcome::HomeWin
            } else if 1.0 - home - draw >= draw {
                Outcome::AwayWin
            } else {
                Outcome::Draw
            },
            is_future: future,
            start_time_utc: start,
            home_team_name: format!("Home {i}"),
            away_team_name: format!("Away {i}"),
            model_run_id: run.into(),
            model_stage: "champion".into(),
            predictions_computed_at: String::new(),
            // The first 100 days are the batch's training window.
            out_of_sample: Some(future || i >= 100),
        });
        features.rows.push(FeatureRow {
            match_id: id,
            values: vec![Some(i as f64), if i == 0 { None } else { Some(0.5) }],
        });
    }
    (matches, predictions, features)
}

fn bundle_bytes(n: usize, upcoming_from: usize, run: &str) -> Vec<u8> {
    let (matches, predictions, features) = sample(n, upcoming_from, run);
    pack(&matches, &predictions, &features, run)
}

fn pack(
    matches: &[MatchSummary],
    predictions: &[PrecomputedPrediction],
    features: &FeatureTable,
    run: &str,
) -> Vec<u8> {
    pack_with(matches, predictions, features, run, None)
}

/// The bundle with the run's training matches when `trained` is given.
fn pack_with(
    matches: &[MatchSummary],
    predictions: &[PrecomputedPrediction],
    features: &FeatureTable,
    run: &str,
    trained: Option<&TrainedMatches>,
) -> Vec<u8> {
    let mut files = BTreeMap::from([
        (
            artifacts::MATCHES.to_string(),
            artifacts::write_matches(matches).unwrap(),
        ),
        (
            artifacts::PREDICTIONS.to_string(),
            artifacts::write_predictions(predictions).unwrap(),
        ),
        (
            artifacts::FEATURES.to_string(),
            artifacts::write_features(features).unwrap(),
        ),
    ]);
    if let Some(trained) = trained {
        files.insert(artifacts::TRAINED_MATCHES.to_string(), trained.to_json());
    }
    let manifest = BundleManifest {
        format: FORMAT,
        created_at: "2026-11-23T10:00:00Z".into(),
        as_of: "2023-06-01T00:00:00Z".into(),
        predictions_computed_at: "2026-11-23T10:00:00Z".into(),
        model_run_id: run.into(),
    };
    Bundle { manifest, files }.pack().unwrap()
}

/// The training matches of `sample(n, upcoming_from, run)`'s run: the
/// holdout fit learned the first 100 days, the served fit every finished
/// match.
fn trained(upcoming_from: usize, run: &str) -> TrainedMatches {
    TrainedMatches::new(
        run.into(),
        (1000..1000 + upcoming_from as i64).collect(),
        (1000..1100).collect(),
    )
}

fn now(second: u32) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(1_800_000_000 + i64::from(second), 0).unwrap()
}

fn get(kv: &MemoryKv, path_and_query: &str) -> (u16, Value, String) {
    let (path, query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path_and_query, None),
    };
    let response = block_on(lookup::handle("GET", path, query, kv));
    let version = response
        .header(matchday_core::response::DATA_VERSION_HEADER)
        .unwrap_or("")
        .to_string();
    (
        response.status,
        serde_json::from_slice(&response.body).unwrap(),
        version,
    )
}

#[test]
fn published_data_is_served_by_lookup() {
    let kv = MemoryKv::new();
    let report = block_on(commit::publish(&kv, &bundle_bytes(600, 590, RUN), now(0))).unwrap();

    let (status, body, version) = get(&kv, "/predict/precomputed/1003");
    assert_eq!((status, version.as_str()), (200, report.version.as_str()));
    assert_eq!(body["match_id"], 1003);
    assert_eq!(body["home_team_name"], "Home 3");
    assert_eq!(body["model_run_id"], RUN);
    assert_eq!(body["predictions_computed_at"], "2026-11-23T10:00:00Z");
    // The flag survives the parquet file, the publish and the lookup.
    assert_eq!(body["out_of_sample"], false);
    let (_, later, _) = get(&kv, "/predict/precomputed/1100");
    assert_eq!(later["out_of_sample"], true);
    let sum = body["proba_home"].as_f64().unwrap()
        + body["proba_draw"].as_f64().unwrap()
        + body["proba_away"].as_f64().unwrap();
    assert!((sum - 1.0).abs() < 1e-9);

    let (status, body, _) = get(&kv, "/predict/matches/");
    assert_eq!(status, 200);
    assert_eq!(body.as_array().unwrap().len(), 10);
    assert_eq!(body[0]["match_id"], 1590);
    assert_eq!(body[0]["homeTeamId"], 1);

    // A page crossing a chunk boundary (256 rows per chunk).
    let (_, body, _) = get(&kv, "/predict/predictions/?limit=100&offset=200");
    let rows = body.as_array().unwrap();
    assert_eq!(rows.len(), 100);
    assert_eq!(rows[0]["match_id"], 1200);
    assert_eq!(rows[99]["match_id"], 1299);
    let (_, body, _) = get(&kv, "/predict/predictions/?limit=5000");
    assert_eq!(body.as_array().unwrap().len(), 600);
    let (_, body, _) = get(
        &kv,
        "/predict/predictions/?future_only=true&limit=3&offset=8",
    );
    assert_eq!(
        body.as_array()
            .unwrap()
            .iter()
            .map(|r| r["match_id"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![1598, 1599]
    );
    let (_, body, _) = get(&kv, "/predict/predictions/?offset=100000");
    assert_eq!(body, serde_json::json!([]));

    // Livescores default to the as-of year (2023): 365 days of 2023 in the sample.
    let (_, body, _) = get(&kv, "/livescores/");
    assert_eq!(body.as_array().unwrap().len(), 365);
    let (_, body, _) = get(&kv, "/livescores/?year=2023&month=2");
    assert_eq!(body.as_array().unwrap().len(), 28);
    assert_eq!(body[0]["status"], "finished");
    assert_eq!(body[0]["homeScore"], 2);
    // Day 590 of the sample is 2024-08-13, the first upcoming match.
    let (_, body, _) = get(&kv, "/livescores/?year=2024&month=8");
    assert_eq!(
        (body[11]["status"].as_str(), body[12]["status"].as_str()),
        (Some("finished"), Some("upcoming"))
    );
    assert!(body[12]["homeScore"].is_null());
}

#[test]
fn lookup_errors_are_clear() {
    let kv = MemoryKv::new();
    block_on(commit::publish(&kv, &bundle_bytes(50, 40, RUN), now(0))).unwrap();
    let cases = [
        ("/predict/precomputed/999999", 404, None),
        ("/predict/precomputed/abc", 422, Some("match_id")),
        ("/predict/precomputed/1.5", 422, Some("match_id")),
        ("/predict/predictions/?limit=0", 422, Some("limit")),
        ("/predict/predictions/?limit=5001", 422, Some("limit")),
        ("/predict/predictions/?offset=-1", 422, Some("offset")),
        (
            "/predict/predictions/?future_only=perhaps",
            422,
            Some("future_only"),
        ),
        ("/livescores/?year=1997", 422, Some("year")),
        ("/livescores/?year=2101", 422, Some("year")),
        ("/livescores/?month=13", 422, Some("month")),
        ("/livescores/?month=0", 422, Some("month")),
        ("/livescores/?limit=10001", 422, Some("limit")),
        ("/livescores/?limit=0", 422, Some("limit")),
        ("/livescores/?offset=x", 422, Some("offset")),
    ];
    for (path, status, field) in cases {
        let (got, body, _) = get(&kv, path);
        assert_eq!(got, status, "{path}: {body}");
        assert!(body["error"]["message"].is_string(), "{path}");
        if let Some(field) = field {
            assert_eq!(body["error"]["fields"][0], field, "{path}");
        }
    }
}

#[test]
fn before_the_first_publish_lists_are_empty_and_matches_unknown() {
    let kv = MemoryKv::new();
    assert_eq!(get(&kv, "/predict/matches/").1, serde_json::json!([]));
    assert_eq!(get(&kv, "/predict/predictions/").1, serde_json::json!([]));
    assert_eq!(get(&kv, "/predict/precomputed/1").0, 404);
    assert_eq!(get(&kv, "/livescores/?year=2020").1, serde_json::json!([]));
}

#[test]
fn a_corrupt_upload_is_rejected_and_the_live_version_keeps_serving() {
    let kv = MemoryKv::new();
    let first = block_on(commit::publish(&kv, &bundle_bytes(50, 40, RUN), now(0))).unwrap();
    let keys_before = kv.keys();

    let mut bundle = Bundle::unpack(&bundle_bytes(50, 40, "run-b")).unwrap();
    let predictions = bundle.files.get_mut(artifacts::PREDICTIONS).unwrap();
    let middle = predictions.len() / 2;
    predictions[middle..].iter_mut().for_each(|b| *b = !*b);
    let err = block_on(commit::publish(&kv, &bundle.pack().unwrap(), now(1))).unwrap_err();
    assert!(matches!(err, PublishError::Invalid(_)), "{err}");
    assert!(err.to_string().contains("predictions.parquet"), "{err}");

    assert_eq!(kv.keys(), keys_before, "a rejected upload writes nothing");
    let (status, body, version) = get(&kv, "/predict/precomputed/1001");
    assert_eq!((status, version), (200, first.version));
    assert_eq!(body["model_run_id"], RUN);
}

#[test]
fn schema_mismatches_are_rejected_with_the_reason() {
    let kv = MemoryKv::new();
    // predictions.parquet in place of matches.parquet: wrong columns.
    let mut bundle = Bundle::unpack(&bundle_bytes(20, 10, RUN)).unwrap();
    let predictions = bundle.files[artifacts::PREDICTIONS].clone();
    bundle.files.insert(artifacts::MATCHES.into(), predictions);
    let err = block_on(commit::publish(&kv, &bundle.pack().unwrap(), now(0))).unwrap_err();
    assert!(
        err.to_string()
            .contains("matches.parquet: required column `league` is missing"),
        "{err}"
    );

    // Probabilities that do not sum to one.
    let (matches, mut predictions, features) = sample(20, 10, RUN);
    predictions[3].probabilities.draw += 0.1;
    let mut bundle = Bundle::unpack(&bundle_bytes(20, 10, RUN)).unwrap();
    bundle.files.insert(
        artifacts::PREDICTIONS.into(),
        artifacts::write_predictions(&predictions).unwrap(),
    );
    let err = block_on(commit::publish(&kv, &bundle.pack().unwrap(), now(0))).unwrap_err();
    assert!(
        err.to_string().contains("row 3: probabilities sum to"),
        "{err}"
    );

    // A prediction for a match the bundle does not have.
    let mut bundle = Bundle::unpack(&bundle_bytes(20, 10, RUN)).unwrap();
    bundle.files.insert(
        artifacts::MATCHES.into(),
        artifacts::write_matches(&matches[..19]).unwrap(),
    );
    bundle.files.insert(
        artifacts::FEATURES.into(),
        artifacts::write_features(&features).unwrap(),
    );
    let err = block_on(commit::publish(&kv, &bundle.pack().unwrap(), now(0))).unwrap_err();
    assert!(
        err.to_string().contains("is not in matches.parquet"),
        "{err}"
    );
    assert!(kv.is_empty());
}

#[test]
fn an_interrupted_publish_leaves_the_old_version_live_and_is_collected_later() {
    let kv = MemoryKv::new();
    let first = block_on(commit::publish(&kv, &bundle_bytes(300, 290, RUN), now(0))).unwrap();
    kv.fail_writes_after(5);
    let err = block_on(commit::publish(
        &kv,
        &bundle_bytes(300, 290, "run-b"),
        now(1),
    ))
    .unwrap_err();
    assert!(matches!(err, PublishError::Store(_)));
    let (_, body, version) = get(&kv, "/predict/precomputed/1001");
    assert_eq!(
        (version.as_str(), body["model_run_id"].as_str()),
        (first.version.as_str(), Some(RUN))
    );
    let current: layout::DataPointer =
        serde_json::from_slice(&block_on(kv.get(layout::CURRENT)).unwrap().unwrap()).unwrap();
    assert_eq!(
        current.version, first.version,
        "no pointer to the half-written version"
    );

    kv.fail_writes_after(usize::MAX);
    let third = block_on(commit::publish(
        &kv,
        &bundle_bytes(300, 290, "run-c"),
        now(2),
    ))
    .unwrap();
    assert_eq!(
        third.versions_removed.len(),
        1,
        "the half-written version is collected"
    );
    let versions: Vec<String> = kv
        .keys()
        .iter()
        .filter_map(|k| layout::version_of_key(k).map(str::to_string))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(versions, vec![first.version, third.version]);
}

/// Publishes a small bundle per run, a second apart, in order.
fn publish_runs(kv: &MemoryKv, runs: &[&str]) -> Vec<commit::PublishReport> {
    runs.iter()
        .enumerate()
        .map(|(i, run)| {
            block_on(commit::publish(
                kv,
                &bundle_bytes(40, 30, run),
                now(i as u32),
            ))
            .unwrap()
        })
        .collect()
}

#[test]
fn rollback_restores_the_previous_version_and_old_versions_are_pruned() {
    let kv = MemoryKv::new();
    let reports = publish_runs(&kv, &["run-1", "run-2", "run-3", "run-4"]);
    assert_eq!(
        get(&kv, "/predict/precomputed/1001").1["model_run_id"],
        "run-4"
    );
    // Only RETAINED_VERSIONS versions keep records.
    assert!(
        !kv.keys()
            .iter()
            .any(|k| k.starts_with(&layout::version_prefix(&reports[0].version)))
    );

    let pointer = block_on(commit::rollback(&kv)).unwrap();
    assert_eq!(pointer.version, reports[2].version);
    let (_, body, version) = get(&kv, "/predict/precomputed/1001");
    assert_eq!(
        (body["model_run_id"].as_str(), version),
        (Some("run-3"), reports[2].version.clone())
    );

    block_on(commit::rollback(&kv)).unwrap();
    assert_eq!(
        get(&kv, "/predict/precomputed/1001").1["model_run_id"],
        "run-2"
    );
    let err = block_on(commit::rollback(&kv)).unwrap_err();
    assert!(matches!(err, PublishError::Conflict(_)), "{err}");
    assert_eq!(
        get(&kv, "/predict/precomputed/1001").1["model_run_id"],
        "run-2"
    );
}

#[test]
fn a_failure_after_the_flip_reports_success_with_a_warning() {
    let kv = MemoryKv::new();
    let first = block_on(commit::publish(&kv, &bundle_bytes(300, 290, RUN), now(0))).unwrap();
    // Count the writes of a publish up to and including the flip.
    let probe = MemoryKv::new();
    block_on(commit::publish(
        &probe,
        &bundle_bytes(300, 290, "run-b"),
        now(1),
    ))
    .unwrap();
    let up_to_flip = probe.writes() - 1; // everything but the history write (no garbage yet)
    kv.fail_writes_after(up_to_flip);
    let second = block_on(commit::publish(
        &kv,
        &bundle_bytes(300, 290, "run-b"),
        now(1),
    ))
    .expect("the flip succeeded, so the publish did");
    assert_eq!(second.warnings.len(), 1, "{:?}", second.warnings);
    assert!(
        second.warnings[0].contains("history"),
        "{:?}",
        second.warnings
    );
    let (_, body, version) = get(&kv, "/predict/precomputed/1001");
    assert_eq!(
        (version.as_str(), body["model_run_id"].as_str()),
        (second.version.as_str(), Some("run-b"))
    );
    // Rollback still finds the previous version without the history entry.
    kv.heal_writes();
    let back = block_on(commit::rollback(&kv)).unwrap();
    assert_eq!(back.version, first.version);
}

/// What another writer does when an [`Overtaken`] store's writer writes
/// the key it watches.
enum Race {
    /// Another publish's flip to this pointer lands just before the write;
    /// at a version's `/pointer` it first collects that half-written version
    /// as garbage, as the other publish's clean-up would.
    FlipBefore(Vec<u8>),
    /// A whole publish of this bundle, its history and garbage collection
    /// included, runs just after the write.
    PublishAfter(Vec<u8>),
}

/// A store where another publish races this writer, once, at the write
/// (a plain one or a compare-and-swap) of the key ending in `at`.
struct Overtaken<'a> {
    inner: &'a MemoryKv,
    at: &'static str,
    race: std::cell::RefCell<Option<Race>>,
}

impl Overtaken<'_> {
    /// Runs `write` of `key` with the race around it, if it is the one.
    async fn racing<T>(
        &self,
        key: &str,
        write: impl std::future::Future<Output = Result<T, KvError>>,
    ) -> Result<T, KvError> {
        let race = if key.ends_with(self.at) {
            self.race.borrow_mut().take()
        } else {
            None
        };
        if let Some(Race::FlipBefore(pointer)) = &race {
            if let Some(version) = key.strip_suffix("/pointer") {
                for k in self.inner.keys_with_prefix(version).await? {
                    self.inner.delete(&k).await?;
                }
            }
            self.inner.set(layout::CURRENT, pointer).await?;
        }
        let written = write.await?;
        if let Some(Race::PublishAfter(bundle)) = race {
            commit::publish(self.inner, &bundle, now(9))
                .await
                .map_err(|e| KvError(e.to_string()))?;
        }
        Ok(written)
    }
}

impl KvRead for Overtaken<'_> {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.inner.get(key).await
    }
}

impl KvSwap for Overtaken<'_> {
    async fn swap_if(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        value: &[u8],
    ) -> Result<bool, KvError> {
        self.racing(key, self.inner.swap_if(key, expected, value))
            .await
    }
}

impl KvWrite for Overtaken<'_> {
    async fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.racing(key, self.inner.set(key, value)).await
    }

    async fn delete(&self, key: &str) -> Result<(), KvError> {
        self.inner.delete(key).await
    }

    async fn keys_with_prefix(&self, prefix: &str) -> Result<Vec<String>, KvError> {
        self.inner.keys_with_prefix(prefix).await
    }
}

/// A publish of `run` made in another store, whose records are copied into
/// `kv` without going live there: its report, and the live pointer it flips
/// `kv` to when an [`Overtaken`] store lets it ([`Race::FlipBefore`]).
fn published_elsewhere(kv: &MemoryKv, run: &str, second: u32) -> (commit::PublishReport, Vec<u8>) {
    let elsewhere = MemoryKv::new();
    let report = block_on(commit::publish(
        &elsewhere,
        &bundle_bytes(300, 290, run),
        now(second),
    ))
    .unwrap();
    for key in elsewhere.keys() {
        if key != layout::CURRENT && key != layout::HISTORY {
            let value = block_on(elsewhere.get(&key)).unwrap().unwrap();
            block_on(kv.set(&key, &value)).unwrap();
        }
    }
    let live = block_on(elsewhere.get(layout::CURRENT)).unwrap().unwrap();
    (report, live)
}

#[test]
fn a_publish_overtaken_by_another_does_not_flip_to_its_half_collected_version() {
    let kv = MemoryKv::new();
    block_on(commit::publish(&kv, &bundle_bytes(300, 290, RUN), now(0))).unwrap();
    // Publish B (run-b) is built elsewhere and goes live mid-way through A.
    let (b, b_live) = published_elsewhere(&kv, "run-b", 2);
    let racing = Overtaken {
        inner: &kv,
        at: "/pointer",
        race: std::cell::RefCell::new(Some(Race::FlipBefore(b_live))),
    };
    let err = block_on(commit::publish(
        &racing,
        &bundle_bytes(300, 290, "run-a"),
        now(1),
    ))
    .unwrap_err();
    assert!(matches!(err, PublishError::Conflict(_)), "{err}");
    assert!(err.to_string().contains("publish again"), "{err}");
    let (_, body, version) = get(&kv, "/predict/precomputed/1001");
    assert_eq!(
        (version.as_str(), body["model_run_id"].as_str()),
        (b.version.as_str(), Some("run-b")),
        "B stays live, complete"
    );
    // Without the race, the same publish goes through.
    let a = block_on(commit::publish(
        &kv,
        &bundle_bytes(300, 290, "run-a"),
        now(3),
    ))
    .unwrap();
    assert_eq!(get(&kv, "/predict/precomputed/1001").2, a.version);
}

#[test]
fn a_rollback_whose_flip_fails_is_retried_to_the_same_version() {
    let kv = MemoryKv::new();
    let reports = publish_runs(&kv, &["run-1", "run-2", "run-3"]);
    // The history write goes through, the flip does not.
    kv.fail_writes_after(1);
    assert!(block_on(commit::rollback(&kv)).is_err());
    assert_eq!(get(&kv, "/predict/precomputed/1001").2, reports[2].version);
    kv.heal_writes();
    let back = block_on(commit::rollback(&kv)).unwrap();
    assert_eq!(back.version, reports[1].version, "one step back, not two");
    assert_eq!(
        get(&kv, "/predict/precomputed/1001").1["model_run_id"],
        "run-2"
    );
}

#[test]
fn a_rollback_overtaken_by_a_publish_does_not_undo_it() {
    let kv = MemoryKv::new();
    let reports = publish_runs(&kv, &["run-1", "run-2"]);
    // run-3 is published, history and garbage collection included, right
    // after the rollback has written its history (without run-2) and before
    // its flip.
    let racing = Overtaken {
        inner: &kv,
        at: layout::HISTORY,
        race: std::cell::RefCell::new(Some(Race::PublishAfter(bundle_bytes(300, 290, "run-3")))),
    };
    let err = block_on(commit::rollback(&racing)).unwrap_err();
    assert!(matches!(err, PublishError::Conflict(_)), "{err}");
    assert_eq!(
        get(&kv, "/predict/precomputed/1001").1["model_run_id"],
        "run-3",
        "the publish the rollback did not see stays live"
    );
    // run-2, live before run-3, is still retained with its records, so a
    // rollback now steps back to it, not past it.
    let back = block_on(commit::rollback(&kv)).unwrap();
    assert_eq!(back.version, reports[1].version);
    assert_eq!(
        get(&kv, "/predict/precomputed/1001").1["model_run_id"],
        "run-2"
    );
}

#[test]
fn a_publish_overtaken_after_its_flip_leaves_the_history_to_the_newer_one() {
    let kv = MemoryKv::new();
    let reports = publish_runs(&kv, &["run-1", "run-2"]);
    // run-4 is published, history and garbage collection included, right
    // after run-3's flip and before run-3 records its history.
    let racing = Overtaken {
        inner: &kv,
        at: layout::CURRENT,
        race: std::cell::RefCell::new(Some(Race::PublishAfter(bundle_bytes(300, 290, "run-4")))),
    };
    let third = block_on(commit::publish(
        &racing,
        &bundle_bytes(300, 290, "run-3"),
        now(5),
    ))
    .unwrap();
    assert!(
        third
            .warnings
            .iter()
            .any(|w| w.contains("keeps the history")),
        "{:?}",
        third.warnings
    );
    assert_eq!(
        get(&kv, "/predict/precomputed/1001").1["model_run_id"],
        "run-4"
    );
    // run-4's history names run-3, the version it replaced, then run-2.
    let back = block_on(commit::rollback(&kv)).unwrap();
    assert_eq!(back.version, third.version);
    let back = block_on(commit::rollback(&kv)).unwrap();
    assert_eq!(back.version, reports[1].version);
    assert_eq!(
        get(&kv, "/predict/precomputed/1001").1["model_run_id"],
        "run-2"
    );
}

/// The recent results of the live version, decoded from its chunks.
fn recent_results(kv: &MemoryKv) -> Vec<matchday_core::recent::RecentResult> {
    let pointer: layout::DataPointer =
        serde_json::from_slice(&block_on(kv.get(layout::CURRENT)).unwrap().unwrap()).unwrap();
    let recent = pointer
        .recent_results
        .expect("recent results in the pointer");
    assert_eq!(recent.chunk_rows, 64);
    let mut out = Vec::new();
    for chunk in 0..recent.chunks() {
        let key = layout::chunk_key(&pointer.version, &layout::Listing::RecentResults, chunk);
        let bytes = block_on(kv.get(&key)).unwrap().expect("chunk");
        out.extend(matchday_core::recent::decode_chunk(chunk, &bytes).unwrap());
    }
    assert_eq!(out.len(), recent.rows as usize);
    out
}

/// The feature record of match `id` in the live version, as JSON and
/// decoded, and its facts.
fn facts_of(
    kv: &MemoryKv,
    id: i64,
) -> (
    Value,
    FeatureRecord,
    matchday_core::feature_record::MatchFacts,
) {
    let pointer: layout::DataPointer =
        serde_json::from_slice(&block_on(kv.get(layout::CURRENT)).unwrap().unwrap()).unwrap();
    let key = layout::feature_bucket_key(&pointer.version, layout::bucket_of(id, pointer.buckets));
    let bytes = block_on(kv.get(&key)).unwrap().expect("bucket");
    let bucket = RecordBucket::decode(&bytes).unwrap();
    let bytes = bucket.find(id).expect("record");
    let record = FeatureRecord::decode(bytes).unwrap();
    let facts = record.facts.expect("a new publish writes the facts");
    (serde_json::from_slice(bytes).unwrap(), record, facts)
}

#[test]
fn a_feature_record_carries_its_kickoff_and_whether_the_runs_served_fit_learned_it() {
    let (matches, predictions, features) = sample(600, 590, RUN);
    let lists = trained(590, RUN);
    let kv = MemoryKv::new();
    let bundle = pack_with(&matches, &predictions, &features, RUN, Some(&lists));
    block_on(commit::publish(&kv, &bundle, now(0))).unwrap();
    for (i, learned) in [(3, true), (589, true), (590, false), (599, false)] {
        let id = 1000 + i;
        let (raw, record, facts) = facts_of(&kv, id);
        assert_eq!(facts.learned, Some(learned), "match {id}");
        // Written for the readers of stop 35, which require it.
        assert_eq!(raw["finished"], i < 590, "match {id}");
        let day =
            chrono::NaiveDate::from_ymd_opt(2023, 1, 1).unwrap() + chrono::Days::new(i as u64);
        assert_eq!(facts.kickoff.to_rfc3339(), format!("{day}T15:00:00+00:00"));
        assert_eq!(record.values["diff_elo"], i as f64);
    }

    // Without the lists (a work directory trained before they existed):
    // the kick-off alone, and the component falls back to the card's window.
    let kv = MemoryKv::new();
    block_on(commit::publish(&kv, &bundle_bytes(600, 590, RUN), now(0))).unwrap();
    assert_eq!(facts_of(&kv, 1003).2.learned, None);
}

#[test]
fn training_matches_of_another_run_or_contradicting_the_flags_are_refused() {
    let (matches, mut predictions, features) = sample(600, 590, RUN);
    let kv = MemoryKv::new();
    let refused = |predictions: &[PrecomputedPrediction], lists: &TrainedMatches| {
        let bundle = pack_with(&matches, predictions, &features, RUN, Some(lists));
        let err = block_on(commit::publish(&kv, &bundle, now(0))).unwrap_err();
        assert!(matches!(err, PublishError::Invalid(_)), "{err}");
        assert!(kv.keys().is_empty(), "a rejected upload writes nothing");
        err.to_string()
    };
    let err = refused(&predictions, &trained(590, "older-run"));
    assert!(
        err.contains("trained_matches.json: is of run `older-run`"),
        "{err}"
    );
    let corrupt = TrainedMatches::new(RUN.into(), vec![], vec![]);
    let mut json: Value = serde_json::from_slice(&corrupt.to_json()).unwrap();
    json["served"] = serde_json::json!("all of them");
    let bundle_err = {
        let mut bundle = Bundle::unpack(&bundle_bytes(600, 590, RUN)).unwrap();
        bundle.files.insert(
            artifacts::TRAINED_MATCHES.to_string(),
            serde_json::to_vec(&json).unwrap(),
        );
        block_on(commit::publish(&kv, &bundle.pack().unwrap(), now(0))).unwrap_err()
    };
    assert!(
        bundle_err
            .to_string()
            .starts_with("trained_matches.json: trained matches are corrupt"),
        "{bundle_err}"
    );

    // Day 7 is one of the holdout fit's training matches, day 100 is not.
    predictions[7].out_of_sample = Some(true);
    let err = refused(&predictions, &trained(590, RUN));
    assert!(
        err.contains("row 7: out_of_sample disagrees with trained_matches.json for match 1007"),
        "{err}"
    );
    predictions[7].out_of_sample = Some(false);
    predictions[100].out_of_sample = Some(false);
    refused(&predictions, &trained(590, RUN));
    // An upcoming match was learned by no fit.
    predictions[100].out_of_sample = Some(true);
    predictions[595].out_of_sample = Some(false);
    refused(&predictions, &trained(590, RUN));

    // Unflagged forecasts, and forecasts of another run, are not the lists' to check.
    predictions[595].out_of_sample = None;
    predictions[7].model_run_id = "older-run".into();
    predictions[7].out_of_sample = Some(true);
    let bundle = pack_with(
        &matches,
        &predictions,
        &features,
        RUN,
        Some(&trained(590, RUN)),
    );
    block_on(commit::publish(&kv, &bundle, now(0))).unwrap();
}

#[test]
fn the_recent_results_are_the_finished_matches_with_their_published_features() {
    let kv = MemoryKv::new();
    block_on(commit::publish(&kv, &bundle_bytes(600, 590, RUN), now(0))).unwrap();
    let recent = recent_results(&kv);
    // Upcoming matches have no result: the 590 finished ones, in kick-off order.
    let ids: Vec<i64> = recent.iter().map(|r| r.match_id).collect();
    assert_eq!(ids, (1000..1590).collect::<Vec<_>>());
    assert!(recent.iter().all(|r| r.outcome == 0), "2–1: home wins");
    assert_eq!(recent[3].kickoff, "2023-01-04T15:00:00Z");
    // The feature values are the ones the feature buckets hold, nulls left out.
    assert_eq!(recent[0].features.get(), r#"{"diff_elo":0.0}"#);
    assert_eq!(
        serde_json::from_str::<Value>(recent[3].features.get()).unwrap(),
        serde_json::json!({"diff_elo": 3.0, "diff_win_5_mean": 0.5})
    );

    // At most MAX_ROWS, the most recent ones.
    let kv = MemoryKv::new();
    let max = matchday_core::recent::MAX_ROWS;
    block_on(commit::publish(
        &kv,
        &bundle_bytes(max + 110, max + 100, RUN),
        now(0),
    ))
    .unwrap();
    let recent = recent_results(&kv);
    assert_eq!(recent.len(), max);
    assert_eq!(recent[0].match_id, 1000 + 100);
    assert_eq!(recent[max - 1].match_id, 1000 + max as i64 + 99);
}
