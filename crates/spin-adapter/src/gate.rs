//! Every component's entry point: [`serve`] runs the gateway
//! (`matchday-gateway`) around a handler.
//!
//! # Adopting it (one line per component)
//!
//! ```ignore
//! #[http_service]
//! async fn handle(request: Request) -> impl IntoResponse {
//!     matchday_spin::serve("cards", request, async |req: Incoming| {
//!         let kv = req.kv()?;                    // 503 + Retry-After if the store is down
//!         let limit = req.query.int("limit", 1..=500)?; // already parsed and capped
//!         Ok(matchday_core::cards::handle(&req.method, &req.path, kv).await)
//!     })
//!     .await
//! }
//! ```
//!
//! Then, in `spin.toml`, map the gateway's variables into the component
//! (copy `[component.lookup.variables]`) and, if it serves a new route, add
//! its template to `matchday_gateway::policy::ROUTES`. Anything not listed as
//! open there needs `X-API-Key` by default; `/admin/*` needs the admin bearer.
//!
//! What `serve` does, in order: reads the gateway's Spin variables (once per
//! instance), opens the KV store (a failure is not fatal here: the limiter
//! counts locally and [`Incoming::kv`] answers 503), runs the gate (414, CORS
//! preflight, 401, 429, query caps, 413 on `Content-Length`), calls the
//! handler, turns any error into the one JSON shape (never internals; 503
//! always with `Retry-After`), adds CORS headers, and reports the request to
//! the [`Observer`] (no key, no raw path, no query).

use crate::metrics::RequestMetrics;
use crate::{SpinKv, read_body, send};
use matchday_core::error::ApiError;
use matchday_core::query::Query;
use matchday_core::response::HttpResponse;
use matchday_gateway::admission::{Admitted, Caller, Gate, RequestHead, Stage};
use matchday_gateway::config::{self, GatewayConfig};
use matchday_gateway::observe::{Observer, RequestRecord, method_label};
use matchday_gateway::ratelimit::{RateLimiter, sweep};
use spin_sdk::http::{FullBody, Request};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// What a handler gets: the admitted request, parsed.
pub struct Incoming {
    pub method: String,
    pub path: String,
    /// The query string as sent (already checked against the caps).
    pub raw_query: Option<String>,
    /// The query string, parsed under the gate's caps.
    pub query: Query,
    /// Who called (never the key itself).
    pub caller: Caller,
    pub headers: http::HeaderMap,
    request: Option<Request>,
    kv: Result<Rc<SpinKv>, ApiError>,
    max_body_bytes: usize,
}

impl Incoming {
    /// The `default` store, or the 503 to return when it is unavailable.
    pub fn kv(&self) -> Result<&SpinKv, ApiError> {
        self.kv.as_deref().map_err(Clone::clone)
    }

    /// The request body, at most the service's body cap (413 above it).
    pub async fn body(&mut self) -> Result<Vec<u8>, ApiError> {
        match self.request.take() {
            Some(request) => read_body(request, self.max_body_bytes).await,
            None => Ok(Vec::new()),
        }
    }
}

/// A component's gateway settings beyond the Spin variables.
pub struct Service<O: Observer = RequestMetrics> {
    pub component: &'static str,
    /// Request body cap of this component (413 above it).
    pub max_body_bytes: usize,
    pub observer: O,
}

impl Service<RequestMetrics> {
    /// Counts requests in the app's metrics ([`RequestMetrics`]) by default.
    pub fn new(component: &'static str) -> Self {
        Service {
            component,
            max_body_bytes: config::DEFAULT_MAX_BODY_BYTES,
            observer: RequestMetrics,
        }
    }
}

impl<O: Observer> Service<O> {
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Reports every request to `observer` (the metrics wrapper plugs in here).
    pub fn observer<P: Observer>(self, observer: P) -> Service<P> {
        Service {
            component: self.component,
            max_body_bytes: self.max_body_bytes,
            observer,
        }
    }

    /// Runs the gate, the handler and the response touches.
    pub async fn serve<H>(
        self,
        request: Request,
        handler: H,
    ) -> http::Response<FullBody<bytes::Bytes>>
    where
        H: AsyncFnOnce(Incoming) -> Result<HttpResponse, ApiError>,
    {
        let started = Instant::now();
        let instance = instance().await;
        let method = request.method().as_str().to_string();
        let path = request.uri().path().to_string();
        let raw_query = request.uri().query().map(str::to_string);
        let headers = request.headers().clone();
        let kv = SpinKv::open().await.map(Rc::new);
        let head = RequestHead {
            method: &method,
            path: &path,
            query: raw_query.as_deref(),
            headers: &headers,
        };
        let gate = Gate {
            config: &instance.config,
            limiter: &instance.limiter,
        };
        let admission = gate
            .admit(&head, kv.as_deref().ok(), now_ms(), self.max_body_bytes)
            .await;
        let (stage, response) = match admission.outcome {
            Err((stage, response)) => (stage, response),
            Ok(Admitted { caller, query }) => {
                let incoming = Incoming {
                    method: method.clone(),
                    path: path.clone(),
                    raw_query: raw_query.clone(),
                    query,
                    caller,
                    headers: headers.clone(),
                    request: Some(request),
                    kv: kv.clone(),
                    max_body_bytes: self.max_body_bytes,
                };
                let response = handler(incoming).await.unwrap_or_else(HttpResponse::from);
                (Stage::Handler, response)
            }
        };
        let response = gate.finish(&head, admission.access, response);
        self.observer.record(&RequestRecord {
            component: self.component,
            method: method_label(&method),
            route: admission.route.template,
            access: admission.access,
            status: response.status,
            stage,
            latency: started.elapsed(),
        });
        if let Ok(kv) = &kv {
            self.observer.flush(kv.as_ref()).await;
        }
        if let Some(window) = instance.limiter.take_due_sweep() {
            // The sweep lists the store's keys: it runs once the response is
            // out (the instance lives until its tasks end), not in this one.
            spin_sdk::wit_bindgen::spawn(async move {
                if let Ok(kv) = SpinKv::open().await {
                    sweep::sweep_if_first(&kv, window).await;
                }
            });
        }
        send(response)
    }
}

/// `Service::new(component).serve(request, handler)`: the one line a
/// component's `#[http_service]` function contains.
pub async fn serve<H>(
    component: &'static str,
    request: Request,
    handler: H,
) -> http::Response<FullBody<bytes::Bytes>>
where
    H: AsyncFnOnce(Incoming) -> Result<HttpResponse, ApiError>,
{
    Service::new(component).serve(request, handler).await
}

/// Per-instance state: the configuration (variables cannot change while an
/// instance lives) and the rate limiter's local counts.
struct Instance {
    config: GatewayConfig,
    limiter: RateLimiter,
}

thread_local! {
    static INSTANCE: RefCell<Option<Rc<Instance>>> = const { RefCell::new(None) };
}

async fn instance() -> Rc<Instance> {
    if let Some(instance) = INSTANCE.with_borrow(Clone::clone) {
        return instance;
    }
    let mut values = Vec::new();
    for name in config::VARIABLES {
        // Undefined for this component (not mapped in spin.toml) = None.
        values.push((*name, spin_sdk::variables::get(name).await.ok()));
    }
    let (config, warnings) = GatewayConfig::from_variables(|name| {
        values
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| v.clone())
    });
    for warning in warnings {
        eprintln!("gateway: {warning}");
    }
    let instance = Rc::new(Instance {
        limiter: RateLimiter::new(config.sync),
        config,
    });
    INSTANCE.with_borrow_mut(|slot| slot.get_or_insert_with(|| instance.clone()).clone())
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
