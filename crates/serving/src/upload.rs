//! The upload `matchday registry publish` sends to `POST /admin/models`: a
//! tar archive holding `model.onnx` and `model_card.json`, so the two files
//! that only make sense together travel (and fail) together, and optionally
//! `holdout_model.onnx`, the same recipe fitted before the card's test split
//! (what the promotion gate re-scores when the served fit has seen every
//! finished match).

use std::io::Read;

pub const ONNX: &str = "model.onnx";
pub const CARD: &str = "model_card.json";
pub const HOLDOUT_ONNX: &str = "holdout_model.onnx";
/// Largest upload admin accepts; a 300-tree ensemble is ~160 KB.
pub const MAX_UPLOAD_BYTES: usize = 64 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub struct ModelUpload {
    pub onnx: Vec<u8>,
    pub card: Vec<u8>,
    /// The holdout fit, when the trainer made one.
    pub holdout: Option<Vec<u8>>,
}

impl ModelUpload {
    pub fn pack(&self) -> std::io::Result<Vec<u8>> {
        let mut builder = tar::Builder::new(Vec::new());
        let files = [(CARD, Some(&self.card)), (ONNX, Some(&self.onnx))];
        let holdout = [(HOLDOUT_ONNX, self.holdout.as_ref())];
        for (name, bytes) in files.into_iter().chain(holdout) {
            let Some(bytes) = bytes else { continue };
            let mut header = tar::Header::new_ustar();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_mtime(0); // the same files give the same archive
            builder.append_data(&mut header, name, bytes.as_slice())?;
        }
        builder.into_inner()
    }

    /// Reads an upload; the error is a sentence for the publisher.
    pub fn unpack(bytes: &[u8]) -> Result<ModelUpload, String> {
        let bad = |e: std::io::Error| format!("the upload is not a readable tar archive ({e})");
        let mut archive = tar::Archive::new(bytes);
        let (mut onnx, mut card, mut holdout) = (None, None, None);
        for entry in archive.entries().map_err(bad)? {
            let mut entry = entry.map_err(bad)?;
            let name = entry.path().map_err(bad)?.to_string_lossy().into_owned();
            let slot = match name.as_str() {
                ONNX => &mut onnx,
                CARD => &mut card,
                HOLDOUT_ONNX => &mut holdout,
                _ => return Err(format!("unexpected file `{name}` in the upload")),
            };
            let size = entry.size();
            let mut content = Vec::new();
            entry.read_to_end(&mut content).map_err(bad)?;
            // An upload cut short ends inside an entry, and tar reads short.
            if content.len() as u64 != size {
                return Err(format!("`{name}` is truncated"));
            }
            if slot.replace(content).is_some() {
                return Err(format!("`{name}` appears twice"));
            }
        }
        match (onnx, card) {
            (Some(onnx), Some(card)) => Ok(ModelUpload {
                onnx,
                card,
                holdout,
            }),
            _ => Err(format!(
                "the upload must hold `{ONNX}` and `{CARD}` (and may hold `{HOLDOUT_ONNX}`)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_partial_uploads() {
        let mut upload = ModelUpload {
            onnx: vec![1, 2, 3],
            card: b"{}".to_vec(),
            holdout: None,
        };
        let packed = upload.pack().unwrap();
        assert_eq!(ModelUpload::unpack(&packed).unwrap(), upload);
        upload.holdout = Some(vec![4, 5]);
        assert_eq!(
            ModelUpload::unpack(&upload.pack().unwrap()).unwrap(),
            upload
        );
        assert!(ModelUpload::unpack(&packed[..packed.len() / 2]).is_err());
        assert!(ModelUpload::unpack(b"not a tar").is_err());
        assert!(ModelUpload::unpack(&[]).is_err());
    }
}
