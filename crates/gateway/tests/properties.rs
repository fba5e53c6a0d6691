//! Property tests CI runs: random and hostile input into every request
//! parser and codec, and into the handlers behind them, never panics and
//! never answers 5xx except the documented 503 (store unavailable, with
//! `Retry-After`). Case counts are in each `proptest_config`; the README's
//! figure is their sum.

use futures::executor::block_on;
use matchday_core::codec::{RecordBucket, RowChunk};
use matchday_core::kv::MemoryKv;
use matchday_core::query::Query;
use matchday_core::response::HttpResponse;
use matchday_core::strict_json::{self, JsonLimits};
use matchday_core::{lookup, query};
use matchday_publish::admin::{self, Action};
use proptest::prelude::*;

fn documented(r: &HttpResponse) -> Result<(), TestCaseError> {
    prop_assert!(
        r.status < 500 || (r.status == 503 && r.header("retry-after").is_some()),
        "status {}: {}",
        r.status,
        String::from_utf8_lossy(&r.body)
    );
    if r.status >= 400 {
        let v: serde_json::Value = serde_json::from_slice(&r.body).expect("error body is JSON");
        prop_assert!(v["error"]["code"].is_string() && v["error"]["message"].is_string());
    }
    Ok(())
}

/// Numbers a client can write that a parser may choke on.
fn awkward_number() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("NaN".to_string()),
        Just("-Infinity".to_string()),
        Just("inf".to_string()),
        Just("1e400".to_string()),
        Just("-1e-400".to_string()),
        Just("99999999999999999999999999".to_string()),
        Just("-0".to_string()),
        Just("0x10".to_string()),
        Just("1.".to_string()),
        any::<f64>().prop_map(|f| f.to_string()),
        any::<i64>().prop_map(|i| i.to_string()),
    ]
}

fn json_like() -> impl Strategy<Value = Vec<u8>> {
    let leaf = prop_oneof![
        awkward_number(),
        "\"[ -~]{0,12}\"",
        Just("true".to_string()),
        Just("null".to_string()),
    ];
    let tree = leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec(("[a-c]{1,2}", inner), 0..6).prop_map(|kv| {
                let fields: Vec<String> = kv.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                format!("{{{}}}", fields.join(","))
            }),
        ]
    });
    prop_oneof![
        tree.prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..200),
        (1usize..200).prop_map(|d| format!("{}{}", "[".repeat(d), "]".repeat(d)).into_bytes()),
    ]
}

fn query_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,120}",
        prop::collection::vec(
            (
                "(limit|offset|year|month|future_only|league|season|[a-z%]{1,6})",
                prop_oneof![awkward_number(), "[ -~%]{0,10}", Just("%FF%FE".to_string())]
            ),
            0..40
        )
        .prop_map(|pairs| pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")),
        (0usize..3000).prop_map(|n| format!("a={}", "x".repeat(n))),
    ]
}

fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        "/(predict/(matches|predictions|precomputed)|livescores)/?",
        "/predict/precomputed/[ -~]{0,30}",
        awkward_number().prop_map(|n| format!("/predict/precomputed/{n}")),
        "/[ -~]{0,60}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn query_parsing_is_total(raw in query_string()) {
        match Query::parse(Some(&raw)) {
            Ok(q) => {
                // Accessors on any parsed query are client errors at worst.
                for name in ["limit", "offset", "year", "future_only", "league"] {
                    if let Err(e) = q.int(name, 0..=10_000) { prop_assert!((400..500).contains(&e.status)); }
                    if let Err(e) = q.bool(name) { prop_assert!((400..500).contains(&e.status)); }
                    if let Err(e) = q.str(name) { prop_assert!((400..500).contains(&e.status)); }
                }
            }
            Err(e) => prop_assert!((400..500).contains(&e.status)),
        }
        prop_assert!(raw.len() <= query::MAX_QUERY_LEN || Query::parse(Some(&raw)).is_err());
    }

    #[test]
    fn strict_json_is_total(body in json_like()) {
        let checked = strict_json::validate(&body, JsonLimits::default());
        match strict_json::from_slice::<serde_json::Value>(&body, JsonLimits::default()) {
            Ok(_) => prop_assert!(checked.is_ok()),
            Err(e) => prop_assert!(e.status == 400 || e.status == 422, "{e:?}"),
        }
        if checked.is_ok() {
            // What strict JSON accepts, serde_json accepts too.
            prop_assert!(serde_json::from_slice::<serde_json::Value>(&body).is_ok());
        }
    }

    #[test]
    fn codecs_decode_any_bytes_without_panicking(bytes in prop::collection::vec(any::<u8>(), 0..300), id in any::<i64>()) {
        if let Ok(chunk) = RowChunk::decode(&bytes) {
            let n = chunk.iter().count();
            prop_assert_eq!(n, chunk.len());
            prop_assert!(chunk.get(n).is_none());
        }
        if let Ok(bucket) = RecordBucket::decode(&bytes) {
            let _ = bucket.find(id);
            prop_assert_eq!(bucket.iter().count(), bucket.len());
        }
    }

    #[test]
    fn lookup_answers_anything_with_a_documented_status(
        method in prop_oneof![Just("GET"), Just("HEAD"), Just("POST"), Just("DELETE")],
        path in path(),
        query in proptest::option::of(query_string()),
        store_down in any::<bool>(),
    ) {
        let kv = MemoryKv::new();
        kv.fail_reads(store_down);
        let r = block_on(lookup::handle(method, &path, query.as_deref(), &kv));
        documented(&r)?;
        if store_down {
            prop_assert!(r.status != 200);
        }
    }

    #[test]
    fn admin_publish_of_any_body_is_a_client_error_or_503(
        body in prop_oneof![json_like(), prop::collection::vec(any::<u8>(), 0..2000)],
        fail_after in proptest::option::of(0usize..5),
    ) {
        let kv = MemoryKv::new();
        if let Some(n) = fail_after { kv.fail_writes_after(n); }
        let r = block_on(admin::execute(Action::Publish, &body, &kv, chrono::Utc::now()));
        documented(&r)?;
        prop_assert!(r.status != 201, "garbage was published");
        // Nothing half-written is live: no current pointer appeared.
        prop_assert!(block_on(lookup::live_pointer(&kv)).map(|p| p.is_none()).unwrap_or(true));
    }
}
