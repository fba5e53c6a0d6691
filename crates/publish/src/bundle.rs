//! A publish bundle: a tar archive of the artifacts plus `manifest.json`.
//!
//! One upload carries a whole data version, so the admin component can check
//! the artifacts against each other before writing anything, and an upload cut
//! short is simply an unreadable archive.

use crate::error::ArtifactError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Read;

pub const MANIFEST: &str = "manifest.json";
pub const FORMAT: u32 = 1;
/// A bundle has a handful of files; more is not ours.
const MAX_ENTRIES: usize = 16;

/// What the sidecar says about the bundle it built.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundleManifest {
    pub format: u32,
    pub created_at: String,
    /// The date the pipeline treated as "now".
    pub as_of: String,
    pub predictions_computed_at: String,
    pub model_run_id: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Bundle {
    pub manifest: BundleManifest,
    /// Artifact name → bytes.
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Bundle {
    pub fn pack(&self) -> Result<Vec<u8>, ArtifactError> {
        let io = |e: std::io::Error| ArtifactError::Bundle(e.to_string());
        let mut builder = tar::Builder::new(Vec::new());
        let manifest = serde_json::to_vec_pretty(&self.manifest)
            .map_err(|e| ArtifactError::Bundle(e.to_string()))?;
        let entries = std::iter::once((MANIFEST, manifest.as_slice()))
            .chain(self.files.iter().map(|(n, b)| (n.as_str(), b.as_slice())));
        for (name, bytes) in entries {
            let mut header = tar::Header::new_ustar();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_mtime(0); // reproducible archives
            builder.append_data(&mut header, name, bytes).map_err(io)?;
        }
        builder.into_inner().map_err(io)
    }

    pub fn unpack(bytes: &[u8]) -> Result<Bundle, ArtifactError> {
        let bad =
            |e: std::io::Error| ArtifactError::Bundle(format!("not a readable tar archive ({e})"));
        let mut archive = tar::Archive::new(bytes);
        let mut files = BTreeMap::new();
        let mut manifest = None;
        for entry in archive.entries().map_err(bad)? {
            let mut entry = entry.map_err(bad)?;
            let name = entry.path().map_err(bad)?.to_string_lossy().into_owned();
            if name.contains('/') || name.contains('\\') || name.starts_with('.') {
                return Err(ArtifactError::Bundle(format!("unexpected entry `{name}`")));
            }
            let size = entry.size();
            let mut content = Vec::new();
            entry.read_to_end(&mut content).map_err(bad)?;
            // A cut-off upload ends inside an entry: tar reads short, silently.
            if content.len() as u64 != size {
                return Err(ArtifactError::Bundle(format!("`{name}` is truncated")));
            }
            if name == MANIFEST {
                manifest = Some(
                    serde_json::from_slice::<BundleManifest>(&content)
                        .map_err(|e| ArtifactError::Bundle(format!("{MANIFEST}: {e}")))?,
                );
            } else if files.insert(name.clone(), content).is_some() {
                return Err(ArtifactError::Bundle(format!("`{name}` appears twice")));
            }
            if files.len() > MAX_ENTRIES {
                return Err(ArtifactError::Bundle("too many entries".into()));
            }
        }
        let manifest =
            manifest.ok_or_else(|| ArtifactError::Bundle(format!("{MANIFEST} is missing")))?;
        if manifest.format != FORMAT {
            return Err(ArtifactError::Bundle(format!(
                "format {} is not supported (expected {FORMAT})",
                manifest.format
            )));
        }
        Ok(Bundle { manifest, files })
    }

    /// The bytes of a required artifact.
    pub fn file(&self, name: &str) -> Result<&[u8], ArtifactError> {
        self.files
            .get(name)
            .map(Vec::as_slice)
            .ok_or_else(|| ArtifactError::Bundle(format!("`{name}` is missing")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> BundleManifest {
        BundleManifest {
            format: FORMAT,
            created_at: "2026-11-23T10:00:00Z".into(),
            as_of: "2023-04-01T00:00:00Z".into(),
            predictions_computed_at: "2026-11-23T10:00:00Z".into(),
            model_run_id: "run".into(),
        }
    }

    #[test]
    fn round_trips() {
        let bundle = Bundle {
            manifest: manifest(),
            files: BTreeMap::from([("a.parquet".to_string(), vec![1, 2, 3])]),
        };
        let packed = bundle.pack().unwrap();
        assert_eq!(Bundle::unpack(&packed).unwrap(), bundle);
    }

    #[test]
    fn truncated_or_garbage_archives_are_rejected() {
        let bundle = Bundle {
            manifest: manifest(),
            files: BTreeMap::from([("a.parquet".to_string(), vec![7; 5000])]),
        };
        let packed = bundle.pack().unwrap();
        assert!(Bundle::unpack(&packed[..packed.len() / 2]).is_err());
        assert!(Bundle::unpack(b"definitely not a tar").is_err());
        let empty = Bundle {
            manifest: manifest(),
            files: BTreeMap::new(),
        }
        .pack()
        .unwrap();
        assert!(Bundle::unpack(&empty).unwrap().file("a.parquet").is_err());
    }
}
