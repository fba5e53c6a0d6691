//! The odds, cards and roi components through the real manifest and the
//! local host, on the real-data sample (E0 and SP1, pipeline as of
//! 2023-04-01, a recorded feed snapshot linked to the 2023-04-01/02
//! fixtures). Cards run composed with `lookup-lib` and `odds-lib`, as
//! `spin up` composes component dependencies.

use matchday_core::response::DATA_VERSION_HEADER;
use matchday_publish::bundle::Bundle;
use matchday_publish::odds::{self, OddsRecord};
use matchday_tests::sample::{decode, sample, with_file};
use matchday_tests::{AppOptions, TestApp};
use serde_json::Value;

fn published_app(options: AppOptions) -> TestApp {
    let app = TestApp::start_with(options);
    let reply = app.publish(&sample().bundle);
    assert_eq!(reply.status, 201, "{}", reply.text());
    app
}

fn rows(reply: &matchday_tests::http::Reply) -> Vec<Value> {
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json().as_array().expect("a JSON array").clone()
}

#[test]
fn before_the_first_publish_market_lists_are_empty() {
    let app = TestApp::start();
    for path in ["/predict/odds/", "/predict/cards/", "/predict/region-roi/"] {
        let reply = app.get(path);
        assert_eq!((reply.status, reply.text().as_str()), (200, "[]"), "{path}");
    }
    assert_eq!(app.get("/predict/cards/1").status, 404);
}

#[test]
fn odds_are_served_paginated_with_implied_probabilities() {
    let app = published_app(AppOptions::default());
    let data = decode(&sample().bundle);
    let page = rows(&app.get("/predict/odds/?limit=50"));
    assert_eq!(page.len(), 50);
    for row in &page {
        for key in [
            "match_id",
            "bookmaker",
            "odd_home",
            "odd_draw",
            "odd_away",
            "captured_at",
        ] {
            assert!(row.get(key).is_some(), "{key}: {row}");
        }
        let p = &row["implied"];
        let sum =
            p["home"].as_f64().unwrap() + p["draw"].as_f64().unwrap() + p["away"].as_f64().unwrap();
        assert!((sum - 1.0).abs() < 1e-9, "{row}");
    }
    let next = rows(&app.get("/predict/odds/?limit=25&offset=25"));
    assert_eq!(next[..], page[25..]);
    let total = rows(&app.get("/predict/odds/?limit=1000&offset=0")).len();
    assert_eq!(total, 1000.min(data.market.odds.len()));
    // One match, by id: every quote of it, the card's price first.
    let id = page[0]["match_id"].as_i64().unwrap();
    let one = rows(&app.get(&format!("/predict/odds/?match_id={id}")));
    assert_eq!(
        one.len(),
        data.market.odds.iter().filter(|o| o.match_id == id).count()
    );
}

#[test]
fn cards_filter_paginate_and_carry_prices_edges_and_links() {
    let app = published_app(AppOptions::default());
    let all = rows(&app.get("/predict/cards/?limit=1000"));
    assert_eq!(all.len(), 1000);
    let first = &all[0];
    for key in [
        "home_team_name",
        "away_team_name",
        "start_time_utc",
        "region",
        "league",
        "status",
        "proba_home",
        "predicted_class",
        "odd_home",
        "implied",
        "edge",
        "value_bet",
        "value_outcome",
        "bookmaker_url",
        "pick_correct",
    ] {
        assert!(first.get(key).is_some(), "{key}");
    }
    // Finished cards say whether the pick was right.
    assert!(first["status"] == "finished" && first["pick_correct"].is_boolean());

    // Filters: every returned card matches; pages tile.
    let spain = rows(&app.get(
        "/predict/cards/?region=Spain&status=finished&from=2022-09-01&to=2022-09-30&limit=1000",
    ));
    assert!(!spain.is_empty());
    assert!(spain.iter().all(|c| c["region"] == "Spain"
        && c["status"] == "finished"
        && ("2022-09-01".."2022-10-01").contains(&&c["start_time_utc"].as_str().unwrap()[..10])));
    let values = rows(&app.get("/predict/cards/?value_only=true&league=E0&limit=1000"));
    assert!(!values.is_empty());
    assert!(values.iter().all(|c| c["value_bet"] == true
        && c["league"] == "E0"
        && c["value_edge"].as_f64().unwrap() > 0.05));
    let upcoming = rows(&app.get("/predict/cards/?status=upcoming&limit=1000"));
    let data = decode(&sample().bundle);
    assert_eq!(
        upcoming.len(),
        data.predictions.iter().filter(|p| p.is_future).count()
    );
    let page = rows(&app.get("/predict/cards/?status=upcoming&limit=5&offset=3"));
    assert_eq!(page[..], upcoming[3..8]);

    // The recorded feed priced and linked the 2023-04-01/02 fixtures.
    let linked: Vec<&Value> = upcoming
        .iter()
        .filter(|c| c["bookmaker"] == "Fonbet")
        .collect();
    assert!(linked.len() >= 15, "{} linked upcoming cards", linked.len());
    assert!(linked.iter().all(|c| {
        c["odds_kind"] == "current"
            && c["bookmaker_url"]
                .as_str()
                .unwrap()
                .starts_with("https://book.example/football/")
    }));
}

#[test]
fn a_single_card_comes_through_the_composed_interfaces() {
    // Fresh instances: the composition is instantiated per request.
    let app = published_app(AppOptions {
        fresh_instance: true,
        ..AppOptions::default()
    });
    let listing = rows(&app.get("/predict/cards/?status=upcoming&limit=50"));
    let version = app.get("/predict/cards/?limit=1");
    let version = version.header(DATA_VERSION_HEADER).unwrap().to_string();
    for card in listing.iter().step_by(5) {
        let id = card["match_id"].as_i64().unwrap();
        let reply = app.get(&format!("/predict/cards/{id}"));
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert_eq!(reply.header(DATA_VERSION_HEADER), Some(version.as_str()));
        assert_eq!(
            &reply.json(),
            card,
            "match {id}: the joined card equals its listing row"
        );
    }
}

#[test]
fn roi_per_region_with_an_overall_row() {
    let app = published_app(AppOptions::default());
    let table = rows(&app.get("/predict/region-roi/"));
    assert_eq!(table[0]["region"], "overall");
    let regions: Vec<&str> = table[1..]
        .iter()
        .map(|r| r["region"].as_str().unwrap())
        .collect();
    assert_eq!(regions, ["England", "Spain"]);
    for row in &table {
        let (bets, hits) = (row["bets"].as_f64().unwrap(), row["hits"].as_f64().unwrap());
        assert!(bets > 0.0 && hits <= bets);
        assert!(
            (row["roi"].as_f64().unwrap() - row["profit"].as_f64().unwrap() / bets).abs() < 1e-9
        );
        assert!(row["roi_ci_low"].as_f64().unwrap() <= row["roi_ci_high"].as_f64().unwrap());
    }
    let overall_bets = table[0]["bets"].as_u64().unwrap();
    let sum: u64 = table[1..].iter().map(|r| r["bets"].as_u64().unwrap()).sum();
    assert_eq!(sum, overall_bets);
    let strict = rows(&app.get(&format!(
        "/predict/region-roi/?min_bets={}",
        overall_bets + 1
    )));
    assert_eq!(strict.len(), 1, "only the overall row survives");
    let value = rows(&app.get("/predict/region-roi/?strategy=value_bets&min_roi=-1"));
    assert_eq!(value[0]["strategy"], "value_bets");
}

#[test]
fn every_bad_market_parameter_is_a_422_through_the_host() {
    let app = published_app(AppOptions::default());
    let cases: &[(&str, &str)] = &[
        ("/predict/odds/?limit=0", "limit"),
        ("/predict/odds/?limit=1001", "limit"),
        ("/predict/odds/?offset=-1", "offset"),
        ("/predict/odds/?match_id=x", "match_id"),
        ("/predict/cards/?region=Atlantis", "region"),
        ("/predict/cards/?league=ZZ", "league"),
        ("/predict/cards/?status=live", "status"),
        ("/predict/cards/?from=2023-13-01", "from"),
        ("/predict/cards/?to=tomorrow", "to"),
        ("/predict/cards/?from=2023-03-02&to=2023-03-01", "from"),
        ("/predict/cards/?value_only=sometimes", "value_only"),
        ("/predict/cards/?limit=0", "limit"),
        ("/predict/cards/?limit=1001", "limit"),
        ("/predict/cards/?offset=-1", "offset"),
        ("/predict/cards/?league=E0&league=E1", "league"),
        ("/predict/cards/not-a-number", "match_id"),
        ("/predict/region-roi/?min_roi=abc", "min_roi"),
        ("/predict/region-roi/?min_roi=-2", "min_roi"),
        ("/predict/region-roi/?min_bets=-1", "min_bets"),
        ("/predict/region-roi/?min_bets=1.5", "min_bets"),
        ("/predict/region-roi/?strategy=all", "strategy"),
        ("/predict/region-roi/?group=city", "group"),
    ];
    for (path, field) in cases {
        let reply = app.get(path);
        assert_eq!(reply.status, 422, "{path}: {}", reply.text());
        let body: Value = reply.json();
        assert_eq!(body["error"]["fields"][0], *field, "{path}");
        assert!(body["error"]["message"].is_string() && body["error"]["code"].is_string());
    }
    assert_eq!(app.post("/predict/cards/", b"", &[]).status, 405);
    assert_eq!(app.get("/predict/cards/12/34").status, 404);
}

#[test]
fn odds_of_unknown_matches_are_reported_and_the_rest_is_published() {
    let app = TestApp::start();
    let bundle = Bundle::unpack(&sample().bundle).unwrap();
    let mut quotes = odds::read(bundle.files[odds::ODDS].clone().into()).unwrap();
    let known = quotes.len();
    for id in [7, 8, 9] {
        quotes.push(OddsRecord {
            match_id: id,
            bookmaker: "PS".into(),
            kind: matchday_core::types::OddsKind::Opening,
            home: 2.0,
            draw: 3.4,
            away: 3.9,
            captured_at: None,
        });
    }
    let reply = app.publish(&with_file(
        &sample().bundle,
        odds::ODDS,
        odds::write(&quotes).unwrap(),
    ));
    assert_eq!(reply.status, 201, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["skipped"]["odds_rows"], 3);
    assert_eq!(
        body["skipped"]["unknown_match_ids"],
        serde_json::json!([7, 8, 9])
    );
    assert_eq!(body["pointer"]["market"]["odds_rows"], known as u64);
    assert!(rows(&app.get("/predict/odds/?match_id=7")).is_empty());
    assert!(!rows(&app.get("/predict/odds/?limit=1")).is_empty());
}
