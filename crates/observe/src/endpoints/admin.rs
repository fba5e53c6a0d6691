//! `POST /admin/monitoring/reports`: how the sidecar publishes a drift or
//! quality report (summary + HTML) through `admin`. The admin component
//! checks the bearer token first, exactly as for `/admin/publish`.

use super::json;
use crate::monitoring::reports::{self, MAX_REPORT_BYTES, ReportUpload};
use chrono::{DateTime, Utc};
use matchday_core::error::ApiError;
use matchday_core::kv::KvWrite;
use matchday_core::response::HttpResponse;

pub const REPORTS_ROUTE: &str = "/admin/monitoring/reports";
/// The upload is JSON: the HTML escaped, plus the summary.
pub const MAX_UPLOAD_BYTES: usize = 2 * MAX_REPORT_BYTES;

/// `Some` when the path is this group's (then a wrong method is a 405),
/// `None` to let the rest of `admin` route it.
pub fn route(method: &str, path: &str) -> Option<Result<(), ApiError>> {
    (path.trim_end_matches('/') == REPORTS_ROUTE).then(|| {
        if method == "POST" {
            Ok(())
        } else {
            Err(ApiError::method_not_allowed("POST"))
        }
    })
}

/// Stores the uploaded report; 201 with its index entry.
pub async fn execute(body: &[u8], kv: &impl KvWrite, now: DateTime<Utc>) -> HttpResponse {
    let upload: ReportUpload = match serde_json::from_slice(body) {
        Ok(upload) => upload,
        Err(e) => return ApiError::bad_request(format!("body is not a report upload: {e}")).into(),
    };
    match reports::store(kv, &upload, now).await {
        Ok(entry) => {
            eprintln!(
                "admin: stored report {} ({} bytes)",
                entry.name, entry.bytes
            );
            json(&entry).with_status(201)
        }
        Err(err) => err.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;
    use matchday_core::kv::MemoryKv;

    #[test]
    fn routes_only_its_own_path() {
        assert_eq!(route("POST", "/admin/monitoring/reports/"), Some(Ok(())));
        assert_eq!(
            route("GET", REPORTS_ROUTE).unwrap().unwrap_err().status,
            405
        );
        assert_eq!(route("POST", "/admin/publish"), None);
    }

    #[test]
    fn a_malformed_upload_is_400() {
        let r = block_on(execute(b"{", &MemoryKv::new(), Utc::now()));
        assert_eq!(r.status, 400);
    }
}
