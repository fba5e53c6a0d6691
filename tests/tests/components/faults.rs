//! Faults injected into the KV store under the real components: a store
//! that is down or fails mid-request answers 503 with `Retry-After` (never a
//! panic, never internals), and a publish interrupted halfway leaves the
//! previous version live with no orphaned `current` pointer.

use matchday_core::response::DATA_VERSION_HEADER;
use matchday_host::{KvFaults, KvOp};
use matchday_tests::http::Reply;
use matchday_tests::sample::{sample, with_run_id};
use matchday_tests::{ADMIN_TOKEN, AppOptions, TestApp};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

const READ_PATHS: &[&str] = &[
    "/predict/matches/",
    "/predict/predictions/?limit=10",
    "/livescores/",
    "/predict/precomputed/1",
];

fn assert_unavailable(reply: &Reply, what: &str) {
    assert_eq!(reply.status, 503, "{what}: {}", reply.text());
    assert!(reply.header("retry-after").is_some(), "{what}: Retry-After");
    let body = reply.json();
    assert_eq!(body["error"]["code"], "unavailable", "{what}: {body}");
    let text = reply.text().to_lowercase();
    for leak in [
        "sqlite",
        "injected",
        "panic",
        "kverror",
        "key-value store error",
    ] {
        assert!(!text.contains(leak), "{what} leaks `{leak}`: {text}");
    }
}

fn bearer() -> String {
    format!("Bearer {ADMIN_TOKEN}")
}

#[test]
fn a_store_that_is_down_is_503_with_retry_after() {
    let mut cases = 0;
    for faults in [KvFaults::FailEveryOp, KvFaults::FailReads] {
        let app = TestApp::start_with(AppOptions {
            kv_faults: faults.clone(),
            ..AppOptions::default()
        });
        for path in READ_PATHS {
            assert_unavailable(&app.get(path), &format!("{faults:?} GET {path}"));
            cases += 1;
        }
        let reply = app.get_with("/admin/versions", &[("authorization", &bearer())]);
        assert_unavailable(&reply, &format!("{faults:?} /admin/versions"));
        cases += 1;
        // Credentials are still checked first: the store's state is not
        // revealed to a caller without a key.
        assert_eq!(app.get_anonymous("/predict/matches/", &[]).status, 401);
    }
    eprintln!("fault cases (store down): {cases}, all 503 + Retry-After");
}

#[test]
fn a_store_failing_mid_request_is_503() {
    // The version pointer reads fine, everything after it fails: the
    // handler has started and must still answer cleanly.
    let armed = Arc::new(AtomicBool::new(false));
    let flag = armed.clone();
    let app = TestApp::start_with(AppOptions {
        kv_faults: KvFaults::Custom(Arc::new(move |op, _store, key| {
            (flag.load(Ordering::SeqCst) && op == KvOp::Get && key != "data/current")
                .then(|| "injected: read failed mid-request".to_string())
        })),
        ..AppOptions::default()
    });
    assert_eq!(app.publish(&sample().bundle).status, 201);
    armed.store(true, Ordering::SeqCst);
    let mut cases = 0;
    for path in READ_PATHS {
        let reply = app.get(path);
        // /predict/precomputed/1 may be a 404 decided from the index it
        // cannot read: either way, never a 500.
        assert_unavailable(&reply, &format!("mid-request GET {path}"));
        cases += 1;
    }
    armed.store(false, Ordering::SeqCst);
    assert_eq!(app.get("/predict/matches/").status, 200, "recovers at once");
    eprintln!("fault cases (mid-request): {cases}, all 503 + Retry-After");
}

#[test]
fn a_publish_interrupted_halfway_leaves_the_previous_version_live() {
    // Once armed, `allow` more writes succeed and every later one fails.
    let armed = Arc::new(AtomicBool::new(false));
    let writes = Arc::new(AtomicU64::new(0));
    let (flag, count) = (armed.clone(), writes.clone());
    let app = TestApp::start_with(AppOptions {
        kv_faults: KvFaults::Custom(Arc::new(move |op, _store, _key| {
            if !op.is_write() || !flag.load(Ordering::SeqCst) {
                return None;
            }
            (count.fetch_sub(1, Ordering::SeqCst) == 0).then(|| {
                count.store(0, Ordering::SeqCst);
                "injected: write failed".to_string()
            })
        })),
        ..AppOptions::default()
    });
    let first = app.publish(&with_run_id(&sample().bundle, "run-live"));
    assert_eq!(first.status, 201, "{}", first.text());
    let live = app.get("/predict/matches/");
    let live_version = live.header(DATA_VERSION_HEADER).unwrap().to_string();

    let mut cases = 0;
    for allow in [0u64, 1, 5, 50] {
        writes.store(allow, Ordering::SeqCst);
        armed.store(true, Ordering::SeqCst);
        let reply = app.publish(&with_run_id(
            &sample().bundle,
            &format!("run-broken-{allow}"),
        ));
        armed.store(false, Ordering::SeqCst);
        assert!(
            reply.status == 503 || reply.status == 201,
            "interrupted after {allow} writes: {} {}",
            reply.status,
            reply.text()
        );
        if reply.status == 201 {
            continue; // the publish needed fewer writes than allowed
        }
        assert!(reply.header("retry-after").is_some());
        cases += 1;
        // The previous version is still the one served, whole.
        let now = app.get("/predict/matches/");
        assert_eq!(now.status, 200, "{}", now.text());
        assert_eq!(now.header(DATA_VERSION_HEADER), Some(live_version.as_str()));
        let rows = app.get("/predict/predictions/?limit=50").json();
        for row in rows.as_array().unwrap() {
            assert_eq!(row["model_run_id"], "run-live", "{row}");
        }
        let listed = app
            .get_with("/admin/versions", &[("authorization", &bearer())])
            .json();
        assert_eq!(
            listed["current"]["version"],
            live_version.as_str(),
            "{listed}"
        );
    }
    assert!(cases >= 4, "only {cases} publishes were interrupted");
    // With the store healthy again, publishing works.
    let healed = app.publish(&with_run_id(&sample().bundle, "run-after"));
    assert_eq!(healed.status, 201, "{}", healed.text());
    eprintln!("fault cases (interrupted publish): {cases}, previous version served each time");
}

#[test]
fn readers_during_publish_and_rollback_see_one_version_each() {
    let app = Arc::new(TestApp::start());
    assert_eq!(
        app.publish(&with_run_id(&sample().bundle, "run-a")).status,
        201
    );
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let (app, stop) = (app.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut checked = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let reply = app.get("/predict/predictions/?limit=300&offset=100");
                    assert_eq!(reply.status, 200, "{}", reply.text());
                    let rows = reply.json();
                    let runs: std::collections::BTreeSet<String> = rows
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|r| r["model_run_id"].as_str().unwrap().to_string())
                        .collect();
                    assert_eq!(runs.len(), 1, "a page mixes versions: {runs:?}");
                    checked += 1;
                }
                checked
            })
        })
        .collect();
    for run in ["run-b", "run-c"] {
        assert_eq!(app.publish(&with_run_id(&sample().bundle, run)).status, 201);
        let reply = app.post_anonymous("/admin/rollback", b"", &[("authorization", &bearer())]);
        assert_eq!(reply.status, 200, "{}", reply.text());
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    let total: u64 = readers.into_iter().map(|r| r.join().expect("reader")).sum();
    eprintln!("{total} responses during 2 publishes and 2 rollbacks, each from one version");
    assert!(total > 0);
}
