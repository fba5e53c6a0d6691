//! End-to-end tests: the probe component (tests/components/host-probe)
//! served by the host in-process.
//!
//! These tests build nothing. They need
//! `target/wasm32-wasip2/release/host_probe.wasm` (or `host_probe.wasm` in
//! the directory named by `MATCHDAY_WASM_DIR`), built with
//! `cargo build --target wasm32-wasip2 --release -p host-probe`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use matchday_host::{Host, HostConfig, KvFaults, RunningHost};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SECRET: &str = "s3cret-token-value";

fn probe_wasm() -> PathBuf {
    let dir = match std::env::var_os("MATCHDAY_WASM_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/wasm32-wasip2/release"),
    };
    let wasm = dir.join("host_probe.wasm");
    assert!(
        wasm.is_file(),
        "{} not found: run `cargo build --target wasm32-wasip2 --release -p host-probe` first \
         (or set MATCHDAY_WASM_DIR to the directory holding host_probe.wasm)",
        wasm.display()
    );
    wasm
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A copy of the fixture app with the probe next to its manifest, plus its
/// own state directory (fresh KV store per test) and a shared compile cache.
struct App {
    dir: tempfile::TempDir,
}

impl App {
    fn new() -> Self {
        let wasm = probe_wasm();
        let dir = tempfile::tempdir().unwrap();
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/probe"),
            dir.path(),
        );
        std::fs::copy(wasm, dir.path().join("host_probe.wasm")).unwrap();
        Self { dir }
    }

    fn config(&self) -> HostConfig {
        let mut config = HostConfig::for_tests(self.dir.path().join("spin.toml"));
        config.cache_dir = Some(std::env::temp_dir().join("matchday-host-test-cache"));
        config.variable_env = Some(BTreeMap::from([(
            "SPIN_VARIABLE_ADMIN_TOKEN".to_string(),
            SECRET.to_string(),
        )]));
        config
    }

    async fn start(&self) -> RunningHost {
        Host::start(self.config()).await.expect("host starts")
    }
}

struct Reply {
    status: u16,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }
}

/// A deliberately minimal HTTP/1.1 client: one request per connection.
async fn get(host: &RunningHost, path: &str) -> Reply {
    let mut stream = tokio::net::TcpStream::connect(host.local_addr())
        .await
        .unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        host.local_addr()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut raw))
        .await
        .expect("response within 30s")
        .unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad response head: {head:?}"));
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    Reply { status, body }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
    out
}

fn header<'a>(reply: &'a Value, name: &str) -> &'a str {
    reply["headers"][name].as_str().unwrap_or("<missing>")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spin_headers_and_routing() {
    let app = App::new();
    let host = app.start().await;
    let addr = host.local_addr();

    let r = get(&host, "/probe/echo?x=1&y=two").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["path"], "/probe/echo");
    assert_eq!(v["query"], "x=1&y=two");
    assert_eq!(header(&v, "spin-path-info"), "/echo");
    assert_eq!(header(&v, "spin-matched-route"), "/probe/...");
    assert_eq!(header(&v, "spin-raw-component-route"), "/probe/...");
    assert_eq!(header(&v, "spin-component-route"), "/probe");
    assert_eq!(header(&v, "spin-base-path"), "/");
    assert_eq!(
        header(&v, "spin-full-url"),
        format!("http://{addr}/probe/echo?x=1&y=two")
    );
    assert!(header(&v, "spin-client-addr").starts_with("127.0.0.1:"));

    // The wildcard also matches its prefix itself.
    let v = get(&host, "/probe").await.json();
    assert_eq!(header(&v, "spin-path-info"), "");
    let v = get(&host, "/probe/").await.json();
    assert_eq!(header(&v, "spin-path-info"), "/");

    let v = get(&host, "/exact").await.json();
    assert_eq!(header(&v, "spin-matched-route"), "/exact");
    assert_eq!(header(&v, "spin-component-route"), "/exact");
    assert_eq!(header(&v, "spin-path-info"), "");

    let v = get(&host, "/items/42/reviews").await.json();
    assert_eq!(header(&v, "spin-path-match-id"), "42");
    assert_eq!(header(&v, "spin-path-info"), "/reviews");
    assert_eq!(header(&v, "spin-component-route"), "/items/:id");

    assert_eq!(get(&host, "/nothing/here").await.status, 404);
    assert_eq!(get(&host, "/exact/more").await.status, 404);
    let health = get(&host, "/.well-known/spin/health").await;
    assert_eq!((health.status, health.body.as_str()), (200, "OK"));

    let status = get(&host, "/probe/status?code=418").await;
    assert_eq!(status.status, 418);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_value_spin_and_wasi() {
    let app = App::new();
    let host = app.start().await;

    let r = get(&host, "/probe/kv-set?key=greeting&value=hi").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = get(&host, "/probe/kv-get?key=greeting").await.json();
    assert_eq!(v["result"]["value"], "hi");
    assert_eq!(
        host.kv().get("default", "greeting").unwrap().as_deref(),
        Some(&b"hi"[..])
    );
    host.kv().set("default", "seeded", b"from-test").unwrap();
    let v = get(&host, "/probe/kv-get?key=seeded").await.json();
    assert_eq!(v["result"]["value"], "from-test");
    let v = get(&host, "/probe/kv-get?key=absent").await.json();
    assert_eq!(v["result"]["value"], Value::Null);

    let r = get(&host, "/probe/kv-ops?key=ops").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let ops = &r.json()["result"];
    assert_eq!(ops["exists"], true);
    assert_eq!(ops["listed"], true);
    assert_eq!(ops["value"], "one");
    assert_eq!(ops["exists_after_delete"], false);

    // Store access follows key_value_stores, as on Spin.
    let v = get(&host, "/probe/open?store=other").await.json();
    assert_eq!(v["result"]["error"], "access-denied");
    let v = get(&host, "/nokv/open?store=default").await.json();
    assert_eq!(v["result"]["error"], "access-denied");
    let v = get(&host, "/nokv/wasi-open?store=default").await.json();
    assert_eq!(v["result"]["error"], "access-denied");
    let v = get(&host, "/probe/wasi-open?store=default").await.json();
    assert_eq!(v["result"]["opened"], "default");

    // wasi:keyvalue atomics: a counter stored as an 8-byte LE i64.
    for expected in 1..=3 {
        let r = get(&host, "/probe/count").await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["result"]["counter"], expected);
    }
    assert_eq!(
        host.kv().get("default", "probe-counter").unwrap(),
        Some(3i64.to_le_bytes().to_vec())
    );

    let r = get(&host, "/probe/batch").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let batch = &r.json()["result"];
    // Spin's SQLite store leaves missing keys out of get-many.
    assert_eq!(
        batch["got"],
        serde_json::json!([["batch/a", "1"], ["batch/b", "2"]])
    );
    assert_eq!(batch["a_exists_after_delete"], false);

    let r = get(&host, "/probe/cas").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json()["result"],
        serde_json::json!({
            "before": null,
            "first_swap": true,
            "blind_swap": false,
            "retry_saw": "1",
            "retry_swap": true,
            "final": "3",
        })
    );
    assert!(
        batch["keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k == "batch/b")
    );
    host.shutdown().await;

    // The data is in Spin's file and table under the state directory.
    let db = app.dir.path().join(".spin/sqlite_key_value.db");
    assert!(db.is_file(), "{} missing", db.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn variables_files_and_environment() {
    let app = App::new();
    let host = app.start().await;

    let var = |name: &'static str| {
        let host = &host;
        async move { get(host, &format!("/probe/var?name={name}")).await.json()["result"].clone() }
    };
    assert_eq!(var("greeting").await["value"], "hello, world");
    assert_eq!(var("token").await["value"], SECRET);
    assert_eq!(var("literal").await["value"], "plain");
    // Application variables are visible only through component variables.
    assert!(
        var("admin_token").await["error"]
            .as_str()
            .unwrap()
            .contains("Undefined")
    );
    assert!(
        var("Bad-Name").await["error"]
            .as_str()
            .unwrap()
            .contains("InvalidName")
    );

    let file = |path: &'static str| {
        let host = &host;
        async move { get(host, &format!("/probe/file?path={path}")).await.json()["result"].clone() }
    };
    assert_eq!(
        file("/static/hello.txt").await["content"],
        "hello from a static file\n"
    );
    assert_eq!(file("/static/sub/nested.txt").await["content"], "nested\n");
    assert_eq!(file("/assets/logo.txt").await["content"], "logo\n");
    assert!(file("/static/secret.txt").await["error"].is_string());
    assert!(file("/spin.toml").await["error"].is_string());
    let w = get(&host, "/probe/write-file?path=/static/new.txt")
        .await
        .json();
    assert!(
        w["result"]["error"].is_string(),
        "files must be read-only: {w}"
    );

    let v = get(&host, "/probe/env?name=PROBE_ENV").await.json();
    assert_eq!(v["result"]["value"], "from-manifest");
    let v = get(&host, "/probe/env?name=HOME").await.json();
    assert_eq!(v["result"]["value"], Value::Null, "host env must not leak");

    // A component without `files` sees no filesystem.
    let v = get(&host, "/nokv/file?path=/static/hello.txt").await.json();
    assert!(v["result"]["error"].is_string());
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_are_reused_unless_fresh() {
    let app = App::new();
    let host = app.start().await;
    let mut served = Vec::new();
    let mut instances = std::collections::BTreeSet::new();
    for _ in 0..5 {
        let v = get(&host, "/probe/echo").await.json();
        served.push(v["served"].as_u64().unwrap());
        instances.insert(v["instance"].as_str().unwrap().to_string());
    }
    assert_eq!(
        served,
        vec![1, 2, 3, 4, 5],
        "sequential requests reuse one instance"
    );
    assert_eq!(instances.len(), 1);

    // An instance idle for longer than the idle timeout (1 s) is dropped.
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let v = get(&host, "/probe/echo").await.json();
    assert_eq!(v["served"], 1, "idle instance should have been dropped");
    host.shutdown().await;

    let mut config = app.config();
    config.max_instance_reuse = Some(2);
    let host = Host::start(config).await.unwrap();
    let mut served = Vec::new();
    for _ in 0..4 {
        served.push(
            get(&host, "/probe/echo").await.json()["served"]
                .as_u64()
                .unwrap(),
        );
    }
    assert_eq!(
        served,
        vec![1, 2, 1, 2],
        "an instance is retired after 2 requests"
    );
    host.shutdown().await;

    let mut config = app.config();
    config.fresh_instance = true;
    let host = Host::start(config).await.unwrap();
    let mut instances = std::collections::BTreeSet::new();
    for _ in 0..4 {
        let v = get(&host, "/probe/echo").await.json();
        assert_eq!(v["served"], 1);
        instances.insert(v["instance"].as_str().unwrap().to_string());
    }
    assert_eq!(instances.len(), 4);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guest_panic_is_a_500_and_the_next_request_works() {
    let app = App::new();
    let host = app.start().await;
    assert_eq!(get(&host, "/probe/echo").await.status, 200);
    let r = get(&host, "/probe/panic").await;
    assert_eq!(r.status, 500);
    assert!(r.body.is_empty(), "no internals in the body: {:?}", r.body);
    for _ in 0..3 {
        let r = get(&host, "/probe/echo").await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kv_faults_reach_the_guest_as_errors() {
    let app = App::new();
    let mut config = app.config();
    config.kv_faults = KvFaults::FailAfterWrites(1);
    let host = Host::start(config).await.unwrap();
    assert_eq!(get(&host, "/probe/kv-set?key=a&value=1").await.status, 200);
    let r = get(&host, "/probe/kv-set?key=b&value=2").await;
    assert_eq!(r.status, 500);
    assert!(
        r.json()["error"]
            .as_str()
            .unwrap()
            .contains("injected fault"),
        "{}",
        r.body
    );
    assert_eq!(get(&host, "/probe/kv-get?key=a").await.status, 200);
    host.shutdown().await;

    let mut config = app.config();
    config.kv_faults = KvFaults::FailEveryOp;
    let host = Host::start(config).await.unwrap();
    assert_eq!(get(&host, "/probe/kv-get?key=a").await.status, 500);
    assert_eq!(get(&host, "/probe/count").await.status, 500);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_required_variable_stops_startup_without_leaking() {
    let app = App::new();
    let mut config = app.config();
    config.variable_env = Some(BTreeMap::new());
    let err = match Host::start(config).await {
        Ok(_) => panic!("must not start without admin_token"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains("admin_token"), "{err}");
    assert!(err.contains("SPIN_VARIABLE_ADMIN_TOKEN"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_component_reached_only_by_private_routes_is_still_loaded_at_startup() {
    // `spin up` loads every component of the app, served or not; a broken
    // one behind a private route must not start here either.
    let app = App::new();
    let manifest = app.dir.path().join("spin.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let private = "[component.probe-private]\nsource = \"host_probe.wasm\"";
    assert!(
        text.contains(private),
        "the fixture's private component moved"
    );
    std::fs::write(
        &manifest,
        text.replace(
            private,
            "[component.probe-private]\nsource = \"broken.wasm\"",
        ),
    )
    .unwrap();
    std::fs::write(app.dir.path().join("broken.wasm"), b"not a component").unwrap();
    let err = match Host::start(app.config()).await {
        Ok(_) => panic!("must not start with a broken private component"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains("probe-private"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compile_cache_is_written_and_reused() {
    let app = App::new();
    let cache = tempfile::tempdir().unwrap();
    let mut config = app.config();
    config.cache_dir = Some(cache.path().to_path_buf());
    Host::start(config.clone()).await.unwrap().shutdown().await;
    // One compiled artifact (beside it, the lock file parallel hosts wait on).
    let entries: Vec<_> = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_none_or(|ext| ext != "lock"))
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].extension().unwrap(), "cwasm");
    let before = std::fs::metadata(&entries[0]).unwrap().modified().unwrap();
    let host = Host::start(config).await.unwrap();
    assert_eq!(get(&host, "/probe/echo").await.status, 200);
    host.shutdown().await;
    let after = std::fs::metadata(&entries[0]).unwrap().modified().unwrap();
    assert_eq!(before, after, "cache entry reused, not rewritten");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_share_few_instances() {
    let app = App::new();
    let host = std::sync::Arc::new(app.start().await);
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let host = host.clone();
            tokio::spawn(async move {
                let path = if i % 2 == 0 {
                    "/probe/echo"
                } else {
                    "/probe/count"
                };
                let r = get(&host, path).await;
                assert_eq!(r.status, 200, "{}", r.body);
                r.json()["instance"].as_str().unwrap().to_string()
            })
        })
        .collect();
    let mut instances = std::collections::BTreeSet::new();
    for task in tasks {
        instances.insert(task.await.unwrap());
    }
    assert!(
        instances.len() < 64,
        "64 requests should not need 64 instances ({})",
        instances.len()
    );
    // Every increment landed exactly once.
    assert_eq!(
        host.kv().get("default", "probe-counter").unwrap(),
        Some(32i64.to_le_bytes().to_vec())
    );
    let host = std::sync::Arc::try_unwrap(host)
        .ok()
        .expect("all requests done");
    host.shutdown().await;
}
