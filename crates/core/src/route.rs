//! The two checks every endpoint group makes before it reads a parameter.

use crate::error::ApiError;

/// `path` without one trailing slash: `/predict/odds/` and `/predict/odds`
/// are the same route, as they were in the seed's API.
pub fn trimmed(path: &str) -> &str {
    path.strip_suffix('/').unwrap_or(path)
}

/// Read-only groups answer GET and HEAD; anything else is a 405 naming GET.
pub fn require_read(method: &str) -> Result<(), ApiError> {
    if method == "GET" || method == "HEAD" {
        Ok(())
    } else {
        Err(ApiError::method_not_allowed("GET"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_trailing_slash_is_the_same_route() {
        assert_eq!(trimmed("/predict/odds/"), "/predict/odds");
        assert_eq!(trimmed("/predict/odds"), "/predict/odds");
        assert_eq!(trimmed("/predict/odds//"), "/predict/odds/");
    }

    #[test]
    fn only_get_and_head_read() {
        assert!(require_read("GET").is_ok());
        assert!(require_read("HEAD").is_ok());
        for method in ["POST", "PUT", "DELETE", "get"] {
            assert_eq!(require_read(method).unwrap_err().status, 405, "{method}");
        }
    }
}
