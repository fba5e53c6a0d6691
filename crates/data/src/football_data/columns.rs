//! Where each field lives in one file: resolved once from the header, by
//! name, because the column set changes every few seasons.

use std::collections::HashMap;

use matchday_core::domain::OddsKind;

use super::bookmakers::odds_columns;
use crate::error::FileError;

/// Positions of one odds triple in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OddsFields {
    pub bookmaker: &'static str,
    pub kind: OddsKind,
    /// Home, draw, away.
    pub at: [usize; 3],
}

/// Positions of the fields the parser reads.
#[derive(Debug, Clone)]
pub(crate) struct Columns {
    pub header_len: usize,
    pub div: usize,
    pub date: usize,
    pub home_team: usize,
    pub away_team: usize,
    pub home_goals: usize,
    pub away_goals: usize,
    /// From 2019-20 only.
    pub time: Option<usize>,
    pub result: Option<usize>,
    /// Only the triples whose three columns all exist.
    pub odds: Vec<OddsFields>,
    /// (home, away) columns of the shots, shots on target and corners,
    /// where the file has both.
    pub shots: Option<[usize; 2]>,
    pub shots_on_target: Option<[usize; 2]>,
    pub corners: Option<[usize; 2]>,
}

impl Columns {
    pub fn resolve<'h>(header: impl IntoIterator<Item = &'h str>) -> Result<Columns, FileError> {
        let mut position: HashMap<&str, usize> = HashMap::new();
        let mut header_len = 0;
        for (i, name) in header.into_iter().enumerate() {
            // The first column of a name wins; football-data never repeats one.
            position.entry(name.trim()).or_insert(i);
            header_len = i + 1;
        }
        let required = |name: &'static str| {
            position
                .get(name)
                .copied()
                .ok_or(FileError::MissingColumn(name))
        };
        let pair = |home: &str, away: &str| Some([*position.get(home)?, *position.get(away)?]);
        let odds = odds_columns()
            .filter_map(|triple| {
                let [h, d, a] = &triple.columns;
                Some(OddsFields {
                    bookmaker: triple.bookmaker,
                    kind: triple.kind,
                    at: [
                        *position.get(h.as_str())?,
                        *position.get(d.as_str())?,
                        *position.get(a.as_str())?,
                    ],
                })
            })
            .collect();
        Ok(Columns {
            header_len,
            div: required("Div")?,
            date: required("Date")?,
            home_team: required("HomeTeam")?,
            away_team: required("AwayTeam")?,
            home_goals: required("FTHG")?,
            away_goals: required("FTAG")?,
            time: position.get("Time").copied(),
            result: position.get("FTR").copied(),
            odds,
            shots: pair("HS", "AS"),
            shots_on_target: pair("HST", "AST"),
            corners: pair("HC", "AC"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_only_header() {
        let cols = Columns::resolve("Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR".split(',')).unwrap();
        assert_eq!((cols.div, cols.away_goals, cols.result), (0, 5, Some(6)));
        assert_eq!(cols.time, None);
        assert!(cols.odds.is_empty());
    }

    #[test]
    fn columns_are_found_by_name_in_any_order() {
        let cols = Columns::resolve(
            "PSCA,FTAG,Time,B365>2.5,PSCH,HomeTeam,PSCD,Date,AwayTeam,Div,FTHG,B365H,B365D"
                .split(','),
        )
        .unwrap();
        assert_eq!(cols.date, 7);
        assert_eq!(cols.time, Some(2));
        // PSC is complete; B365 lacks its away column, so it is not imported.
        assert_eq!(
            cols.odds,
            vec![OddsFields {
                bookmaker: "PS",
                kind: OddsKind::Closing,
                at: [4, 6, 0]
            }]
        );
    }

    #[test]
    fn missing_required_column_is_a_file_error() {
        let err = Columns::resolve("Div,Date,HomeTeam,FTHG,FTAG".split(',')).unwrap_err();
        assert_eq!(err, FileError::MissingColumn("AwayTeam"));
    }
}
