//! Feature values from a request body or a published record, aligned to a
//! model's input columns by name.
//!
//! The rules, the same for every model:
//! - a feature the model takes but the request leaves out, or sends as
//!   `null`, is filled with the card's `fill_value` (the trainer's mean: the
//!   value the model was trained to see for an unknown input; our own ONNX
//!   graphs also replace NaN by the same value themselves);
//! - a name the model does not take, a value that is not a number (string,
//!   bool, object), `NaN`, `Infinity`/`-Infinity` (as Python's `json` writes
//!   them) or a number beyond f32 (the model's input type) is a 422 that
//!   lists every offending name at once.

use crate::model::LoadedModel;
use matchday_core::error::ApiError;
use matchday_core::feature_record::{FeatureRecord, FeatureValues};
use serde::Deserialize;
use serde::de::{MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::HashSet;

/// More than any model takes; a bigger map is a client bug or abuse.
pub const MAX_FEATURES_IN_REQUEST: usize = 1024;

/// Why a value was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    NotANumber,
    NotFinite(&'static str),
    OutOfRange,
    Unknown,
}

impl Problem {
    fn describe(&self) -> String {
        match self {
            Problem::NotANumber => "not a number".into(),
            Problem::NotFinite(token) => format!("{token} is not a finite number"),
            Problem::OutOfRange => "beyond the float32 range of the model input".into(),
            Problem::Unknown => "not a feature of this model".into(),
        }
    }
}

/// A request's feature: known value, or missing (absent or `null`).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Missing,
    Number(f64),
}

/// A parsed `POST /predict/` body; `problems` are the values refused so far
/// (unknown names are found later, against the model's card).
#[derive(Debug, Clone, PartialEq)]
pub struct InlineRequest {
    pub match_id: Option<i64>,
    pub features: Vec<(String, Value)>,
    pub problems: Vec<(String, Problem)>,
}

// Sentinels the non-finite tokens become before serde_json (which refuses
// them) parses the body; a NUL byte never starts a real feature value.
const NAN: &str = "\"\\u0000NaN\"";
const POS_INF: &str = "\"\\u0000Infinity\"";
const NEG_INF: &str = "\"\\u0000-Infinity\"";

/// Rewrites bare `NaN`, `Infinity` and `-Infinity` (outside strings) into
/// sentinel strings, so a Python client's `json.dumps(float("nan"))` gets a
/// 422 naming the feature instead of a 400 for the whole body.
fn quote_non_finite(body: &[u8]) -> Cow<'_, [u8]> {
    let has_token = |t: &[u8]| body.windows(t.len()).any(|w| w == t);
    if !has_token(b"NaN") && !has_token(b"Infinity") {
        return Cow::Borrowed(body);
    }
    let mut out = Vec::with_capacity(body.len() + 32);
    let (mut in_string, mut escaped, mut i) = (false, false, 0);
    while i < body.len() {
        let b = body[i];
        if in_string {
            out.push(b);
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        let rest = &body[i..];
        let replaced = [
            (&b"-Infinity"[..], NEG_INF),
            (b"Infinity", POS_INF),
            (b"NaN", NAN),
        ]
        .into_iter()
        .find(|(token, _)| rest.starts_with(token));
        if let Some((token, sentinel)) = replaced {
            out.extend_from_slice(sentinel.as_bytes());
            i += token.len();
            continue;
        }
        if b == b'"' {
            in_string = true;
        }
        out.push(b);
        i += 1;
    }
    Cow::Owned(out)
}

fn classify(raw: &RawValue) -> Result<Value, Problem> {
    let text = raw.get();
    match text.as_bytes().first() {
        Some(b'n') if text == "null" => Ok(Value::Missing),
        Some(b'"') => match serde_json::from_str::<String>(text).as_deref() {
            Ok("\0NaN") => Err(Problem::NotFinite("NaN")),
            Ok("\0Infinity") => Err(Problem::NotFinite("Infinity")),
            Ok("\0-Infinity") => Err(Problem::NotFinite("-Infinity")),
            _ => Err(Problem::NotANumber),
        },
        Some(b'-' | b'0'..=b'9') => match serde_json::from_str::<f64>(text) {
            Ok(v) if v.is_finite() => {
                if (v as f32).is_finite() {
                    Ok(Value::Number(v))
                } else {
                    Err(Problem::OutOfRange)
                }
            }
            // serde_json refuses numbers beyond f64 (`1e999`).
            _ => Err(Problem::NotFinite(if text.starts_with('-') {
                "-Infinity"
            } else {
                "Infinity"
            })),
        },
        _ => Err(Problem::NotANumber),
    }
}

/// The `features` object in document order, duplicates refused.
struct FeatureMap<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for FeatureMap<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FeatureMap<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of feature names to numbers")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out: Vec<(String, &'de RawValue)> = Vec::new();
                let mut seen = HashSet::new();
                while let Some((name, value)) = map.next_entry::<String, &'de RawValue>()? {
                    if out.len() == MAX_FEATURES_IN_REQUEST {
                        return Err(serde::de::Error::custom(format!(
                            "more than {MAX_FEATURES_IN_REQUEST} features"
                        )));
                    }
                    if !seen.insert(name.clone()) {
                        return Err(serde::de::Error::custom(format!(
                            "feature `{name}` is given twice"
                        )));
                    }
                    out.push((name, value));
                }
                Ok(FeatureMap(out))
            }
        }
        d.deserialize_map(V)
    }
}

#[derive(Deserialize)]
struct Body<'a> {
    #[serde(borrow, default)]
    match_id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    features: Option<&'a RawValue>,
}

/// `match_id`: an integer or null/absent.
pub fn parse_match_id(raw: Option<&RawValue>) -> Result<Option<i64>, ApiError> {
    match raw.map(RawValue::get) {
        None | Some("null") => Ok(None),
        Some(text) => text.parse::<i64>().map(Some).map_err(|_| {
            ApiError::invalid_parameter("match_id", "match_id must be an integer or null")
        }),
    }
}

/// Parses a `POST /predict/` body. Malformed JSON is a 400; a body of the
/// wrong shape is a 422; bad feature values are collected, not thrown.
pub fn parse_inline(body: &[u8]) -> Result<InlineRequest, ApiError> {
    let body = quote_non_finite(body);
    let parsed: Body = serde_json::from_slice(&body).map_err(|e| {
        if e.is_data() {
            ApiError::invalid_parameter("body", "the body must be a JSON object")
        } else {
            ApiError::bad_request("the body is not valid JSON")
        }
    })?;
    let match_id = parse_match_id(parsed.match_id)?;
    let raw = parsed.features.ok_or_else(|| {
        ApiError::invalid_parameter(
            "features",
            "features is required (an object of name → number)",
        )
    })?;
    let map: FeatureMap = serde_json::from_str(raw.get())
        .map_err(|e| ApiError::invalid_parameter("features", format!("features: {e}")))?;
    let mut features = Vec::with_capacity(map.0.len());
    let mut problems = Vec::new();
    for (name, raw) in map.0 {
        match classify(raw) {
            Ok(value) => features.push((name, value)),
            Err(problem) => problems.push((name, problem)),
        }
    }
    Ok(InlineRequest {
        match_id,
        features,
        problems,
    })
}

/// The 422 for refused values, naming every one.
pub fn refusal(problems: &[(String, Problem)], model: Option<&LoadedModel>) -> ApiError {
    let detail: Vec<String> = problems
        .iter()
        .map(|(name, p)| format!("`{name}`: {}", p.describe()))
        .collect();
    let mut message = format!("invalid features: {}", detail.join("; "));
    if let Some(model) = model
        && problems.iter().any(|(_, p)| *p == Problem::Unknown)
    {
        message.push_str(&format!(
            ". The model takes: {}",
            model.card.feature_names().join(", ")
        ));
    }
    ApiError::invalid_fields(problems.iter().map(|(n, _)| n.clone()).collect(), message)
}

/// The model's input row for a request: known values in their columns, fill
/// values elsewhere. Unknown names join the request's other problems.
pub fn align_inline(request: &InlineRequest, model: &LoadedModel) -> Result<Vec<f32>, ApiError> {
    let mut row = model.fill_row();
    let mut problems = request.problems.clone();
    for (name, value) in &request.features {
        match (model.position(name), value) {
            (None, _) => problems.push((name.clone(), Problem::Unknown)),
            (Some(i), Value::Number(v)) => row[i] = *v as f32,
            (Some(_), Value::Missing) => {}
        }
    }
    if problems.is_empty() {
        Ok(row)
    } else {
        Err(refusal(&problems, Some(model)))
    }
}

/// The model's input row from the values of a published feature record
/// (name → number, unknown values left out). Names the model does not take
/// are ignored: the data may carry more features than a given model uses.
pub fn align_values(values: &FeatureValues, model: &LoadedModel) -> Vec<f32> {
    let mut row = model.fill_row();
    for (name, value) in values {
        if let (Some(i), Some(v)) = (model.position(name), value.as_f64()) {
            let v = v as f32;
            if v.is_finite() {
                row[i] = v;
            }
        }
    }
    row
}

/// [`align_values`] on a record's bytes, of either layout
/// ([`FeatureRecord::decode`]).
pub fn align_record(record: &[u8], model: &LoadedModel) -> Result<Vec<f32>, String> {
    Ok(align_values(&FeatureRecord::decode(record)?.values, model))
}

/// FNV-1a over a row's bits: the inline cache key's feature part, so two
/// requests share a cached answer only when their inputs are identical.
pub fn row_hash(row: &[f32]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for v in row {
        for b in v.to_bits().to_le_bytes() {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> InlineRequest {
        parse_inline(body.as_bytes()).unwrap()
    }

    #[test]
    fn numbers_nulls_and_ids() {
        let r = parse(r#"{"match_id": 7, "features": {"a": 1.5, "b": null, "c": -2, "d": 1e3}}"#);
        assert_eq!(r.match_id, Some(7));
        assert_eq!(
            r.features,
            vec![
                ("a".into(), Value::Number(1.5)),
                ("b".into(), Value::Missing),
                ("c".into(), Value::Number(-2.0)),
                ("d".into(), Value::Number(1000.0)),
            ]
        );
        assert!(r.problems.is_empty());
        assert_eq!(parse(r#"{"features": {}}"#).match_id, None);
        assert_eq!(
            parse(r#"{"match_id": null, "features": {}}"#).match_id,
            None
        );
    }

    #[test]
    fn every_bad_value_is_named() {
        let r = parse(
            r#"{"features": {"ok": 1, "s": "1.0", "t": true, "o": {}, "nan": NaN, "inf": Infinity,
                "ninf": -Infinity, "big": 1e999, "f32": 1e300, "arr": [1]}}"#,
        );
        let names: Vec<&str> = r.problems.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            vec!["s", "t", "o", "nan", "inf", "ninf", "big", "f32", "arr"]
        );
        assert_eq!(r.problems[3].1, Problem::NotFinite("NaN"));
        assert_eq!(r.problems[5].1, Problem::NotFinite("-Infinity"));
        assert_eq!(r.problems[7].1, Problem::OutOfRange);
        assert_eq!(r.features, vec![("ok".into(), Value::Number(1.0))]);
    }

    #[test]
    fn tokens_inside_strings_are_left_alone() {
        let r = parse(r#"{"features": {"NaN \"Infinity\"": "NaN", "x": 1}}"#);
        assert_eq!(
            r.problems,
            vec![("NaN \"Infinity\"".into(), Problem::NotANumber)]
        );
    }

    #[test]
    fn malformed_bodies() {
        assert_eq!(parse_inline(b"{").unwrap_err().status, 400);
        assert_eq!(parse_inline(b"").unwrap_err().status, 400);
        assert_eq!(parse_inline(b"[1]").unwrap_err().status, 422);
        assert_eq!(parse_inline(b"{}").unwrap_err().fields, vec!["features"]);
        assert_eq!(
            parse_inline(br#"{"features": [1]}"#).unwrap_err().fields,
            vec!["features"]
        );
        assert_eq!(
            parse_inline(br#"{"features": {"a": 1, "a": 2}}"#)
                .unwrap_err()
                .status,
            422
        );
        for id in [r#""7""#, "7.5", "1e3", "true", "99999999999999999999"] {
            let body = format!(r#"{{"match_id": {id}, "features": {{}}}}"#);
            assert_eq!(
                parse_inline(body.as_bytes()).unwrap_err().fields,
                vec!["match_id"],
                "{id}"
            );
        }
    }

    #[test]
    fn row_hash_tells_rows_apart() {
        assert_ne!(row_hash(&[1.0, 2.0]), row_hash(&[2.0, 1.0]));
        assert_eq!(row_hash(&[1.0, 2.0]), row_hash(&[1.0, 2.0]));
    }
}
