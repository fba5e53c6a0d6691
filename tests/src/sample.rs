//! A real-data sample, prepared with the sidecar's own commands: import two
//! leagues from `../shared/data/football-data`, run the pipeline (features →
//! train → predict), link a recorded bookmaker feed snapshot, pack the bundle
//! `publish` sends.
//!
//! nextest runs every test in its own process and the pipeline takes about a
//! minute, so the sample is built once per source tree and kept under
//! `target/test-sample/<key>/`: the key hashes every source file the
//! pipeline is built from and the data files it reads, so any change
//! rebuilds it. A file lock makes concurrent test processes wait for the one
//! building it instead of each training its own.

use matchday_core::window::TrainedMatches;
use matchday_publish::artifacts;
use matchday_publish::bundle::Bundle;
use matchday_sidecar::commands::{ingest, market, pipeline, publish};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Leagues in the sample: enough for a real model, small enough to be quick.
pub const LEAGUES: &[&str] = &["E0", "SP1"];

pub struct Sample {
    /// The sidecar's data directory (store and `work/`); shared by every
    /// test process, so tests only read it.
    pub data_dir: PathBuf,
    /// The packed bundle, as `matchday publish` uploads it.
    pub bundle: Vec<u8>,
}

/// `../shared/data/football-data` (or `MATCHDAY_DATA_DIR`, the folder or its parent).
pub fn football_data_dir() -> PathBuf {
    let dir = std::env::var_os("MATCHDAY_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::workspace_root().join("../shared/data/football-data"));
    let dir = if dir.join("football-data").is_dir() {
        dir.join("football-data")
    } else {
        dir
    };
    assert!(
        dir.join("E0").is_dir(),
        "real data not found at {} (set MATCHDAY_DATA_DIR)",
        dir.display()
    );
    dir
}

pub fn sample() -> &'static Sample {
    static SAMPLE: OnceLock<Sample> = OnceLock::new();
    SAMPLE.get_or_init(|| {
        let root = crate::workspace_root().join("target/test-sample");
        std::fs::create_dir_all(&root).expect("sample cache dir");
        let key = sample_key();
        let data_dir = root.join(&key);
        let lock = std::fs::File::create(root.join(format!("{key}.lock"))).expect("lock file");
        lock.lock().expect("lock the sample cache");
        let done = data_dir.join("bundle.tar");
        if !done.is_file() {
            let failed = root.join(format!("{key}.failed"));
            let run = std::env::var("NEXTEST_RUN_ID").unwrap_or_default();
            // One failed build per test run is enough: without this, every
            // later test process would spend minutes failing the same way.
            if !run.is_empty() && std::fs::read_to_string(&failed).ok().as_deref() == Some(&run) {
                panic!("building the real-data sample failed in another test of this run; its output says why");
            }
            prune_other_samples(&root, &key);
            if data_dir.exists() {
                // A build that was interrupted: start over.
                std::fs::remove_dir_all(&data_dir).expect("remove a partial sample");
            }
            if let Err(panic) = std::panic::catch_unwind(|| build(&data_dir)) {
                std::fs::write(&failed, &run).ok();
                std::panic::resume_unwind(panic);
            }
        }
        let bundle = std::fs::read(&done).expect("sample bundle");
        lock.unlock().ok();
        Sample { data_dir, bundle }
    })
}

fn build(data_dir: &Path) {
    let source = data_dir.join("source");
    std::fs::create_dir_all(&source).expect("source dir");
    for league in LEAGUES {
        std::os::unix::fs::symlink(football_data_dir().join(league), source.join(league))
            .expect("symlink league");
    }
    ingest::football_data(data_dir, &source).expect("ingest");
    pipeline::all(data_dir, &pipeline::PipelineArgs::default()).expect("pipeline");
    // A recorded bookmaker feed snapshot (2023-04-01/02 fixtures), linked
    // and priced like `matchday feed`, then the odds export again to merge
    // its prices: cards of linked matches carry the feed's price and link.
    market::feed(data_dir, &feed_args()).expect("feed");
    market::odds(data_dir, &Default::default()).expect("odds");
    let bundle = publish::bundle(data_dir).expect("bundle");
    // Written last and renamed into place: its presence marks a complete sample.
    let partial = data_dir.join("bundle.tar.partial");
    std::fs::write(&partial, bundle).expect("write the sample bundle");
    std::fs::rename(&partial, data_dir.join("bundle.tar")).expect("finish the sample");
}

/// The recorded feed snapshot of `crates/market/tests/fixtures/feed`.
pub fn feed_snapshot() -> PathBuf {
    crate::workspace_root().join("crates/market/tests/fixtures/feed/line-2023-03-31T22-00Z.json")
}

/// `matchday feed --snapshot <recorded> --event-url ...` with the committed aliases.
pub fn feed_args() -> market::FeedArgs {
    market::FeedArgs {
        url: None,
        path: String::new(),
        snapshot: Some(feed_snapshot()),
        bookmaker: "Fonbet".into(),
        event_url: Some("https://book.example/football/{sport}/{event}".into()),
        aliases: crate::workspace_root().join("config/team-aliases.toml"),
        window_hours: 24,
        threshold: matchday_market::linking::LinkerConfig::default().threshold,
        timeout: 30,
        retries: 0,
    }
}

/// A hash of what the sample is made from: the workspace's crate sources
/// (with the feed fixture), `config/` (the alias table), `Cargo.lock` and the
/// names, sizes and modification times of the data files.
fn sample_key() -> String {
    let root = crate::workspace_root();
    let mut files = Vec::new();
    collect_files(&root.join("crates"), &mut files);
    collect_files(&root.join("config"), &mut files);
    files.push(root.join("Cargo.lock"));
    files.sort();
    let mut digest = Sha256::new();
    for file in &files {
        digest.update(file.to_string_lossy().as_bytes());
        digest.update(std::fs::read(file).unwrap_or_default());
    }
    for league in LEAGUES {
        let mut data = Vec::new();
        collect_files(&football_data_dir().join(league), &mut data);
        data.sort();
        for file in data {
            let meta = std::fs::metadata(&file).expect("data file");
            digest.update(format!(
                "{}:{}:{:?}",
                file.display(),
                meta.len(),
                meta.modified().ok()
            ));
        }
    }
    digest.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every file under `dir`, following symlinks, skipping `target` folders.
fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if entry.file_name() != "target" {
                collect_files(&path, out);
            }
        } else {
            out.push(path);
        }
    }
}

/// Samples of earlier source trees only take space.
fn prune_other_samples(root: &Path, key: &str) {
    for entry in std::fs::read_dir(root).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with(key) && entry.path().is_dir() {
            std::fs::remove_dir_all(entry.path()).ok();
        }
    }
}

/// The sample bundle with every prediction's `model_run_id` (and its
/// lists' run) replaced: a second, distinguishable version of the same data.
pub fn with_run_id(bundle: &[u8], run_id: &str) -> Vec<u8> {
    let mut bundle = Bundle::unpack(bundle).expect("sample bundle");
    let computed_at = bundle.manifest.predictions_computed_at.clone();
    let mut predictions = artifacts::read_predictions(
        bundle.files[artifacts::PREDICTIONS].clone().into(),
        &computed_at,
    )
    .expect("predictions");
    for p in &mut predictions {
        p.model_run_id = run_id.to_string();
    }
    bundle.files.insert(
        artifacts::PREDICTIONS.into(),
        artifacts::write_predictions(&predictions).expect("write"),
    );
    // The run's lists of training matches go with it.
    if let Some(bytes) = bundle.files.get_mut(artifacts::TRAINED_MATCHES) {
        let mut trained = TrainedMatches::from_json(bytes).expect("trained matches");
        trained.run_id = run_id.to_string();
        *bytes = trained.to_json();
    }
    bundle.manifest.model_run_id = run_id.to_string();
    bundle.pack().expect("pack")
}

/// The sample bundle with one artifact's bytes replaced.
pub fn with_file(bundle: &[u8], name: &str, bytes: Vec<u8>) -> Vec<u8> {
    let mut bundle = Bundle::unpack(bundle).expect("sample bundle");
    bundle.files.insert(name.to_string(), bytes);
    bundle.pack().expect("pack")
}

/// Decoded content of a bundle (for expectations).
pub fn decode(bundle: &[u8]) -> matchday_publish::records::DataSet {
    matchday_publish::commit::decode(bundle).expect("valid bundle")
}
