//! Per-instance store data and the linker that provides WASI, wasi:http
//! and the Spin interfaces to components.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use wasmtime::component::{Linker, ResourceTable};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::WasiHttpCtx;
use wasmtime_wasi_http::p3::bindings::http::types::ErrorCode;
use wasmtime_wasi_http::p3::{RequestOptions, WasiHttpCtxView, WasiHttpHooks, WasiHttpView};

use crate::bindings::{spin_kv, spin_variables, wasi_kv};
use crate::kv_host::{KvCtx, KvHost, KvView};
use crate::variables::ComponentVariables;
use crate::variables_host::VariablesHost;

/// Everything one component instance's store holds.
pub struct InstanceState {
    pub(crate) table: ResourceTable,
    pub(crate) wasi: WasiCtx,
    pub(crate) http: WasiHttpCtx,
    pub(crate) hooks: DenyOutboundHttp,
    pub(crate) kv: KvCtx,
    pub(crate) variables: Arc<ComponentVariables>,
}

impl WasiView for InstanceState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for InstanceState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            hooks: &mut self.hooks,
            table: &mut self.table,
            ctx: &mut self.http,
        }
    }
}

impl InstanceState {
    fn kv_view(&mut self) -> KvView<'_> {
        KvView {
            table: &mut self.table,
            ctx: &self.kv,
        }
    }
}

/// Outbound HTTP is refused: Spin allows it only to `allowed_outbound_hosts`
/// (and service chaining), which this host does not implement. Refusing
/// everything keeps a component from working here and failing on Spin.
pub struct DenyOutboundHttp;

impl WasiHttpHooks for DenyOutboundHttp {
    fn send_request(
        &mut self,
        _request: http::Request<UnsyncBoxBody<Bytes, ErrorCode>>,
        _options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), ErrorCode>> + Send>,
    ) -> Box<
        dyn Future<
                Output = Result<
                    (
                        http::Response<UnsyncBoxBody<Bytes, ErrorCode>>,
                        Box<dyn Future<Output = Result<(), ErrorCode>> + Send>,
                    ),
                    wasmtime_wasi::TrappableError<ErrorCode>,
                >,
            > + Send,
    > {
        Box::new(async { Err(ErrorCode::HttpRequestDenied.into()) })
    }
}

/// Builds the linker: WASI 0.2 (what Rust's std on wasm32-wasip2 imports),
/// WASI 0.3 RC, wasi:http 0.3 RC and the Spin interfaces.
pub fn linker(engine: &wasmtime::Engine) -> anyhow::Result<Linker<InstanceState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi::p3::add_to_linker(&mut linker)?;
    wasmtime_wasi_http::p3::add_to_linker(&mut linker)?;
    spin_kv::add_to_linker::<_, KvHost>(&mut linker, InstanceState::kv_view)?;
    wasi_kv::store::add_to_linker::<_, KvHost>(&mut linker, InstanceState::kv_view)?;
    wasi_kv::atomics::add_to_linker::<_, KvHost>(&mut linker, InstanceState::kv_view)?;
    wasi_kv::batch::add_to_linker::<_, KvHost>(&mut linker, InstanceState::kv_view)?;
    spin_variables::add_to_linker::<_, VariablesHost>(&mut linker, |s: &mut InstanceState| {
        &s.variables
    })?;
    Ok(linker)
}

/// A guest stdout/stderr stream that writes whole lines to the host's
/// stderr, each prefixed with the component id, so output of concurrent
/// instances never interleaves mid-line.
#[derive(Clone)]
pub struct PrefixedLog {
    inner: Arc<LogInner>,
}

struct LogInner {
    prefix: String,
    pending: Mutex<Vec<u8>>,
}

/// Longest partial line kept before it is written out anyway.
const MAX_PENDING: usize = 16 * 1024;

impl PrefixedLog {
    /// A stream whose lines start with `[prefix] `.
    pub fn new(prefix: &str) -> Self {
        Self {
            inner: Arc::new(LogInner {
                prefix: format!("[{prefix}] "),
                pending: Mutex::new(Vec::new()),
            }),
        }
    }

    fn write(&self, bytes: &[u8]) {
        let Ok(mut pending) = self.inner.pending.lock() else {
            return;
        };
        pending.extend_from_slice(bytes);
        let mut out = Vec::new();
        while let Some(newline) = pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = pending.drain(..=newline).collect();
            out.extend_from_slice(self.inner.prefix.as_bytes());
            out.extend_from_slice(&line);
        }
        if pending.len() > MAX_PENDING {
            out.extend_from_slice(self.inner.prefix.as_bytes());
            out.append(&mut pending);
            out.push(b'\n');
        }
        drop(pending);
        if !out.is_empty() {
            // Best effort, one write(2) per batch of whole lines: a closed
            // stderr must not fail the guest's write.
            crate::server::write_stderr(&out);
        }
    }
}

impl Drop for LogInner {
    fn drop(&mut self) {
        if let Ok(pending) = self.pending.get_mut()
            && !pending.is_empty()
        {
            let mut out = self.prefix.clone().into_bytes();
            out.append(pending);
            out.push(b'\n');
            crate::server::write_stderr(&out);
        }
    }
}

impl wasmtime_wasi::cli::IsTerminal for PrefixedLog {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl wasmtime_wasi::cli::StdoutStream for PrefixedLog {
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl tokio::io::AsyncWrite for PrefixedLog {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.write(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
