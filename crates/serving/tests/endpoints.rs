//! The `predict` endpoint group end to end on `MemoryKv`: the BYO fixture
//! served exactly, input validation, stages, hot reload, the prediction
//! cache and async tasks.

mod support;

use matchday_core::kv::{KvError, KvRead, KvWrite, MemoryKv};
use matchday_serving::api::{ModelInfo, PredictResponse, TaskState, TaskStatus};
use matchday_serving::predict::Settings;
use matchday_serving::registry::{self, Alias, PromoteRequest};
use matchday_serving::upload::ModelUpload;
use serde_json::json;
use support::*;

fn predict_body(features: &serde_json::Value, match_id: Option<i64>) -> String {
    json!({"match_id": match_id, "features": features}).to_string()
}

fn parsed(response: &matchday_core::response::HttpResponse) -> PredictResponse {
    assert_eq!(
        response.status,
        200,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    serde_json::from_slice(&response.body).unwrap()
}

fn assert_probabilities(got: &PredictResponse, expected: &serde_json::Value, tolerance: f64) {
    let p = got.prediction.probabilities.as_array();
    for (i, e) in expected.as_array().unwrap().iter().enumerate() {
        let e = e.as_f64().unwrap();
        assert!(
            (p[i] - e).abs() <= tolerance,
            "class {i}: served {} vs onnxruntime {e}",
            p[i]
        );
    }
    assert!(p.iter().all(|x| x.is_finite() && (0.0..=1.0).contains(x)));
    assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-6);
    assert_eq!(
        got.prediction.predicted_class,
        got.prediction.probabilities.predicted_class()
    );
}

#[test]
fn the_skl2onnx_fixture_is_served_with_onnxruntimes_probabilities() {
    let service = Service::new();
    let v1 = publish(&service.kv, &logreg(), Some(Alias::Candidate));
    let rows = publish_features(&service.kv);
    for (id, row) in &rows {
        // Inline, nulls included (filled with the card's fill values).
        let got = parsed(&service.post("/predict/", &predict_body(&row["features"], None)));
        assert_probabilities(&got, &row["probabilities"], 1e-5);
        assert_eq!(got.prediction.model_version, v1.to_string());
        assert_eq!(got.prediction.model_stage, "champion");
        assert_eq!(got.features_computed_at, None);
        // By id, from the published records (nulls left out).
        let got = parsed(&service.get(&format!("/predict/{id}")));
        assert_probabilities(&got, &row["probabilities"], 1e-5);
        assert_eq!(got.match_id, Some(*id));
        assert_eq!(got.features_computed_at.as_deref(), Some(COMPUTED_AT));
    }
    // A left-out feature is filled exactly like a null one.
    let row = &rows[12].1;
    let mut sparse = row["features"].as_object().unwrap().clone();
    sparse.retain(|_, v| !v.is_null());
    let got = parsed(&service.post("/predict", &predict_body(&json!(sparse), None)));
    assert_probabilities(&got, &row["probabilities"], 1e-5);
}

#[test]
fn a_tree_ensemble_is_served_too_through_the_challenger_stage() {
    let service = Service::new();
    publish(&service.kv, &logreg(), None);
    let v2 = publish(&service.kv, &trees(), Some(Alias::Challenger));
    for row in json_fixture("gbt_expected.json")["rows"]
        .as_array()
        .unwrap()
    {
        let got = parsed(&service.post(
            "/predict/?stage=challenger",
            &predict_body(&row["features"], None),
        ));
        assert_probabilities(&got, &row["probabilities"], 1e-5);
        assert_eq!(got.prediction.model_version, v2.to_string());
        assert_eq!(got.prediction.model_stage, "challenger");
    }
}

#[test]
fn bad_features_are_a_422_listing_every_offending_name() {
    let service = Service::new();
    publish(&service.kv, &logreg(), None);
    let body = r#"{"features": {"diff_elo": NaN, "diff_win_5_mean": "0.1", "nope": 1, "diff_draw_5_mean": Infinity,
                   "diff_points_5_mean": -Infinity, "diff_goals_for_5_mean": true, "diff_goals_against_5_mean": 1e999}}"#;
    let response = service.post("/predict/", body);
    let (code, mut fields) = error(&response, 422);
    assert_eq!(code, "invalid_fields");
    fields.sort();
    assert_eq!(
        fields,
        vec![
            "diff_draw_5_mean",
            "diff_elo",
            "diff_goals_against_5_mean",
            "diff_goals_for_5_mean",
            "diff_points_5_mean",
            "diff_win_5_mean",
            "nope"
        ]
    );
    let message = body_text(&response);
    assert!(
        message.contains("NaN") && message.contains("not a feature of this model"),
        "{message}"
    );
    assert!(
        message.contains("The model takes: diff_win_5_mean"),
        "{message}"
    );
}

fn body_text(response: &matchday_core::response::HttpResponse) -> String {
    String::from_utf8_lossy(&response.body).into_owned()
}

#[test]
fn malformed_requests_are_client_errors() {
    let service = Service::new();
    publish(&service.kv, &logreg(), None);
    assert_eq!(error(&service.post("/predict/", "{"), 400).0, "bad_request");
    assert_eq!(
        error(&service.post("/predict/", "{}"), 422).1,
        vec!["features"]
    );
    assert_eq!(
        error(
            &service.post("/predict/", r#"{"match_id": "x", "features": {}}"#),
            422
        )
        .1,
        vec!["match_id"]
    );
    assert_eq!(error(&service.get("/predict/abc"), 422).1, vec!["match_id"]);
    assert_eq!(
        error(&service.get("/predict/"), 405).0,
        "method_not_allowed"
    );
    assert_eq!(
        error(&service.post("/predict/12", "{}"), 405).0,
        "method_not_allowed"
    );
    assert_eq!(error(&service.get("/predict/1/2"), 404).0, "not_found");
    assert_eq!(
        error(&service.get("/predict/model/info?stage=x&stage=y"), 422).1,
        vec!["stage"]
    );
}

#[test]
fn stage_must_be_champion_or_challenger_and_have_a_model() {
    let service = Service::new();
    publish_features(&service.kv);
    // No model at all: 503 with Retry-After, saying so.
    let response = service.get("/predict/1000");
    assert_eq!(error(&response, 503).0, "no_model");
    assert_eq!(response.header("retry-after"), Some("5"));
    assert!(body_text(&response).contains("champion"));

    publish(&service.kv, &logreg(), None);
    for target in [
        "/predict/1000?stage=candidate",
        "/predict/1000?stage=",
        "/predict/model/info?stage=prod",
    ] {
        assert_eq!(
            error(&service.get(target), 422).1,
            vec!["stage"],
            "{target}"
        );
    }
    assert_eq!(
        error(
            &service.post("/predict/?stage=staging", r#"{"features":{}}"#),
            422
        )
        .1,
        vec!["stage"]
    );
    let response = service.get("/predict/1000?stage=challenger");
    assert_eq!(error(&response, 503).0, "no_model");
    assert!(body_text(&response).contains("challenger"));
    assert_eq!(service.get("/predict/1000?stage=champion").status, 200);
    // Client errors do not depend on the model being there.
    assert_eq!(
        error(
            &service.post("/predict/?stage=challenger", r#"{"features":{"a":NaN}}"#),
            422
        )
        .1,
        vec!["a"]
    );
}

#[test]
fn a_match_without_published_features_is_404() {
    let service = Service::new();
    publish(&service.kv, &logreg(), None);
    assert_eq!(error(&service.get("/predict/1000"), 404).0, "not_found"); // nothing published
    publish_features(&service.kv);
    assert_eq!(service.get("/predict/1000").status, 200);
    assert_eq!(error(&service.get("/predict/999"), 404).0, "not_found");
    assert_eq!(
        error(
            &service.post("/predict/async/", r#"{"match_id": 999}"#),
            404
        )
        .0,
        "not_found"
    );
}

fn promote(kv: &MemoryKv, alias: Alias, version: u64, force: bool) {
    block_on(registry::promote(
        kv,
        &PromoteRequest {
            alias,
            version,
            force,
        },
        0.01,
        NOW,
    ))
    .expect("promote");
}

/// The upload with the training window `matchday train` writes into its
/// card (first kick-off after the burn-in, as-of date).
fn with_window(upload: &ModelUpload, train_from: &str, as_of: &str) -> ModelUpload {
    let mut card: serde_json::Value = serde_json::from_slice(&upload.card).unwrap();
    card["data_window"]["train_from"] = train_from.into();
    card["data_window"]["as_of"] = as_of.into();
    card["run_id"] = format!("run-window-{as_of}").into();
    ModelUpload {
        onnx: upload.onnx.clone(),
        card: serde_json::to_vec(&card).unwrap(),
        holdout: None,
    }
}

#[test]
fn a_prediction_by_id_says_whether_the_answering_model_learned_the_result() {
    let service = Service::new();
    publish_features(&service.kv);
    // The skl2onnx card names no training window: only a fixture, whose
    // result exists nowhere yet, can be told.
    let windowless = publish(&service.kv, &logreg(), None);
    let flag = |target: &str| parsed(&service.get(target)).out_of_sample;
    assert_eq!(flag("/predict/1003"), None);
    assert_eq!(flag("/predict/1012"), Some(true));
    let raw: serde_json::Value =
        serde_json::from_slice(&service.get("/predict/1003").body).unwrap();
    assert!(
        raw["out_of_sample"].is_null() && raw.as_object().unwrap().contains_key("out_of_sample")
    );

    // Trained from row 2's kick-off up to the moment row 7's result was
    // known (2 h 30 min after its kick-off; `fixture_kickoff`), but row 4
    // is not among its training matches (a league imported after
    // training): its run's lists, not the window, say so.
    let windowed = with_window(&logreg(), "2023-01-04T15:00:00Z", "2023-01-09T17:30:00Z");
    let v2 = publish(&service.kv, &windowed, None);
    promote(&service.kv, Alias::Champion, v2, true);
    promote(&service.kv, Alias::Challenger, windowless, true);
    let learned = |i: usize| (2..=7).contains(&i) && i != 4;
    publish_features_of(&service.kv, &registry_run_id(&windowed), learned);
    for i in 0..15 {
        let id = FIRST_MATCH + i as i64;
        let expected = Some(!learned(i));
        let got = parsed(&service.get(&format!("/predict/{id}")));
        assert_eq!(got.prediction.model_version, v2.to_string());
        assert_eq!(
            got.out_of_sample,
            expected,
            "row {i} ({})",
            fixture_kickoff(i)
        );
        let again = parsed(&service.get(&format!("/predict/{id}")));
        assert!(again.cached);
        assert_eq!(again.out_of_sample, expected, "row {i} from the cache");
    }
    // The flag is the answering model's: the lists are of another run's
    // model, and the challenger has no window.
    assert_eq!(flag("/predict/1003?stage=challenger"), None);
    assert_eq!(flag("/predict/1012?stage=challenger"), Some(true));
    // Inline features are of no published match.
    let inline = service.post(
        "/predict/",
        &predict_body(&json!({"diff_elo": 12.0}), Some(1003)),
    );
    assert_eq!(parsed(&inline).out_of_sample, None);
}

#[test]
fn without_its_own_runs_lists_a_model_is_never_said_to_have_learned_a_result() {
    // The lists of another run, or none (a bundle without them): the window
    // cannot vouch that the model saw a result inside it (a league imported
    // after training would look the same), while what lies outside it is
    // out of sample anyway.
    let windowed = with_window(&logreg(), "2023-01-04T15:00:00Z", "2023-01-09T17:30:00Z");
    for own_run_without_lists in [false, true] {
        let service = Service::new();
        if own_run_without_lists {
            publish_features(&service.kv);
            set_run(&service.kv, &registry_run_id(&windowed));
        } else {
            publish_features_of(&service.kv, "another-run", |_| true);
        }
        publish(&service.kv, &windowed, None);
        for i in 0..15 {
            let got = parsed(&service.get(&format!("/predict/{}", FIRST_MATCH + i as i64)));
            let expected = if (2..=7).contains(&i) {
                None
            } else {
                Some(true)
            };
            assert_eq!(
                got.out_of_sample, expected,
                "row {i}, own run without lists: {own_run_without_lists}"
            );
        }
    }
}

#[test]
fn records_published_before_the_flag_are_served_without_it() {
    let service = Service::new();
    let rows = publish_feature_records(&service.kv, |_, values| {
        serde_json::to_vec(&values).unwrap()
    });
    let model = with_window(&logreg(), "2023-01-01T00:00:00Z", "2024-01-01T00:00:00Z");
    set_run(&service.kv, &registry_run_id(&model));
    publish(&service.kv, &model, None);
    for (id, row) in &rows {
        let got = parsed(&service.get(&format!("/predict/{id}")));
        assert_probabilities(&got, &row["probabilities"], 1e-5);
        assert_eq!(got.out_of_sample, None, "match {id}");
    }
}

#[test]
fn an_alias_move_is_served_by_the_next_request_of_the_same_instance() {
    let service = Service::new();
    publish_features(&service.kv);
    let v1 = publish(&service.kv, &logreg(), None);
    let v2 = publish(&service.kv, &trees(), Some(Alias::Candidate));
    let first = parsed(&service.get("/predict/1000"));
    assert_eq!(first.prediction.model_version, v1.to_string());
    let first_inline = parsed(&service.post("/predict/", r#"{"features": {"diff_elo": 120}}"#));
    assert_eq!(service.models.loads(), 1);

    promote(&service.kv, Alias::Champion, v2, true);
    let second = parsed(&service.get("/predict/1000"));
    assert_eq!(second.prediction.model_version, v2.to_string());
    assert_ne!(
        second.prediction.probabilities,
        first.prediction.probabilities
    );
    assert_eq!(second.prediction.model_run_id, registry_run_id(&trees()));
    let second_inline = parsed(&service.post("/predict/", r#"{"features": {"diff_elo": 120}}"#));
    assert_eq!(second_inline.prediction.model_version, v2.to_string());
    assert_ne!(
        second_inline.prediction.probabilities,
        first_inline.prediction.probabilities
    );
    assert_eq!(service.models.loads(), 2);

    // Rolling back is just another move: v1 is still loaded in the instance.
    block_on(registry::rollback(&service.kv, Alias::Champion, NOW)).unwrap();
    assert_eq!(
        parsed(&service.get("/predict/1001"))
            .prediction
            .model_version,
        v1.to_string()
    );
    assert_eq!(service.models.loads(), 2);
}

fn registry_run_id(upload: &matchday_serving::upload::ModelUpload) -> String {
    let card: serde_json::Value = serde_json::from_slice(&upload.card).unwrap();
    card["run_id"].as_str().unwrap().to_string()
}

#[test]
fn an_instance_loads_a_version_once_and_a_fresh_one_gives_the_same_answer() {
    let mut service = Service::new();
    service.settings.cache_ttl_seconds = 0;
    publish_features(&service.kv);
    publish(&service.kv, &logreg(), None);
    let answers: Vec<_> = (0..10)
        .map(|i| parsed(&service.get(&format!("/predict/{}", 1000 + i % 3))))
        .collect();
    assert_eq!(service.models.loads(), 1);
    assert!(answers.iter().all(|a| !a.cached));
    let fresh = Service {
        kv: service.kv,
        settings: service.settings,
        ..Service::new()
    };
    assert_eq!(parsed(&fresh.get("/predict/1000")), answers[0]);
    assert_eq!(fresh.models.loads(), 1);
}

#[test]
fn the_prediction_cache_hits_on_the_second_call_and_misses_after_an_alias_flip() {
    let service = Service::new();
    publish_features(&service.kv);
    let v1 = publish(&service.kv, &logreg(), None);
    let v2 = publish(&service.kv, &trees(), None);

    let first = parsed(&service.get("/predict/1000"));
    assert!(!first.cached);
    let second = parsed(&service.get("/predict/1000"));
    assert!(second.cached);
    assert_eq!(second.prediction, first.prediction);
    assert_eq!(second.features_computed_at, first.features_computed_at);
    // The stage label is the request's, even from the cache.
    promote(&service.kv, Alias::Challenger, v1, false);
    let via_challenger = parsed(&service.get("/predict/1000?stage=challenger"));
    assert!(via_challenger.cached);
    assert_eq!(via_challenger.prediction.model_stage, "challenger");

    promote(&service.kv, Alias::Champion, v2, true);
    let flipped = parsed(&service.get("/predict/1000"));
    assert!(
        !flipped.cached,
        "a new model version must not be answered from the old one's cache"
    );
    assert_eq!(flipped.prediction.model_version, v2.to_string());
    assert!(parsed(&service.get("/predict/1000")).cached);
}

fn cache_keys(kv: &MemoryKv) -> Vec<String> {
    block_on(kv.keys_with_prefix("predcache/")).unwrap()
}

#[test]
fn inline_requests_are_cached_only_with_a_match_id_and_by_their_features() {
    let service = Service::new();
    publish(&service.kv, &logreg(), None);
    let features = r#"{"diff_elo": 50}"#;
    for _ in 0..2 {
        let r = parsed(&service.post("/predict/", &format!(r#"{{"features": {features}}}"#)));
        assert!(!r.cached);
    }
    assert!(cache_keys(&service.kv).is_empty());

    let with_id = format!(r#"{{"match_id": 7, "features": {features}}}"#);
    assert!(!parsed(&service.post("/predict/", &with_id)).cached);
    assert!(parsed(&service.post("/predict/", &with_id)).cached);
    // Same match, other features: never someone else's answer. One entry
    // per (model, match): the new answer replaces the old one, so a client
    // varying its features cannot grow the store.
    let other_body = r#"{"match_id": 7, "features": {"diff_elo": -50}}"#;
    let other = parsed(&service.post("/predict/", other_body));
    assert!(!other.cached);
    assert_eq!(cache_keys(&service.kv), ["predcache/1/inline/7"]);
    assert!(parsed(&service.post("/predict/", other_body)).cached);
    assert!(!parsed(&service.post("/predict/", &with_id)).cached);
    for elo in 0..20 {
        let body = format!(r#"{{"match_id": 7, "features": {{"diff_elo": {elo}}}}}"#);
        assert!(!parsed(&service.post("/predict/", &body)).cached);
    }
    assert_eq!(cache_keys(&service.kv).len(), 1);
}

#[test]
fn each_request_says_what_it_served_for_the_metrics() {
    let service = Service::new();
    publish_features(&service.kv);
    publish(&service.kv, &logreg(), None);
    let served = |method: &str, target: &str, body: &str| {
        service.handle(method, target, body.as_bytes()).served
    };
    let first = served("GET", "/predict/1000", "");
    assert_eq!(first.prediction, Some("sync"));
    assert_eq!(first.prediction_cache_hit, Some(false));
    assert_eq!(first.model_cache_hit, Some(false));
    let second = served("GET", "/predict/1000", "");
    assert_eq!(second.prediction_cache_hit, Some(true));
    assert_eq!(second.model_cache_hit, None, "a cache hit needs no model");
    let inline = served("POST", "/predict/", r#"{"features": {"diff_elo": 5}}"#);
    assert_eq!(
        (
            inline.prediction,
            inline.prediction_cache_hit,
            inline.model_cache_hit
        ),
        (Some("sync"), None, Some(true))
    );
    let task = served("POST", "/predict/async/", r#"{"match_id": 1000}"#);
    assert_eq!(task.prediction, Some("async"));
    let unknown = served("GET", "/predict/999999", "");
    assert_eq!(unknown.prediction, None);
    assert_eq!(served("GET", "/predict/model/info", "").prediction, None);
}

#[test]
fn cache_entries_expire_and_ttl_zero_turns_the_cache_off() {
    let mut service = Service::new();
    publish_features(&service.kv);
    publish(&service.kv, &logreg(), None);
    service.settings.cache_ttl_seconds = 60;
    assert!(!parsed(&service.get("/predict/1000")).cached);
    service.now.unix += 59;
    assert!(parsed(&service.get("/predict/1000")).cached);
    service.now.unix += 1;
    assert!(!parsed(&service.get("/predict/1000")).cached, "expired");

    let off = Service {
        settings: Settings {
            cache_ttl_seconds: 0,
            ..Settings::default()
        },
        ..Service::new()
    };
    publish_features(&off.kv);
    publish(&off.kv, &logreg(), None);
    for _ in 0..2 {
        assert!(!parsed(&off.get("/predict/1000")).cached);
    }
    assert!(cache_keys(&off.kv).is_empty());
}

#[test]
fn a_failed_cache_write_still_answers() {
    let service = Service::new();
    publish_features(&service.kv);
    publish(&service.kv, &logreg(), None);
    service.kv.fail_writes_after(0);
    assert!(!parsed(&service.get("/predict/1000")).cached);
    assert!(!parsed(&service.get("/predict/1000")).cached);
}

/// A store whose reads fail (writes too).
struct DownKv;
impl KvRead for DownKv {
    async fn get(&self, _: &str) -> Result<Option<Vec<u8>>, KvError> {
        Err(KvError("down".into()))
    }
}
impl KvWrite for DownKv {
    async fn set(&self, _: &str, _: &[u8]) -> Result<(), KvError> {
        Err(KvError("down".into()))
    }
    async fn delete(&self, _: &str) -> Result<(), KvError> {
        Err(KvError("down".into()))
    }
    async fn keys_with_prefix(&self, _: &str) -> Result<Vec<String>, KvError> {
        Err(KvError("down".into()))
    }
}

#[test]
fn a_store_outage_is_a_503_with_retry_after_and_no_internals() {
    let models = matchday_serving::model::ModelCache::default();
    for (method, target, body) in [
        ("GET", "/predict/1000", ""),
        ("POST", "/predict/", r#"{"features": {}}"#),
        ("GET", "/predict/model/info", ""),
        ("POST", "/predict/async/", r#"{"match_id": 1000}"#),
        (
            "GET",
            "/monitoring/task_status/123e4567-e89b-42d3-a456-426614174000",
            "",
        ),
    ] {
        let (path, query) = target
            .split_once('?')
            .map_or((target, None), |(p, q)| (p, Some(q)));
        let request = matchday_serving::predict::Request {
            method,
            path,
            query,
            body: body.as_bytes(),
        };
        let response = block_on(matchday_serving::predict::handle(
            &request,
            &DownKv,
            &models,
            &Settings::default(),
            &now(),
        ))
        .response;
        assert_eq!(error(&response, 503).0, "unavailable", "{target}");
        assert_eq!(response.header("retry-after"), Some("5"));
        assert!(
            !body_text(&response).contains("down"),
            "internal detail leaked"
        );
    }
}

#[test]
fn model_info_describes_the_aliased_version() {
    let service = Service::new();
    publish(&service.kv, &logreg(), None);
    let v2 = publish(&service.kv, &trees(), Some(Alias::Challenger));
    let response = service.get("/predict/model/info?stage=challenger");
    assert_eq!(response.status, 200);
    let info: ModelInfo = serde_json::from_slice(&response.body).unwrap();
    let card = json_fixture("gbt_model_card.json");
    assert_eq!(info.model_name, "byo-gbt");
    assert_eq!(info.version, v2.to_string());
    assert_eq!(info.stage, "challenger");
    assert_eq!(info.run_id, card["run_id"].as_str().unwrap());
    assert_eq!(
        info.metrics.log_loss,
        card["test_metrics"]["log_loss"].as_f64()
    );
    assert!(
        info.metrics.rps.is_some()
            && info.metrics.brier.is_some()
            && info.metrics.accuracy.is_some()
            && info.metrics.ece.is_some()
    );
    assert_eq!(info.feature_names.len(), 6);
    assert_eq!(info.feature_names[5], "diff_elo");
    assert_eq!(info.params["n_estimators"], "100");
    assert_eq!(info.created_at, "2026-11-23T12:00:00Z");
    assert_eq!(info.registered_at.as_deref(), Some(NOW));
    // Info needs no model load.
    assert_eq!(service.models.loads(), 0);
    // Nor the registry index, which grows with every registration: the
    // version's own entry says when it was registered.
    service.kv.fail_reads_of(registry::keys::INDEX);
    let again: ModelInfo =
        serde_json::from_slice(&service.get("/predict/model/info?stage=challenger").body).unwrap();
    assert_eq!(again.registered_at.as_deref(), Some(NOW));
    service.kv.fail_reads(false);
    let champion: ModelInfo =
        serde_json::from_slice(&service.get("/predict/model/info").body).unwrap();
    assert_eq!(champion.model_name, "byo-logreg");
}

#[test]
fn an_async_task_runs_before_the_202_and_polling_reads_its_final_state() {
    let mut service = Service::new();
    let rows = publish_features(&service.kv);
    publish(&service.kv, &logreg(), None);
    let response = service.post("/predict/async/", r#"{"match_id": 1000}"#);
    assert_eq!(response.status, 202, "{}", body_text(&response));
    let accepted = body(&response);
    assert_eq!(accepted["status"], "submitted");
    let task_id = accepted["task_id"].as_str().unwrap().to_string();
    let status_url = accepted["status_url"].as_str().unwrap().to_string();
    assert_eq!(status_url, format!("/monitoring/task_status/{task_id}"));
    assert_eq!(response.header("location"), Some(status_url.as_str()));

    for _ in 0..2 {
        let polled = service.get(&status_url);
        assert_eq!(polled.status, 200);
        let status: TaskStatus = serde_json::from_slice(&polled.body).unwrap();
        assert_eq!(status.status, TaskState::Success);
        assert!(status.error.is_none());
        let result = status.result.unwrap();
        assert_eq!(result.match_id, Some(1000));
        assert_probabilities(&result, &rows[0].1["probabilities"], 1e-5);
    }
    // Expired: unknown, and the record is gone.
    service.now.unix += service.settings.task_ttl_seconds as i64;
    assert_eq!(error(&service.get(&status_url), 404).0, "not_found");
    assert!(
        block_on(service.kv.get(&format!("task/{task_id}")))
            .unwrap()
            .is_none()
    );
}

#[test]
fn task_errors_and_unknown_tasks() {
    let service = Service::new();
    publish_features(&service.kv);
    assert_eq!(
        error(
            &service.post("/predict/async/", r#"{"match_id": 1000}"#),
            503
        )
        .0,
        "no_model"
    );
    publish(&service.kv, &logreg(), None);
    assert_eq!(
        error(&service.post("/predict/async/", "{}"), 422).1,
        vec!["match_id"]
    );
    assert_eq!(
        error(
            &service.post("/predict/async/", r#"{"match_id": 1.5}"#),
            422
        )
        .1,
        vec!["match_id"]
    );
    assert_eq!(
        error(
            &service.post("/predict/async/?stage=boss", r#"{"match_id": 1000}"#),
            422
        )
        .1,
        vec!["stage"]
    );
    assert_eq!(
        error(&service.get("/predict/async/"), 405).0,
        "method_not_allowed"
    );
    // Refused requests create no task.
    assert!(
        block_on(service.kv.keys_with_prefix("task/"))
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        error(
            &service.get("/monitoring/task_status/123e4567-e89b-42d3-a456-426614174000"),
            404
        )
        .0,
        "not_found"
    );
    assert_eq!(
        error(&service.get("/monitoring/task_status/..%2Fdata"), 404).0,
        "not_found"
    );
    assert_eq!(
        error(&service.post("/monitoring/task_status/x", ""), 405).0,
        "method_not_allowed"
    );
}

#[test]
fn every_response_reports_where_its_time_went() {
    let service = Service::new();
    publish_features(&service.kv);
    publish(&service.kv, &logreg(), None);
    let miss = service.get("/predict/1000");
    let timing = miss.header("server-timing").unwrap();
    assert!(
        timing.starts_with("kv;dur=")
            && timing.contains("load;dur=")
            && timing.contains("desc=\"miss\"")
            && timing.contains("infer;dur="),
        "{timing}"
    );
    let hit = service.post("/predict/", r#"{"features": {}}"#);
    assert!(
        hit.header("server-timing")
            .unwrap()
            .contains("desc=\"hit\"")
    );
    assert!(
        service
            .get("/predict/nope")
            .header("server-timing")
            .is_some()
    );
}
