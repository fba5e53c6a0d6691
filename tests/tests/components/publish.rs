//! The admin component: authenticated, validated, atomic publishing and
//! rollback, through the local host.

use matchday_core::response::DATA_VERSION_HEADER;
use matchday_publish::artifacts;
use matchday_tests::sample::{sample, with_file, with_run_id};
use matchday_tests::{ADMIN_TOKEN, TestApp};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

fn bearer() -> String {
    format!("Bearer {ADMIN_TOKEN}")
}

fn precomputed_id() -> i64 {
    matchday_tests::sample::decode(&sample().bundle).predictions[0].match_id
}

#[test]
fn publishing_requires_the_admin_token() {
    let app = TestApp::start();
    // The admin answers 401 before reading a body (an unauthenticated client
    // cannot make it buffer megabytes), so the probe body is small.
    for auth in [None, Some("Bearer wrong"), Some(ADMIN_TOKEN)] {
        let headers: Vec<(&str, &str)> = auth.map(|a| ("authorization", a)).into_iter().collect();
        let reply = app.post("/admin/publish", b"not read", &headers);
        assert_eq!(reply.status, 401, "{auth:?}");
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
        assert_eq!(reply.json()["error"]["code"], "unauthorized");
        assert!(!reply.text().contains(ADMIN_TOKEN));
    }
    assert_eq!(
        app.get_with("/admin/versions", &[("authorization", "Bearer nope")])
            .status,
        401
    );
    assert_eq!(
        app.get("/predict/precomputed/1").status,
        404,
        "nothing was published"
    );
}

#[test]
fn a_corrupt_parquet_is_rejected_and_the_old_version_keeps_serving() {
    let app = TestApp::start();
    assert_eq!(app.publish(&sample().bundle).status, 201);
    let path = format!("/predict/precomputed/{}", precomputed_id());
    let before = app.get(&path);
    assert_eq!(before.status, 200);

    let bundle = sample().bundle.clone();
    let mut predictions = matchday_publish::bundle::Bundle::unpack(&bundle)
        .unwrap()
        .files[artifacts::PREDICTIONS]
        .clone();
    let middle = predictions.len() / 2;
    predictions.truncate(middle); // a cut-off file
    let reply = app.publish(&with_file(&bundle, artifacts::PREDICTIONS, predictions));
    assert_eq!(reply.status, 422, "{}", reply.text());
    let message = reply.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("predictions.parquet"), "{message}");

    // A schema mismatch: matches.parquet carrying the features' columns.
    let features = matchday_publish::bundle::Bundle::unpack(&bundle)
        .unwrap()
        .files[artifacts::FEATURES]
        .clone();
    let reply = app.publish(&with_file(&bundle, artifacts::MATCHES, features));
    assert_eq!(reply.status, 422);
    assert!(
        reply.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("required column"),
        "{}",
        reply.text()
    );

    // Not a bundle at all.
    assert_eq!(app.publish(b"garbage").status, 422);

    let after = app.get(&path);
    assert_eq!(
        (after.status, after.header(DATA_VERSION_HEADER)),
        (200, before.header(DATA_VERSION_HEADER))
    );
    assert_eq!(after.body, before.body);
}

#[test]
fn rollback_makes_the_previous_version_live() {
    let app = TestApp::start();
    let path = format!("/predict/precomputed/{}", precomputed_id());
    assert_eq!(
        app.publish(&with_run_id(&sample().bundle, "first")).status,
        201
    );
    assert_eq!(
        app.publish(&with_run_id(&sample().bundle, "second")).status,
        201
    );
    assert_eq!(app.get(&path).json()["model_run_id"], "second");
    let reply = app.post("/admin/rollback", b"", &[("authorization", &bearer())]);
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(app.get(&path).json()["model_run_id"], "first");
    let reply = app.post("/admin/rollback", b"", &[("authorization", &bearer())]);
    assert_eq!(
        reply.status,
        409,
        "nothing older to roll back to: {}",
        reply.text()
    );
    assert_eq!(app.get(&path).json()["model_run_id"], "first");
}

/// Readers hammer two endpoints while versions are published; every response
/// must come from exactly one version: its header and its body agree, and a
/// page never mixes rows of two versions.
#[test]
fn readers_never_see_a_mixed_version_while_publishing() {
    let app = Arc::new(TestApp::start());
    assert_eq!(
        app.publish(&with_run_id(&sample().bundle, "run-0")).status,
        201
    );
    let id = precomputed_id();
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..4)
        .map(|i| {
            let (app, stop) = (app.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut seen: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
                let mut responses = 0;
                while !stop.load(Ordering::Relaxed) {
                    let reply = if i % 2 == 0 {
                        app.get(&format!("/predict/precomputed/{id}"))
                    } else {
                        app.get("/predict/predictions/?limit=300&offset=200")
                    };
                    assert_eq!(reply.status, 200, "{}", reply.text());
                    let version = reply.header(DATA_VERSION_HEADER).unwrap().to_string();
                    let body = reply.json();
                    let runs: BTreeSet<String> = match body.as_array() {
                        Some(rows) => rows
                            .iter()
                            .map(|r| r["model_run_id"].as_str().unwrap().to_string())
                            .collect(),
                        None => {
                            BTreeSet::from([body["model_run_id"].as_str().unwrap().to_string()])
                        }
                    };
                    assert_eq!(runs.len(), 1, "one response mixes versions: {runs:?}");
                    seen.entry(version).or_default().extend(runs);
                    responses += 1;
                }
                (seen, responses)
            })
        })
        .collect();
    for run in ["run-1", "run-2", "run-3"] {
        let reply = app.publish(&with_run_id(&sample().bundle, run));
        assert_eq!(reply.status, 201, "{}", reply.text());
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    let mut versions: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut total = 0;
    for reader in readers {
        let (seen, responses) = reader.join().expect("reader panicked");
        total += responses;
        for (version, runs) in seen {
            versions.entry(version).or_default().extend(runs);
        }
    }
    for (version, runs) in &versions {
        assert_eq!(
            runs.len(),
            1,
            "version {version} served several runs: {runs:?}"
        );
    }
    eprintln!(
        "{total} responses over {} versions, none mixed",
        versions.len()
    );
    assert!(
        versions.len() >= 2,
        "readers saw the flip (versions seen: {versions:?})"
    );
}
