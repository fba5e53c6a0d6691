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

/// The position in `secrets` of the one `presented` equals, if any. Like
/// [`matches_any`], every secret is compared in constant time and the index
/// is selected without a data-dependent branch, so the timing does not tell
/// which secret matched. The position lets callers tell keys apart (rate
/// limits) without ever handling or logging the key itself.
pub fn match_index(presented: &str, secrets: &[String]) -> Option<usize> {
    use subtle::ConditionallySelectable;
    let mut found = subtle::Choice::from(0u8);
    let mut index = 0u64;
    for (i, secret) in secrets.iter().enumerate() {
        let equal = presented.as_bytes().ct_eq(secret.as_bytes());
        index = u64::conditional_select(&index, &(i as u64), equal);
        found |= equal;
    }
    (bool::from(found) && !presented.is_empty()).then_some(index as usize)
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
    fn match_index_names_the_matching_secret() {
        let secrets = parse_secrets("old,new");
        assert_eq!(match_index("old", &secrets), Some(0));
        assert_eq!(match_index("new", &secrets), Some(1));
        assert_eq!(match_index("ne", &secrets), None);
        assert_eq!(match_index("", &parse_secrets("")), None);
        assert_eq!(match_index("x", &[]), None);
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
