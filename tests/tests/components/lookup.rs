//! The lookup endpoints through the real manifest, components and host,
//! on real data published the way `matchday publish` does.

use matchday_core::response::DATA_VERSION_HEADER;
use matchday_core::types::MatchStatus;
use matchday_tests::sample::{decode, sample};
use matchday_tests::{AppOptions, TestApp};
use serde_json::Value;

fn published_app(options: AppOptions) -> TestApp {
    let app = TestApp::start_with(options);
    let reply = app.publish(&sample().bundle);
    assert_eq!(reply.status, 201, "{}", reply.text());
    app
}

fn check_every_endpoint(app: &TestApp) {
    let data = decode(&sample().bundle);
    let upcoming: Vec<_> = data
        .matches
        .iter()
        .filter(|m| m.status == MatchStatus::Upcoming)
        .collect();
    assert!(!upcoming.is_empty(), "the sample has upcoming fixtures");

    // The batch says which forecasts are out of sample: all but the holdout
    // fit's training matches, as `train` listed them; which are, by the
    // card's window, those with a result known at as-of, a kick-off before
    // the split and after the burn-in year, which no fit trains on.
    let work = sample().data_dir.join("work");
    let card: Value =
        serde_json::from_slice(&std::fs::read(work.join("model_card.json")).unwrap()).unwrap();
    let lists = std::fs::read(work.join(matchday_publish::artifacts::TRAINED_MATCHES)).unwrap();
    let lists = matchday_core::window::TrainedMatches::from_json(&lists).unwrap();
    assert_eq!(lists.run_id, card["run_id"].as_str().unwrap());
    let window = &card["data_window"];
    let at =
        |key: &str| chrono::DateTime::parse_from_rfc3339(window[key].as_str().unwrap()).unwrap();
    let (first, split, as_of) = (at("train_from"), at("split_date"), at("as_of"));
    let mut burn_in = 0;
    for p in &data.predictions {
        let kickoff = chrono::DateTime::parse_from_rfc3339(&p.start_time_utc).unwrap();
        let known = kickoff + chrono::Duration::minutes(150) <= as_of;
        let trained_on = !p.is_future && first <= kickoff && kickoff < split && known;
        assert_eq!(p.out_of_sample, Some(!trained_on), "match {}", p.match_id);
        assert_eq!(trained_on, lists.holdout_learned(p.match_id), "{p:?}");
        burn_in += usize::from(kickoff < first);
    }
    assert!(
        burn_in > 0,
        "the sample has burn-in matches, flagged out of sample"
    );
    // Independently of that rule: the in-sample rows are as many as the
    // holdout fit was trained on.
    let in_sample = data
        .predictions
        .iter()
        .filter(|p| p.out_of_sample == Some(false));
    assert_eq!(
        in_sample.count() as u64,
        window["holdout_n_train"].as_u64().unwrap()
    );

    // GET /predict/precomputed/{id}: an upcoming match, a finished one the
    // forecasting fit never saw, one it was trained on.
    for p in [
        data.predictions.iter().find(|p| p.is_future).unwrap(),
        data.predictions
            .iter()
            .find(|p| !p.is_future && p.out_of_sample == Some(true))
            .unwrap(),
        data.predictions
            .iter()
            .find(|p| p.out_of_sample == Some(false))
            .unwrap(),
    ] {
        let reply = app.get(&format!("/predict/precomputed/{}", p.match_id));
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert_eq!(reply.header("content-type"), Some("application/json"));
        let body = reply.json();
        assert_eq!(body["match_id"], p.match_id);
        assert_eq!(
            body["proba_home"].as_f64().unwrap(),
            p.probabilities.home_win
        );
        assert_eq!(body["proba_draw"].as_f64().unwrap(), p.probabilities.draw);
        assert_eq!(
            body["proba_away"].as_f64().unwrap(),
            p.probabilities.away_win
        );
        assert_eq!(body["predicted_label"], p.predicted_class.label());
        assert_eq!(body["is_future"], p.is_future);
        assert_eq!(body["out_of_sample"], p.out_of_sample.unwrap());
        assert_eq!(body["home_team_name"], p.home_team_name.as_str());
        assert_eq!(body["start_time_utc"], p.start_time_utc.as_str());
        assert_eq!(body["model_run_id"], p.model_run_id.as_str());
        assert_eq!(
            body["predictions_computed_at"],
            data.manifest.predictions_computed_at.as_str()
        );
    }

    // GET /predict/matches/: exactly the upcoming fixtures, in kick-off order.
    let body = app.get("/predict/matches/").json();
    let rows = body.as_array().unwrap();
    assert_eq!(rows.len(), upcoming.len());
    let times: Vec<&str> = rows
        .iter()
        .map(|r| r["startTimeUtc"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    for row in rows {
        assert!(
            row["homeTeamId"].is_i64()
                && row["awayTeamId"].is_i64()
                && row["homeTeamName"].is_string()
        );
        assert!(
            upcoming
                .iter()
                .any(|m| m.match_id == row["match_id"].as_i64().unwrap())
        );
    }

    // GET /predict/predictions/: pages tile the whole listing.
    let first = app.get("/predict/predictions/?limit=300").json();
    let second = app.get("/predict/predictions/?limit=300&offset=150").json();
    assert_eq!(first.as_array().unwrap().len(), 300);
    assert_eq!(first[150], second[0], "offset 150 starts at row 150");
    assert!(
        first[0].get("diff_elo").is_none(),
        "display columns only, no features"
    );
    // Past the end is empty, even where the chunk number no longer fits
    // the component's 32-bit usize (2^32 chunks of 256 rows).
    for offset in [1_000_000_000u64, 1 << 40, (1 << 40) + 1] {
        for listing in ["/predict/predictions/", "/livescores/"] {
            let page = app
                .get(&format!("{listing}?limit=5&offset={offset}"))
                .json();
            assert_eq!(page, serde_json::json!([]), "{listing} offset {offset}");
        }
    }
    let all = app.get("/predict/predictions/?limit=5000&offset=0").json();
    assert_eq!(
        all.as_array().unwrap().len(),
        data.predictions.len().min(5000)
    );
    let future = app
        .get("/predict/predictions/?future_only=true&limit=5000")
        .json();
    let future = future.as_array().unwrap();
    assert_eq!(future.len(), upcoming.len());
    assert!(future.iter().all(|r| r["is_future"] == true));
    assert!(future.iter().all(|r| r["out_of_sample"] == true));
    let in_sample = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["out_of_sample"] == false)
        .count();
    assert!(in_sample > 0, "the listing carries the flag");
    assert_eq!(
        app.get("/predict/predictions/")
            .json()
            .as_array()
            .unwrap()
            .len(),
        100,
        "default page size"
    );

    // GET /livescores/: default year is the data's as-of year.
    let as_of_year: i32 = data.manifest.as_of[..4].parse().unwrap();
    let in_year = |y: i32, m: Option<u32>| {
        data.matches
            .iter()
            .filter(|x| {
                x.start_time_utc[..4].parse::<i32>().unwrap() == y
                    && m.is_none_or(|m| x.start_time_utc[5..7].parse::<u32>().unwrap() == m)
            })
            .count()
    };
    let body = app.get("/livescores/").json();
    assert_eq!(body.as_array().unwrap().len(), in_year(as_of_year, None));
    let body = app.get("/livescores/?year=2019&month=12").json();
    let rows = body.as_array().unwrap();
    assert_eq!(rows.len(), in_year(2019, Some(12)));
    assert!(rows.iter().all(|r| r["status"] == "finished"
        && r["homeScore"].is_u64()
        && r["regionName"].is_string()));
    let body = app
        .get("/livescores/?year=2019&month=12&limit=5&offset=10")
        .json();
    assert_eq!(body.as_array().unwrap()[0], rows[10]);
}

#[test]
fn every_endpoint_serves_the_published_data() {
    check_every_endpoint(&published_app(AppOptions::default()));
}

#[test]
fn every_endpoint_is_correct_without_instance_reuse() {
    check_every_endpoint(&published_app(AppOptions {
        fresh_instance: true,
        ..AppOptions::default()
    }));
}

#[test]
fn bad_requests_get_clear_json_errors() {
    let app = published_app(AppOptions::default());
    let cases: &[(&str, u16, Option<&str>)] = &[
        ("/predict/precomputed/1", 404, None),
        ("/predict/precomputed/not-a-number", 422, Some("match_id")),
        ("/predict/precomputed/12.5", 422, Some("match_id")),
        (
            "/predict/precomputed/99999999999999999999999",
            422,
            Some("match_id"),
        ),
        ("/predict/predictions/?limit=0", 422, Some("limit")),
        ("/predict/predictions/?limit=5001", 422, Some("limit")),
        ("/predict/predictions/?limit=ten", 422, Some("limit")),
        ("/predict/predictions/?offset=-5", 422, Some("offset")),
        (
            "/predict/predictions/?future_only=maybe",
            422,
            Some("future_only"),
        ),
        ("/livescores/?year=1997", 422, Some("year")),
        ("/livescores/?year=2101", 422, Some("year")),
        ("/livescores/?month=0", 422, Some("month")),
        ("/livescores/?month=13", 422, Some("month")),
        ("/livescores/?limit=0", 422, Some("limit")),
        ("/livescores/?limit=10001", 422, Some("limit")),
        ("/livescores/?offset=-1", 422, Some("offset")),
    ];
    for (path, status, field) in cases {
        let reply = app.get(path);
        assert_eq!(reply.status, *status, "{path}: {}", reply.text());
        let body: Value = reply.json();
        assert!(
            body["error"]["code"].is_string() && body["error"]["message"].is_string(),
            "{path}: {body}"
        );
        if let Some(field) = field {
            assert_eq!(body["error"]["fields"][0], *field, "{path}");
            assert!(
                body["error"]["message"].as_str().unwrap().contains(field),
                "{path}: the message names the parameter"
            );
        }
    }
    // Unknown routes of the app are 404 from the host; methods other than GET are refused.
    assert_eq!(app.get("/nope").status, 404);
    assert_eq!(app.post("/predict/matches/", b"", &[]).status, 405);
}

#[test]
fn responses_carry_the_live_data_version() {
    let app = published_app(AppOptions::default());
    let version = app
        .get("/predict/matches/")
        .header(DATA_VERSION_HEADER)
        .unwrap()
        .to_string();
    let listed = app
        .get_with(
            "/admin/versions",
            &[(
                "authorization",
                &format!("Bearer {}", matchday_tests::ADMIN_TOKEN),
            )],
        )
        .json();
    assert_eq!(listed["current"]["version"], version.as_str());
}
