//! A real-data sample, prepared once per test binary with the sidecar's own
//! commands: import two leagues from `../shared/data/football-data`, run the
//! pipeline (features → train → predict), pack the bundle `publish` sends.

use matchday_publish::artifacts;
use matchday_publish::bundle::Bundle;
use matchday_sidecar::commands::{ingest, market, pipeline, publish};
use std::path::PathBuf;
use std::sync::OnceLock;

/// Leagues in the sample: enough for a real model, small enough to be quick.
pub const LEAGUES: &[&str] = &["E0", "SP1"];

pub struct Sample {
    pub data_dir: tempfile::TempDir,
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
        let data_dir = tempfile::tempdir().expect("temp dir");
        let source = data_dir.path().join("source");
        std::fs::create_dir_all(&source).expect("source dir");
        for league in LEAGUES {
            std::os::unix::fs::symlink(football_data_dir().join(league), source.join(league))
                .expect("symlink league");
        }
        ingest::football_data(data_dir.path(), &source).expect("ingest");
        pipeline::all(data_dir.path(), &pipeline::PipelineArgs::default()).expect("pipeline");
        // A recorded bookmaker feed snapshot (2023-04-01/02 fixtures), linked
        // and priced like `matchday feed`, then the odds export again to merge
        // its prices: cards of linked matches carry the feed's price and link.
        market::feed(data_dir.path(), &feed_args()).expect("feed");
        market::odds(data_dir.path(), &Default::default()).expect("odds");
        let bundle = publish::bundle(data_dir.path()).expect("bundle");
        Sample { data_dir, bundle }
    })
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

/// The sample bundle with every prediction's `model_run_id` replaced: a
/// second, distinguishable version of the same data.
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
