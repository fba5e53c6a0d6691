//! The market groups end to end over an in-memory store: a bundle with
//! odds, links and ROI is published, and the odds, cards and ROI request
//! paths serve exactly what was precomputed. Cards reach predictions and
//! odds through the interface reads (`KvCardSource`, what `lookup-lib` and
//! `odds-lib` run), and a single card is byte for byte its listing row.

use futures::executor::block_on;
use matchday_core::kv::MemoryKv;
use matchday_core::library;
use matchday_core::market::cards::{self, KvCardSource};
use matchday_core::market::layout::{Grouping, Strategy};
use matchday_core::market::wire::OVERALL;
use matchday_core::market::{odds as odds_api, roi as roi_api};
use matchday_core::response::HttpResponse;
use matchday_core::types::{
    LookupError, MatchStatus, MatchSummary, OddsKind, Outcome, PrecomputedPrediction, Probabilities,
};
use matchday_publish::artifacts::{self, FeatureRow, FeatureTable};
use matchday_publish::bundle::{Bundle, BundleManifest, FORMAT};
use matchday_publish::commit;
use matchday_publish::links::{self, LinkRecord};
use matchday_publish::odds::{self, OddsRecord};
use matchday_publish::roi::{self, GroupBy, RoiRecord};
use serde_json::Value;
use std::collections::BTreeMap;

const LEAGUES: [(&str, &str, &str); 4] = [
    ("E0", "Premier League", "England"),
    ("E1", "Championship", "England"),
    ("SP1", "La Liga", "Spain"),
    ("I1", "Serie A", "Italy"),
];

/// 200 matches, one a day from 2022-10-01, cycling through four leagues;
/// from day 180 on they are upcoming. Match ids are 5000 + day.
fn matches_and_predictions() -> (Vec<MatchSummary>, Vec<PrecomputedPrediction>) {
    let mut matches = Vec::new();
    let mut predictions = Vec::new();
    for i in 0..200i64 {
        let day =
            chrono::NaiveDate::from_ymd_opt(2022, 10, 1).unwrap() + chrono::Days::new(i as u64);
        let start = format!("{day}T14:00:00Z");
        let (league, tournament, region) = LEAGUES[(i % 4) as usize];
        let upcoming = i >= 180;
        let id = 5000 + i;
        matches.push(MatchSummary {
            match_id: id,
            start_time_utc: start.clone(),
            home_team_id: 1,
            home_team_name: format!("Home {i}"),
            away_team_id: 2,
            away_team_name: format!("Away {i}"),
            league: league.into(),
            tournament: tournament.into(),
            region: region.into(),
            // Two seasons: the card window (3 seasons) covers both.
            season: if i < 100 {
                "2021-2022".into()
            } else {
                "2022-2023".into()
            },
            status: if upcoming {
                MatchStatus::Upcoming
            } else {
                MatchStatus::Finished
            },
            home_score: (!upcoming).then_some((i % 3) as u8),
            away_score: (!upcoming).then_some(1),
        });
        // Alternate a confident home pick and a draw-leaning one.
        let p = if i % 2 == 0 {
            [0.55, 0.25, 0.20]
        } else {
            [0.30, 0.40, 0.30]
        };
        let class = if i % 2 == 0 {
            Outcome::HomeWin
        } else {
            Outcome::Draw
        };
        predictions.push(PrecomputedPrediction {
            match_id: id,
            probabilities: Probabilities {
                home_win: p[0],
                draw: p[1],
                away_win: p[2],
            },
            predicted_class: class,
            is_future: upcoming,
            start_time_utc: start,
            home_team_name: format!("Home {i}"),
            away_team_name: format!("Away {i}"),
            model_run_id: "run-m".into(),
            model_stage: "champion".into(),
            predictions_computed_at: String::new(),
            out_of_sample: Some(true),
        });
    }
    (matches, predictions)
}

fn odds_rows() -> Vec<OddsRecord> {
    let mut rows = Vec::new();
    for i in 0..200i64 {
        if i % 5 == 4 {
            continue; // every fifth match has no prices
        }
        let id = 5000 + i;
        let rec = |bookmaker: &str, kind, prices: [f64; 3]| OddsRecord {
            match_id: id,
            bookmaker: bookmaker.into(),
            kind,
            home: prices[0],
            draw: prices[1],
            away: prices[2],
            captured_at: None,
        };
        rows.push(rec("B365", OddsKind::Opening, [2.10, 3.30, 3.60]));
        rows.push(rec("PS", OddsKind::Closing, [2.00, 3.40, 3.90]));
        if i % 2 == 0 {
            rows.push(rec("PS", OddsKind::Opening, [2.20, 3.30, 3.50]));
        }
    }
    // A linked feed price for one upcoming match.
    rows.push(OddsRecord {
        match_id: 5190,
        bookmaker: "Fonbet".into(),
        kind: OddsKind::Current,
        home: 2.3,
        draw: 3.2,
        away: 3.3,
        captured_at: Some("2023-03-31T22:00:00Z".into()),
    });
    // Prices of matches the bundle does not have: skipped and reported.
    for id in [42, 43] {
        rows.push(OddsRecord {
            match_id: id,
            bookmaker: "PS".into(),
            kind: OddsKind::Opening,
            home: 2.0,
            draw: 3.5,
            away: 4.0,
            captured_at: None,
        });
    }
    rows
}

fn link_rows() -> Vec<LinkRecord> {
    vec![
        LinkRecord {
            event_id: "41000001".into(),
            bookmaker: "Fonbet".into(),
            match_id: 5190,
            layer: "alias".into(),
            score: 1.0,
            event_url: Some("https://book.example/football/11918/41000001".into()),
            feed_home: "Home 190 FC".into(),
            feed_away: "Away 190".into(),
            feed_start: "2023-04-09T14:00:00Z".into(),
        },
        LinkRecord {
            event_id: "41000099".into(),
            bookmaker: "Fonbet".into(),
            match_id: 43,
            layer: "exact".into(),
            score: 1.0,
            event_url: None,
            feed_home: "Ghost".into(),
            feed_away: "Town".into(),
            feed_start: "2023-04-09T14:00:00Z".into(),
        },
    ]
}

fn roi_rows() -> Vec<RoiRecord> {
    let row = |strategy,
               group_by,
               region: &str,
               league: Option<&str>,
               bets: u32,
               hits: u32,
               profit: f64| {
        RoiRecord {
            strategy,
            group_by,
            region: region.into(),
            league: league.map(str::to_string),
            bets,
            hits,
            hit_rate: f64::from(hits) / f64::from(bets),
            profit,
            roi: profit / f64::from(bets),
            roi_ci_low: profit / f64::from(bets) - 0.1,
            roi_ci_high: profit / f64::from(bets) + 0.1,
            threshold: 0.05,
            odds_source: "PS/B365 opening".into(),
        }
    };
    let region = GroupBy::Group(Grouping::Region);
    vec![
        row(
            Strategy::AllPicks,
            GroupBy::Overall,
            OVERALL,
            None,
            100,
            48,
            -3.0,
        ),
        row(Strategy::AllPicks, region, "England", None, 50, 26, 4.0),
        row(Strategy::AllPicks, region, "Spain", None, 30, 12, -6.0),
        row(Strategy::AllPicks, region, "Italy", None, 20, 10, -1.0),
        row(
            Strategy::AllPicks,
            GroupBy::Group(Grouping::League),
            "England",
            Some("E0"),
            25,
            14,
            3.0,
        ),
        row(
            Strategy::ValueBets,
            GroupBy::Overall,
            OVERALL,
            None,
            10,
            4,
            2.0,
        ),
        row(Strategy::ValueBets, region, "England", None, 10, 4, 2.0),
    ]
}

fn bundle(with_market: bool) -> Vec<u8> {
    let (matches, predictions) = matches_and_predictions();
    let features = FeatureTable {
        names: vec!["diff_elo".into()],
        rows: matches
            .iter()
            .map(|m| FeatureRow {
                match_id: m.match_id,
                values: vec![Some(1.0)],
            })
            .collect(),
    };
    let mut files = BTreeMap::from([
        (
            artifacts::MATCHES.to_string(),
            artifacts::write_matches(&matches).unwrap(),
        ),
        (
            artifacts::PREDICTIONS.to_string(),
            artifacts::write_predictions(&predictions).unwrap(),
        ),
        (
            artifacts::FEATURES.to_string(),
            artifacts::write_features(&features).unwrap(),
        ),
    ]);
    if with_market {
        files.insert(odds::ODDS.into(), odds::write(&odds_rows()).unwrap());
        files.insert(links::LINKS.into(), links::write(&link_rows()).unwrap());
        files.insert(roi::ROI.into(), roi::write(&roi_rows()).unwrap());
    }
    let manifest = BundleManifest {
        format: FORMAT,
        created_at: "2026-11-23T10:00:00Z".into(),
        as_of: "2023-03-30T00:00:00Z".into(),
        predictions_computed_at: "2026-11-23T10:00:00Z".into(),
        model_run_id: "run-m".into(),
    };
    Bundle { manifest, files }.pack().unwrap()
}

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap()
}

fn split(path_and_query: &str) -> (&str, Option<&str>) {
    match path_and_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path_and_query, None),
    }
}

fn json(r: &HttpResponse) -> Value {
    serde_json::from_slice(&r.body).unwrap()
}

fn cards_get(kv: &MemoryKv, url: &str) -> HttpResponse {
    let (path, query) = split(url);
    block_on(cards::handle("GET", path, query, &KvCardSource(kv), kv))
}

fn odds_get(kv: &MemoryKv, url: &str) -> HttpResponse {
    let (path, query) = split(url);
    block_on(odds_api::handle("GET", path, query, kv))
}

fn roi_get(kv: &MemoryKv, url: &str) -> HttpResponse {
    let (path, query) = split(url);
    block_on(roi_api::handle("GET", path, query, kv))
}

fn published() -> MemoryKv {
    let kv = MemoryKv::new();
    block_on(commit::publish(&kv, &bundle(true), now())).unwrap();
    kv
}

#[test]
fn odds_for_unknown_matches_are_reported_and_the_rest_published() {
    let kv = MemoryKv::new();
    let report = block_on(commit::publish(&kv, &bundle(true), now())).unwrap();
    assert_eq!(report.skipped.odds_rows, 2);
    assert_eq!(report.skipped.links, 1);
    assert_eq!(report.skipped.unknown_match_ids, vec![42, 43]);
    let market = report.pointer.market.clone().unwrap();
    assert_eq!(market.odds_matches, 160);
    assert_eq!(market.odds_rows as usize, odds_rows().len() - 2);
    assert_eq!(market.links, 1);
    assert_eq!(market.cards, 200);
    assert_eq!(market.roi_rows, 7);
    // The report is part of the admin response body.
    let body = serde_json::to_value(&report).unwrap();
    assert_eq!(body["skipped"]["unknown_matches"], 2);
}

#[test]
fn odds_are_listed_with_shin_probabilities_and_paginated() {
    let kv = published();
    let first = json(&odds_get(&kv, "/predict/odds/?limit=5"));
    let rows = first.as_array().unwrap();
    assert_eq!(rows.len(), 5);
    // Match 5000 first, best source (PS opening) first within it.
    assert_eq!(rows[0]["match_id"], 5000);
    assert_eq!(
        (rows[0]["bookmaker"].as_str(), rows[0]["kind"].as_str()),
        (Some("PS"), Some("opening"))
    );
    assert_eq!(rows[1]["bookmaker"], "B365");
    let implied = &rows[0]["implied"];
    let sum = implied["home"].as_f64().unwrap()
        + implied["draw"].as_f64().unwrap()
        + implied["away"].as_f64().unwrap();
    assert!((sum - 1.0).abs() < 1e-9);
    let expected =
        matchday_core::margin::implied([2.2, 3.3, 3.5], matchday_core::margin::Method::Shin)
            .unwrap();
    assert!((implied["home"].as_f64().unwrap() - expected[0]).abs() < 1e-12);
    assert!(rows[0]["captured_at"].is_null());
    // Pages tile the listing.
    let all = json(&odds_get(&kv, "/predict/odds/?limit=1000"));
    let page = json(&odds_get(&kv, "/predict/odds/?limit=3&offset=2"));
    assert_eq!(page.as_array().unwrap()[..], all.as_array().unwrap()[2..5]);
    assert!(
        json(&odds_get(&kv, "/predict/odds/?offset=100000"))
            .as_array()
            .unwrap()
            .is_empty()
    );
    // One match, with the feed's price and link.
    let one = json(&odds_get(&kv, "/predict/odds/?match_id=5190"));
    let one = one.as_array().unwrap();
    assert_eq!(one[0]["bookmaker"], "Fonbet");
    assert_eq!(one[0]["kind"], "current");
    assert_eq!(
        one[0]["bookmaker_url"],
        "https://book.example/football/11918/41000001"
    );
    assert!(
        json(&odds_get(&kv, "/predict/odds/?match_id=5004"))
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn card_filters_select_exactly_the_matching_cards() {
    let kv = published();
    let all = json(&cards_get(&kv, "/predict/cards/?limit=1000"));
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 200);
    // Finished first, then upcoming, by kick-off within each.
    let statuses: Vec<&str> = all.iter().map(|c| c["status"].as_str().unwrap()).collect();
    assert!(statuses[..180].iter().all(|s| *s == "finished"));
    assert!(statuses[180..].iter().all(|s| *s == "upcoming"));

    let check = |query: &str, keep: &dyn Fn(&Value) -> bool| {
        let expected: Vec<&Value> = all.iter().filter(|c| keep(c)).collect();
        let got = json(&cards_get(
            &kv,
            &format!("/predict/cards/?limit=1000&{query}"),
        ));
        let got: Vec<&Value> = got.as_array().unwrap().iter().collect();
        assert_eq!(got, expected, "{query}");
        expected.len()
    };
    assert_eq!(check("region=England", &|c| c["region"] == "England"), 100);
    assert_eq!(check("region=spain", &|c| c["region"] == "Spain"), 50);
    assert_eq!(check("league=E1", &|c| c["league"] == "E1"), 50);
    assert_eq!(
        check("region=England&league=E0", &|c| c["league"] == "E0"),
        50
    );
    assert_eq!(check("region=Spain&league=E0", &|_| false), 0);
    assert_eq!(check("status=upcoming", &|c| c["status"] == "upcoming"), 20);
    let in_january = |c: &Value| {
        let t = c["start_time_utc"].as_str().unwrap();
        ("2023-01-01".."2023-02-01").contains(&&t[..10])
    };
    assert_eq!(check("from=2023-01-01&to=2023-01-31", &in_january), 31);
    assert_eq!(
        check(
            "region=England&status=finished&from=2023-01-01&to=2023-01-31",
            &|c| { in_january(c) && c["region"] == "England" && c["status"] == "finished" }
        ),
        16
    );
    let values = check("value_only=true", &|c| c["value_bet"] == true);
    assert!(values > 0 && values < 200, "{values}");
    check("value_only=true&league=I1&status=finished", &|c| {
        c["value_bet"] == true && c["league"] == "I1" && c["status"] == "finished"
    });
    // Pages tile a filtered listing.
    let page = json(&cards_get(
        &kv,
        "/predict/cards/?region=England&limit=7&offset=60",
    ));
    let england: Vec<&Value> = all.iter().filter(|c| c["region"] == "England").collect();
    assert_eq!(
        page.as_array().unwrap().iter().collect::<Vec<_>>(),
        england[60..67]
    );
}

#[test]
fn cards_join_predictions_prices_and_links() {
    let kv = published();
    let all = json(&cards_get(&kv, "/predict/cards/?limit=1000"));
    let card = |id: i64| {
        all.as_array()
            .unwrap()
            .iter()
            .find(|c| c["match_id"] == id)
            .unwrap()
            .clone()
    };
    // Even matches have a Pinnacle opening price: cards use it.
    let c = card(5000);
    assert_eq!(
        (c["bookmaker"].as_str(), c["odds_kind"].as_str()),
        (Some("PS"), Some("opening"))
    );
    assert_eq!(c["odd_home"], 2.2);
    assert_eq!(c["predicted_label"], "home_win");
    assert_eq!(c["result_label"], "away_win"); // 0-1
    assert_eq!(c["pick_correct"], false);
    // Odd matches only have Bet365's opening price (Pinnacle's is closing).
    assert_eq!(card(5001)["bookmaker"], "B365");
    // No prices: no odds, no edges, no value bet.
    let bare = card(5004);
    assert!(bare["odd_home"].is_null() && bare["edge"].is_null());
    assert_eq!(bare["value_bet"], false);
    // The linked upcoming match: the feed's current price and its page.
    let linked = card(5190);
    assert_eq!(linked["bookmaker"], "Fonbet");
    assert_eq!(linked["odds_kind"], "current");
    assert_eq!(linked["odds_captured_at"], "2023-03-31T22:00:00Z");
    assert_eq!(
        linked["bookmaker_url"],
        "https://book.example/football/11918/41000001"
    );
    assert!(linked["pick_correct"].is_null());
    // Edges are model minus implied.
    let edge_home = c["edge"]["home"].as_f64().unwrap();
    assert!((edge_home - (0.55 - c["implied"]["home"].as_f64().unwrap())).abs() < 1e-12);
}

#[test]
fn a_single_card_is_joined_through_the_interfaces_and_equals_its_row() {
    let kv = published();
    let all = json(&cards_get(&kv, "/predict/cards/?limit=1000"));
    for row in all.as_array().unwrap().iter().step_by(7) {
        let id = row["match_id"].as_i64().unwrap();
        let one = cards_get(&kv, &format!("/predict/cards/{id}"));
        assert_eq!(one.status, 200);
        assert_eq!(&json(&one), row, "match {id}");
    }
    assert_eq!(cards_get(&kv, "/predict/cards/123").status, 404);
    assert_eq!(cards_get(&kv, "/predict/cards/abc").status, 422);
}

#[test]
fn the_interface_reads_pin_one_version() {
    let kv = published();
    let version = block_on(library::data_version(&kv)).unwrap();
    let summary = block_on(library::summary(&kv, &version, 5003))
        .unwrap()
        .unwrap();
    assert_eq!(summary.league, "I1");
    assert_eq!(summary.status, MatchStatus::Finished);
    let upcoming = block_on(library::upcoming(&kv, &version)).unwrap();
    assert_eq!(upcoming.len(), 20);
    assert!(
        upcoming
            .windows(2)
            .all(|w| w[0].start_time_utc <= w[1].start_time_utc)
    );
    let p = block_on(library::precomputed(&kv, &version, 5003))
        .unwrap()
        .unwrap();
    assert_eq!(p.predicted_class, Outcome::Draw);
    let quotes = block_on(library::quotes(&kv, &version, 5000)).unwrap();
    assert_eq!(quotes.len(), 3);
    assert_eq!(quotes[0].bookmaker, "PS");
    assert!(
        block_on(library::quotes(&kv, &version, 5004))
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        block_on(library::precomputed(&kv, "no-such-version", 5003)),
        Err(LookupError::NoData)
    ));
    assert!(matches!(
        block_on(library::data_version(&MemoryKv::new())),
        Err(LookupError::NoData)
    ));
}

#[test]
fn roi_rows_are_filtered_and_the_overall_row_stays() {
    let kv = published();
    let rows = json(&roi_get(&kv, "/predict/region-roi/"));
    let regions: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["region"].as_str().unwrap())
        .collect();
    assert_eq!(regions, [OVERALL, "England", "Italy", "Spain"]);
    assert_eq!(rows[0]["bets"], 100);
    let keys: Vec<&String> = rows[1].as_object().unwrap().keys().collect();
    for key in [
        "region",
        "bets",
        "hits",
        "hit_rate",
        "profit",
        "roi",
        "roi_ci_low",
        "roi_ci_high",
    ] {
        assert!(keys.iter().any(|k| *k == key), "{key}");
    }
    let filtered = json(&roi_get(&kv, "/predict/region-roi/?min_roi=0&min_bets=25"));
    let regions: Vec<&str> = filtered
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["region"].as_str().unwrap())
        .collect();
    assert_eq!(regions, [OVERALL, "England"]);
    let value = json(&roi_get(&kv, "/predict/region-roi/?strategy=value_bets"));
    assert_eq!(value.as_array().unwrap().len(), 2);
    let leagues = json(&roi_get(&kv, "/predict/region-roi/?group=league"));
    assert_eq!(leagues[1]["league"], "E0");
}

#[test]
fn a_bundle_without_market_artifacts_still_publishes_with_empty_lists() {
    let kv = MemoryKv::new();
    let report = block_on(commit::publish(&kv, &bundle(false), now())).unwrap();
    let market = report.pointer.market.unwrap();
    assert_eq!(
        (market.odds_rows, market.roi_rows, market.cards),
        (0, 0, 200)
    );
    assert_eq!(
        json(&odds_get(&kv, "/predict/odds/")),
        serde_json::json!([])
    );
    assert_eq!(
        json(&roi_get(&kv, "/predict/region-roi/")),
        serde_json::json!([])
    );
    let cards = json(&cards_get(&kv, "/predict/cards/?limit=3"));
    assert_eq!(cards.as_array().unwrap().len(), 3);
    assert!(cards[0]["odd_home"].is_null());
}

#[test]
fn before_the_first_publish_everything_is_empty_not_an_error() {
    let kv = MemoryKv::new();
    for r in [
        odds_get(&kv, "/predict/odds/"),
        roi_get(&kv, "/predict/region-roi/"),
        cards_get(&kv, "/predict/cards/"),
    ] {
        assert_eq!((r.status, json(&r)), (200, serde_json::json!([])));
    }
    assert_eq!(cards_get(&kv, "/predict/cards/5000").status, 404);
}

#[test]
fn every_bad_parameter_is_a_422_in_the_error_shape() {
    let kv = published();
    for (response, field) in [
        (odds_get(&kv, "/predict/odds/?limit=0"), "limit"),
        (odds_get(&kv, "/predict/odds/?limit=1001"), "limit"),
        (odds_get(&kv, "/predict/odds/?offset=-3"), "offset"),
        (odds_get(&kv, "/predict/odds/?match_id=abc"), "match_id"),
        (roi_get(&kv, "/predict/region-roi/?min_roi=lots"), "min_roi"),
        (roi_get(&kv, "/predict/region-roi/?min_bets=-1"), "min_bets"),
        (
            roi_get(&kv, "/predict/region-roi/?strategy=martingale"),
            "strategy",
        ),
        (roi_get(&kv, "/predict/region-roi/?group=planet"), "group"),
        (cards_get(&kv, "/predict/cards/?region=Atlantis"), "region"),
        (cards_get(&kv, "/predict/cards/?league=XX"), "league"),
        (cards_get(&kv, "/predict/cards/?status=live"), "status"),
        (cards_get(&kv, "/predict/cards/?from=2023-02-30"), "from"),
        (cards_get(&kv, "/predict/cards/?to=soon"), "to"),
        (
            cards_get(&kv, "/predict/cards/?from=2023-02-02&to=2023-02-01"),
            "from",
        ),
        (
            cards_get(&kv, "/predict/cards/?value_only=perhaps"),
            "value_only",
        ),
        (cards_get(&kv, "/predict/cards/?limit=5000"), "limit"),
        (cards_get(&kv, "/predict/cards/?offset=x"), "offset"),
    ] {
        assert_eq!(response.status, 422, "{field}");
        let body = json(&response);
        assert_eq!(body["error"]["fields"][0], field);
        assert!(
            body["error"]["code"]
                .as_str()
                .unwrap()
                .starts_with("invalid_")
        );
        assert!(body["error"]["message"].is_string());
    }
    assert_eq!(odds_get(&kv, "/predict/oddsx").status, 404);
    let (path, query) = split("/predict/odds/");
    assert_eq!(
        block_on(odds_api::handle("POST", path, query, &kv)).status,
        405
    );
}
