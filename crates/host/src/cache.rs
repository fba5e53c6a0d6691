//! Compile cache: Cranelift takes seconds on a 10 MB component, so the
//! compiled artifact is kept under `<state-dir>/cache/<sha256>.cwasm`, keyed
//! by the Wasm bytes and everything about the engine that affects the
//! compiled code (wasmtime version, target, settings).

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// How a component was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Loaded from a cached artifact.
    Hit,
    /// Compiled and written to the cache.
    Compiled,
}

/// The cache file for `wasm` under `cache_dir`.
pub fn cache_path(engine: &Engine, wasm: &[u8], cache_dir: &Path) -> PathBuf {
    // `precompile_compatibility_hash` covers the wasmtime version and every
    // engine setting that must match for `deserialize` to accept an
    // artifact; a std hasher with its fixed default keys is stable across
    // runs of the same binary, which is all the key needs.
    let mut engine_hasher = std::collections::hash_map::DefaultHasher::new();
    engine
        .precompile_compatibility_hash()
        .hash(&mut engine_hasher);
    let mut digest = Sha256::new();
    digest.update(wasm);
    digest.update(engine_hasher.finish().to_le_bytes());
    digest.update(env!("CARGO_PKG_VERSION").as_bytes());
    let hex: String = digest
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    cache_dir.join(format!("{hex}.cwasm"))
}

/// Loads a component, from the cache when possible.
pub fn load(
    engine: &Engine,
    wasm_path: &Path,
    cache_dir: &Path,
) -> anyhow::Result<(Component, CacheOutcome)> {
    let wasm = std::fs::read(wasm_path)
        .with_context(|| format!("failed to read component {}", wasm_path.display()))?;
    load_bytes(engine, &wasm, &wasm_path.display().to_string(), cache_dir)
}

/// Loads a component given as bytes (e.g. composed with its dependencies),
/// from the cache when possible; `label` names it in errors.
pub fn load_bytes(
    engine: &Engine,
    wasm: &[u8],
    label: &str,
    cache_dir: &Path,
) -> anyhow::Result<(Component, CacheOutcome)> {
    let cached = cache_path(engine, wasm, cache_dir);
    // Hosts starting at once (parallel test processes) would each spend
    // Cranelift's seconds on the same component: the first compiles under
    // this lock, the others wait and then load its artifact. Without the
    // lock (an unwritable cache dir) every host compiles: slower, not wrong.
    let _lock = lock_entry(&cached);
    if cached.is_file() {
        // SAFETY: the artifact was written by `Component::serialize` of this
        // same host into its own state directory, and its name commits to
        // the engine configuration; `deserialize_file` still validates the
        // header and refuses incompatible artifacts, in which case we fall
        // back to compiling.
        match unsafe { Component::deserialize_file(engine, &cached) } {
            Ok(component) => return Ok((component, CacheOutcome::Hit)),
            Err(e) => eprintln!(
                "warning: ignoring unusable compile cache entry {}: {e}",
                cached.display()
            ),
        }
    }
    let component = Component::new(engine, wasm)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("failed to compile component {label}"))?;
    if let Err(e) = store(&component, &cached) {
        // A cache that cannot be written only costs time on the next start.
        eprintln!(
            "warning: could not write compile cache {}: {e:#}",
            cached.display()
        );
    }
    Ok((component, CacheOutcome::Compiled))
}

/// An exclusive lock on `<entry>.lock`, released when dropped; `None` when
/// the lock file cannot be created or locked.
fn lock_entry(entry: &Path) -> Option<std::fs::File> {
    std::fs::create_dir_all(entry.parent()?).ok()?;
    let file = std::fs::File::create(entry.with_extension("lock")).ok()?;
    file.lock().ok()?;
    Some(file)
}

fn store(component: &Component, path: &Path) -> anyhow::Result<()> {
    let bytes = component.serialize()?;
    let dir = path.parent().context("cache path has no parent")?;
    std::fs::create_dir_all(dir)?;
    // Write then rename, so a concurrent host never reads half a file.
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("cwasm"),
        std::process::id()
    ));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}
