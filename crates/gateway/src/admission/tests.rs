use super::*;
use crate::config::Secrets;
use crate::cors::CorsPolicy;
use crate::ratelimit::{Limit, SyncPolicy};
use futures::executor::block_on;
use matchday_core::kv::MemoryKv;
use proptest::prelude::*;

const KEY_OLD: &str = "old-key-0123456789abcdef";
const KEY_NEW: &str = "new-key-fedcba9876543210";
const ADMIN: &str = "admin-token-secret";

fn config() -> GatewayConfig {
    GatewayConfig {
        api_keys: Some(Secrets::parse(&format!("{KEY_OLD},{KEY_NEW}"))),
        admin_tokens: Some(Secrets::parse(ADMIN)),
        cors: CorsPolicy::parse("https://app.example").0,
        key_limit: Limit::per_minute(5),
        open_limit: Limit::per_minute(3),
        ..GatewayConfig::default()
    }
}

struct Fixture {
    config: GatewayConfig,
    limiter: RateLimiter,
    kv: MemoryKv,
}

impl Fixture {
    fn new(config: GatewayConfig) -> Self {
        Fixture {
            config,
            limiter: RateLimiter::new(SyncPolicy::default()),
            kv: MemoryKv::new(),
        }
    }

    /// `target` is `path?query`; the response is what the client would get
    /// from the gate alone (handler answers 200 `{}`).
    fn call(&self, method: &str, target: &str, headers: &[(&str, &str)]) -> (Stage, HttpResponse) {
        self.call_at(method, target, headers, 1_000)
    }

    fn call_at(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        now_ms: u64,
    ) -> (Stage, HttpResponse) {
        let mut map = http::HeaderMap::new();
        for (n, v) in headers {
            map.append(
                http::HeaderName::from_bytes(n.as_bytes()).unwrap(),
                http::HeaderValue::from_bytes(v.as_bytes()).unwrap(),
            );
        }
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (target, None),
        };
        let head = RequestHead {
            method,
            path,
            query,
            headers: &map,
        };
        let gate = Gate {
            config: &self.config,
            limiter: &self.limiter,
        };
        let admission = block_on(gate.admit(&head, Some(&self.kv), now_ms, 1024));
        let (stage, response) = match admission.outcome {
            Ok(_) => (Stage::Handler, HttpResponse::json(b"{}".to_vec())),
            Err(answer) => answer,
        };
        (stage, gate.finish(&head, admission.access, response))
    }
}

fn error_code(response: &HttpResponse) -> String {
    let v: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
    v["error"]["code"].as_str().unwrap().to_string()
}

#[test]
fn probes_are_open_and_data_needs_a_key() {
    let f = Fixture::new(config());
    for path in ["/", "/healthcheck/", "/metrics"] {
        assert_eq!(f.call("GET", path, &[]).0, Stage::Handler, "{path}");
    }
    for path in [
        "/predict/precomputed/1",
        "/predict/matches/",
        "/livescores/",
        "/monitoring/task_status/x",
        "/predict/",
        "/something/new",
    ] {
        let (stage, r) = f.call("GET", path, &[]);
        assert_eq!((stage, r.status), (Stage::Auth, 401), "{path}");
        assert_eq!(r.header("www-authenticate"), Some("ApiKey"));
        assert_eq!(error_code(&r), "unauthorized");
    }
}

#[test]
fn both_keys_work_during_a_rotation_and_nothing_else_does() {
    let f = Fixture::new(config());
    for key in [KEY_OLD, KEY_NEW] {
        let (stage, r) = f.call("GET", "/predict/matches/", &[("x-api-key", key)]);
        assert_eq!((stage, r.status), (Stage::Handler, 200));
    }
    let long = "k".repeat(MAX_KEY_BYTES + 1);
    for headers in [
        vec![("x-api-key", "wrong")],
        vec![("x-api-key", "")],
        vec![("x-api-key", &KEY_OLD[..10])],
        vec![("x-api-key", long.as_str())],
        vec![("x-api-key", KEY_OLD), ("x-api-key", KEY_NEW)],
        vec![("authorization", &format!("Bearer {KEY_OLD}"))],
        vec![("x-api-key", "old-key-0123456789abcdeF")],
    ] {
        let (_, r) = f.call("GET", "/predict/matches/", &headers);
        assert_eq!(r.status, 401, "{headers:?}");
        let text = String::from_utf8_lossy(&r.body);
        assert!(!text.contains(KEY_OLD) && !text.contains("wrong"), "{text}");
    }
}

#[test]
fn a_key_in_the_query_string_is_not_a_key() {
    let f = Fixture::new(config());
    let (_, r) = f.call("GET", &format!("/livescores/?api_key={KEY_OLD}"), &[]);
    assert_eq!(r.status, 401);
}

#[test]
fn unconfigured_keys_close_the_routes_with_503() {
    let mut c = config();
    c.api_keys = None;
    let f = Fixture::new(c);
    let (_, r) = f.call("GET", "/livescores/", &[("x-api-key", KEY_OLD)]);
    assert_eq!(r.status, 503);
    assert!(r.header("retry-after").is_some());
    let mut c = config();
    c.api_keys = Some(Secrets::parse(""));
    let f = Fixture::new(c);
    assert_eq!(
        f.call("GET", "/livescores/", &[("x-api-key", "")]).1.status,
        401
    );
}

#[test]
fn admin_routes_take_the_bearer_token_only() {
    let f = Fixture::new(config());
    let bearer = format!("Bearer {ADMIN}");
    assert_eq!(
        f.call("POST", "/admin/publish", &[("authorization", &bearer)])
            .0,
        Stage::Handler
    );
    for headers in [
        vec![],
        vec![("x-api-key", KEY_OLD)],
        vec![("authorization", ADMIN)],
        vec![("authorization", "Bearer nope")],
    ] {
        let (_, r) = f.call("POST", "/admin/publish", &headers);
        assert_eq!(r.status, 401, "{headers:?}");
        assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    }
    let mut c = config();
    c.admin_tokens = None;
    assert_eq!(
        Fixture::new(c)
            .call("GET", "/admin/versions", &[("authorization", &bearer)])
            .1
            .status,
        503
    );
}

#[test]
fn each_key_and_each_address_has_its_own_limit() {
    let f = Fixture::new(config());
    for _ in 0..5 {
        assert_eq!(
            f.call("GET", "/livescores/", &[("x-api-key", KEY_OLD)])
                .1
                .status,
            200
        );
    }
    let (stage, r) = f.call("GET", "/livescores/", &[("x-api-key", KEY_OLD)]);
    assert_eq!((stage, r.status), (Stage::RateLimit, 429));
    assert_eq!(error_code(&r), "rate_limited");
    let retry: u32 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=120).contains(&retry));
    // The other key of the rotation is another caller.
    assert_eq!(
        f.call("GET", "/livescores/", &[("x-api-key", KEY_NEW)])
            .1
            .status,
        200
    );

    let from = |addr: &'static str| vec![("spin-client-addr", addr)];
    for _ in 0..3 {
        assert_eq!(
            f.call("GET", "/healthcheck/", &from("192.0.2.1:1"))
                .1
                .status,
            200
        );
    }
    assert_eq!(
        f.call("GET", "/healthcheck/", &from("192.0.2.1:2"))
            .1
            .status,
        429
    );
    assert_eq!(
        f.call("GET", "/healthcheck/", &from("192.0.2.2:1"))
            .1
            .status,
        200
    );
    // A forged address in front of Spin's own does not buy a new bucket.
    let forged = vec![
        ("spin-client-addr", "10.0.0.1:1"),
        ("spin-client-addr", "192.0.2.1:3"),
    ];
    assert_eq!(f.call("GET", "/healthcheck/", &forged).1.status, 429);
}

#[test]
fn the_admin_is_not_rate_limited_and_401s_cost_no_store_access() {
    let f = Fixture::new(config());
    let bearer = format!("Bearer {ADMIN}");
    for _ in 0..20 {
        assert_eq!(
            f.call("GET", "/admin/versions", &[("authorization", &bearer)])
                .1
                .status,
            200
        );
        assert_eq!(
            f.call("GET", "/livescores/", &[("x-api-key", "bad")])
                .1
                .status,
            401
        );
    }
    assert!(f.kv.is_empty(), "{:?}", f.kv.keys());
}

#[test]
fn costly_routes_use_more_of_the_limit() {
    let f = Fixture::new(config());
    // POST /predict/ costs 5: one fits a limit of 5, a second does not.
    assert_eq!(
        f.call("POST", "/predict/", &[("x-api-key", KEY_OLD)])
            .1
            .status,
        200
    );
    assert_eq!(
        f.call("POST", "/predict/", &[("x-api-key", KEY_OLD)])
            .1
            .status,
        429
    );
}

#[test]
fn preflight_is_answered_before_authentication() {
    let f = Fixture::new(config());
    let (stage, r) = f.call(
        "OPTIONS",
        "/predict/matches/",
        &[
            ("origin", "https://app.example"),
            ("access-control-request-method", "GET"),
            ("access-control-request-headers", "x-api-key"),
        ],
    );
    assert_eq!((stage, r.status), (Stage::Preflight, 204));
    let (_, r) = f.call(
        "OPTIONS",
        "/predict/matches/",
        &[
            ("origin", "https://evil.example"),
            ("access-control-request-method", "GET"),
        ],
    );
    assert_eq!(r.status, 403);
    // A plain OPTIONS is no preflight: it needs a key like anything else.
    assert_eq!(f.call("OPTIONS", "/predict/matches/", &[]).1.status, 401);
}

#[test]
fn errors_carry_cors_headers_so_pages_can_read_them() {
    let f = Fixture::new(config());
    let (_, r) = f.call("GET", "/livescores/", &[("origin", "https://app.example")]);
    assert_eq!(r.status, 401);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert_eq!(r.header("vary"), Some("Origin"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
}

#[test]
fn request_caps_are_client_errors() {
    let f = Fixture::new(config());
    let key = [("x-api-key", KEY_OLD)];
    let long_path = format!("/predict/precomputed/{}", "1".repeat(MAX_PATH_BYTES));
    assert_eq!(f.call("GET", &long_path, &key).1.status, 414);
    assert_eq!(
        f.call("GET", &long_path, &[]).1.status,
        414,
        "even without a key"
    );
    let many = format!("/livescores/?{}", "a=1&".repeat(40));
    assert_eq!(f.call("GET", &many, &key).1.status, 400);
    let long_query = format!("/livescores/?a={}", "x".repeat(5000));
    assert_eq!(f.call("GET", &long_query, &key).1.status, 400);
    let (_, r) = f.call(
        "POST",
        "/livescores/",
        &[key[0], ("content-length", "1025")],
    );
    assert_eq!(
        (r.status, error_code(&r)),
        (413, "payload_too_large".to_string())
    );
    assert_eq!(
        f.call("POST", "/livescores/", &[key[0], ("content-length", "x")])
            .1
            .status,
        400
    );
}

#[test]
fn handler_errors_are_reshaped_never_leaked() {
    let bare = HttpResponse {
        status: 500,
        headers: vec![("content-type".into(), "text/plain".into())],
        body: b"Prediction failed: KeyError('diff_elo') at /srv/app.py:12".to_vec(),
    };
    let r = normalize_error(bare);
    assert_eq!(r.status, 500);
    assert_eq!(error_code(&r), "internal");
    assert!(!String::from_utf8_lossy(&r.body).contains("KeyError"));

    let r = normalize_error(HttpResponse {
        status: 503,
        headers: vec![],
        body: vec![],
    });
    assert_eq!((r.status, r.header("retry-after")), (503, Some("5")));
    assert_eq!(error_code(&r), "unavailable");

    let shaped = HttpResponse::from(ApiError::not_found("no such match"));
    assert_eq!(
        normalize_error(shaped.clone()),
        shaped,
        "already shaped: untouched"
    );
    let ok = HttpResponse::json(b"[1]".to_vec());
    assert_eq!(normalize_error(ok.clone()), ok);
}

/// Statuses the gate itself may answer with.
const GATE_STATUSES: &[u16] = &[200, 204, 400, 401, 403, 413, 414, 422, 429];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// Arbitrary request heads: never a panic, only documented statuses,
    /// and every error in the one shape.
    #[test]
    fn any_request_head_gets_a_documented_answer(
        method in prop_oneof![
            Just("GET".to_string()),
            Just("POST".to_string()),
            Just("OPTIONS".to_string()),
            "[A-Z]{1,8}",
        ],
        path in prop_oneof![
            Just("/".to_string()),
            "/(predict|livescores|monitoring|admin|healthcheck|metrics)(/[a-z0-9%{}._-]{0,12}){0,3}/?",
            "/[ -~]{0,40}",
            "/[0-9]{0,1100}",
        ],
        query in proptest::option::of("[ -~]{0,80}"),
        key in proptest::option::of(prop_oneof![Just(KEY_OLD.to_string()), "[ -~]{0,40}"]),
        origin in proptest::option::of(prop_oneof![Just("https://app.example".to_string()), "[ -~]{0,30}"]),
        acrm in proptest::option::of("[A-Z]{0,7}"),
        addr in proptest::option::of("[0-9a-f:.\\[\\]]{0,45}"),
        content_length in proptest::option::of("[0-9]{0,22}"),
    ) {
        let f = Fixture::new(config());
        let mut headers: Vec<(&str, &str)> = Vec::new();
        if let Some(k) = &key { headers.push(("x-api-key", k)); }
        if let Some(o) = &origin { headers.push(("origin", o)); }
        if let Some(m) = &acrm { headers.push(("access-control-request-method", m)); }
        if let Some(a) = &addr { headers.push(("spin-client-addr", a)); }
        if let Some(c) = &content_length { headers.push(("content-length", c)); }
        let target = match &query { Some(q) => format!("{path}?{q}"), None => path.clone() };
        let (_, r) = f.call(&method, &target, &headers);
        prop_assert!(GATE_STATUSES.contains(&r.status), "{} {} -> {}", method, target, r.status);
        if r.status >= 400 {
            prop_assert!(is_error_shape(&r.body));
            let text = String::from_utf8_lossy(&r.body);
            prop_assert!(!text.contains(KEY_OLD) && !text.contains(ADMIN));
        }
    }
}
