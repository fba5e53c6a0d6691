//! Async prediction tasks, without a background worker.
//!
//! Spin runs code only while it handles a request, so a task runs inside the
//! `POST /predict/async/` request that submits it, to completion, before the
//! 202 is sent; the record is written once, already in its final state
//! (`SUCCESS` with the result, or `FAILURE` with the error), and polling is a
//! read. Nothing retries a task, and no code runs for it after its request
//! ends, so the seed's SRV-05 (a retry executing after the client was told it
//! timed out) cannot happen: there is no later execution to race with.
//! Errors the client can act on (unknown match 404, bad body 422, no model or
//! store down 503) are answered directly and create no task.
//!
//! Records live at `task/<task id>` with an `expires_at` (Spin's store has no
//! expiry): an expired record reads as unknown (404) and is deleted by the
//! poll that finds it.

use crate::api::PredictResponse;
use crate::api::{TaskError, TaskState, TaskStatus};
use serde::{Deserialize, Serialize};

pub fn key(task_id: &str) -> String {
    format!("task/{task_id}")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub task_id: String,
    pub status: TaskState,
    pub created_at: String,
    /// Unix seconds after which the task is forgotten.
    pub expires_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<PredictResponse>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<TaskError>,
}

impl Record {
    pub fn status(self) -> TaskStatus {
        TaskStatus {
            task_id: self.task_id,
            status: self.status,
            result: self.result,
            error: self.error,
        }
    }
}

/// A random (v4) UUID, like the seed's Celery task ids.
pub fn new_task_id() -> Result<String, getrandom::Error> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b)?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    ))
}

/// Whether `id` could be one of ours; anything else is unknown without a
/// store read (and never becomes part of a key).
pub fn is_task_id(id: &str) -> bool {
    id.len() == 36
        && id.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_random_uuids_and_validated() {
        let a = new_task_id().unwrap();
        let b = new_task_id().unwrap();
        assert_ne!(a, b);
        assert!(is_task_id(&a), "{a}");
        assert_eq!(&a[14..15], "4");
        assert!(!is_task_id("../data/current"));
        assert!(!is_task_id(&a.to_uppercase()));
        assert!(!is_task_id(&a[..35]));
    }
}
