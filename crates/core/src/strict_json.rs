//! Strict JSON for request bodies.
//!
//! `serde_json` alone accepts things a request body should not carry: an
//! object with the same key twice (the last one silently wins, so a proxy and
//! the handler can disagree on what was sent) and, into `Value`, nesting deep
//! enough to cost real time. [`validate`] scans the body once, without
//! building anything, and refuses:
//!
//! - bytes that are not UTF-8, a byte-order mark, trailing data;
//! - anything outside RFC 8259's grammar (`NaN`, `Infinity`, `+1`, `01`,
//!   `.5`, comments, trailing commas, unescaped control characters, lone
//!   UTF-16 surrogates in `\u` escapes);
//! - a key repeated in one object (compared after unescaping, so `"a"` and
//!   `"\u0061"` are the same key);
//! - nesting deeper than [`JsonLimits::max_depth`];
//! - a number too large for an `f64` (`1e400`).
//!
//! [`from_slice`] validates and then deserialises, naming the offending field
//! when the shape is wrong. Problems are client errors: `400 invalid_json`
//! for a malformed body, `422 invalid_fields` for a well-formed body of the
//! wrong shape. Messages quote at most a short prefix of what was sent.

use crate::error::ApiError;
use serde::de::DeserializeOwned;
use std::collections::HashSet;

/// Bounds a body must stay within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonLimits {
    /// Objects and arrays nested inside each other (a top-level object is 1).
    pub max_depth: usize,
}

impl Default for JsonLimits {
    /// 32 levels: Matchday's request bodies use 2 or 3.
    fn default() -> Self {
        JsonLimits { max_depth: 32 }
    }
}

/// Why a body is not strict JSON, with the byte offset where it was noticed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonProblem {
    Empty,
    NotUtf8 {
        offset: usize,
    },
    Syntax {
        offset: usize,
        expected: &'static str,
    },
    DuplicateKey {
        offset: usize,
        key: String,
    },
    TooDeep {
        offset: usize,
        max_depth: usize,
    },
    NumberOutOfRange {
        offset: usize,
    },
    TrailingData {
        offset: usize,
    },
}

impl std::fmt::Display for JsonProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JsonProblem::Empty => write!(f, "the body is empty"),
            JsonProblem::NotUtf8 { offset } => write!(f, "invalid UTF-8 at byte {offset}"),
            JsonProblem::Syntax { offset, expected } => {
                write!(f, "expected {expected} at byte {offset}")
            }
            JsonProblem::DuplicateKey { offset, key } => {
                write!(f, "duplicate key \"{}\" at byte {offset}", shorten(key))
            }
            JsonProblem::TooDeep { offset, max_depth } => {
                write!(f, "nested deeper than {max_depth} levels at byte {offset}")
            }
            JsonProblem::NumberOutOfRange { offset } => {
                write!(f, "number out of range at byte {offset}")
            }
            JsonProblem::TrailingData { offset } => {
                write!(f, "unexpected data after the JSON value at byte {offset}")
            }
        }
    }
}

impl From<JsonProblem> for ApiError {
    fn from(problem: JsonProblem) -> Self {
        let mut err = ApiError::bad_request(format!("the body is not valid JSON: {problem}"));
        err.code = "invalid_json";
        err
    }
}

/// Keys echoed in messages are cut to a few characters.
fn shorten(text: &str) -> String {
    const MAX: usize = 40;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// Checks that `body` is one strict JSON value within `limits`.
pub fn validate(body: &[u8], limits: JsonLimits) -> Result<(), JsonProblem> {
    let text = std::str::from_utf8(body).map_err(|e| JsonProblem::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    let mut scanner = Scanner {
        bytes: text.as_bytes(),
        pos: 0,
        limits,
    };
    scanner.skip_ws();
    if scanner.pos == scanner.bytes.len() {
        return Err(JsonProblem::Empty);
    }
    scanner.value(0)?;
    scanner.skip_ws();
    if scanner.pos != scanner.bytes.len() {
        return Err(JsonProblem::TrailingData {
            offset: scanner.pos,
        });
    }
    Ok(())
}

/// Validates `body` and deserialises it into `T`.
///
/// A malformed body is `400 invalid_json`; a body of the wrong shape (a
/// missing or unknown field, a string where a number belongs) is
/// `422 invalid_fields` naming the field's path, e.g. `features.diff_elo`.
pub fn from_slice<T: DeserializeOwned>(body: &[u8], limits: JsonLimits) -> Result<T, ApiError> {
    validate(body, limits)?;
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    // `validate` bounds the depth; serde_json's own recursion limit stays on
    // as a second guard.
    serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let message = strip_position(&inner.to_string());
        let fields = if path == "." { Vec::new() } else { vec![path] };
        ApiError::invalid_fields(fields, format!("the body has the wrong shape: {message}"))
    })
}

/// serde_json appends " at line L column C"; the field path says more.
fn strip_position(message: &str) -> String {
    let cut = message.rfind(" at line ").unwrap_or(message.len());
    shorten_message(&message[..cut])
}

fn shorten_message(text: &str) -> String {
    const MAX: usize = 200;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
    limits: JsonLimits,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn syntax(&self, expected: &'static str) -> JsonProblem {
        JsonProblem::Syntax {
            offset: self.pos,
            expected,
        }
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8, expected: &'static str) -> Result<(), JsonProblem> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.syntax(expected))
        }
    }

    /// One value; `depth` is the number of containers around it. Recursion is
    /// bounded by `max_depth`, so the stack cannot overflow.
    fn value(&mut self, depth: usize) -> Result<(), JsonProblem> {
        match self.peek() {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.string(None),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            _ => Err(self.syntax("a value")),
        }
    }

    fn enter(&self, depth: usize) -> Result<(), JsonProblem> {
        if depth > self.limits.max_depth {
            Err(JsonProblem::TooDeep {
                offset: self.pos,
                max_depth: self.limits.max_depth,
            })
        } else {
            Ok(())
        }
    }

    fn object(&mut self, depth: usize) -> Result<(), JsonProblem> {
        self.enter(depth)?;
        self.pos += 1; // '{'
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        let mut keys: HashSet<String> = HashSet::new();
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.syntax("a string key"));
            }
            let key_offset = self.pos;
            let mut key = String::new();
            self.string(Some(&mut key))?;
            if !keys.insert(key.clone()) {
                return Err(JsonProblem::DuplicateKey {
                    offset: key_offset,
                    key,
                });
            }
            self.skip_ws();
            self.expect(b':', "':'")?;
            self.skip_ws();
            self.value(depth)?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.syntax("',' or '}'")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<(), JsonProblem> {
        self.enter(depth)?;
        self.pos += 1; // '['
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.skip_ws();
            self.value(depth)?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.syntax("',' or ']'")),
            }
        }
    }

    fn literal(&mut self, word: &'static [u8]) -> Result<(), JsonProblem> {
        if self.bytes[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.syntax("a value"))
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<(), JsonProblem> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.syntax("a digit")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.syntax("a digit after '.'"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.syntax("a digit in the exponent"));
            }
        }
        // The slice is ASCII by construction. Rust's parser rounds like
        // serde_json's and yields infinity exactly when serde_json refuses.
        let text = std::str::from_utf8(&self.bytes[start..self.pos]).unwrap_or("x");
        match text.parse::<f64>() {
            Ok(value) if value.is_finite() => Ok(()),
            _ => Err(JsonProblem::NumberOutOfRange { offset: start }),
        }
    }

    /// A string; its unescaped text goes to `out` when given (object keys).
    fn string(&mut self, mut out: Option<&mut String>) -> Result<(), JsonProblem> {
        self.pos += 1; // opening quote
        let mut run_start = self.pos;
        loop {
            let Some(byte) = self.peek() else {
                return Err(self.syntax("'\"' closing the string"));
            };
            match byte {
                b'"' => {
                    if let Some(out) = out.as_deref_mut() {
                        out.push_str(self.text(run_start, self.pos));
                    }
                    self.pos += 1;
                    return Ok(());
                }
                b'\\' => {
                    if let Some(out) = out.as_deref_mut() {
                        out.push_str(self.text(run_start, self.pos));
                    }
                    self.pos += 1;
                    let ch = self.escape()?;
                    if let Some(out) = out.as_deref_mut() {
                        out.push(ch);
                    }
                    run_start = self.pos;
                }
                0x00..=0x1f => return Err(self.syntax("an escaped control character")),
                _ => self.pos += 1,
            }
        }
    }

    /// Text between two positions of the (already UTF-8 checked) input; both
    /// positions sit on character boundaries because they are next to ASCII
    /// quotes or backslashes.
    fn text(&self, from: usize, to: usize) -> &str {
        std::str::from_utf8(&self.bytes[from..to]).unwrap_or_default()
    }

    fn escape(&mut self) -> Result<char, JsonProblem> {
        let Some(byte) = self.peek() else {
            return Err(self.syntax("an escape sequence"));
        };
        self.pos += 1;
        Ok(match byte {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => return self.unicode_escape(),
            _ => {
                self.pos -= 1;
                return Err(self.syntax("a valid escape sequence"));
            }
        })
    }

    fn hex4(&mut self) -> Result<u32, JsonProblem> {
        let digits = self
            .bytes
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.syntax("4 hex digits"))?;
        let mut value = 0u32;
        for digit in digits {
            let nibble = (*digit as char)
                .to_digit(16)
                .ok_or_else(|| self.syntax("4 hex digits"))?;
            value = value * 16 + nibble;
        }
        self.pos += 4;
        Ok(value)
    }

    /// `\uXXXX`, pairing UTF-16 surrogates; a lone surrogate is an error, as
    /// in serde_json.
    fn unicode_escape(&mut self) -> Result<char, JsonProblem> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if !self.bytes[self.pos..].starts_with(b"\\u") {
                    return Err(self.syntax("a low surrogate escape"));
                }
                self.pos += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(self.syntax("a low surrogate escape"));
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(self.syntax("a high surrogate before a low one")),
            other => other,
        };
        char::from_u32(code).ok_or_else(|| self.syntax("a valid code point"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::Deserialize;

    fn check(text: &str) -> Result<(), JsonProblem> {
        validate(text.as_bytes(), JsonLimits::default())
    }

    #[test]
    fn accepts_plain_json() {
        for ok in [
            "{}",
            "[]",
            " {\"a\": [1, -2.5e3, 0, true, false, null, \"x\\u00e9\\ud83d\\ude00\"]} ",
            "\"just a string\"",
            "0",
            "-0.0e-0",
            "{\"a\":{\"a\":{\"a\":1}}}",
            "{\"a\":1,\"b\":1}",
            "1e308",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn refuses_duplicate_keys_even_when_escaped() {
        assert!(matches!(
            check("{\"a\":1,\"a\":2}"),
            Err(JsonProblem::DuplicateKey { key, .. }) if key == "a"
        ));
        assert!(matches!(
            check("{\"a\":1,\"\\u0061\":2}"),
            Err(JsonProblem::DuplicateKey { .. })
        ));
        // The same key in sibling objects is fine.
        assert_eq!(check("[{\"a\":1},{\"a\":2}]"), Ok(()));
    }

    #[test]
    fn refuses_deep_nesting() {
        let deep = "[".repeat(33) + &"]".repeat(33);
        assert!(matches!(check(&deep), Err(JsonProblem::TooDeep { .. })));
        let fine = "[".repeat(32) + &"]".repeat(32);
        assert_eq!(check(&fine), Ok(()));
        // Far deeper than any stack would allow: refused at level 33, no recursion.
        let huge = "[".repeat(1_000_000);
        assert!(matches!(check(&huge), Err(JsonProblem::TooDeep { .. })));
    }

    #[test]
    fn refuses_non_json_numbers() {
        for bad in [
            "NaN",
            "Infinity",
            "-Infinity",
            "+1",
            "01",
            ".5",
            "1.",
            "1e",
            "-",
            "1e400",
            "-1e400",
            "0x10",
        ] {
            assert!(check(bad).is_err(), "{bad}");
        }
        assert!(matches!(
            check("[1e400]"),
            Err(JsonProblem::NumberOutOfRange { offset: 1 })
        ));
    }

    #[test]
    fn refuses_malformed_text() {
        for bad in [
            "",
            "   ",
            "{",
            "{\"a\"}",
            "{\"a\":1,}",
            "[1,]",
            "{a:1}",
            "'a'",
            "\"\\x\"",
            "\"tab\there\"",
            "\"\\ud800\"",
            "\"\\udc00\"",
            "\"\\ud800\\u0041\"",
            "\u{feff}{}",
            "{} {}",
            "// c\n{}",
            "nul",
        ] {
            assert!(check(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            validate(b"\"\xff\"", JsonLimits::default()),
            Err(JsonProblem::NotUtf8 { offset: 1 })
        );
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Body {
        match_id: i64,
        features: Features,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Features {
        diff_elo: f64,
    }

    #[test]
    fn errors_are_client_errors_naming_the_field() {
        let ok: Body = from_slice(
            br#"{"match_id": 7, "features": {"diff_elo": 1.5}}"#,
            JsonLimits::default(),
        )
        .unwrap();
        assert_eq!(ok.match_id, 7);

        let err = from_slice::<Body>(br#"{"match_id": 7, "match_id": 8}"#, JsonLimits::default())
            .unwrap_err();
        assert_eq!((err.status, err.code), (400, "invalid_json"));
        assert!(
            err.message.contains("duplicate key \"match_id\""),
            "{}",
            err.message
        );

        let err = from_slice::<Body>(
            br#"{"match_id": 7, "features": {"diff_elo": "high"}}"#,
            JsonLimits::default(),
        )
        .unwrap_err();
        assert_eq!((err.status, err.code), (422, "invalid_fields"));
        assert_eq!(err.fields, vec!["features.diff_elo"]);
        assert!(!err.message.contains("line"), "{}", err.message);

        let err = from_slice::<Body>(br#"{"match_id": 1e400}"#, JsonLimits::default()).unwrap_err();
        assert_eq!(err.status, 400);
        let err = from_slice::<Body>(
            br#"{"match_id": 99999999999999999999}"#,
            JsonLimits::default(),
        )
        .unwrap_err();
        assert_eq!(
            (err.status, err.fields.clone()),
            (422, vec!["match_id".to_string()])
        );
        let err = from_slice::<Body>(br#"{"extra": 1}"#, JsonLimits::default()).unwrap_err();
        assert_eq!(err.status, 422);
    }

    #[test]
    fn long_keys_are_not_echoed_in_full() {
        let key = "k".repeat(10_000);
        let body = format!("{{\"{key}\":1,\"{key}\":2}}");
        let err =
            from_slice::<serde_json::Value>(body.as_bytes(), JsonLimits::default()).unwrap_err();
        assert!(err.message.len() < 200, "{}", err.message.len());
    }

    fn arbitrary_json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(|n| serde_json::json!(n)),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| serde_json::json!(f)),
            ".{0,12}".prop_map(serde_json::Value::String),
        ];
        leaf.prop_recursive(6, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
                prop::collection::btree_map(".{0,6}", inner, 0..6)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Whatever serde_json writes (no duplicate keys by construction) is
        /// accepted, compact or pretty.
        #[test]
        fn accepts_what_serde_json_writes(value in arbitrary_json()) {
            let compact = serde_json::to_vec(&value).unwrap();
            prop_assert_eq!(validate(&compact, JsonLimits::default()), Ok(()));
            let pretty = serde_json::to_vec_pretty(&value).unwrap();
            prop_assert_eq!(validate(&pretty, JsonLimits::default()), Ok(()));
        }

        /// On arbitrary bytes: never a panic, and nothing accepted that
        /// serde_json would refuse.
        #[test]
        fn never_accepts_what_serde_json_refuses(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            if validate(&bytes, JsonLimits::default()).is_ok() {
                prop_assert!(serde_json::from_slice::<serde_json::Value>(&bytes).is_ok());
            }
        }

        /// JSON-ish text (mostly valid tokens): the two parsers agree unless
        /// the body has a duplicate key or a deep nesting.
        #[test]
        fn agrees_with_serde_json_on_json_like_text(
            parts in prop::collection::vec(prop_oneof![
                Just("{"), Just("}"), Just("["), Just("]"), Just(","), Just(":"),
                Just("\"a\""), Just("\"b\""), Just("1"), Just("-0.5e3"), Just("true"),
                Just("null"), Just(" "), Just("\"\\u00e9\""), Just("1e999"),
            ], 0..24)
        ) {
            let text = parts.concat();
            let ours = validate(text.as_bytes(), JsonLimits::default());
            let theirs = serde_json::from_str::<serde_json::Value>(&text);
            match ours {
                Ok(()) => prop_assert!(theirs.is_ok(), "{}", text),
                Err(JsonProblem::DuplicateKey { .. } | JsonProblem::TooDeep { .. }) => {}
                Err(problem) => prop_assert!(theirs.is_err(), "{}: {}", text, problem),
            }
        }
    }
}
