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
/// The `api_keys` variable of test apps (`X-API-Key` on `/monitoring/*`).
pub const API_KEY: &str = "test-api-key";

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
    for component in components() {
        let wasm = dir.join(format!("{}.wasm", component.replace('-', "_")));
        assert!(
            wasm.exists(),
            "{} is missing: run `scripts/test.sh` (or `cargo build --target wasm32-wasip2 --release --workspace --exclude ...`) first",
            wasm.display()
        );
    }
    dir
}

/// Component ids of the real manifest.
pub fn components() -> Vec<String> {
    let manifest: toml_like::Manifest = toml_like::read(&workspace_root().join("spin.toml"));
    manifest.components
}

/// Minimal reading of spin.toml for the harness (component ids only).
mod toml_like {
    pub struct Manifest {
        pub components: Vec<String>,
    }
    pub fn read(path: &std::path::Path) -> Manifest {
        let text = std::fs::read_to_string(path).expect("spin.toml is readable");
        let components = text
            .lines()
            .filter_map(|l| {
                l.trim()
                    .strip_prefix("[component.")?
                    .strip_suffix(']')
                    .map(str::to_string)
            })
            .filter(|c| !c.contains('.'))
            .collect();
        Manifest { components }
    }
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

    pub fn get(&self, path: &str) -> http::Reply {
        http::get(&self.url(path), &[])
    }

    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> http::Reply {
        http::get(&self.url(path), headers)
    }

    pub fn post(&self, path: &str, body: &[u8], headers: &[(&str, &str)]) -> http::Reply {
        http::post(&self.url(path), body, headers)
    }

    /// Publishes a bundle through the admin API, as `matchday publish` does.
    pub fn publish(&self, bundle: &[u8]) -> http::Reply {
        let auth = format!("Bearer {ADMIN_TOKEN}");
        self.post(
            "/admin/publish",
            bundle,
            &[
                ("authorization", &auth),
                ("content-type", "application/x-tar"),
            ],
        )
    }
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
