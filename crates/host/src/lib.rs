//! matchday-host: a small local host for Spin apps, on wasmtime 44.
//!
//! It serves an app's `spin.toml` (manifest v2) the way Spin 4.0.x does,
//! for the subset it implements (see the crate README): HTTP triggers with
//! Spin's routing and headers, wasi:http 0.3 instance reuse, the SQLite
//! key-value store (`spin:key-value@3.0.0` and `wasi:keyvalue` draft2),
//! variables and static files. Anything else in a manifest stops it at
//! startup with a clear error, so an app that works here works on
//! `spin up`.
//!
//! In-process use (tests):
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use matchday_host::{Host, HostConfig};
//! let mut config = HostConfig::new("spin.toml");
//! config.listen = "127.0.0.1:0".parse()?;
//! let host = Host::start(config).await?;
//! let url = host.url("/predict/matches/");
//! // ... send requests to `url` ...
//! host.shutdown().await;
//! # Ok(())
//! # }
//! ```

pub mod bindings;
pub mod cache;
pub mod compose;
pub mod files;
pub mod kv;
pub mod kv_host;
pub mod manifest;
pub mod routes;
pub mod server;
pub mod state;
pub mod variables;
pub mod variables_host;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};
use wasmtime_wasi_http::handler::{ProxyHandler, ProxyPre};
use wasmtime_wasi_http::p3::bindings::ServicePre;

pub use kv::{FaultyBackend, KvBackend, KvError, KvFaults, KvOp, SqliteBackend};
pub use manifest::Manifest;

use crate::manifest::TriggerRoute;
use crate::routes::Router;
use crate::server::{App, ComponentState, ReuseSettings};
use crate::variables::Variables;

/// Spin 4's default for wasi:http 0.3 components.
pub const DEFAULT_MAX_INSTANCE_REUSE: usize = 128;
/// Spin 4's default concurrent requests per instance.
pub const DEFAULT_MAX_CONCURRENT_REUSE: usize = 16;
/// Spin 4's default idle-instance timeout.
pub const DEFAULT_IDLE_INSTANCE_TIMEOUT: Duration = Duration::from_secs(1);
/// File name of the key-value database in the state directory (Spin's).
pub const KV_DB_FILE: &str = "sqlite_key_value.db";

/// How to run an app.
#[derive(Clone, Debug)]
pub struct HostConfig {
    /// Path of `spin.toml`.
    pub manifest_path: PathBuf,
    /// Address to listen on; port 0 picks a free port
    /// (see [`RunningHost::local_addr`]).
    pub listen: SocketAddr,
    /// A fresh instance per request (max reuse 1, no concurrency), as Spin
    /// does for wasi:http 0.2 components.
    pub fresh_instance: bool,
    /// Requests per instance before it is dropped (default 128); ignored
    /// with `fresh_instance`.
    pub max_instance_reuse: Option<usize>,
    /// Concurrent requests per instance (default 16).
    pub max_concurrent_reuse: Option<usize>,
    /// How long an idle instance is kept (default 1 s).
    pub idle_instance_timeout: Duration,
    /// State directory (default `.spin` next to `spin.toml`, as Spin):
    /// holds `sqlite_key_value.db` and the compile cache.
    pub state_dir: Option<PathBuf>,
    /// Compile cache directory (default `<state-dir>/cache`); tests share
    /// one so each test does not recompile the same component.
    pub cache_dir: Option<PathBuf>,
    /// Faults injected into every key-value operation (tests only; no CLI
    /// flag exists for this).
    pub kv_faults: KvFaults,
    /// Use this key-value backend instead of the SQLite file (tests).
    pub kv_backend: Option<Arc<dyn KvBackend>>,
    /// Where `SPIN_VARIABLE_*` values come from: `None` reads the process
    /// environment; `Some(map)` reads only the map (so parallel tests need
    /// not mutate the process environment).
    pub variable_env: Option<BTreeMap<String, String>>,
    /// Print the route list and "Serving ..." line (stdout).
    pub print_startup: bool,
    /// Log one line per request to stderr.
    pub log_requests: bool,
}

impl HostConfig {
    /// Defaults for `manifest_path`: `127.0.0.1:3000`, Spin's reuse
    /// settings, `.spin` state directory, no faults.
    pub fn new(manifest_path: impl Into<PathBuf>) -> Self {
        Self {
            manifest_path: manifest_path.into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            fresh_instance: false,
            max_instance_reuse: None,
            max_concurrent_reuse: None,
            idle_instance_timeout: DEFAULT_IDLE_INSTANCE_TIMEOUT,
            state_dir: None,
            cache_dir: None,
            kv_faults: KvFaults::None,
            kv_backend: None,
            variable_env: None,
            print_startup: true,
            log_requests: true,
        }
    }

    /// Like [`HostConfig::new`] but bound to `127.0.0.1:0`, without the
    /// startup listing and without request log lines (they go straight to
    /// stderr, past the test harness's capture): the usual shape for
    /// in-process tests.
    pub fn for_tests(manifest_path: impl Into<PathBuf>) -> Self {
        let mut config = Self::new(manifest_path);
        config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        config.print_startup = false;
        config.log_requests = false;
        config
    }

    fn reuse(&self) -> anyhow::Result<ReuseSettings> {
        if self.fresh_instance {
            return Ok(ReuseSettings {
                max_reuse: 1,
                max_concurrent: 1,
                idle_timeout: self.idle_instance_timeout,
            });
        }
        let max_reuse = self
            .max_instance_reuse
            .unwrap_or(DEFAULT_MAX_INSTANCE_REUSE);
        let max_concurrent = self
            .max_concurrent_reuse
            .unwrap_or(DEFAULT_MAX_CONCURRENT_REUSE);
        if max_reuse == 0 || max_concurrent == 0 {
            bail!("instance reuse counts must be at least 1");
        }
        Ok(ReuseSettings {
            max_reuse,
            max_concurrent,
            idle_timeout: self.idle_instance_timeout,
        })
    }
}

/// Entry point.
pub struct Host;

impl Host {
    /// Loads the app, compiles (or loads from cache) its components, binds
    /// the listener and starts serving. Must run inside a multi-threaded
    /// tokio runtime.
    pub async fn start(config: HostConfig) -> anyhow::Result<RunningHost> {
        let started = Instant::now();
        let manifest = Manifest::load(&config.manifest_path)?;
        for warning in &manifest.warnings {
            eprintln!("warning: {warning}");
        }
        let env_lookup = |name: &str| match &config.variable_env {
            Some(map) => map.get(name).cloned(),
            None => std::env::var(name).ok(),
        };
        let variables = Variables::resolve(
            &manifest.variables,
            &manifest.component_variables(),
            env_lookup,
        )?;

        let state_dir = match &config.state_dir {
            Some(dir) => dir.clone(),
            None => manifest.dir.join(".spin"),
        };
        std::fs::create_dir_all(&state_dir)
            .with_context(|| format!("failed to create state dir {}", state_dir.display()))?;
        let sqlite: Arc<dyn KvBackend> = match &config.kv_backend {
            Some(backend) => backend.clone(),
            None => Arc::new(SqliteBackend::open(&state_dir.join(KV_DB_FILE), 2)?),
        };
        let backend: Arc<dyn KvBackend> = match &config.kv_faults {
            KvFaults::None => sqlite.clone(),
            faults => Arc::new(FaultyBackend::new(sqlite.clone(), faults.clone())),
        };

        let routed: Vec<(&str, &str)> = manifest
            .http_triggers
            .iter()
            .filter_map(|t| match &t.route {
                TriggerRoute::Public(route) => Some((route.as_str(), t.component.as_str())),
                TriggerRoute::Private => None,
            })
            .collect();
        let router = Router::build(routed.iter().copied())?;
        for (route, replaced, effective) in router.duplicates() {
            eprintln!(
                "warning: route {route} of component {replaced} is a duplicate and will never be used (duplicate of {effective})"
            );
        }
        if router
            .routes()
            .any(|(r, _)| r.raw().starts_with("/.well-known/spin/"))
        {
            eprintln!(
                "warning: routes under /.well-known/spin/ are handled by the host and will never be reached"
            );
        }

        let cache_dir = config
            .cache_dir
            .clone()
            .unwrap_or_else(|| state_dir.join("cache"));
        let engine = engine()?;
        let linker = state::linker(&engine)?;
        let reuse = config.reuse()?;
        let files_root = tempfile::Builder::new()
            .prefix("matchday-host-files-")
            .tempdir()
            .context("failed to create a directory for component files")?;

        // Compiles a component (or its composition) and links it against
        // what this host provides: what `spin up` does for every component
        // of the app at startup.
        let link = |component_id: &str| -> anyhow::Result<_> {
            let component = &manifest.components[component_id];
            let loaded = Instant::now();
            let (compiled, outcome) = if component.dependencies.is_empty() {
                cache::load(&engine, &component.source, &cache_dir)
            } else {
                composed(component).and_then(|wasm| {
                    cache::load_bytes(
                        &engine,
                        &wasm,
                        &format!("{} (composed)", component.source.display()),
                        &cache_dir,
                    )
                })
            }
            .with_context(|| format!("component {component_id:?}"))?;
            if outcome == cache::CacheOutcome::Compiled {
                eprintln!(
                    "compiled component {component_id} in {:.1}s",
                    loaded.elapsed().as_secs_f64()
                );
            }
            let pre = linker
                .instantiate_pre(&compiled)
                .map_err(anyhow::Error::from)
                .with_context(|| {
                    format!(
                        "component {component_id:?} imports something this host does not provide \
                         (it provides WASI 0.2/0.3, wasi:http 0.3 RC, spin:key-value@3.0.0, \
                         spin:variables@3.0.0 and wasi:keyvalue@0.2.0-draft2)"
                    )
                })?;
            ServicePre::new(pre).map_err(anyhow::Error::from).with_context(|| {
                format!(
                    "component {component_id:?} does not export wasi:http/handler@0.3.0-rc-2026-03-15 \
                     (build it with spin-sdk 6 `#[http_service]`; wasi:http 0.2 components are not supported)"
                )
            })
        };

        // Only components reachable by a public route get an instance pool:
        // private components would need service chaining (not supported).
        let mut handlers = HashMap::new();
        for (_, component_id) in router.routes() {
            if handlers.contains_key(component_id) {
                continue;
            }
            let component = &manifest.components[component_id];
            let pre = link(component_id)?;
            let files_dir = if component.files.is_empty() {
                None
            } else {
                let dir = files_root.path().join(component_id);
                files::stage(
                    &manifest.dir,
                    &component.files,
                    &component.exclude_files,
                    &dir,
                )
                .with_context(|| format!("component {component_id:?}: files"))?;
                Some(dir)
            };
            let state = ComponentState {
                id: component_id.to_string(),
                engine: engine.clone(),
                backend: backend.clone(),
                allowed_stores: component.key_value_stores.clone().into(),
                variables: Arc::new(variables.for_component(component_id)),
                environment: component
                    .environment
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                files_dir,
                reuse,
            };
            handlers.insert(
                component_id.to_string(),
                ProxyHandler::new(state, ProxyPre::P3(pre)),
            );
        }
        // A component reached only by private routes gets no pool (nothing
        // here can call it), but `spin up` loads it at startup: one Spin
        // would refuse is refused here too.
        let mut private_only = BTreeSet::new();
        for trigger in &manifest.http_triggers {
            let id = trigger.component.as_str();
            if trigger.route == TriggerRoute::Private && !handlers.contains_key(id) {
                private_only.insert(id);
            }
        }
        for id in private_only {
            link(id)?;
            eprintln!(
                "component {id}: reached only by private routes: linked, not served (this host has no service chaining)"
            );
        }

        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("unable to listen on {}", config.listen))?;
        let local_addr = listener.local_addr()?;
        let routes: Vec<(String, String)> = router
            .routes()
            .map(|(r, c)| (r.raw().to_string(), c.to_string()))
            .collect();
        if config.print_startup {
            println!("Serving http://{local_addr}");
            println!("Available Routes:");
            for (route, component) in router.routes() {
                println!("  {component}: http://{local_addr}{}", route.display());
            }
            eprintln!(
                "ready in {:.1}s (instance reuse: {})",
                started.elapsed().as_secs_f64(),
                if reuse.max_reuse == 1 {
                    "off, fresh instance per request".to_string()
                } else {
                    format!(
                        "up to {} requests, {} concurrent",
                        reuse.max_reuse, reuse.max_concurrent
                    )
                }
            );
        }

        let app = Arc::new(App {
            router,
            handlers,
            log_requests: config.log_requests,
        });
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let task = tokio::spawn(server::serve(listener, app, shutdown_rx));
        Ok(RunningHost {
            local_addr,
            shutdown: shutdown_tx,
            task,
            kv: sqlite,
            routes,
            state_dir,
            _files_root: files_root,
        })
    }
}

/// A serving host.
pub struct RunningHost {
    local_addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
    kv: Arc<dyn KvBackend>,
    routes: Vec<(String, String)>,
    state_dir: PathBuf,
    _files_root: tempfile::TempDir,
}

impl RunningHost {
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://<addr><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.local_addr, path)
    }

    /// The key-value backend (without injected faults), for seeding and
    /// inspecting data in tests.
    pub fn kv(&self) -> Arc<dyn KvBackend> {
        self.kv.clone()
    }

    /// `(route, component)` of every public route, in manifest order.
    pub fn routes(&self) -> &[(String, String)] {
        &self.routes
    }

    /// The state directory in use.
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// Stops accepting connections and waits for open ones to finish
    /// their current request (a few seconds at most).
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }

    /// Serves until `signal` completes, then shuts down.
    pub async fn serve_until(self, signal: impl Future<Output = ()>) {
        signal.await;
        self.shutdown().await;
    }
}

/// The component's Wasm with its dependencies plugged into its imports.
fn composed(component: &manifest::Component) -> anyhow::Result<Vec<u8>> {
    let read = |path: &Path| {
        std::fs::read(path).with_context(|| format!("failed to read component {}", path.display()))
    };
    if !component.environment.is_empty() {
        eprintln!(
            "warning: component {:?} has dependencies and `environment`: this host lets its \
             dependencies see that environment, Spin 4 isolates it",
            component.id
        );
    }
    let mut dependencies = Vec::new();
    for dependency in &component.dependencies {
        dependencies.push(compose::DependencyBytes {
            name: &dependency.name,
            wasm: read(&dependency.path)
                .with_context(|| format!("dependency {:?}", dependency.name))?,
            export: dependency.export.as_deref(),
        });
    }
    compose::compose(
        &component.id,
        read(&component.source)?,
        dependencies,
        component.dependencies_inherit_configuration,
    )
}

/// Engine settings as Spin 4 sets them: component model with async, and
/// the pooling allocator when the address space allows it.
fn engine() -> anyhow::Result<Engine> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.wasm_component_model_async(true);
    if use_pooling_allocator() {
        // Spin's pool shape, scaled from 1000 to 256 instances: a local host
        // needs far less concurrency, and tests start several hosts in one
        // process, each reserving ~4-6 GiB of address space per memory slot.
        let max_instances = 256;
        let mut pooling = PoolingAllocationConfig::default();
        pooling
            .total_component_instances(max_instances)
            .total_memories(max_instances)
            .total_tables(2 * max_instances)
            .total_stacks(max_instances)
            .total_core_instances(4 * max_instances)
            .table_elements(100_000)
            .max_component_instance_size(10 << 20)
            .max_core_instance_size(10 << 20)
            .max_core_instances_per_component(200)
            .max_tables_per_component(64)
            .max_memories_per_component(32)
            .max_tables_per_module(2)
            .max_memories_per_module(2)
            .max_memory_size(4 << 30)
            .linear_memory_keep_resident(2 << 20)
            .table_keep_resident(1 << 19);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
    }
    Engine::new(&config).map_err(anyhow::Error::from)
}

/// Same probe as Spin and `wasmtime serve`: use pooling only if 42 bits of
/// address space can be reserved.
fn use_pooling_allocator() -> bool {
    const BITS_TO_TEST: u32 = 42;
    let mut config = Config::new();
    config.wasm_memory64(true);
    config.memory_reservation(1 << BITS_TO_TEST);
    let Ok(engine) = Engine::new(&config) else {
        return false;
    };
    let mut store = wasmtime::Store::new(&engine, ());
    let ty = wasmtime::MemoryType::new64(0, Some(1 << (BITS_TO_TEST - 16)));
    wasmtime::Memory::new(&mut store, ty).is_ok()
}
