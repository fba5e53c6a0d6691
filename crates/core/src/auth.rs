//! Credential checks: constant-time, several valid secrets at once.
//!
//! Secrets come from Spin variables as comma-separated lists so a key can be
//! rotated without downtime (old and new both valid during the change).

use subtle::ConstantTimeEq;

/// The secrets configured in a variable: comma-separated, blanks ignored.
pub fn parse_secrets(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// True when `presented` equals one of `secrets`. Every secret is compared,
/// and each comparison takes time independent of where bytes differ, so the
/// timing reveals neither which secret matched nor a matching prefix.
pub fn matches_any(presented: &str, secrets: &[String]) -> bool {
    let mut found = subtle::Choice::from(0u8);
    for secret in secrets {
        found |= presented.as_bytes().ct_eq(secret.as_bytes());
    }
    bool::from(found) && !presented.is_empty()
}

/// The token of an `Authorization: Bearer <token>` header value.
pub fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_accepts_old_and_new() {
        let secrets = parse_secrets(" old-key , new-key ,,");
        assert_eq!(secrets, vec!["old-key", "new-key"]);
        assert!(matches_any("old-key", &secrets));
        assert!(matches_any("new-key", &secrets));
        assert!(!matches_any("old-ke", &secrets));
        assert!(!matches_any("", &secrets));
        assert!(!matches_any("anything", &[]));
    }

    #[test]
    fn bearer_parsing() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("Bearer"), None);
    }
}
