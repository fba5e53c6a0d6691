//! A plain HTTP response value: what core logic returns and components send.

use crate::error::ApiError;

/// Header naming the data version a response was built from, so clients and
/// tests can check that a response never mixes two versions.
pub const DATA_VERSION_HEADER: &str = "x-matchday-data-version";

#[derive(Debug, Clone, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// 200 with a JSON body.
    pub fn json(body: Vec<u8>) -> Self {
        HttpResponse {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body,
        }
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl From<ApiError> for HttpResponse {
    fn from(err: ApiError) -> Self {
        let mut response = HttpResponse::json(err.body()).with_status(err.status);
        if let Some(seconds) = err.retry_after {
            response = response.with_header("retry-after", seconds.to_string());
        }
        if let Some(scheme) = err.challenge {
            response = response.with_header("www-authenticate", scheme);
        }
        response
    }
}
