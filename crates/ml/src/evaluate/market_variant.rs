//! The market variant: the champion's features plus the pre-closing
//! ("opening") market prices, as a separate model reported on its own.
//!
//! It answers a different question from the no-odds models: does our
//! information add anything to what the market said days before kick-off,
//! and how close does that get to the closing line? Pre-closing prices are
//! collected on the Friday (weekend games) or Tuesday (midweek) before a
//! match, so they are known before kick-off; closing prices are not inputs
//! of anything. Its scores never enter the no-odds tables.

use std::collections::HashMap;

use matchday_core::domain::{Match, OddsQuote, Score};

use super::{BOOKMAKER, Table};
use crate::Result;
use crate::bookmaker::{self, ImpliedMethod, MarketForecast, OPENING_PRIORITY};
use crate::cv::{CvConfig, cross_validate, season_folds};
use crate::features::FeatureTable;
use crate::linear::LogitParams;
use crate::models::{FeatureSet, ModelSpec};

pub const MARKET_VARIANT: &str = "market variant (features + opening prices, logit)";
pub const OPENING_LINE: &str = "opening line (margin-free)";
/// The opening prices as the logit reads them: log-odds of draw and away
/// against home, linear in the logit's own scale.
pub const MARKET_COLUMNS: [&str; 2] = ["mkt_log_draw_home", "mkt_log_away_home"];

/// L2 penalties tried (by CV log-loss on the seasons before the test): the
/// no-odds logit's penalty shrinks the market's weight too, and the market
/// is the strongest input by far.
pub const L2_GRID: [f64; 4] = [1e-4, 1e-3, 1e-2, 1e-1];

/// One walk-forward step: training rows, then the rows it predicts.
pub struct SeasonSplit {
    pub train: Vec<usize>,
    pub test: Vec<usize>,
}

/// What the variant is compared with, aligned with the concatenated test
/// rows of the splits (`evaluated`).
pub struct Comparison<'a> {
    pub evaluated: &'a [usize],
    /// The no-odds champion's forecasts.
    pub champion: (&'a str, &'a [[f64; 3]]),
    /// The closing market (the bookmaker row of the main tables).
    pub closing: &'a [Option<[f64; 3]>],
    /// Leagues pooled in the table.
    pub leagues: &'a [&'a str],
    pub title: String,
}

/// Where the variant learns: the labelled rows before the first test season
/// (for the choice of L2) and the expanding-window CV over them.
pub struct Training<'a> {
    pub before_test: &'a [usize],
    pub cv: &'a CvConfig,
}

/// Choose the L2 by CV, fit and score the variant; `None` if no test match
/// has opening prices. Returns the table and the chosen L2.
#[allow(clippy::too_many_arguments)] // one call site, every input distinct
pub fn run(
    matches: &[Match],
    odds: &[OddsQuote],
    method: ImpliedMethod,
    table: &FeatureTable,
    labels: &[Option<Score>],
    training: &Training<'_>,
    splits: &[SeasonSplit],
    cmp: &Comparison<'_>,
) -> Result<Option<(Table, f64)>> {
    let opening = bookmaker::forecasts_by(odds, method, &OPENING_PRIORITY);
    let table = with_market_columns(table, matches, &opening);
    let priced = |i: usize| opening.contains_key(&matches[i].id);
    let pool: Vec<usize> = training
        .before_test
        .iter()
        .copied()
        .filter(|&i| priced(i))
        .collect();
    let folds = season_folds(matches, &pool, training.cv)?;
    let mut best: Option<(f64, f64)> = None; // (CV log-loss, L2)
    for l2 in L2_GRID {
        let spec = variant(l2);
        let cv = cross_validate(&spec, &table, labels, &folds, &mut |_| {})?;
        if best.is_none_or(|(ll, _)| cv.log_loss < ll) {
            best = Some((cv.log_loss, l2));
        }
    }
    let l2 = best.map_or(LogitParams::default().l2, |(_, l2)| l2);
    let spec = variant(l2);
    let mut forecasts = Vec::with_capacity(cmp.evaluated.len());
    for split in splits {
        // Trained only where the prices exist: a filled mean would teach it
        // that the market can say nothing.
        let train: Vec<usize> = split.train.iter().copied().filter(|&i| priced(i)).collect();
        if train.is_empty() {
            forecasts.extend(vec![[f64::NAN; 3]; split.test.len()]);
            continue;
        }
        let scores: Vec<Score> = train
            .iter()
            .map(|&i| labels[i].expect("training rows are finished"))
            .collect();
        let fitted = spec.fit(&table, &train, &scores)?;
        forecasts.extend(fitted.predict(&table, &split.test)?);
    }

    let keep: Vec<usize> = (0..cmp.evaluated.len())
        .filter(|&k| {
            let i = cmp.evaluated[k];
            priced(i)
                && cmp.closing[k].is_some()
                && cmp.leagues.contains(&matches[i].league.as_str())
                && forecasts[k].iter().all(|p| p.is_finite())
        })
        .collect();
    if keep.is_empty() {
        return Ok(None);
    }
    let y: Vec<usize> = keep
        .iter()
        .map(|&k| {
            labels[cmp.evaluated[k]]
                .expect("evaluated rows are finished")
                .class()
        })
        .collect();
    let set = |name: &str, p: &dyn Fn(usize) -> [f64; 3]| {
        (name.to_string(), keep.iter().map(|&k| p(k)).collect())
    };
    let opening_of = |k: usize| opening[&matches[cmp.evaluated[k]].id].proba;
    let (champion, champion_p) = cmp.champion;
    let sets = [
        set(MARKET_VARIANT, &|k| forecasts[k]),
        set(OPENING_LINE, &opening_of),
        set(&format!("{champion} (no odds)"), &|k| champion_p[k]),
        set(BOOKMAKER, &|k| cmp.closing[k].expect("kept")),
    ];
    let table = Table::score(cmp.title.clone(), None, &sets, &y)?;
    Ok(Some((table, l2)))
}

fn variant(l2: f64) -> ModelSpec {
    let params = LogitParams {
        l2,
        ..LogitParams::default()
    };
    // Our logit candidate's inputs (and its balance sizes), plus the market's.
    ModelSpec::logit(MARKET_VARIANT, FeatureSet::Full, params).with_balance()
}

/// `table` with [`MARKET_COLUMNS`] appended (NaN where no opening price).
fn with_market_columns(
    table: &FeatureTable,
    matches: &[Match],
    opening: &HashMap<i64, MarketForecast>,
) -> FeatureTable {
    let mut out = table.clone();
    out.names
        .extend(MARKET_COLUMNS.iter().map(|s| s.to_string()));
    for (row, m) in out.rows.iter_mut().zip(matches) {
        row.extend(match opening.get(&m.id) {
            Some(f) => {
                let [h, d, a] = f.proba;
                [(d / h).ln(), (a / h).ln()]
            }
            None => [f64::NAN; 2],
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use matchday_core::domain::OddsKind;

    use super::*;
    use crate::features::{FeatureConfig, StatsById, build_features};
    use crate::synthetic::{SyntheticConfig, generate};

    #[test]
    fn market_columns_are_log_odds_against_home_and_nan_without_a_price() {
        let data = generate(&SyntheticConfig {
            n_teams: 6,
            n_seasons: 2,
            ..SyntheticConfig::default()
        });
        let table = build_features(
            &data.matches,
            &StatsById::new(),
            data.matches.last().unwrap().kickoff,
            &FeatureConfig::default(),
        )
        .unwrap();
        let priced = data.matches[0].id;
        let quote = OddsQuote {
            match_id: priced,
            bookmaker: "B365".into(),
            kind: OddsKind::Opening,
            home: 2.0,
            draw: 4.0,
            away: 4.0,
        };
        let opening = bookmaker::forecasts_by(
            std::slice::from_ref(&quote),
            ImpliedMethod::Normalised,
            &OPENING_PRIORITY,
        );
        let t = with_market_columns(&table, &data.matches, &opening);
        assert_eq!(t.names.len(), table.names.len() + 2);
        let c = t.column(MARKET_COLUMNS[0]).unwrap();
        // 1/2 : 1/4 : 1/4 → ln(0.25 / 0.5) for draw and away alike.
        assert!((t.rows[0][c] - 0.5f64.ln()).abs() < 1e-12);
        assert!((t.rows[0][c + 1] - 0.5f64.ln()).abs() < 1e-12);
        assert!(t.rows[1][c].is_nan() && t.rows[1][c + 1].is_nan());
        // Closing prices are not read.
        let closing = OddsQuote {
            kind: OddsKind::Closing,
            ..quote
        };
        let none =
            bookmaker::forecasts_by(&[closing], ImpliedMethod::Normalised, &OPENING_PRIORITY);
        assert!(none.is_empty());
    }
}
