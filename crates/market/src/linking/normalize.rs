//! Team names to comparable tokens.
//!
//! `Nott'm Forest`, `Nottingham Forest FC` and `nottingham  forest` all
//! become `nottingham forest`; `1. FC Köln` and `FC Koln` become `koln`;
//! `Real Madrid Castilla` becomes `real madrid` marked as a reserve team.

use unicode_normalization::UnicodeNormalization;

/// A normalised team name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Normalized {
    pub tokens: Vec<String>,
    /// A reserve, youth or women's team: never the senior club.
    pub reserve: bool,
}

impl Normalized {
    /// The tokens joined by single spaces (the comparison key).
    pub fn key(&self) -> String {
        self.tokens.join(" ")
    }
}

/// Words that only say "football club" in some language: dropped.
const CLUB_FORMS: &[&str] = &[
    "fc", "cf", "afc", "sc", "ac", "as", "ca", "ssc", "ss", "us", "cd", "ud", "sd", "rcd", "rc",
    "club", "calcio", "vfb", "vfl", "tsg", "sv", "bsc", "fk", "bk", "sk", "ogc", "osc", "losc",
    "aj", "hsc", "sco", "fsv", "spvgg", "bc", "acf", "uc", "estac", "de", "del", "the", "and", "1",
];

/// Abbreviations the source or the feeds use, expanded.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("utd", "united"),
    ("st", "saint"),
    ("ste", "sainte"),
    ("nottm", "nottingham"),
    ("man", "manchester"),
    ("weds", "wednesday"),
    ("ein", "eintracht"),
    ("sp", "sporting"),
    ("mgladbach", "monchengladbach"),
    ("rvs", "rovers"),
];

/// Markers of reserve, youth and women's teams.
const RESERVE_MARKERS: &[&str] = &[
    "ii",
    "b",
    "reserves",
    "res",
    "youth",
    "women",
    "w",
    "castilla",
    "primavera",
    "jong",
    "academy",
    "amateure",
];

fn is_age_group(token: &str) -> bool {
    token.len() == 3 && token.starts_with('u') && token[1..].bytes().all(|b| b.is_ascii_digit())
}

/// Letters that do not decompose into a base letter plus accents.
fn fold_letter(c: char) -> Option<&'static str> {
    Some(match c {
        'ß' => "ss",
        'ø' | 'Ø' => "o",
        'æ' | 'Æ' => "ae",
        'œ' | 'Œ' => "oe",
        'ł' | 'Ł' => "l",
        'đ' | 'Đ' => "d",
        'ı' => "i",
        _ => return None,
    })
}

/// Lowercase ASCII letters and digits, everything else a separator;
/// apostrophes join (`Nott'm` → `nottm`).
fn fold(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.nfd() {
        if let Some(s) = fold_letter(c) {
            out.push_str(s);
        } else if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if matches!(c, '\'' | '’' | '`' | '´') {
            // joined
        } else if ('\u{0300}'..='\u{036f}').contains(&c) {
            // a combining accent of the previous letter
        } else {
            out.push(' ');
        }
    }
    out
}

pub fn normalize(name: &str) -> Normalized {
    let folded = fold(name);
    let mut reserve = false;
    let mut tokens: Vec<String> = Vec::new();
    for raw in folded.split_whitespace() {
        if RESERVE_MARKERS.contains(&raw) || is_age_group(raw) {
            reserve = true;
            continue;
        }
        let token = ABBREVIATIONS
            .iter()
            .find(|(short, _)| *short == raw)
            .map_or(raw, |(_, long)| *long);
        let is_number = token.bytes().all(|b| b.is_ascii_digit());
        if CLUB_FORMS.contains(&token) || is_number {
            continue;
        }
        tokens.push(token.to_string());
    }
    if tokens.is_empty() {
        // A name made only of dropped words keeps them.
        tokens = folded.split_whitespace().map(str::to_string).collect();
    }
    Normalized { tokens, reserve }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> String {
        normalize(name).key()
    }

    #[test]
    fn spellings_of_one_club_agree() {
        assert_eq!(key("Nott'm Forest"), "nottingham forest");
        assert_eq!(key("Nottingham Forest FC"), "nottingham forest");
        assert_eq!(key("Man United"), "manchester united");
        assert_eq!(key("Manchester Utd"), "manchester united");
        assert_eq!(key("1. FC Köln"), "koln");
        assert_eq!(key("FC Koln"), "koln");
        assert_eq!(key("Atlético de Madrid"), "atletico madrid");
        assert_eq!(key("AC Milan"), "milan");
        assert_eq!(key("St Etienne"), "saint etienne");
        assert_eq!(key("Saint-Étienne"), "saint etienne");
        assert_eq!(key("Schalke 04"), "schalke");
        assert_eq!(key("Borussia M'gladbach"), "borussia monchengladbach");
        assert_eq!(key("Brighton & Hove Albion"), "brighton hove albion");
        assert_eq!(key("Sheffield Weds"), "sheffield wednesday");
        assert_eq!(key("  Leeds   United "), "leeds united");
        assert_eq!(key("Düsseldorf"), "dusseldorf");
    }

    #[test]
    fn different_clubs_stay_different() {
        assert_ne!(key("Man City"), key("Man United"));
        assert_ne!(key("Inter"), key("Milan"));
        assert_ne!(key("Real Madrid"), key("Ath Madrid"));
    }

    #[test]
    fn reserve_and_youth_teams_are_marked() {
        for name in [
            "Barcelona B",
            "Bayern Munich II",
            "Real Madrid Castilla",
            "Chelsea U21",
            "Arsenal Women",
            "Juventus U23",
        ] {
            assert!(normalize(name).reserve, "{name}");
        }
        assert_eq!(key("Real Madrid Castilla"), "real madrid");
        for name in ["Barcelona", "Bayern Munich", "Brentford", "West Brom"] {
            assert!(!normalize(name).reserve, "{name}");
        }
    }

    #[test]
    fn names_of_dropped_words_survive() {
        assert_eq!(key("FC"), "fc");
        assert_eq!(key("1860"), "1860");
    }
}
