//! Shared set-up for the native tests: the BYO fixtures, a published data
//! version in a `MemoryKv`, and requests through the real handler.

#![allow(dead_code)]

use matchday_core::codec::RecordBucket;
use matchday_core::feature_record::{FeatureRecord, FeatureValues};
use matchday_core::kv::{KvRead, KvWrite, MemoryKv};
use matchday_core::layout::{self, Counts, DataPointer};
use matchday_core::response::HttpResponse;
use matchday_serving::model::ModelCache;
use matchday_serving::predict::{self, Now, Request, Settings};
use matchday_serving::registry::{self, Alias};
use matchday_serving::upload::ModelUpload;
use std::path::PathBuf;

pub use futures::executor::block_on;

pub const NOW: &str = "2026-11-23T12:00:00.000Z";
pub const DATA_VERSION: &str = "d1";
pub const COMPUTED_AT: &str = "2026-11-23T10:00:00Z";

pub fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/byo_model")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn json_fixture(name: &str) -> serde_json::Value {
    serde_json::from_slice(&fixture(name)).unwrap()
}

pub fn logreg() -> ModelUpload {
    ModelUpload {
        onnx: fixture("model.onnx"),
        card: fixture("model_card.json"),
        holdout: None,
    }
}

pub fn trees() -> ModelUpload {
    ModelUpload {
        onnx: fixture("gbt_model.onnx"),
        card: fixture("gbt_model_card.json"),
        holdout: None,
    }
}

/// The card with its holdout log-loss replaced (to exercise the gate).
pub fn with_log_loss(upload: &ModelUpload, log_loss: Option<f64>) -> ModelUpload {
    let mut card: serde_json::Value = serde_json::from_slice(&upload.card).unwrap();
    card["test_metrics"]["log_loss"] = log_loss.map_or(serde_json::Value::Null, |v| v.into());
    card["run_id"] = format!("run-ll-{log_loss:?}").into();
    ModelUpload {
        onnx: upload.onnx.clone(),
        card: serde_json::to_vec(&card).unwrap(),
        holdout: None,
    }
}

pub fn now() -> Now {
    Now {
        unix: 1_795_000_000,
        rfc3339: NOW.into(),
    }
}

/// Publishes an upload, optionally to an alias, with the default tolerance.
pub fn publish(kv: &MemoryKv, upload: &ModelUpload, alias: Option<Alias>) -> u64 {
    block_on(registry::publish(kv, upload, alias, false, 0.01, NOW))
        .expect("publish")
        .version
}

/// Match ids whose published features are the fixture's expected rows.
pub const FIRST_MATCH: i64 = 1000;

/// A live data version whose feature records are the rows of
/// `expected.json` (match ids FIRST_MATCH + row), nulls left out as the
/// publisher does, each with its [`fixture_kickoff`] and no list of
/// training matches (a bundle without `trained_matches.json`).
pub fn publish_features(kv: &MemoryKv) -> Vec<(i64, serde_json::Value)> {
    publish_feature_records(kv, |i, values| {
        FeatureRecord::encode(fixture_kickoff(i), i < 10, None, values)
    })
}

/// [`publish_features`] as a version of `run_id`'s batch, whose lists say
/// that run's served fit learned the results of the rows `learned` picks.
pub fn publish_features_of(kv: &MemoryKv, run_id: &str, learned: impl Fn(usize) -> bool) {
    publish_feature_records(kv, |i, values| {
        FeatureRecord::encode(fixture_kickoff(i), i < 10, Some(learned(i)), values)
    });
    set_run(kv, run_id);
}

/// Names `run_id` as the run of the live data version's batch
/// (`DataPointer::model_run_id`).
pub fn set_run(kv: &MemoryKv, run_id: &str) {
    block_on(async {
        let raw = kv.get(layout::CURRENT).await.unwrap().unwrap();
        let mut pointer: DataPointer = serde_json::from_slice(&raw).unwrap();
        pointer.model_run_id = run_id.into();
        kv.set(layout::CURRENT, &serde_json::to_vec(&pointer).unwrap())
            .await
            .unwrap();
    });
}

/// Kick-off of the fixture's row `i`: rows 0-9 were played (finished) on
/// consecutive days of 2023 (row 0 on 2 January), rows 10 and up are
/// fixtures after [`NOW`].
pub fn fixture_kickoff(i: usize) -> &'static str {
    const PLAYED: [&str; 10] = [
        "2023-01-02T15:00:00Z",
        "2023-01-03T15:00:00Z",
        "2023-01-04T15:00:00Z",
        "2023-01-05T15:00:00Z",
        "2023-01-06T15:00:00Z",
        "2023-01-07T15:00:00Z",
        "2023-01-08T15:00:00Z",
        "2023-01-09T15:00:00Z",
        "2023-01-10T15:00:00Z",
        "2023-01-11T15:00:00Z",
    ];
    PLAYED.get(i).copied().unwrap_or("2026-11-28T15:00:00Z")
}

/// The same data version with each record as `encode` writes it from the
/// row's index and feature values.
pub fn publish_feature_records(
    kv: &MemoryKv,
    encode: impl Fn(usize, FeatureValues) -> Vec<u8>,
) -> Vec<(i64, serde_json::Value)> {
    let expected = json_fixture("expected.json");
    let rows: Vec<(i64, serde_json::Value)> = expected["rows"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, r)| (FIRST_MATCH + i as i64, r.clone()))
        .collect();
    let buckets = 4u32;
    let mut grouped: std::collections::BTreeMap<u32, Vec<(i64, Vec<u8>)>> = Default::default();
    for (i, (id, row)) in rows.iter().enumerate() {
        let values: FeatureValues = row["features"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        grouped
            .entry(layout::bucket_of(*id, buckets))
            .or_default()
            .push((*id, encode(i, values)));
    }
    block_on(async {
        for (bucket, mut records) in grouped {
            let value = RecordBucket::encode(&mut records).unwrap();
            kv.set(&layout::feature_bucket_key(DATA_VERSION, bucket), &value)
                .await
                .unwrap();
        }
        make_live(kv, DATA_VERSION, buckets, None).await;
    });
    rows
}

/// Points `data/current` at `version`, as a publish's last write does.
async fn make_live(
    kv: &MemoryKv,
    version: &str,
    buckets: u32,
    recent_results: Option<matchday_core::recent::RecentResults>,
) {
    let pointer = DataPointer {
        version: version.into(),
        buckets,
        chunk_rows: layout::CHUNK_ROWS as u32,
        published_at: COMPUTED_AT.into(),
        as_of: "2023-04-01T00:00:00Z".into(),
        predictions_computed_at: COMPUTED_AT.into(),
        model_run_id: "run".into(),
        counts: Counts::default(),
        market: None,
        recent_results,
    };
    kv.set(layout::CURRENT, &serde_json::to_vec(&pointer).unwrap())
        .await
        .unwrap();
}

pub struct Service {
    pub kv: MemoryKv,
    pub models: ModelCache,
    pub settings: Settings,
    pub now: Now,
}

impl Service {
    pub fn new() -> Service {
        Service {
            kv: MemoryKv::new(),
            models: ModelCache::default(),
            settings: Settings::default(),
            now: now(),
        }
    }

    pub fn call(&self, method: &str, target: &str, body: &[u8]) -> HttpResponse {
        self.handle(method, target, body).response
    }

    /// The response and what the request served (for the metrics).
    pub fn handle(&self, method: &str, target: &str, body: &[u8]) -> predict::Handled {
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (target, None),
        };
        let request = Request {
            method,
            path,
            query,
            body,
        };
        block_on(predict::handle(
            &request,
            &self.kv,
            &self.models,
            &self.settings,
            &self.now,
        ))
    }

    pub fn get(&self, target: &str) -> HttpResponse {
        self.call("GET", target, b"")
    }

    pub fn post(&self, target: &str, body: &str) -> HttpResponse {
        self.call("POST", target, body.as_bytes())
    }
}

pub fn body(response: &HttpResponse) -> serde_json::Value {
    serde_json::from_slice(&response.body).unwrap_or_else(|e| {
        panic!(
            "status {}: not JSON ({e}): {}",
            response.status,
            String::from_utf8_lossy(&response.body)
        )
    })
}

/// Asserts the one error shape and returns (code, fields).
pub fn error(response: &HttpResponse, status: u16) -> (String, Vec<String>) {
    assert_eq!(
        response.status,
        status,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    let v = body(response);
    let code = v["error"]["code"].as_str().expect("error.code").to_string();
    assert!(v["error"]["message"].is_string());
    let fields = v["error"]["fields"]
        .as_array()
        .map(|a| a.iter().map(|f| f.as_str().unwrap().to_string()).collect())
        .unwrap_or_default();
    (code, fields)
}

/// The card with its holdout log-loss and the end of its training window
/// (`data_window.train_to`, as the sidecar's cards record it) replaced.
pub fn trained_to(upload: &ModelUpload, log_loss: f64, train_to: &str) -> ModelUpload {
    let upload = with_log_loss(upload, Some(log_loss));
    let mut card: serde_json::Value = serde_json::from_slice(&upload.card).unwrap();
    card["data_window"]["train_to"] = train_to.into();
    card["run_id"] = format!("run-{train_to}-{log_loss}").into();
    ModelUpload {
        onnx: upload.onnx,
        card: serde_json::to_vec(&card).unwrap(),
        holdout: None,
    }
}

/// One finished match of a data version's recent results.
pub struct Finished {
    pub kickoff: String,
    pub outcome: u8,
    pub features: serde_json::Value,
}

/// A live data version `version` whose recent results are `rows` (in
/// kick-off order), chunked as the publisher chunks them.
pub fn publish_recent_results(kv: &MemoryKv, version: &str, rows: &[Finished]) {
    use matchday_core::codec::RowChunk;
    use matchday_core::recent::RecentResult;
    let encoded: Vec<Vec<u8>> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            RecentResult {
                match_id: 5000 + i as i64,
                kickoff: r.kickoff.clone(),
                outcome: r.outcome,
                features: serde_json::value::to_raw_value(&r.features).unwrap(),
            }
            .to_json()
        })
        .collect();
    block_on(async {
        // Chunks of 100 rows, not the publisher's 64: the reader follows the pointer.
        for (i, chunk) in encoded.chunks(100).enumerate() {
            let key = layout::chunk_key(version, &layout::Listing::RecentResults, i);
            kv.set(&key, &RowChunk::encode(chunk)).await.unwrap();
        }
        let recent = matchday_core::recent::RecentResults {
            rows: rows.len() as u32,
            chunk_rows: 100,
        };
        make_live(kv, version, 1, Some(recent)).await;
    });
}
