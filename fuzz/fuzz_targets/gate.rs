//! The gateway: any request head gets a documented status in the one
//! error shape, and never echoes a secret.
#![no_main]
use futures::executor::block_on;
use libfuzzer_sys::fuzz_target;
use matchday_core::kv::MemoryKv;
use matchday_gateway::config::Secrets;
use matchday_gateway::cors::CorsPolicy;
use matchday_gateway::ratelimit::{Limit, SyncPolicy};
use matchday_gateway::{Gate, GatewayConfig, RateLimiter, RequestHead};

const KEY: &str = "fuzz-key-0123456789";

fuzz_target!(|data: &[u8]| {
    // Fields split on NUL: method, path, query, then header name/value pairs.
    let mut parts = data.split(|b| *b == 0);
    let text = |p: Option<&[u8]>| String::from_utf8_lossy(p.unwrap_or_default()).into_owned();
    let method = text(parts.next());
    let path = text(parts.next());
    let query = text(parts.next());
    let mut headers = http::HeaderMap::new();
    while let (Some(n), Some(v)) = (parts.next(), parts.next()) {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(n),
            http::HeaderValue::from_bytes(v),
        ) {
            headers.append(n, v);
        }
    }
    let config = GatewayConfig {
        api_keys: Some(Secrets::parse(KEY)),
        admin_tokens: Some(Secrets::parse("fuzz-admin")),
        cors: CorsPolicy::parse("https://app.example").0,
        key_limit: Limit::per_minute(3),
        open_limit: Limit::per_minute(3),
        ..GatewayConfig::default()
    };
    let limiter = RateLimiter::new(SyncPolicy::default());
    let kv = MemoryKv::new();
    let gate = Gate {
        config: &config,
        limiter: &limiter,
    };
    let head = RequestHead {
        method: &method,
        path: &path,
        query: Some(&query),
        headers: &headers,
    };
    let admission = block_on(gate.admit(&head, Some(&kv), 1_000, 1024));
    let response = match admission.outcome {
        Ok(_) => matchday_core::response::HttpResponse::json(b"{}".to_vec()),
        Err((_, r)) => r,
    };
    let r = gate.finish(&head, admission.access, response);
    assert!(r.status < 500 || r.status == 503, "{}", r.status);
    let body = String::from_utf8_lossy(&r.body);
    assert!(!body.contains(KEY) && !body.contains("fuzz-admin"));
});
