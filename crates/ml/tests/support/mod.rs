//! Shared by the tests that read the real files.

use std::path::PathBuf;

/// The football-data folder: `MATCHDAY_DATA_DIR`, else `shared/data`
/// beside the clone. Panics with a hint when it is not there.
pub fn football_data_dir() -> PathBuf {
    let dir = match std::env::var("MATCHDAY_DATA_DIR") {
        Ok(dir) => PathBuf::from(dir),
        Err(_) => {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/football-data")
        }
    };
    assert!(
        dir.is_dir(),
        "football-data not found at {} (set MATCHDAY_DATA_DIR)",
        dir.display()
    );
    dir
}
