//! Harness for the component tests: start the app from the real `spin.toml`
//! on the local host (127.0.0.1, a free port, a private KV file), prepare a
//! real-data sample with the sidecar's own code, and speak HTTP to it.
//!
//! The tests build nothing: `scripts/test.sh` builds the Wasm components first.
//! They look for them in `target/wasm32-wasip2/release/` of the workspace, or
//! in `MATCHDAY_WASM_DIR`.

pub mod http;
pub mod sample;

use matchday_host::{Host, HostConfig, KvFaults};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

pub const ADMIN_TOKEN: &str = "test-admin-token";
/// The API key the test app accepts; [`TestApp::get`] and [`TestApp::post`]
/// send it, [`TestApp::get_anonymous`] does not.
pub const API_KEY: &str = "test-api-key-0123456789";

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is in the workspace")
        .to_path_buf()
}

/// Where the built `.wasm` files are; panics with the command to run when a
/// component is missing (a test that cannot find its subject must fail).
pub fn wasm_dir() -> PathBuf {
    let dir = std::env::var_os("MATCHDAY_WASM_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/wasm32-wasip2/release"));
    for file in component_wasm_files() {
        let wasm = dir.join(&file);
        assert!(
            wasm.exists(),
            "{} is missing: run `scripts/test.sh` (or `cargo build --target wasm32-wasip2 --release --workspace --exclude ...`) first",
            wasm.display()
        );
    }
    dir
}

/// The `.wasm` file names spin.toml's components load (`source = ".../x.wasm"`).
pub fn component_wasm_files() -> Vec<String> {
    let manifest =
        std::fs::read_to_string(workspace_root().join("spin.toml")).expect("spin.toml is readable");
    manifest
        .lines()
        .filter_map(|l| {
            let source = l.trim().strip_prefix("source = \"")?.strip_suffix('"')?;
            Some(source.rsplit('/').next()?.to_string())
        })
        .collect()
}

/// How to run the app in a test.
#[derive(Clone)]
pub struct AppOptions {
    pub fresh_instance: bool,
    pub kv_faults: KvFaults,
    pub variables: BTreeMap<String, String>,
}

impl Default for AppOptions {
    fn default() -> Self {
        AppOptions {
            fresh_instance: false,
            kv_faults: KvFaults::None,
            variables: BTreeMap::from([
                ("admin_token".to_string(), ADMIN_TOKEN.to_string()),
                ("api_keys".to_string(), API_KEY.to_string()),
                // Functional tests send thousands of requests with one key;
                // the rate-limit tests set their own limit.
                ("rate_limit_per_minute".to_string(), "0".to_string()),
                ("rate_limit_open_per_minute".to_string(), "0".to_string()),
            ]),
        }
    }
}

/// The app running on the local host; stopped when dropped.
pub struct TestApp {
    base: String,
    pub state: tempfile::TempDir,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestApp {
    pub fn start() -> TestApp {
        Self::start_with(AppOptions::default())
    }

    pub fn start_with(options: AppOptions) -> TestApp {
        let state = tempfile::tempdir().expect("temp dir");
        let manifest = write_manifest(state.path());
        let mut config = HostConfig::for_tests(&manifest);
        config.state_dir = Some(state.path().join(".spin"));
        // One compile cache for every test: each component is compiled once.
        config.cache_dir = Some(workspace_root().join("target/host-cache"));
        config.fresh_instance = options.fresh_instance;
        config.kv_faults = options.kv_faults.clone();
        config.variable_env = Some(
            options
                .variables
                .iter()
                .map(|(k, v)| (format!("SPIN_VARIABLE_{}", k.to_uppercase()), v.clone()))
                .collect(),
        );

        let (ready_tx, ready_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("tokio runtime");
            runtime.block_on(async move {
                match Host::start(config).await {
                    Ok(host) => {
                        ready_tx.send(Ok(host.url(""))).ok();
                        let _ = tokio::task::spawn_blocking(move || stop_rx.recv()).await;
                        host.shutdown().await;
                    }
                    Err(err) => {
                        ready_tx.send(Err(format!("{err:#}"))).ok();
                    }
                }
            });
        });
        let base = ready_rx
            .recv()
            .expect("host thread")
            .unwrap_or_else(|e| panic!("the host did not start: {e}"));
        TestApp {
            base,
            state,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET with the test API key.
    pub fn get(&self, path: &str) -> http::Reply {
        self.get_with(path, &[])
    }

    /// GET with the test API key and `headers`.
    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> http::Reply {
        http::get(&self.url(path), &with_key(headers))
    }

    /// GET with exactly `headers` (no API key unless given).
    pub fn get_anonymous(&self, path: &str, headers: &[(&str, &str)]) -> http::Reply {
        http::get(&self.url(path), headers)
    }

    /// POST with the test API key and `headers`.
    pub fn post(&self, path: &str, body: &[u8], headers: &[(&str, &str)]) -> http::Reply {
        http::post(&self.url(path), body, &with_key(headers))
    }

    /// POST with exactly `headers`.
    pub fn post_anonymous(&self, path: &str, body: &[u8], headers: &[(&str, &str)]) -> http::Reply {
        http::post(&self.url(path), body, headers)
    }

    /// Any method, exactly `headers`.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
        headers: &[(&str, &str)],
    ) -> http::Reply {
        http::request(method, &self.url(path), body, headers)
    }

    /// Publishes a bundle through the admin API, as `matchday publish` does.
    pub fn publish(&self, bundle: &[u8]) -> http::Reply {
        let auth = format!("Bearer {ADMIN_TOKEN}");
        self.post_anonymous(
            "/admin/publish",
            bundle,
            &[
                ("authorization", &auth),
                ("content-type", "application/x-tar"),
            ],
        )
    }
}

fn with_key<'a>(headers: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut all = headers.to_vec();
    if !headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("x-api-key"))
    {
        all.push(("x-api-key", API_KEY));
    }
    all
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The real spin.toml with component sources pointing at the built `.wasm`
/// files, written next to the test's private state.
fn write_manifest(dir: &Path) -> PathBuf {
    let wasm_dir = wasm_dir();
    let text = std::fs::read_to_string(workspace_root().join("spin.toml")).expect("spin.toml");
    let rewritten: String = text
        .lines()
        .map(|line| {
            match line
                .trim()
                .strip_prefix("source = \"target/wasm32-wasip2/release/")
            {
                Some(rest) => format!(
                    "source = \"{}\"",
                    wasm_dir.join(rest.trim_end_matches('"')).display()
                ),
                None => line.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let path = dir.join("spin.toml");
    std::fs::write(&path, rewritten).expect("write manifest");
    path
}
