//! Query-string parsing with typed, range-checked getters.
//!
//! Every getter fails with a 422 that names the parameter, so a handler reads
//! `let limit = query.int("limit", 1..=5000)?.unwrap_or(100);`.

use crate::error::ApiError;
use std::ops::RangeInclusive;

/// Most parameters any endpoint takes is under 10; more is a client bug or abuse.
pub const MAX_PARAMS: usize = 32;
/// Longest query string accepted, in bytes.
pub const MAX_QUERY_LEN: usize = 2048;

/// A decoded query string.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Parses `a=1&b=x%20y`. `None` or empty means no parameters.
    pub fn parse(raw: Option<&str>) -> Result<Query, ApiError> {
        let raw = raw.unwrap_or("");
        if raw.len() > MAX_QUERY_LEN {
            return Err(ApiError::bad_request(format!(
                "query string longer than {MAX_QUERY_LEN} bytes"
            )));
        }
        let mut pairs = Vec::new();
        for part in raw.split('&').filter(|p| !p.is_empty()) {
            if pairs.len() == MAX_PARAMS {
                return Err(ApiError::bad_request(format!(
                    "more than {MAX_PARAMS} query parameters"
                )));
            }
            let (name, value) = part.split_once('=').unwrap_or((part, ""));
            let name = percent_decode(name).ok_or_else(|| {
                ApiError::bad_request("malformed percent-encoding in query string")
            })?;
            let value = percent_decode(value).ok_or_else(|| {
                ApiError::invalid_parameter(&name, format!("{name} has malformed percent-encoding"))
            })?;
            pairs.push((name, value));
        }
        Ok(Query { pairs })
    }

    /// The raw value of `name`; a parameter given twice is ambiguous → 422.
    pub fn str(&self, name: &str) -> Result<Option<&str>, ApiError> {
        let mut found = self
            .pairs
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str());
        let first = found.next();
        if found.next().is_some() {
            return Err(ApiError::invalid_parameter(
                name,
                format!("{name} is given more than once"),
            ));
        }
        Ok(first)
    }

    /// An integer within `range`.
    pub fn int(&self, name: &str, range: RangeInclusive<i64>) -> Result<Option<i64>, ApiError> {
        let Some(raw) = self.str(name)? else {
            return Ok(None);
        };
        let out_of_range = || {
            ApiError::invalid_parameter(
                name,
                format!(
                    "{name} must be an integer between {} and {}",
                    range.start(),
                    range.end()
                ),
            )
        };
        let value: i64 = raw.trim().parse().map_err(|_| out_of_range())?;
        if range.contains(&value) {
            Ok(Some(value))
        } else {
            Err(out_of_range())
        }
    }

    /// A finite number within `range`.
    pub fn float(&self, name: &str, range: RangeInclusive<f64>) -> Result<Option<f64>, ApiError> {
        let Some(raw) = self.str(name)? else {
            return Ok(None);
        };
        let value: f64 = raw
            .trim()
            .parse()
            .map_err(|_| ApiError::invalid_parameter(name, format!("{name} must be a number")))?;
        if value.is_finite() && range.contains(&value) {
            Ok(Some(value))
        } else {
            Err(ApiError::invalid_parameter(
                name,
                format!(
                    "{name} must be a number between {} and {}",
                    range.start(),
                    range.end()
                ),
            ))
        }
    }

    /// A calendar date `YYYY-MM-DD`.
    pub fn date(&self, name: &str) -> Result<Option<chrono::NaiveDate>, ApiError> {
        let Some(raw) = self.str(name)? else {
            return Ok(None);
        };
        chrono::NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                ApiError::invalid_parameter(name, format!("{name} must be a date (YYYY-MM-DD)"))
            })
    }

    /// `true`/`false` (also `1`/`0`, `yes`/`no`, any case).
    pub fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        let Some(raw) = self.str(name)? else {
            return Ok(None);
        };
        match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(Some(true)),
            "false" | "0" | "no" => Ok(Some(false)),
            _ => Err(ApiError::invalid_parameter(
                name,
                format!("{name} must be true or false"),
            )),
        }
    }

    /// One of `allowed` (exact match).
    pub fn one_of<'a>(&self, name: &str, allowed: &[&'a str]) -> Result<Option<&'a str>, ApiError> {
        let Some(raw) = self.str(name)? else {
            return Ok(None);
        };
        allowed
            .iter()
            .find(|a| **a == raw)
            .map(|a| Some(*a))
            .ok_or_else(|| {
                ApiError::invalid_parameter(
                    name,
                    format!("{name} must be one of: {}", allowed.join(", ")),
                )
            })
    }
}

/// Decodes `%XX` escapes and `+` as space; `None` on a bad escape or non-UTF-8 result.
fn percent_decode(input: &str) -> Option<String> {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(raw: &str) -> Query {
        Query::parse(Some(raw)).unwrap()
    }

    #[test]
    fn parses_and_decodes() {
        let query = q("team=Man%20United&x=a+b&flag");
        assert_eq!(query.str("team").unwrap(), Some("Man United"));
        assert_eq!(query.str("x").unwrap(), Some("a b"));
        assert_eq!(query.str("flag").unwrap(), Some(""));
        assert_eq!(query.str("missing").unwrap(), None);
    }

    #[test]
    fn int_range_errors_name_the_parameter() {
        let query = q("limit=0&offset=abc&year=2020");
        let err = query.int("limit", 1..=5000).unwrap_err();
        assert_eq!(
            (err.status, err.fields.clone()),
            (422, vec!["limit".to_string()])
        );
        assert_eq!(
            query.int("offset", 0..=i64::MAX).unwrap_err().fields,
            vec!["offset"]
        );
        assert_eq!(query.int("year", 1998..=2100).unwrap(), Some(2020));
        assert_eq!(q("limit=").int("limit", 1..=10).unwrap_err().status, 422);
        assert_eq!(
            q("limit=99999999999999999999999")
                .int("limit", 1..=10)
                .unwrap_err()
                .status,
            422
        );
    }

    #[test]
    fn duplicates_are_rejected() {
        assert_eq!(
            q("limit=1&limit=2")
                .int("limit", 1..=10)
                .unwrap_err()
                .status,
            422
        );
    }

    #[test]
    fn bools_and_enums() {
        assert_eq!(q("f=TRUE").bool("f").unwrap(), Some(true));
        assert_eq!(q("f=0").bool("f").unwrap(), Some(false));
        assert_eq!(q("f=maybe").bool("f").unwrap_err().status, 422);
        assert_eq!(
            q("s=challenger")
                .one_of("s", &["champion", "challenger"])
                .unwrap(),
            Some("challenger")
        );
        assert!(q("s=x").one_of("s", &["champion"]).is_err());
    }

    #[test]
    fn floats_and_dates() {
        assert_eq!(q("r=0.05").float("r", -1.0..=10.0).unwrap(), Some(0.05));
        assert_eq!(q("r=-1").float("r", -1.0..=10.0).unwrap(), Some(-1.0));
        for bad in ["r=abc", "r=NaN", "r=inf", "r=11", "r="] {
            let err = q(bad).float("r", -1.0..=10.0).unwrap_err();
            assert_eq!(
                (err.status, err.fields.clone()),
                (422, vec!["r".to_string()]),
                "{bad}"
            );
        }
        assert_eq!(
            q("from=2023-01-31").date("from").unwrap(),
            chrono::NaiveDate::from_ymd_opt(2023, 1, 31)
        );
        for bad in [
            "from=2023-02-30",
            "from=31/01/2023",
            "from=2023-1-x",
            "from=",
        ] {
            assert_eq!(q(bad).date("from").unwrap_err().status, 422, "{bad}");
        }
    }

    #[test]
    fn malformed_and_oversized_queries_are_client_errors() {
        assert_eq!(Query::parse(Some("a=%zz")).unwrap_err().status, 422);
        assert_eq!(Query::parse(Some("%zz=1")).unwrap_err().status, 400);
        assert_eq!(Query::parse(Some("a=%ff%fe")).unwrap_err().status, 422);
        assert_eq!(
            Query::parse(Some(&"a=1&".repeat(40))).unwrap_err().status,
            400
        );
        assert_eq!(
            Query::parse(Some(&"a".repeat(MAX_QUERY_LEN + 1)))
                .unwrap_err()
                .status,
            400
        );
    }
}
