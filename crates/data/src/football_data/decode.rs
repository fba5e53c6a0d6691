//! Bytes → text: UTF-8 (with or without BOM), else cp1252, the encoding of
//! older football-data files.

use std::borrow::Cow;

/// How a file was decoded (kept in the import log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceEncoding {
    Utf8,
    Utf8WithBom,
    Windows1252,
}

impl SourceEncoding {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceEncoding::Utf8 => "utf-8",
            SourceEncoding::Utf8WithBom => "utf-8-bom",
            SourceEncoding::Windows1252 => "windows-1252",
        }
    }
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Every byte sequence decodes: cp1252 maps all 256 byte values, so a file
/// that isn't UTF-8 is read as cp1252 rather than refused.
pub(crate) fn decode(bytes: &[u8]) -> (Cow<'_, str>, SourceEncoding) {
    let (body, bom) = match bytes.strip_prefix(UTF8_BOM) {
        Some(body) => (body, true),
        None => (bytes, false),
    };
    match std::str::from_utf8(body) {
        Ok(text) if bom => (Cow::Borrowed(text), SourceEncoding::Utf8WithBom),
        Ok(text) => (Cow::Borrowed(text), SourceEncoding::Utf8),
        Err(_) => {
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(body);
            (text, SourceEncoding::Windows1252)
        }
    }
}

/// CRLF (and lone CR) → LF. The `csv` crate accepts all three, but with CRLF
/// its record positions lag one line behind, and rejected rows must name the
/// right line.
pub(crate) fn normalize_line_endings(text: &str) -> Cow<'_, str> {
    if text.contains('\r') {
        Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_and_without_bom() {
        assert_eq!(decode(b"Div"), (Cow::Borrowed("Div"), SourceEncoding::Utf8));
        assert_eq!(
            decode(b"\xEF\xBB\xBFDiv"),
            (Cow::Borrowed("Div"), SourceEncoding::Utf8WithBom)
        );
        assert_eq!(decode("Málaga".as_bytes()).0, "Málaga");
    }

    #[test]
    fn line_endings() {
        assert_eq!(normalize_line_endings("a\r\nb\rc\n"), "a\nb\nc\n");
        assert!(matches!(normalize_line_endings("a\nb"), Cow::Borrowed(_)));
    }

    #[test]
    fn cp1252_fallback() {
        // "Málaga" and a cp1252-only character (€ = 0x80) in cp1252.
        let (text, encoding) = decode(b"M\xE1laga \x80");
        assert_eq!(text, "Málaga €");
        assert_eq!(encoding, SourceEncoding::Windows1252);
    }
}
