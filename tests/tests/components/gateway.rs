//! The gateway in front of the real components: API keys, rotation, the
//! admin bearer, rate limits with Retry-After, CORS and request caps.

use matchday_tests::{API_KEY, AppOptions, TestApp};
use std::collections::BTreeMap;

fn app_with(extra: &[(&str, &str)]) -> TestApp {
    let mut options = AppOptions::default();
    for (k, v) in extra {
        options.variables.insert(k.to_string(), v.to_string());
    }
    TestApp::start_with(options)
}

#[test]
fn data_routes_need_a_valid_key_and_both_rotation_keys_work() {
    let app = app_with(&[("api_keys", &format!("{API_KEY}, next-key-abcdef"))]);
    for path in [
        "/predict/matches/",
        "/livescores/",
        "/predict/precomputed/1",
    ] {
        for headers in [
            vec![],
            vec![("x-api-key", "wrong")],
            vec![("x-api-key", "")],
        ] {
            let reply = app.get_anonymous(path, &headers);
            assert_eq!(reply.status, 401, "{path} {headers:?}");
            assert_eq!(reply.header("www-authenticate"), Some("ApiKey"));
            assert_eq!(reply.json()["error"]["code"], "unauthorized");
        }
        for key in [API_KEY, "next-key-abcdef"] {
            let reply = app.get_anonymous(path, &[("x-api-key", key)]);
            assert_ne!(reply.status, 401, "{path} with a valid key");
            assert!(!reply.text().contains(key));
        }
    }
    // The admin routes take the bearer token, not an API key.
    assert_eq!(
        app.get_anonymous("/admin/versions", &[("x-api-key", API_KEY)])
            .status,
        401
    );
}

#[test]
fn a_key_over_its_limit_gets_429_with_retry_after() {
    let app = app_with(&[
        ("rate_limit_per_minute", "5"),
        ("rate_limit_sync_every", "1"),
    ]);
    let statuses: Vec<u16> = (0..8).map(|_| app.get("/livescores/").status).collect();
    assert!(statuses[..5].iter().all(|s| *s != 429), "{statuses:?}");
    let reply = app.get("/livescores/");
    assert_eq!(reply.status, 429, "{statuses:?}");
    let retry: u32 = reply.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=120).contains(&retry));
    assert_eq!(reply.json()["error"]["code"], "rate_limited");
}

#[test]
fn cors_preflight_and_grants_follow_the_allow_list() {
    let app = app_with(&[("cors_allowed_origins", "https://app.example")]);
    let preflight = |origin: &str| {
        app.request(
            "OPTIONS",
            "/predict/matches/",
            b"",
            &[
                ("origin", origin),
                ("access-control-request-method", "GET"),
                ("access-control-request-headers", "x-api-key"),
            ],
        )
    };
    let ok = preflight("https://app.example");
    assert_eq!(ok.status, 204);
    assert_eq!(
        ok.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert_eq!(preflight("https://evil.example").status, 403);
    let reply = app.get_with("/predict/matches/", &[("origin", "https://app.example")]);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    let reply = app.get_with("/predict/matches/", &[("origin", "https://evil.example")]);
    assert_eq!(reply.header("access-control-allow-origin"), None);
    // The default: no cross-origin at all.
    let closed = TestApp::start_with(AppOptions::default());
    let reply = closed.request(
        "OPTIONS",
        "/livescores/",
        b"",
        &[
            ("origin", "https://app.example"),
            ("access-control-request-method", "GET"),
        ],
    );
    assert_eq!(reply.status, 403);
}

#[test]
fn request_caps_are_4xx_in_the_error_shape() {
    let app = app_with(&[]);
    let mut cases: BTreeMap<&str, u16> = BTreeMap::new();
    let many = format!("/livescores/?{}", "a=1&".repeat(40));
    let long = format!("/livescores/?a={}", "x".repeat(5000));
    let path = format!("/predict/precomputed/{}", "9".repeat(1100));
    for (name, target) in [
        ("many params", &many),
        ("long query", &long),
        ("long path", &path),
    ] {
        let reply = app.get(target);
        assert!(
            (400..500).contains(&reply.status),
            "{name}: {}",
            reply.status
        );
        assert!(reply.json()["error"]["code"].is_string());
        cases.insert(name, reply.status);
    }
    // Just over the 64 KiB cap: small enough to sit in the socket buffers,
    // so the client finishes writing before the early 413 closes the
    // connection (a larger body races the close and can end in EPIPE).
    let big = vec![b'x'; 64 * 1024 + 1];
    let reply = app.post("/predict/matches/", &big, &[]);
    assert_eq!(reply.status, 413, "{}", reply.text());
    assert_eq!(reply.json()["error"]["code"], "payload_too_large");
    eprintln!("caps: {cases:?}, body 413");
}
