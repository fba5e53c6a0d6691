//! The ROI simulation on a tiny fixture that can be checked by hand.

use matchday_core::margin;
use matchday_core::market::layout::Strategy;
use matchday_core::types::{
    MatchStatus, MatchSummary, OddsKind, OddsQuote, Outcome, PrecomputedPrediction, Probabilities,
};
use matchday_market::roi::{self, Bet, Group, SimConfig, SimMatch};

fn summary(id: i64, league: &str, region: &str, score: (u8, u8)) -> MatchSummary {
    MatchSummary {
        match_id: id,
        start_time_utc: "2022-10-01T14:00:00Z".into(),
        home_team_id: 1,
        home_team_name: format!("Home {id}"),
        away_team_id: 2,
        away_team_name: format!("Away {id}"),
        league: league.into(),
        tournament: league.into(),
        region: region.into(),
        season: "2022-2023".into(),
        status: MatchStatus::Finished,
        home_score: Some(score.0),
        away_score: Some(score.1),
    }
}

fn prediction(id: i64, p: [f64; 3], class: Outcome) -> PrecomputedPrediction {
    PrecomputedPrediction {
        match_id: id,
        probabilities: Probabilities {
            home_win: p[0],
            draw: p[1],
            away_win: p[2],
        },
        predicted_class: class,
        is_future: false,
        start_time_utc: "2022-10-01T14:00:00Z".into(),
        home_team_name: format!("Home {id}"),
        away_team_name: format!("Away {id}"),
        model_run_id: "r".into(),
        model_stage: "champion".into(),
        predictions_computed_at: "2023-01-01T00:00:00Z".into(),
        out_of_sample: Some(true),
    }
}

fn quote(id: i64, bookmaker: &str, kind: OddsKind, odds: [f64; 3]) -> OddsQuote {
    let p = margin::implied(odds, margin::CARD_METHOD).unwrap();
    OddsQuote {
        match_id: id,
        bookmaker: bookmaker.into(),
        kind,
        home: odds[0],
        draw: odds[1],
        away: odds[2],
        implied: Probabilities {
            home_win: p[0],
            draw: p[1],
            away_win: p[2],
        },
        captured_at: None,
        link: None,
    }
}

/// Three matches, three "all picks" bets:
/// 1. E0: home pick at 2.00, home won 2-0 → +1.00
/// 2. E0: away pick at 3.00 (Pinnacle opening; the closing 9.00 is never
///    used), ended 1-1 → −1.00
/// 3. SP1: draw pick at 3.50 (Bet365 opening: no Pinnacle price), ended
///    0-0 → +2.50
///
/// Total: 3 bets, 2 hits, profit +2.50, ROI 2.50 / 3 = 0.8333.
#[test]
fn three_bets_with_known_profit() {
    let summaries = [
        summary(1, "E0", "England", (2, 0)),
        summary(2, "E0", "England", (1, 1)),
        summary(3, "SP1", "Spain", (0, 0)),
    ];
    let predictions = [
        prediction(1, [0.60, 0.25, 0.15], Outcome::HomeWin),
        prediction(2, [0.25, 0.30, 0.45], Outcome::AwayWin),
        prediction(3, [0.30, 0.40, 0.30], Outcome::Draw),
    ];
    let quotes = [
        vec![quote(1, "PS", OddsKind::Opening, [2.00, 3.60, 4.20])],
        vec![
            quote(2, "PS", OddsKind::Closing, [1.30, 5.50, 9.00]),
            quote(2, "PS", OddsKind::Opening, [2.50, 3.20, 3.00]),
        ],
        vec![
            quote(3, "Avg", OddsKind::Opening, [2.80, 3.80, 2.50]),
            quote(3, "B365", OddsKind::Opening, [3.00, 3.50, 2.50]),
        ],
    ];
    let matches: Vec<SimMatch<'_>> = (0..3)
        .map(|i| SimMatch {
            summary: &summaries[i],
            prediction: &predictions[i],
            quotes: &quotes[i],
        })
        .collect();
    let config = SimConfig {
        bootstrap: 1000,
        ..SimConfig::default()
    };
    let results = roi::simulate(&matches, &config);
    let find = |strategy, group: Group| {
        results
            .iter()
            .find(|r| r.strategy == strategy && r.group == group)
            .map(|r| r.stats)
    };
    let overall = find(Strategy::AllPicks, Group::Overall).unwrap();
    assert_eq!((overall.bets, overall.hits), (3, 2));
    assert!((overall.profit - 2.5).abs() < 1e-12);
    assert!((overall.roi - 2.5 / 3.0).abs() < 1e-12);
    assert!((overall.hit_rate - 2.0 / 3.0).abs() < 1e-12);
    // Resampling three bets: the interval lies within [-1, +2.5] (all
    // losses; the 3.50 win drawn three times, 1 in 27) and contains the ROI.
    assert!(overall.roi_ci_low >= -1.0 && overall.roi_ci_high <= 2.5);
    assert!(overall.roi_ci_low <= overall.roi && overall.roi <= overall.roi_ci_high);

    let england = find(Strategy::AllPicks, Group::Region("England".into())).unwrap();
    assert_eq!((england.bets, england.hits), (2, 1));
    assert!(england.profit.abs() < 1e-12);
    let spain = find(
        Strategy::AllPicks,
        Group::League {
            region: "Spain".into(),
            league: "SP1".into(),
        },
    )
    .unwrap();
    assert!((spain.profit - 2.5).abs() < 1e-12);

    // Value bets: match 1 has model 0.60 vs Shin-implied ~0.49 (+11 pp,
    // home, won at 2.00); match 2's largest edge is the away win, +12 pp at
    // 3.00 (lost); match 3's draw is +12 pp at 3.50 (won).
    let value = find(Strategy::ValueBets, Group::Overall).unwrap();
    assert_eq!((value.bets, value.hits), (3, 2));
    assert!((value.profit - 2.5).abs() < 1e-12);
}

#[test]
fn the_interval_is_reproducible_and_narrows_with_more_bets() {
    let few: Vec<Bet> = (0..20)
        .map(|i| Bet {
            odds: 2.0,
            won: i % 2 == 0,
        })
        .collect();
    let many: Vec<Bet> = (0..2000)
        .map(|i| Bet {
            odds: 2.0,
            won: i % 2 == 0,
        })
        .collect();
    let a = roi::stats(&few, 2000, 7);
    assert_eq!(a, roi::stats(&few, 2000, 7), "same seed, same interval");
    let b = roi::stats(&many, 2000, 7);
    assert!(a.roi.abs() < 1e-12 && b.roi.abs() < 1e-12);
    assert!(b.roi_ci_high - b.roi_ci_low < (a.roi_ci_high - a.roi_ci_low) / 5.0);
    assert!(b.roi_ci_low < 0.0 && b.roi_ci_high > 0.0);
    let none = roi::stats(&[], 2000, 7);
    assert_eq!((none.bets, none.roi, none.roi_ci_low), (0, 0.0, 0.0));
}
