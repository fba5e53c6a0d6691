//! The `predict` component and admin's model registry through the real
//! manifest, components and host: every endpoint and error code, hot reload,
//! the prediction cache, publish-time validation, the BYO fixture and our
//! own tree ensemble.

use matchday_core::response::DATA_VERSION_HEADER;
use matchday_core::types::PrecomputedPrediction;
use matchday_host::KvFaults;
use matchday_publish::records::DataSet;
use matchday_serving::api::{ModelInfo, PredictResponse, TaskState, TaskStatus};
use matchday_serving::card::ServingCard;
use matchday_serving::upload::ModelUpload;
use matchday_sidecar::commands::pipeline::{self, TrainArgs};
use matchday_tests::http::Reply;
use matchday_tests::sample::{decode, sample};
use matchday_tests::{ADMIN_TOKEN, AppOptions, TestApp, workspace_root};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

fn bearer() -> String {
    format!("Bearer {ADMIN_TOKEN}")
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(workspace_root().join("tests/fixtures/byo_model").join(name)).expect("fixture")
}

fn byo_logreg() -> ModelUpload {
    ModelUpload {
        onnx: fixture("model.onnx"),
        card: fixture("model_card.json"),
        holdout: None,
    }
}

/// The model.onnx, model_card.json and holdout_model.onnx that `matchday
/// train` wrote to `dir`.
fn model_in(dir: &std::path::Path) -> ModelUpload {
    ModelUpload {
        onnx: std::fs::read(dir.join("model.onnx")).expect("model.onnx"),
        card: std::fs::read(dir.join("model_card.json")).expect("model_card.json"),
        holdout: Some(std::fs::read(dir.join("holdout_model.onnx")).expect("holdout_model.onnx")),
    }
}

/// The model the sample's pipeline trained (the one its batch predictions
/// of upcoming matches were made with).
fn sample_model() -> ModelUpload {
    model_in(&sample().data_dir.join("work"))
}

fn publish_model(app: &TestApp, model: &ModelUpload, query: &str) -> Reply {
    let auth = bearer();
    app.post(
        &format!("/admin/models{query}"),
        &model.pack().unwrap(),
        &[
            ("authorization", &auth),
            ("content-type", "application/x-tar"),
        ],
    )
}

fn promote(app: &TestApp, alias: &str, version: u64, force: bool) -> Reply {
    let auth = bearer();
    let body = json!({"version": version, "force": force}).to_string();
    app.post(
        &format!("/admin/models/aliases/{alias}"),
        body.as_bytes(),
        &[("authorization", &auth)],
    )
}

fn prediction(reply: &Reply) -> PredictResponse {
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("content-type"), Some("application/json"));
    serde_json::from_slice(&reply.body).expect("a PredictResponse")
}

fn error_code(reply: &Reply, status: u16) -> (String, Vec<String>) {
    assert_eq!(reply.status, status, "{}", reply.text());
    let body = reply.json();
    let fields = body["error"]["fields"]
        .as_array()
        .map(|a| a.iter().map(|f| f.as_str().unwrap().to_string()).collect())
        .unwrap_or_default();
    (
        body["error"]["code"]
            .as_str()
            .expect("error shape")
            .to_string(),
        fields,
    )
}

/// An app with the sample data published and the sample's model as
/// champion (version 1).
pub(crate) fn app_with_model(options: AppOptions) -> TestApp {
    let app = TestApp::start_with(options);
    let reply = app.publish(&sample().bundle);
    assert_eq!(reply.status, 201, "{}", reply.text());
    let reply = publish_model(&app, &sample_model(), "");
    assert_eq!(reply.status, 201, "{}", reply.text());
    let outcome = reply.json();
    assert_eq!(outcome["version"], 1);
    let aliases: Vec<&str> = outcome["aliases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["alias"].as_str().unwrap())
        .collect();
    assert_eq!(
        aliases,
        vec!["candidate", "champion"],
        "the first model becomes champion"
    );
    app
}

fn features_of(data: &DataSet, match_id: i64) -> Value {
    let row = data
        .features
        .rows
        .iter()
        .find(|r| r.match_id == match_id)
        .expect("feature row");
    let map: serde_json::Map<String, Value> = data
        .features
        .names
        .iter()
        .zip(&row.values)
        .map(|(n, v)| (n.clone(), v.map_or(Value::Null, Value::from)))
        .collect();
    Value::Object(map)
}

fn close(a: [f64; 3], b: [f64; 3], tolerance: f64) -> bool {
    a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tolerance)
}

/// The sample's first upcoming match.
fn upcoming(data: &DataSet) -> &PrecomputedPrediction {
    data.predictions
        .iter()
        .find(|p| p.is_future)
        .expect("an upcoming match")
}

fn check_every_endpoint(app: &TestApp) {
    let data = decode(&sample().bundle);
    let upcoming = upcoming(&data);
    let batch = [
        upcoming.probabilities.home_win,
        upcoming.probabilities.draw,
        upcoming.probabilities.away_win,
    ];

    // GET /predict/{id}: the champion on the published features agrees with
    // the sidecar's batch prediction for that match (same model, same row).
    let reply = app.get(&format!("/predict/{}", upcoming.match_id));
    let got = prediction(&reply);
    assert_eq!(got.match_id, Some(upcoming.match_id));
    assert!(!got.cached);
    assert_eq!(
        got.features_computed_at.as_deref(),
        Some(data.manifest.predictions_computed_at.as_str())
    );
    assert_eq!(got.prediction.model_version, "1");
    assert_eq!(got.prediction.model_stage, "champion");
    assert_eq!(got.prediction.model_run_id, upcoming.model_run_id);
    assert_eq!(
        got.out_of_sample,
        Some(true),
        "a fixture's result is in no fit"
    );
    let p = got.prediction.probabilities.as_array();
    assert!(close(p, batch, 1e-5), "online {p:?} vs batch {batch:?}");
    assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-6);
    assert_eq!(
        got.prediction.predicted_class,
        upcoming.predicted_class.label()
    );
    assert!(reply.header(DATA_VERSION_HEADER).is_some());
    let timing = reply.header("server-timing").expect("server-timing");
    assert!(
        timing.contains("kv;dur=") && timing.contains("infer;dur="),
        "{timing}"
    );

    // POST /predict/: the same features inline give the same answer.
    let body =
        json!({"match_id": null, "features": features_of(&data, upcoming.match_id)}).to_string();
    let inline = prediction(&app.post("/predict/", body.as_bytes(), &[]));
    assert!(close(inline.prediction.probabilities.as_array(), p, 1e-6));
    assert_eq!(
        (inline.match_id, inline.cached, inline.features_computed_at),
        (None, false, None)
    );

    // GET /predict/model/info.
    let info: ModelInfo =
        serde_json::from_slice(&app.get("/predict/model/info").body).expect("ModelInfo");
    let card: Value = serde_json::from_slice(&sample_model().card).unwrap();
    assert_eq!(info.version, "1");
    assert_eq!(info.stage, "champion");
    assert_eq!(info.model_name, card["name"].as_str().unwrap());
    assert_eq!(info.run_id, upcoming.model_run_id);
    assert_eq!(
        info.feature_names,
        card["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    );
    // serde_json's default float parsing may differ from the text by an ulp.
    let log_loss = card["test_metrics"]["log_loss"].as_f64().unwrap();
    assert!((info.metrics.log_loss.unwrap() - log_loss).abs() < 1e-12);
    assert!(
        info.metrics.rps.is_some()
            && info.metrics.brier.is_some()
            && info.metrics.accuracy.is_some()
            && info.metrics.ece.is_some()
    );
    assert!(!info.params.is_empty());
    assert_eq!(info.created_at, card["created_at"].as_str().unwrap());
    // What the registry knows of the version (its entry key; the unit tests
    // show the index is not needed), as predict and monitoring serve it.
    assert!(info.registered_at.is_some());
    let health = app.get("/healthcheck/").json();
    assert_eq!(health["models"][0]["alias"], "champion");
    assert_eq!(health["models"][0]["version"], "1");
    assert_eq!(health["models"][0]["run_id"], card["run_id"]);
    assert_eq!(health["models"][0]["created_at"], card["created_at"]);

    // POST /predict/async/ → 202; the task is already complete.
    let reply = app.post(
        "/predict/async/",
        json!({"match_id": upcoming.match_id})
            .to_string()
            .as_bytes(),
        &[],
    );
    assert_eq!(reply.status, 202, "{}", reply.text());
    let accepted = reply.json();
    assert_eq!(accepted["status"], "submitted");
    let status: TaskStatus =
        serde_json::from_slice(&app.get(accepted["status_url"].as_str().unwrap()).body).unwrap();
    assert_eq!(status.task_id, accepted["task_id"].as_str().unwrap());
    assert_eq!(status.status, TaskState::Success);
    let result = status.result.expect("a result");
    assert!(close(result.prediction.probabilities.as_array(), p, 1e-12));

    // Error codes, each in the one JSON shape.
    assert_eq!(
        error_code(
            &app.get("/monitoring/task_status/123e4567-e89b-42d3-a456-426614174000"),
            404
        )
        .0,
        "not_found"
    );
    assert_eq!(error_code(&app.get("/predict/1"), 404).0, "not_found");
    assert_eq!(
        error_code(&app.get("/predict/not-a-number"), 422).1,
        vec!["match_id"]
    );
    assert_eq!(
        error_code(
            &app.get(&format!("/predict/{}?stage=staging", upcoming.match_id)),
            422
        )
        .1,
        vec!["stage"]
    );
    assert_eq!(
        error_code(&app.get("/predict/model/info?stage=candidate"), 422).1,
        vec!["stage"]
    );
    let challenger = app.get(&format!("/predict/{}?stage=challenger", upcoming.match_id));
    assert_eq!(error_code(&challenger, 503).0, "no_model");
    assert!(challenger.header("retry-after").is_some());
    let bad =
        br#"{"features": {"diff_elo": NaN, "no_such_feature": 1, "diff_win_5_mean": "high"}}"#;
    let (code, mut fields) = error_code(&app.post("/predict/", bad, &[]), 422);
    fields.sort();
    assert_eq!(
        (code.as_str(), fields),
        (
            "invalid_fields",
            vec![
                "diff_elo".to_string(),
                "diff_win_5_mean".into(),
                "no_such_feature".into()
            ]
        )
    );
    assert_eq!(
        error_code(&app.post("/predict/", b"{not json", &[]), 400).0,
        "bad_request"
    );
    assert_eq!(
        error_code(&app.post("/predict/async/", b"{}", &[]), 422).1,
        vec!["match_id"]
    );
    assert_eq!(
        error_code(
            &app.post("/predict/async/", br#"{"match_id": 1}"#, &[]),
            404
        )
        .0,
        "not_found"
    );
    assert_eq!(
        error_code(&app.get("/predict/async/"), 405).0,
        "method_not_allowed"
    );
    assert_eq!(
        error_code(&app.post("/predict/model/info", b"", &[]), 405).0,
        "method_not_allowed"
    );
    // lookup still owns its routes under /predict/.
    assert_eq!(
        app.get(&format!("/predict/precomputed/{}", upcoming.match_id))
            .status,
        200
    );
}

#[test]
fn every_predict_endpoint_answers_with_the_published_champion() {
    check_every_endpoint(&app_with_model(AppOptions::default()));
}

#[test]
fn every_predict_endpoint_is_correct_on_a_fresh_instance_per_request() {
    check_every_endpoint(&app_with_model(AppOptions {
        fresh_instance: true,
        ..AppOptions::default()
    }));
}

#[test]
fn a_prediction_by_id_says_whether_the_served_fit_learned_the_result() {
    // The served fit learned from every finished match after the burn-in
    // year, the test split included. So `/predict/{id}` is in sample where
    // the batch forecast is (the holdout fit's training matches, checked
    // against the card's window and count in lookup.rs) and on the test
    // split, and out of sample on fixtures and the burn-in year. This
    // checks the wiring through the real host (the lists `train` wrote,
    // through the bundle, into the feature records); the rule's edges are
    // checked natively, and the lists against the fit's own training rows
    // in matchday-ml.
    let app = app_with_model(AppOptions::default());
    // The same weights under another run's card, as challenger: the
    // published lists are not its run's, so it is never said to have
    // learned a result.
    let mut card: Value = serde_json::from_slice(&sample_model().card).unwrap();
    card["run_id"] = "another-run".into();
    let other = ModelUpload {
        onnx: sample_model().onnx,
        card: serde_json::to_vec(&card).unwrap(),
        holdout: None,
    };
    assert_eq!(publish_model(&app, &other, "?alias=challenger").status, 201);
    let data = decode(&sample().bundle);
    let card = ServingCard::parse(&sample_model().card).unwrap();
    let split = card.data_window["split_date"].as_str().unwrap();
    let split = chrono::DateTime::parse_from_rfc3339(split).unwrap();
    let mut kinds = std::collections::BTreeMap::new();
    // Every seventh match: all four kinds, in a few seconds.
    for p in data.predictions.iter().step_by(7) {
        let kickoff = chrono::DateTime::parse_from_rfc3339(&p.start_time_utc).unwrap();
        let (kind, expected) = match (p.is_future, p.out_of_sample, kickoff >= split) {
            (true, _, _) => ("fixture", true),
            (false, Some(false), _) => ("holdout training", false),
            (false, Some(true), true) => ("test split", false),
            (false, Some(true), false) => ("burn-in", true),
            (false, None, _) => panic!("the sample's batch flags every match"),
        };
        let got = prediction(&app.get(&format!("/predict/{}", p.match_id)));
        assert_eq!(got.out_of_sample, Some(expected), "{kind}: {p:?}");
        let path = format!("/predict/{}?stage=challenger", p.match_id);
        let other = prediction(&app.get(&path)).out_of_sample;
        assert_eq!(other, expected.then_some(true), "challenger, {kind}: {p:?}");
        *kinds.entry(kind).or_insert(0) += 1;
    }
    assert_eq!(kinds.len(), 4, "{kinds:?}");
}

fn hot_reload(options: AppOptions) {
    let app = app_with_model(options);
    let data = decode(&sample().bundle);
    let id = upcoming(&data).match_id;
    let path = format!("/predict/{id}");
    let reply = publish_model(&app, &byo_logreg(), "?alias=challenger");
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(reply.json()["version"], 2);

    let before = prediction(&app.get(&path));
    assert_eq!(
        (before.prediction.model_version.as_str(), before.cached),
        ("1", false)
    );
    let again = prediction(&app.get(&path));
    assert_eq!(
        (again.prediction.model_version.as_str(), again.cached),
        ("1", true),
        "second call is a cache hit"
    );
    assert_eq!(
        again.prediction.probabilities,
        before.prediction.probabilities
    );
    // The challenger answers for another match: cache keys are per model
    // version, not per alias, so asking it for `path` would warm the entry
    // the champion finds after the flip below.
    let other = data
        .predictions
        .iter()
        .filter(|p| p.is_future)
        .nth(1)
        .unwrap()
        .match_id;
    let other_path = format!("/predict/{other}");
    let challenger = prediction(&app.get(&format!("{other_path}?stage=challenger")));
    assert_eq!(
        (
            challenger.prediction.model_version.as_str(),
            challenger.prediction.model_stage.as_str()
        ),
        ("2", "challenger")
    );

    // Flip the champion between two requests: no restart, no redeploy.
    let reply = promote(&app, "champion", 2, true);
    assert_eq!(reply.status, 200, "{}", reply.text());
    let after = prediction(&app.get(&path));
    assert_eq!(
        after.prediction.model_version, "2",
        "the next request uses the new champion"
    );
    assert!(!after.cached, "a new model version misses the cache");
    assert_eq!(
        after.prediction.model_run_id,
        challenger.prediction.model_run_id
    );
    assert_ne!(
        after.prediction.probabilities,
        before.prediction.probabilities
    );
    assert_eq!(app.get("/predict/model/info").json()["version"], "2");
    assert!(prediction(&app.get(&path)).cached);
    let shared = prediction(&app.get(&other_path));
    assert_eq!(
        (shared.prediction.model_stage.as_str(), shared.cached),
        ("champion", true),
        "an entry belongs to the model version, whichever alias asked for it"
    );

    // And back.
    let auth = bearer();
    let reply = app.post(
        "/admin/models/aliases/champion/rollback",
        b"",
        &[("authorization", &auth)],
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let back = prediction(&app.get(&path));
    assert_eq!(
        (back.prediction.model_version.as_str(), back.cached),
        ("1", true)
    );
}

#[test]
fn moving_the_champion_alias_takes_effect_on_the_next_request() {
    hot_reload(AppOptions::default());
}

#[test]
fn moving_the_champion_alias_takes_effect_on_a_fresh_instance_too() {
    hot_reload(AppOptions {
        fresh_instance: true,
        ..AppOptions::default()
    });
}

#[test]
fn broken_models_are_refused_at_publish_and_the_champion_keeps_serving() {
    let app = app_with_model(AppOptions::default());
    let id = upcoming(&decode(&sample().bundle)).match_id;
    let card = fixture("model_card.json");
    let mut corrupt = fixture("model.onnx");
    corrupt.truncate(300);
    for (what, onnx, needle) in [
        ("corrupt", corrupt, "could not be loaded"),
        (
            "wrong width",
            fixture("narrow_model.onnx"),
            "5 features per row, the card lists 6",
        ),
        ("NaN output", fixture("nan_model.onnx"), "dry run"),
    ] {
        let reply = publish_model(
            &app,
            &ModelUpload {
                onnx,
                card: card.clone(),
                holdout: None,
            },
            "?alias=champion&force=true",
        );
        assert_eq!(error_code(&reply, 422).0, "invalid_model", "{what}");
        assert!(reply.text().contains(needle), "{what}: {}", reply.text());
        let served = prediction(&app.get(&format!("/predict/{id}")));
        assert_eq!(
            served.prediction.model_version, "1",
            "{what}: the old champion still serves"
        );
    }
    let auth = bearer();
    let list = app
        .get_with("/admin/models", &[("authorization", &auth)])
        .json();
    assert_eq!(
        list["versions"].as_array().unwrap().len(),
        1,
        "nothing was registered"
    );
}

#[test]
fn the_skl2onnx_fixture_serves_onnxruntimes_probabilities() {
    let app = TestApp::start();
    let reply = publish_model(&app, &byo_logreg(), "?alias=champion");
    assert_eq!(reply.status, 201, "{}", reply.text());
    let expected: Value = serde_json::from_slice(&fixture("expected.json")).unwrap();
    let tolerance = expected["tolerance"].as_f64().unwrap();
    for row in expected["rows"].as_array().unwrap() {
        let body = json!({"features": row["features"]}).to_string();
        let got = prediction(&app.post("/predict/", body.as_bytes(), &[]));
        let want: Vec<f64> = row["probabilities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert!(
            close(
                got.prediction.probabilities.as_array(),
                [want[0], want[1], want[2]],
                tolerance
            ),
            "{got:?} vs {want:?}"
        );
    }
    // No data published: by-id is a 404, inline still works.
    assert_eq!(error_code(&app.get("/predict/1"), 404).0, "not_found");
}

#[test]
fn our_tree_ensemble_candidate_is_served_as_tract_runs_it_natively() {
    // `matchday train --candidate gbdt --out DIR` on the sample: the
    // hessboost trees as the level-by-level Gather graph; the work
    // directory's model (the selected champion) stays as it was.
    let sample = sample();
    let work = sample.data_dir.join("work");
    let champion_before = model_in(&work);
    let out = tempfile::tempdir().unwrap();
    let args = TrainArgs {
        candidate: Some("gbdt".into()),
        out: Some(out.path().to_path_buf()),
    };
    pipeline::train(&sample.data_dir, &args).unwrap();
    let champion_after = model_in(&work);
    assert_eq!(champion_after.onnx, champion_before.onnx);
    assert_eq!(champion_after.card, champion_before.card);
    let trees = model_in(out.path());
    let card: Value = serde_json::from_slice(&trees.card).unwrap();
    assert_eq!(card["model_type"], "gradient_boosted_trees");

    let app = app_with_model(AppOptions::default());
    let reply = publish_model(&app, &trees, "?alias=none");
    assert_eq!(reply.status, 201, "{}", reply.text());
    let version = reply.json()["version"].as_u64().unwrap();
    assert_eq!(promote(&app, "champion", version, true).status, 200);

    let data = decode(&sample.bundle);
    let features = features_of(&data, upcoming(&data).match_id);
    let body = json!({ "features": features }).to_string();
    let served = prediction(&app.post("/predict/", body.as_bytes(), &[]));
    assert_eq!(served.prediction.model_version, version.to_string());
    let names = ServingCard::parse(&trees.card).unwrap().feature_names();
    let row: Vec<f32> = names
        .iter()
        .map(|n| features[n].as_f64().map_or(f32::NAN, |v| v as f32))
        .collect();
    let native = matchday_inference::load(&trees.onnx, &names, 1)
        .unwrap()
        .predict(&[row])
        .unwrap()[0]
        .map(f64::from);
    assert!(
        close(served.prediction.probabilities.as_array(), native, 1e-6),
        "{served:?} vs {native:?}"
    );
}

#[test]
fn batch_predictions_come_from_the_holdout_fit_before_as_of_and_the_served_fit_after() {
    // The ROI reads the test split's predictions, so they must be out of
    // sample; an upcoming match is forecast as a request for it
    // would be, by the served model.
    let sample = sample();
    let work = sample.data_dir.join("work");
    let served = model_in(&work);
    let holdout = served.holdout.clone().expect("the holdout fit");
    let card = ServingCard::parse(&served.card).unwrap();
    let (names, fill) = (card.feature_names(), card.fill_values());
    let data = decode(&sample.bundle);
    let split = card.data_window["split_date"].as_str().unwrap();
    let finished = data
        .predictions
        .iter()
        .rev()
        .find(|p| !p.is_future && p.start_time_utc.as_str() > split)
        .expect("a finished match of the test split");
    let upcoming = upcoming(&data);
    // The served fit's missing inputs get the card's fill, the holdout's stay
    // NaN for its graph, as `matchday predict` feeds them.
    let forecast = |onnx: &[u8], p: &PrecomputedPrediction, fill: Option<&[f32]>| {
        let features = features_of(&data, p.match_id);
        let row: Vec<f32> = names
            .iter()
            .enumerate()
            .map(|(k, n)| {
                let missing = fill.map_or(f32::NAN, |f| f[k]);
                features[n].as_f64().map_or(missing, |v| v as f32)
            })
            .collect();
        matchday_inference::load(onnx, &names, 1)
            .unwrap()
            .predict(&[row])
            .unwrap()[0]
            .map(f64::from)
    };
    for (p, want, other) in [
        (
            finished,
            forecast(&holdout, finished, None),
            forecast(&served.onnx, finished, Some(&fill)),
        ),
        (
            upcoming,
            forecast(&served.onnx, upcoming, Some(&fill)),
            forecast(&holdout, upcoming, None),
        ),
    ] {
        let q = &p.probabilities;
        let got = [q.home_win, q.draw, q.away_win];
        assert!(close(got, want, 1e-6), "{p:?} vs {want:?}");
        assert!(!close(got, other, 1e-6), "the two fits differ: {p:?}");
    }
}

#[test]
fn model_routes_require_the_admin_token() {
    let app = TestApp::start();
    let packed = byo_logreg().pack().unwrap();
    let reply = app.post("/admin/models", &packed, &[]);
    assert_eq!(error_code(&reply, 401).0, "unauthorized");
    assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
    assert_eq!(
        error_code(
            &app.get_with("/admin/models", &[("authorization", "Bearer wrong")]),
            401
        )
        .0,
        "unauthorized"
    );
    assert_eq!(
        error_code(
            &app.post("/admin/models/aliases/champion", br#"{"version":1}"#, &[]),
            401
        )
        .0,
        "unauthorized"
    );
    assert_eq!(
        error_code(
            &app.post("/admin/models/aliases/champion/rollback", b"", &[]),
            401
        )
        .0,
        "unauthorized"
    );
    // Nothing reached the registry.
    assert_eq!(
        error_code(&app.get("/predict/model/info"), 503).0,
        "no_model"
    );
}

#[test]
fn the_promotion_gate_refuses_a_worse_model_unless_forced() {
    let app = app_with_model(AppOptions::default());
    let mut card: Value = serde_json::from_slice(&fixture("model_card.json")).unwrap();
    card["test_metrics"]["log_loss"] = json!(5.0);
    let worse = ModelUpload {
        onnx: fixture("model.onnx"),
        card: serde_json::to_vec(&card).unwrap(),
        holdout: None,
    };
    assert_eq!(publish_model(&app, &worse, "").status, 201);
    let reply = promote(&app, "champion", 2, false);
    assert_eq!(error_code(&reply, 409).0, "promotion_refused");
    assert!(reply.text().contains("tolerance"), "{}", reply.text());
    assert_eq!(app.get("/predict/model/info").json()["version"], "1");
    let reply = promote(&app, "champion", 2, true);
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["forced"], true);
    assert_eq!(app.get("/predict/model/info").json()["version"], "2");
}

#[test]
fn the_promotion_gate_rescores_both_models_inside_the_component() {
    let app = app_with_model(AppOptions::default());
    // The champion's own files under a card claiming a far worse holdout:
    // by the cards the gate would refuse it. Both served fits have seen
    // every finished match of the published data, so the gate re-scores
    // their holdout fits, which have not: the same model, it passes.
    let model = sample_model();
    let mut card: Value = serde_json::from_slice(&model.card).unwrap();
    card["test_metrics"]["log_loss"] = json!(5.0);
    // A holdout fit from another run than the card's is refused.
    let mut other_run = card.clone();
    other_run["run_id"] = json!("run-other");
    let mismatched = ModelUpload {
        card: serde_json::to_vec(&other_run).unwrap(),
        ..model.clone()
    };
    let reply = publish_model(&app, &mismatched, "?alias=none");
    assert_eq!(error_code(&reply, 422).0, "invalid_model");
    assert!(
        reply.text().contains("the card from run `run-other`"),
        "{}",
        reply.text()
    );
    let same = ModelUpload {
        card: serde_json::to_vec(&card).unwrap(),
        ..model.clone()
    };
    assert_eq!(publish_model(&app, &same, "?alias=none").status, 201);
    let started = std::time::Instant::now();
    let reply = promote(&app, "champion", 2, false);
    let took = started.elapsed();
    assert_eq!(reply.status, 200, "{}", reply.text());
    let gate = &reply.json()["gate"];
    let rescored = &gate["rescored"];
    assert_eq!(rescored["fits"], "holdout", "{gate}");
    assert_eq!(
        rescored["candidate_log_loss"],
        rescored["champion_log_loss"]
    );
    assert_eq!(
        rescored["difference_standard_error"], 0.0,
        "the same model: no difference to be noisy"
    );
    let matches = rescored["matches"].as_u64().expect("re-scored matches");
    assert!(matches >= 300, "{gate}");
    let log_loss = rescored["champion_log_loss"].as_f64().unwrap();
    assert!(
        log_loss > 0.8 && log_loss < 1.2,
        "a real model's log-loss: {gate}"
    );
    assert!(
        gate["message"].as_str().unwrap().contains(&format!(
            "on the same {matches} finished matches after both holdout fits' training windows"
        )),
        "{gate}"
    );
    eprintln!("promotion with a re-score of {matches} matches took {took:?}");
    assert_eq!(app.get("/predict/model/info").json()["version"], "2");

    // The holdout files are what is scored: a version whose "holdout" is
    // the served model (same run, so admin takes it), which has seen those
    // matches, scores better than the real holdout fit on them.
    let mut card: Value = serde_json::from_slice(&model.card).unwrap();
    card["test_metrics"]["log_loss"] = json!(4.0);
    let peeking = ModelUpload {
        holdout: Some(model.onnx.clone()),
        card: serde_json::to_vec(&card).unwrap(),
        ..model
    };
    assert_eq!(publish_model(&app, &peeking, "?alias=none").status, 201);
    let reply = promote(&app, "champion", 3, false);
    assert_eq!(reply.status, 200, "{}", reply.text());
    let rescored = &reply.json()["gate"]["rescored"];
    let (candidate, champion) = (
        rescored["candidate_log_loss"].as_f64().unwrap(),
        rescored["champion_log_loss"].as_f64().unwrap(),
    );
    assert!(candidate < champion, "{rescored}");
    assert_eq!(champion, log_loss, "the champion's holdout fit, as before");
}

#[test]
fn a_store_outage_is_a_503_with_retry_after() {
    let down = Arc::new(AtomicBool::new(false));
    let flag = down.clone();
    let faults = KvFaults::Custom(Arc::new(move |_, _, _| {
        flag.load(Ordering::Relaxed)
            .then(|| "disk on fire".to_string())
    }));
    let app = app_with_model(AppOptions {
        kv_faults: faults,
        ..AppOptions::default()
    });
    let id = decode(&sample().bundle).predictions[0].match_id;
    assert_eq!(app.get(&format!("/predict/{id}")).status, 200);
    down.store(true, Ordering::Relaxed);
    for reply in [
        app.get(&format!("/predict/{id}")),
        app.post("/predict/", br#"{"features": {}}"#, &[]),
        app.get("/predict/model/info"),
    ] {
        assert_eq!(error_code(&reply, 503).0, "unavailable");
        assert!(reply.header("retry-after").is_some());
        assert!(
            !reply.text().contains("fire"),
            "internal detail leaked: {}",
            reply.text()
        );
    }
}

#[test]
fn cache_ttl_zero_turns_the_prediction_cache_off() {
    let mut options = AppOptions::default();
    options
        .variables
        .insert("prediction_cache_ttl_seconds".into(), "0".into());
    let app = app_with_model(options);
    let id = decode(&sample().bundle).predictions[0].match_id;
    for _ in 0..3 {
        assert!(!prediction(&app.get(&format!("/predict/{id}"))).cached);
    }
}

#[test]
fn features_so_large_the_model_overflows_are_the_clients_to_fix() {
    let app = app_with_model(AppOptions::default());
    let card: Value = serde_json::from_slice(&sample_model().card).unwrap();
    let names: Vec<&str> = card["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    // Every value is a finite f32; standardised and weighted, with mixed
    // signs, they overflow to +inf and -inf in the same logit, whose sum is
    // not a number. Whatever the model makes of them, the answer is valid
    // probabilities or a 422 naming the features, never a 500.
    let mut refused = 0;
    for pattern in 0..4 {
        let features: Vec<String> = names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let negative = match pattern {
                    0 => false,
                    1 => true,
                    2 => i % 2 == 0,
                    _ => i % 2 == 1,
                };
                format!(r#""{n}": {}3.4e38"#, if negative { "-" } else { "" })
            })
            .collect();
        let body = format!(r#"{{"features": {{{}}}}}"#, features.join(", "));
        let reply = app.post("/predict/", body.as_bytes(), &[]);
        if reply.status == 200 {
            let p = prediction(&reply).prediction.probabilities;
            let sum = p.home_win + p.draw + p.away_win;
            assert!((sum - 1.0).abs() < 1e-6, "{}", reply.text());
        } else {
            let (code, fields) = error_code(&reply, 422);
            assert_eq!(code, "invalid_parameter", "{}", reply.text());
            assert_eq!(fields, ["features"]);
            refused += 1;
        }
    }
    eprintln!("{refused} of 4 sign patterns refused");
}
