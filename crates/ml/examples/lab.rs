//! Scratch experiments on the real data (not part of the API).
use std::time::Instant;

use chrono::{TimeZone, Utc};
use matchday_data::Store;
use matchday_ml::bookmaker::{ImpliedMethod, market_forecasts};
use matchday_ml::features::{FeatureConfig, build_features};
use matchday_ml::linear::{LogitParams, MultinomialLogit};
use matchday_ml::metrics::evaluate;

fn main() {
    let dir = std::env::var("MATCHDAY_DATA_DIR")
        .unwrap_or_else(|_| "/work/shared/data/football-data".to_string());
    let t = Instant::now();
    let mut store = Store::open_in_memory().unwrap();
    store
        .ingest_football_data(std::path::Path::new(&dir), |_| {})
        .unwrap();
    let matches = store.matches().unwrap();
    let odds = store.odds().unwrap();
    eprintln!("load {:?}", t.elapsed());
    let as_of = Utc.with_ymd_and_hms(2023, 7, 1, 0, 0, 0).unwrap();
    let mut config = FeatureConfig {
        windows: vec![5, 10, 20],
        ..FeatureConfig::default()
    };
    let args: Vec<String> = std::env::args().collect();
    for a in &args[1..] {
        let (k, v) = a.split_once('=').unwrap();
        let v: f64 = v.parse().unwrap();
        match k {
            "xi" => config.dixon_coles.decay_per_day = v,
            "ridge" => config.dixon_coles.ridge = v,
            "dcp" => config.dixon_coles.promoted_offset = v,
            "dcr" => config.dixon_coles.relegated_offset = v,
            "refit" => config.dixon_coles.refit_days = v,
            "window" => config.dixon_coles.window_days = v,
            "k" => config.elo.k = v,
            "ha" => config.elo.home_advantage = v,
            "gd" => config.elo.goal_diff_exponent = v,
            "ep" => config.elo.promoted_offset = v,
            "er" => config.elo.relegated_offset = v,
            "carry" => config.elo.season_carry = v,
            "pil" => config.pi.learning_rate = v,
            "pig" => config.pi.cross_venue = v,
            "pip" => config.pi.promoted_offset = v,
            _ => panic!("{k}"),
        }
    }
    let t = Instant::now();
    let table = build_features(&matches, as_of, &config).unwrap();
    eprintln!("features {:?}", t.elapsed());
    let market = market_forecasts(&odds, ImpliedMethod::Normalised);
    let labels: Vec<Option<usize>> = matches.iter().map(|m| m.score.map(|s| s.class())).collect();

    // Validation: train < 2019-07-01 (from 2006-07), validate 2019-20 + 2020-21; test 21-23 shown too.
    let d = |y, m| Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0).unwrap();
    let periods = [
        ("valid", d(2019, 7), d(2021, 7)),
        ("test", d(2021, 7), d(2023, 7)),
    ];
    let sets: Vec<(&str, Vec<&str>)> = vec![
        ("rolling", vec!["diff_"]),
        ("elo", vec!["diff_elo"]),
        ("pi", vec!["pi_"]),
        ("dc", vec!["dc_log", "dc_goals"]),
        ("elo+pi+dc", vec!["diff_elo", "pi_", "dc_log", "dc_goals"]),
        (
            "all",
            vec![
                "diff_",
                "pi_",
                "dc_",
                "rest_",
                "season_",
                "promoted",
                "relegated",
                "league_",
            ],
        ),
        (
            "all-nolog",
            vec![
                "diff_",
                "pi_",
                "dc_home",
                "dc_draw",
                "dc_away",
                "dc_goals",
                "rest_",
                "season_",
                "promoted",
                "relegated",
                "league_",
            ],
        ),
        (
            "core+ctx",
            vec![
                "diff_elo",
                "pi_",
                "dc_log",
                "dc_goals",
                "rest_",
                "season_",
                "promoted",
                "relegated",
                "league_",
            ],
        ),
    ];
    for (pname, from, to) in periods {
        let train: Vec<usize> = (0..matches.len())
            .filter(|&i| {
                labels[i].is_some() && matches[i].kickoff < from && matches[i].kickoff >= d(2006, 7)
            })
            .collect();
        let eval: Vec<usize> = (0..matches.len())
            .filter(|&i| {
                labels[i].is_some() && matches[i].kickoff >= from && matches[i].kickoff < to
            })
            .collect();
        let with_odds: Vec<usize> = eval
            .iter()
            .copied()
            .filter(|i| market.contains_key(&matches[*i].id))
            .collect();
        let y = |idx: &[usize]| idx.iter().map(|&i| labels[i].unwrap()).collect::<Vec<_>>();
        let bk: Vec<[f64; 3]> = with_odds
            .iter()
            .map(|i| market[&matches[*i].id].proba)
            .collect();
        let sb = evaluate(&bk, &y(&with_odds)).unwrap();
        println!(
            "{pname}: n={} odds={} bookmaker rps {:.4} ll {:.4}",
            eval.len(),
            with_odds.len(),
            sb.rps,
            sb.log_loss
        );
        // DC raw
        let c = table
            .columns(&["dc_home".into(), "dc_draw".into(), "dc_away".into()])
            .unwrap();
        let dc: Vec<[f64; 3]> = with_odds
            .iter()
            .map(|&i| {
                let r = &table.rows[i];
                let p = [r[c[0]], r[c[1]], r[c[2]]];
                if p[0].is_nan() { [0.45, 0.27, 0.28] } else { p }
            })
            .collect();
        let s = evaluate(&dc, &y(&with_odds)).unwrap();
        println!(
            "  {:<12} odds rps {:.4} ll {:.4}",
            "dc-raw", s.rps, s.log_loss
        );
        for (name, prefixes) in &sets {
            let cols: Vec<usize> = table
                .names
                .iter()
                .enumerate()
                .filter(|(_, n)| prefixes.iter().any(|p| n.starts_with(p)))
                .map(|(i, _)| i)
                .collect();
            let sub = |i: usize| cols.iter().map(|&c| table.rows[i][c]).collect::<Vec<f64>>();
            let xs: Vec<Vec<f64>> = train.iter().map(|&i| sub(i)).collect();
            let xr: Vec<&[f64]> = xs.iter().map(|r| r.as_slice()).collect();
            let model = MultinomialLogit::fit(&xr, &y(&train), &LogitParams::default()).unwrap();
            let pa: Vec<[f64; 3]> = eval
                .iter()
                .map(|&i| model.predict_proba(&sub(i)).unwrap())
                .collect();
            let po: Vec<[f64; 3]> = with_odds
                .iter()
                .map(|&i| model.predict_proba(&sub(i)).unwrap())
                .collect();
            let sa = evaluate(&pa, &y(&eval)).unwrap();
            let so = evaluate(&po, &y(&with_odds)).unwrap();
            println!(
                "  {:<12} all rps {:.4} ll {:.4} | odds rps {:.4} ll {:.4} ({:+.2}%)",
                name,
                sa.rps,
                sa.log_loss,
                so.rps,
                so.log_loss,
                100.0 * (so.rps / sb.rps - 1.0)
            );
        }
    }
}
