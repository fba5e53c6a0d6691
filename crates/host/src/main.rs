//! `matchday-host`: serve a Spin app locally (a Spin 4 subset on wasmtime).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use matchday_host::{Host, HostConfig};

// Requests allocate and free many small buffers (headers, bodies, wasm
// call arguments); glibc's malloc was ~9% of CPU under load.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Serve a Spin app's spin.toml locally (a subset of Spin 4; see the
/// crate README for what is and is not implemented).
#[derive(Parser, Debug)]
#[command(name = "matchday-host", version)]
struct Cli {
    /// Path of the app manifest.
    #[arg(long, short = 'f', default_value = "spin.toml")]
    manifest: PathBuf,

    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: SocketAddr,

    /// Create a fresh instance for every request (no instance reuse).
    #[arg(long, conflicts_with = "max_instance_reuse")]
    fresh_instance: bool,

    /// Requests one instance serves before it is dropped (Spin 4 default: 128).
    #[arg(long, value_name = "N")]
    max_instance_reuse: Option<usize>,

    /// State directory: key-value database and compile cache
    /// (default: .spin next to the manifest).
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut config = HostConfig::new(cli.manifest);
    config.listen = cli.listen;
    config.fresh_instance = cli.fresh_instance;
    config.max_instance_reuse = cli.max_instance_reuse;
    config.state_dir = cli.state_dir;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let host = Host::start(config).await?;
        host.serve_until(async {
            let _ = tokio::signal::ctrl_c().await;
            eprintln!("shutting down");
        })
        .await;
        anyhow::Ok(())
    })
}
