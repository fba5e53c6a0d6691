//! Which 1X2 odds columns are imported, as one table.
//!
//! football-data names a triple `<prefix>H`, `<prefix>D`, `<prefix>A`. Opening
//! ("pre-closing") prices use the bookmaker's prefix, closing prices the
//! prefix followed by `C` (`PSCH`). Bookmakers come and go between seasons;
//! a row here whose columns a file lacks is simply not imported from it.

use matchday_core::domain::OddsKind;

/// A bookmaker (or market aggregate) and the column prefixes of its prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bookmaker {
    /// Name stored in `OddsQuote::bookmaker`: football-data's column prefix.
    pub code: &'static str,
    /// Human name, for display and documentation.
    pub name: &'static str,
    /// Prefix of the closing-price columns, where football-data publishes them
    /// (from 2019-20 on).
    pub closing_prefix: Option<&'static str>,
}

impl Bookmaker {
    const fn new(
        code: &'static str,
        name: &'static str,
        closing_prefix: Option<&'static str>,
    ) -> Self {
        Bookmaker {
            code,
            name,
            closing_prefix,
        }
    }
}

pub const BOOKMAKERS: &[Bookmaker] = &[
    Bookmaker::new("B365", "Bet365", Some("B365C")),
    Bookmaker::new("BW", "Bet&Win", Some("BWC")),
    Bookmaker::new("IW", "Interwetten", Some("IWC")),
    Bookmaker::new("PS", "Pinnacle", Some("PSC")),
    Bookmaker::new("WH", "William Hill", Some("WHC")),
    Bookmaker::new("VC", "VC Bet", Some("VCC")),
    Bookmaker::new("LB", "Ladbrokes", None),
    Bookmaker::new("GB", "Gamebookers", None),
    Bookmaker::new("SJ", "Stan James", None),
    Bookmaker::new("SB", "Sportingbet", None),
    Bookmaker::new("BS", "Blue Square", None),
    // BetBrain aggregates, 2005-06 … 2018-19.
    Bookmaker::new("BbMx", "BetBrain maximum", None),
    Bookmaker::new("BbAv", "BetBrain average", None),
    // Market aggregates that replaced BetBrain in 2019-20.
    Bookmaker::new("Max", "Market maximum", Some("MaxC")),
    Bookmaker::new("Avg", "Market average", Some("AvgC")),
];

/// One importable triple: who, when, and the three column names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OddsColumns {
    pub bookmaker: &'static str,
    pub kind: OddsKind,
    /// Home, draw, away column names.
    pub columns: [String; 3],
}

/// Every triple of the table, opening before closing for each bookmaker.
pub fn odds_columns() -> impl Iterator<Item = OddsColumns> {
    BOOKMAKERS.iter().flat_map(|book| {
        let opening = Some((OddsKind::Opening, book.code));
        let closing = book.closing_prefix.map(|p| (OddsKind::Closing, p));
        [opening, closing]
            .into_iter()
            .flatten()
            .map(|(kind, prefix)| OddsColumns {
                bookmaker: book.code,
                kind,
                columns: ["H", "D", "A"].map(|outcome| format!("{prefix}{outcome}")),
            })
    })
}

/// The bookmaker with this code, if the table has it.
pub fn bookmaker(code: &str) -> Option<&'static Bookmaker> {
    BOOKMAKERS.iter().find(|b| b.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(bookmaker: &str, kind: OddsKind) -> Option<[String; 3]> {
        odds_columns()
            .find(|c| c.bookmaker == bookmaker && c.kind == kind)
            .map(|c| c.columns)
    }

    #[test]
    fn column_names_follow_football_data() {
        assert_eq!(
            find("B365", OddsKind::Opening).unwrap(),
            ["B365H", "B365D", "B365A"]
        );
        assert_eq!(
            find("B365", OddsKind::Closing).unwrap(),
            ["B365CH", "B365CD", "B365CA"]
        );
        assert_eq!(
            find("PS", OddsKind::Closing).unwrap(),
            ["PSCH", "PSCD", "PSCA"]
        );
        assert_eq!(
            find("BbAv", OddsKind::Opening).unwrap(),
            ["BbAvH", "BbAvD", "BbAvA"]
        );
        assert_eq!(
            find("BbMx", OddsKind::Opening).unwrap(),
            ["BbMxH", "BbMxD", "BbMxA"]
        );
        assert_eq!(
            find("Avg", OddsKind::Closing).unwrap(),
            ["AvgCH", "AvgCD", "AvgCA"]
        );
        assert_eq!(
            find("Max", OddsKind::Closing).unwrap(),
            ["MaxCH", "MaxCD", "MaxCA"]
        );
        assert!(find("BbAv", OddsKind::Closing).is_none());
    }

    #[test]
    fn no_column_is_claimed_twice() {
        let mut names: Vec<String> = odds_columns().flat_map(|c| c.columns).collect();
        let total = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), total);
        assert_eq!(total, 3 * (BOOKMAKERS.len() + 8));
    }

    #[test]
    fn lookup_by_code() {
        assert_eq!(bookmaker("PS").unwrap().name, "Pinnacle");
        assert!(bookmaker("XX").is_none());
    }
}
