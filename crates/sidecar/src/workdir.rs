//! The pipeline's work directory (`<data>/work/`): each step reads what the
//! previous one wrote, so `features`, `train`, `predict` and `publish` can run
//! one at a time or chained by `pipeline`.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

pub struct WorkDir(PathBuf);

impl WorkDir {
    pub fn new(data_dir: &Path) -> Result<Self> {
        Self::at(&data_dir.join("work"))
    }

    /// `dir` itself as the directory (created if missing), e.g. `train --out`.
    pub fn at(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(WorkDir(dir.to_path_buf()))
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<PathBuf> {
        let path = self.path(name);
        // Write-then-rename: a crash never leaves a half-written artifact.
        // The temporary file sits beside the target (`name` may have a
        // directory part), so the rename stays within one directory.
        let file_name = path
            .file_name()
            .with_context(|| format!("{name} is not a file name"))?;
        let tmp = path.with_file_name(format!(".{}.tmp", file_name.to_string_lossy()));
        std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    /// Reads a file an earlier step wrote, naming that step when it is missing.
    pub fn read(&self, name: &str, produced_by: &str) -> Result<Vec<u8>> {
        let path = self.path(name);
        std::fs::read(&path).with_context(|| {
            format!(
                "reading {} (run `matchday {produced_by}` first)",
                path.display()
            )
        })
    }
}

// Names of the work files.
pub const PIPELINE_CONFIG: &str = "pipeline.json";
pub const MODEL: &str = "model.onnx";
/// The same recipe fitted before the test split: forecasts finished matches.
pub const HOLDOUT_MODEL: &str = "holdout_model.onnx";
pub const MODEL_CARD: &str = "model_card.json";
pub const PREDICTIONS_META: &str = "predictions.json";
/// The training distribution of the model's features (`matchday drift`'s reference).
pub const DRIFT_REFERENCE: &str = "drift_reference.json";
/// Where `drift` and `quality` write their reports.
pub const REPORTS_DIR: &str = "reports";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_into_a_subdirectory_without_leaving_a_temporary_file() {
        let data_dir =
            std::env::temp_dir().join(format!("matchday-workdir-{}", std::process::id()));
        let work = WorkDir::new(&data_dir).unwrap();
        std::fs::create_dir_all(work.path("feed")).unwrap();
        let written = work.write("feed/snapshot.json", b"{}").unwrap();
        assert_eq!(std::fs::read(&written).unwrap(), b"{}");
        let left: Vec<_> = std::fs::read_dir(work.path("feed"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, vec![std::ffi::OsString::from("snapshot.json")]);
        std::fs::remove_dir_all(&data_dir).unwrap();
    }
}
