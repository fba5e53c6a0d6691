//! A probe for the local host's end-to-end tests. Every endpoint answers
//! JSON describing what the component saw, so tests can compare the host
//! with Spin's documented behaviour. Built for wasm32-wasip2 with
//! spin-sdk 6 (`wasi:http/handler@0.3.0-rc-2026-03-15`), exactly like the
//! app's components.

use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};
use spin_sdk::experimental::wasi::keyvalue::{atomics, batch, store as wasi_store};
use spin_sdk::http::{IntoResponse, Request, StatusCode};
use spin_sdk::http_service;
use spin_sdk::key_value::{Error as KvError, Store};

/// Requests this instance has served: 1 on every request with a fresh
/// instance per request, growing with instance reuse.
static SERVED: AtomicU64 = AtomicU64::new(0);

/// A random id per instance, to tell instances apart.
fn instance_id() -> u64 {
    static ID: OnceLock<u64> = OnceLock::new();
    *ID.get_or_init(|| {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(0x5eed);
        h.finish()
    })
}

fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| v.to_string())
    })
}

fn kv_error(e: &KvError) -> String {
    match e {
        KvError::StoreTableFull => "store-table-full".into(),
        KvError::NoSuchStore => "no-such-store".into(),
        KvError::AccessDenied => "access-denied".into(),
        KvError::Other(m) => format!("other: {m}"),
    }
}

fn wasi_kv_error(e: &wasi_store::Error) -> String {
    match e {
        wasi_store::Error::NoSuchStore => "no-such-store".into(),
        wasi_store::Error::AccessDenied => "access-denied".into(),
        wasi_store::Error::Other(m) => format!("other: {m}"),
    }
}

fn reply(status: StatusCode, body: Value) -> impl IntoResponse {
    let mut headers = spin_sdk::http::HeaderMap::new();
    headers.insert("content-type", "application/json".parse().unwrap());
    (status, headers, body.to_string())
}

#[http_service]
async fn handle(req: Request) -> impl IntoResponse {
    let served = SERVED.fetch_add(1, Ordering::Relaxed) + 1;
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let op = path.rsplit('/').next().unwrap_or("").to_string();
    let param = |name: &str| query_param(&query, name).unwrap_or_default();

    let result: Result<Value, (StatusCode, String)> = match op.as_str() {
        "kv-set" => match Store::open_default().await {
            Ok(store) => store
                .set(param("key"), param("value").as_bytes())
                .await
                .map(|()| json!({"set": param("key")}))
                .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, kv_error(&e))),
            Err(e) => Err((StatusCode::INTERNAL_SERVER_ERROR, kv_error(&e))),
        },
        "kv-get" => match Store::open_default().await {
            Ok(store) => match store.get(param("key")).await {
                Ok(v) => Ok(json!({
                    "key": param("key"),
                    "value": v.map(|v| String::from_utf8_lossy(&v).into_owned()),
                })),
                Err(e) => Err((StatusCode::INTERNAL_SERVER_ERROR, kv_error(&e))),
            },
            Err(e) => Err((StatusCode::INTERNAL_SERVER_ERROR, kv_error(&e))),
        },
        "kv-ops" => kv_ops(&param("key")).await,
        "open" => match Store::open(param("store")).await {
            Ok(_) => Ok(json!({"opened": param("store")})),
            Err(e) => Ok(json!({"error": kv_error(&e)})),
        },
        "wasi-open" => match wasi_store::open(&param("store")) {
            Ok(_) => Ok(json!({"opened": param("store")})),
            Err(e) => Ok(json!({"error": wasi_kv_error(&e)})),
        },
        "count" => wasi_store::open("default")
            .and_then(|bucket| atomics::increment(&bucket, "probe-counter", 1))
            .map(|n| json!({"counter": n}))
            .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, wasi_kv_error(&e))),
        "batch" => batch_ops(),
        "cas" => cas_ops(),
        "bench" => match Store::open_default().await {
            // Two reads per request: the shape of the app's lookups
            // (version pointer + one record).
            Ok(store) => {
                let a = store.get("bench/a").await;
                let b = store.get("bench/b").await;
                match (a, b) {
                    (Ok(a), Ok(b)) => Ok(json!({
                        "a": a.map(|v| v.len()),
                        "b": b.map(|v| v.len()),
                    })),
                    (Err(e), _) | (_, Err(e)) => {
                        Err((StatusCode::INTERNAL_SERVER_ERROR, kv_error(&e)))
                    }
                }
            }
            Err(e) => Err((StatusCode::INTERNAL_SERVER_ERROR, kv_error(&e))),
        },
        "var" => Ok(match spin_sdk::variables::get(param("name")).await {
            Ok(v) => json!({"value": v}),
            Err(e) => json!({"error": format!("{e:?}")}),
        }),
        "file" => match std::fs::read_to_string(param("path")) {
            Ok(text) => Ok(json!({"content": text})),
            Err(e) => Ok(json!({"error": e.to_string()})),
        },
        "write-file" => match std::fs::write(param("path"), b"x") {
            Ok(()) => Ok(json!({"written": true})),
            Err(e) => Ok(json!({"error": e.to_string()})),
        },
        "env" => Ok(json!({"value": std::env::var(param("name")).ok()})),
        "log" => {
            println!("probe stdout line");
            eprintln!("probe stderr line");
            Ok(json!({"logged": true}))
        }
        "status" => {
            let code = param("code").parse().unwrap_or(200);
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::OK);
            return reply(status, json!({"status": code}));
        }
        "panic" => panic!("probe asked to panic"),
        _ => Ok(Value::Null),
    };

    let mut spin_headers = serde_json::Map::new();
    for (name, value) in req.headers() {
        if name.as_str().starts_with("spin-") {
            spin_headers.insert(
                name.as_str().to_string(),
                Value::String(value.to_str().unwrap_or("<non-utf8>").to_string()),
            );
        }
    }
    let body = json!({
        "method": req.method().as_str(),
        "path": path,
        "query": query,
        "uri": req.uri().to_string(),
        "headers": spin_headers,
        "instance": instance_id().to_string(),
        "served": served,
    });
    match result {
        Ok(value) => {
            let mut body = body;
            body["result"] = value;
            reply(StatusCode::OK, body)
        }
        Err((status, message)) => {
            let mut body = body;
            body["error"] = Value::String(message);
            reply(status, body)
        }
    }
}

/// Every `spin:key-value` call once, against key `key`.
async fn kv_ops(key: &str) -> Result<Value, (StatusCode, String)> {
    let fail = |e: KvError| (StatusCode::INTERNAL_SERVER_ERROR, kv_error(&e));
    let store = Store::open_default().await.map_err(fail)?;
    store.set(key, b"one").await.map_err(fail)?;
    let exists = store.exists(key).await.map_err(fail)?;
    let keys = store.get_keys().await.collect().await.map_err(fail)?;
    let value = store.get(key).await.map_err(fail)?;
    store.delete(key).await.map_err(fail)?;
    let exists_after = store.exists(key).await.map_err(fail)?;
    Ok(json!({
        "exists": exists,
        "listed": keys.iter().any(|k| k == key),
        "value": value.map(|v| String::from_utf8_lossy(&v).into_owned()),
        "exists_after_delete": exists_after,
    }))
}

/// `wasi:keyvalue/batch` round trip.
fn batch_ops() -> Result<Value, (StatusCode, String)> {
    let fail = |e: wasi_store::Error| (StatusCode::INTERNAL_SERVER_ERROR, wasi_kv_error(&e));
    let bucket = wasi_store::open("default").map_err(fail)?;
    batch::set_many(
        &bucket,
        &[
            ("batch/a".to_string(), b"1".to_vec()),
            ("batch/b".to_string(), b"2".to_vec()),
        ],
    )
    .map_err(fail)?;
    let got = batch::get_many(
        &bucket,
        &[
            "batch/a".to_string(),
            "batch/missing".to_string(),
            "batch/b".to_string(),
        ],
    )
    .map_err(fail)?;
    batch::delete_many(&bucket, &["batch/a".to_string()]).map_err(fail)?;
    let a_exists = bucket.exists("batch/a").map_err(fail)?;
    let listed = bucket.list_keys(None).map_err(fail)?;
    Ok(json!({
        "got": got
            .into_iter()
            .map(|(k, v)| json!([k, v.map(|v| String::from_utf8_lossy(&v).into_owned())]))
            .collect::<Vec<_>>(),
        "a_exists_after_delete": a_exists,
        "keys": listed.keys,
    }))
}

/// `wasi:keyvalue/atomics` compare-and-swap, including a failed swap and
/// the retry handle it returns.
fn cas_ops() -> Result<Value, (StatusCode, String)> {
    let fail = |e: wasi_store::Error| (StatusCode::INTERNAL_SERVER_ERROR, wasi_kv_error(&e));
    let bucket = wasi_store::open("default").map_err(fail)?;
    let cas = atomics::Cas::new(&bucket, "cas-key").map_err(fail)?;
    let before = cas.current().map_err(fail)?;
    let first = atomics::swap(cas, b"1").is_ok();
    // Never read `current`: Spin treats that as insert-only, so this fails
    // because the key now exists, and hands back a handle for a retry.
    let blind = atomics::Cas::new(&bucket, "cas-key").map_err(fail)?;
    let (second, retried) = match atomics::swap(blind, b"2") {
        Ok(()) => (true, None),
        Err(atomics::CasError::CasFailed(retry)) => {
            let seen = retry
                .current()
                .map_err(fail)?
                .map(|v| String::from_utf8_lossy(&v).into_owned());
            let ok = atomics::swap(retry, b"3").is_ok();
            (false, Some((seen, ok)))
        }
        Err(atomics::CasError::StoreError(e)) => return Err(fail(e)),
    };
    let last = bucket
        .get("cas-key")
        .map_err(fail)?
        .map(|v| String::from_utf8_lossy(&v).into_owned());
    Ok(json!({
        "before": before.map(|v| String::from_utf8_lossy(&v).into_owned()),
        "first_swap": first,
        "blind_swap": second,
        "retry_saw": retried.as_ref().map(|(seen, _)| seen.clone()),
        "retry_swap": retried.map(|(_, ok)| ok),
        "final": last,
    }))
}
