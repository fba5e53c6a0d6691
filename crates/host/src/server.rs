//! The HTTP server: routing, Spin's request headers, dispatch to the
//! component's instance pool, one log line per request.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::HOST;
use http::{HeaderName, HeaderValue, Response, StatusCode, Uri};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinSet;
use wasmtime::Store;
use wasmtime_wasi::{DirPerms, FilePerms, WasiCtxBuilder};
use wasmtime_wasi_http::WasiHttpCtx;
use wasmtime_wasi_http::handler::{HandlerState, Proxy, ProxyHandler, StoreBundle};
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::p3::bindings::http::types::{ErrorCode, Request as WasiRequest};

use crate::kv::KvBackend;
use crate::kv_host::KvCtx;
use crate::routes::Router;
use crate::state::{DenyOutboundHttp, InstanceState, PrefixedLog};
use crate::variables::ComponentVariables;

/// Response body type of the server.
pub type HttpBody = UnsyncBoxBody<Bytes, wasmtime::Error>;

/// How instances are reused (Spin 4's wasi:http 0.3 defaults).
#[derive(Debug, Clone, Copy)]
pub struct ReuseSettings {
    /// Requests one instance serves before it is dropped (1 = fresh
    /// instance per request).
    pub max_reuse: usize,
    /// Requests one instance serves at the same time.
    pub max_concurrent: usize,
    /// How long an idle instance is kept for reuse.
    pub idle_timeout: Duration,
}

/// Everything needed to create instances of one component.
pub struct ComponentState {
    pub(crate) id: String,
    pub(crate) engine: wasmtime::Engine,
    pub(crate) backend: Arc<dyn KvBackend>,
    pub(crate) allowed_stores: Arc<[String]>,
    pub(crate) variables: Arc<ComponentVariables>,
    pub(crate) environment: Vec<(String, String)>,
    pub(crate) files_dir: Option<PathBuf>,
    pub(crate) reuse: ReuseSettings,
}

impl HandlerState for ComponentState {
    type StoreData = InstanceState;

    fn new_store(&self, _req_id: Option<u64>) -> wasmtime::Result<StoreBundle<InstanceState>> {
        let mut wasi = WasiCtxBuilder::new();
        wasi.envs(&self.environment);
        wasi.stdout(PrefixedLog::new(&self.id));
        wasi.stderr(PrefixedLog::new(&self.id));
        if let Some(dir) = &self.files_dir {
            // Read-only, like Spin's file mounts.
            wasi.preopened_dir(dir, "/", DirPerms::READ, FilePerms::READ)?;
        }
        let state = InstanceState {
            table: wasmtime::component::ResourceTable::new(),
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            hooks: DenyOutboundHttp,
            kv: KvCtx::new(self.backend.clone(), self.allowed_stores.clone()),
            variables: self.variables.clone(),
        };
        Ok(StoreBundle {
            store: Store::new(&self.engine, state),
            write_profile: Box::new(|_| {}),
        })
    }

    fn request_timeout(&self) -> Duration {
        // Spin 4 has no request timeout unless configured.
        Duration::MAX
    }

    fn idle_instance_timeout(&self) -> Duration {
        self.reuse.idle_timeout
    }

    fn max_instance_reuse_count(&self) -> usize {
        self.reuse.max_reuse
    }

    fn max_instance_concurrent_reuse_count(&self) -> usize {
        self.reuse.max_concurrent
    }

    fn handle_worker_error(&self, error: wasmtime::Error) {
        eprintln!("[{}] instance failed: {error:?}", self.id);
    }
}

/// The routing table and one instance pool per component.
pub struct App {
    pub(crate) router: Router,
    pub(crate) handlers: HashMap<String, ProxyHandler<ComponentState>>,
    pub(crate) log_requests: bool,
}

/// Best-effort write to the host's stderr (never panics).
pub(crate) fn write_stderr(bytes: &[u8]) {
    use std::io::Write;
    let _ = std::io::stderr().lock().write_all(bytes);
}

const WELL_KNOWN_PREFIX: &str = "/.well-known/spin/";

fn empty(status: StatusCode) -> Response<HttpBody> {
    let mut response = Response::new(Empty::new().map_err(|e| match e {}).boxed_unsync());
    *response.status_mut() = status;
    response
}

fn text(status: StatusCode, body: &'static str) -> Response<HttpBody> {
    let mut response = Response::new(
        Full::new(Bytes::from_static(body.as_bytes()))
            .map_err(|e| match e {})
            .boxed_unsync(),
    );
    *response.status_mut() = status;
    response
}

impl App {
    async fn handle(
        self: Arc<Self>,
        req: hyper::Request<Incoming>,
        client: SocketAddr,
    ) -> Response<HttpBody> {
        let start = Instant::now();
        let method = req.method().clone();
        // Logged without the query string: queries may carry tokens.
        let path = req.uri().path().to_string();
        let (response, component) = self.dispatch(req, client).await;
        if self.log_requests {
            // Formatted first and written in one call: `eprintln!` with
            // several arguments issues one write(2) per fragment on the
            // unbuffered stderr (~8% of CPU under load), and it panics if
            // stderr is gone, which a request path must not do.
            let line = format!(
                "{method} {path} {} {:.2}ms {}\n",
                response.status().as_u16(),
                start.elapsed().as_secs_f64() * 1000.0,
                component.as_deref().unwrap_or("-"),
            );
            write_stderr(line.as_bytes());
        }
        response
    }

    async fn dispatch(
        &self,
        req: hyper::Request<Incoming>,
        client: SocketAddr,
    ) -> (Response<HttpBody>, Option<String>) {
        let path = req.uri().path();
        if let Some(well_known) = path.strip_prefix(WELL_KNOWN_PREFIX) {
            return match well_known {
                "health" => (text(StatusCode::OK, "OK"), None),
                _ => (empty(StatusCode::NOT_FOUND), None),
            };
        }
        let Some(matched) = self.router.route(path) else {
            return (empty(StatusCode::NOT_FOUND), None);
        };
        let component = matched.component_id.to_string();
        let Some(handler) = self.handlers.get(&component) else {
            eprintln!("[{component}] no instance pool for routed component");
            return (empty(StatusCode::INTERNAL_SERVER_ERROR), Some(component));
        };

        // Spin makes the URI absolute (scheme + the Host authority) and
        // adds its headers; the path and query stay as the client sent them.
        let Some(host) = req
            .headers()
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_string)
        else {
            eprintln!("[{component}] request without a usable Host header");
            return (empty(StatusCode::BAD_REQUEST), Some(component));
        };
        let path_and_query = req
            .uri()
            .path_and_query()
            .map(|pq| pq.as_str().to_string())
            .unwrap_or_else(|| "/".to_string());
        let full_url = format!("http://{host}{path_and_query}");
        let spin_headers = matched.spin_headers(&full_url, &client.to_string());
        let (mut parts, body) = req.into_parts();
        parts.uri = match Uri::builder()
            .scheme("http")
            .authority(host.as_str())
            .path_and_query(path_and_query.as_str())
            .build()
        {
            Ok(uri) => uri,
            Err(_) => return (empty(StatusCode::BAD_REQUEST), Some(component)),
        };
        for (name, value) in spin_headers {
            // Appended, as Spin does: a client-sent `spin-*` header is not
            // removed, so components must not trust the first value blindly.
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&value),
            ) {
                parts.headers.append(name, value);
            }
        }
        let request = http::Request::from_parts(parts, body);

        match call_component(handler, request, &component).await {
            Ok(response) => (response, Some(component)),
            Err(e) => {
                eprintln!("[{component}] request failed: {e:#}");
                (empty(StatusCode::INTERNAL_SERVER_ERROR), Some(component))
            }
        }
    }
}

/// Hands the request to an instance (reused or new) and waits for the
/// response head. The instance keeps the task alive until the body has
/// been sent, as `wasmtime serve` does.
async fn call_component(
    handler: &ProxyHandler<ComponentState>,
    request: http::Request<Incoming>,
    component: &str,
) -> anyhow::Result<Response<HttpBody>> {
    let (tx, rx) = oneshot::channel::<Response<HttpBody>>();
    let component = component.to_string();
    handler.spawn(
        None,
        Box::new(move |store, proxy| {
            Box::pin(async move {
                let Proxy::P3(proxy) = proxy;
                let result: wasmtime::Result<()> = async {
                    let (parts, body) = request.into_parts();
                    let body = body.map_err(ErrorCode::from_hyper_request_error);
                    let request = http::Request::from_parts(parts, body);
                    let (request, request_io) = WasiRequest::from_http(request);
                    let response = match proxy.handle(store, request).await? {
                        Ok(response) => response,
                        Err(code) => {
                            return Err(wasmtime::format_err!(
                                "component returned error code {code:?}"
                            ));
                        }
                    };
                    let response =
                        store.with(|mut store| response.into_http(&mut store, request_io))?;
                    let (body_done_tx, body_done_rx) = oneshot::channel::<()>();
                    let response = response.map(|body| {
                        NotifyOnDrop {
                            body: body.map_err(wasmtime::Error::from),
                            _done: body_done_tx,
                        }
                        .boxed_unsync()
                    });
                    if tx.send(response).is_ok() {
                        let _ = body_done_rx.await;
                    }
                    Ok(())
                }
                .await;
                if let Err(e) = result {
                    eprintln!("[{component}] {e:?}");
                }
            })
        }),
    );
    rx.await
        .map_err(|_| anyhow::anyhow!("component produced no response"))
}

/// Forwards a body and signals (by dropping a sender) when hyper is done
/// with it, so the instance task lives until the body is fully sent.
struct NotifyOnDrop<B> {
    body: B,
    _done: oneshot::Sender<()>,
}

impl<B: Body + Unpin> Body for NotifyOnDrop<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// Accepts connections until `shutdown` flips, then lets open connections
/// finish their current request (up to a few seconds).
pub async fn serve(listener: TcpListener, app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => {
                let (stream, client) = match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        eprintln!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                // Small responses must not wait for Nagle's algorithm.
                let _ = stream.set_nodelay(true);
                let app = app.clone();
                let mut shutdown = shutdown.clone();
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let app = app.clone();
                        async move { Ok::<_, Infallible>(app.handle(req, client).await) }
                    });
                    let conn = http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), service);
                    tokio::pin!(conn);
                    tokio::select! {
                        _ = conn.as_mut() => {}
                        _ = shutdown.changed() => {
                            conn.as_mut().graceful_shutdown();
                            let _ = conn.await;
                        }
                    }
                });
            }
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(Duration::from_secs(5), async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.abort_all();
    }
}
