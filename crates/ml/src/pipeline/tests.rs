use super::*;
use crate::card::Dim;
use crate::cv::CvConfig;
use crate::synthetic::{SyntheticConfig, SyntheticData, generate};
use chrono::{TimeZone, Utc};
use matchday_core::window::{FitWindow, out_of_sample};

fn league() -> SyntheticData {
    generate(&SyntheticConfig {
        n_teams: 16,
        n_seasons: 6,
        ..SyntheticConfig::default()
    })
}

/// Split at the start of season 5, as_of in the middle of season 6.
fn config(data: &SyntheticData) -> PipelineConfig {
    let per_season = 16 * 15;
    PipelineConfig {
        split_date: data.matches[4 * per_season].kickoff,
        as_of: data.matches[5 * per_season + per_season / 2].kickoff,
        created_at: Some(Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap()),
        cv: CvConfig {
            folds: 2,
            burn_in_days: 100,
        },
        ..PipelineConfig::default()
    }
}

/// The pipeline on `data` without progress output.
fn run_quietly(data: &SyntheticData, config: &PipelineConfig) -> PipelineOutput {
    run(
        &data.matches,
        &data.odds,
        &StatsById::new(),
        config,
        &mut |_| {},
    )
    .unwrap()
}

#[test]
fn runs_end_to_end_on_a_synthetic_league() {
    let data = league();
    let config = config(&data);
    let mut events = Vec::new();
    let mut ticks = 0;
    let out = run(
        &data.matches,
        &data.odds,
        &StatsById::new(),
        &config,
        &mut |e| {
            if e.step.is_some() {
                ticks += 1;
            } else {
                events.push(e.stage)
            }
        },
    )
    .unwrap();
    let candidates = config.candidates.len();
    assert_eq!(candidates, 3, "logit, gbdt and their blend");
    assert_eq!(ticks, candidates * 2, "one tick per candidate and fold");
    assert_eq!(
        events,
        [
            Stage::Split,
            Stage::Features,
            Stage::Cv,
            Stage::Select,
            Stage::Train,
            Stage::Refit,
            Stage::Predict,
            Stage::Evaluate,
            Stage::Export
        ]
    );

    assert_eq!(out.predictions.len(), data.matches.len());
    for (p, m) in out.predictions.iter().zip(&data.matches) {
        assert_eq!(p.match_id, m.id);
        assert_eq!(p.is_future, m.kickoff > config.as_of);
        assert!((p.proba.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(p.predicted_class, argmax(&p.proba));
    }
    let n_future = out.predictions.iter().filter(|p| p.is_future).count();
    assert!(n_future > 0);
    assert_eq!(out.report.n_future, n_future);

    // Latent strengths are learnable: the model beats the naive forecast, and
    // the "bookmaker" (true probabilities + margin) beats the model.
    let c = out.report.comparison.clone().unwrap();
    assert_eq!(c.model.n, out.report.n_test);
    assert!(c.model.rps < c.naive.rps, "{:?} vs {:?}", c.model, c.naive);
    assert!(c.bookmaker.rps < c.model.rps);
    assert_eq!(c.sources.get("PS closing"), Some(&out.report.n_test));

    let json = out.card.to_json();
    let card = ModelCard::from_json(&json).unwrap();
    assert_eq!(card, out.card);
    let names: Vec<&str> = card.features.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, out.model.feature_names);
    assert!(names.contains(&"diff_elo") && names.contains(&"dc_home"));
    let selection = card.selection.as_ref().unwrap();
    assert_eq!(selection.candidates.len(), candidates);
    assert_eq!(card.model_type, out.model.spec.params.model_type());
    assert!(!selection.reason.is_empty());
    assert_eq!(card.data_window.n_test, out.report.n_test);
    let window = &card.data_window;
    assert!(window.holdout_train_to.unwrap() < config.split_date);
    assert_eq!(
        window.train_to, window.test_to,
        "served on the test split too"
    );
    assert_eq!(window.n_train, out.report.n_train);
    assert_eq!(window.holdout_n_train, out.report.n_holdout_train);
    let text = out.report.to_string();
    assert!(text.contains("bookmaker") && text.contains("test split"));
}

#[test]
fn same_inputs_same_outputs() {
    let data = league();
    let config = config(&data);
    let a = run_quietly(&data, &config);
    let b = run_quietly(&data, &config);
    assert_eq!(a.predictions, b.predictions);
    assert_eq!(a.onnx_bytes, b.onnx_bytes);
    assert_eq!(a.card, b.card);
    let other = PipelineConfig {
        features: FeatureConfig {
            windows: vec![3, 5],
            ..config.features.clone()
        },
        ..config
    };
    let c = run_quietly(&data, &other);
    assert_ne!(c.card.run_id, a.card.run_id);
    assert!(
        other.fingerprint().starts_with(MODEL_VERSION),
        "the code's version is in the run id"
    );
    assert_eq!(
        c.features.names.len(),
        35 + 6 + 3 + 1,
        "2 × 5 rolling, 25 others, 6 shot-form, 3 statistics strength, closed doors"
    );
    // The sizes the champion appends are computed in its graph, so a client
    // sends exactly the feature table's columns.
    let card_inputs: Vec<&str> = c.card.features.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(card_inputs, c.features.names);
    assert_eq!(c.card.input.shape[1], Dim::Fixed(c.features.names.len()));
}

#[test]
fn future_results_do_not_change_the_run() {
    let data = league();
    let config = config(&data);
    let a = run_quietly(&data, &config);
    let mut hidden = data.matches.clone();
    for m in &mut hidden {
        if m.kickoff > config.as_of {
            m.score = None;
        }
    }
    let b = run(&hidden, &data.odds, &StatsById::new(), &config, &mut |_| {}).unwrap();
    assert_eq!(a.predictions, b.predictions);
    assert_eq!(a.card.run_id, b.card.run_id);
}

/// The ONNX `bytes` run by tract on every row of the feature table.
fn tract_probabilities(bytes: &[u8], out: &PipelineOutput) -> Vec<[f64; 3]> {
    use tract_onnx::prelude::*;
    let model = tract_onnx::onnx()
        .model_for_read(&mut &bytes[..])
        .unwrap()
        .into_optimized()
        .unwrap()
        .into_runnable()
        .unwrap();
    let rows: Vec<Vec<f64>> = out
        .features
        .rows
        .iter()
        .map(|r| out.model.columns.iter().map(|&c| r[c]).collect())
        .collect();
    let width = rows[0].len();
    let input: Tensor =
        tract_ndarray::Array2::from_shape_fn((rows.len(), width), |(i, j)| rows[i][j] as f32)
            .into();
    let result = model.run(tvec!(input.into())).unwrap();
    let view = result[0].to_plain_array_view::<f32>().unwrap();
    (0..rows.len())
        .map(|i| [0, 1, 2].map(|c| f64::from(view[[i, c]])))
        .collect()
}

#[test]
fn onnx_files_reproduce_the_predictions() {
    // Upcoming matches are forecast by the served fit, finished ones by the
    // holdout fit; each file reproduces its own rows.
    let data = league();
    let out = run_quietly(&data, &config(&data));
    let served = tract_probabilities(&out.onnx_bytes, &out);
    let holdout = tract_probabilities(&out.holdout_onnx_bytes, &out);
    for (i, p) in out.predictions.iter().enumerate() {
        let want = if p.role == Role::Unlabeled {
            served[i]
        } else {
            holdout[i]
        };
        for c in 0..3 {
            assert!(
                (want[c] - p.proba[c]).abs() < 1e-5,
                "row {i}: {want:?} vs {p:?}"
            );
        }
    }
}

#[test]
fn the_lists_name_exactly_the_matches_each_fit_trained_on_and_the_window_covers_them() {
    let data = league();
    let config = config(&data);
    let out = run_quietly(&data, &config);
    let holdout_rows = trainable(&data.matches, &out.split.train, config.cv.burn_in_days);
    assert!(
        holdout_rows.len() < out.split.train.len(),
        "the fixture has burn-in matches, which no fit trains on"
    );
    assert_eq!(out.trained.run_id, out.card.run_id);
    // `GET /predict/{id}` reads the window from the card's JSON when the
    // data carries no list of the model's run.
    let json = serde_json::to_value(&out.card).unwrap();
    let window = FitWindow::from_card(&json["data_window"]).unwrap();
    assert!(window.is_some());
    let later = Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap();
    for (i, m) in data.matches.iter().enumerate() {
        let served = out.served_rows.contains(&i);
        assert_eq!(out.trained.served_learned(m.id), served, "{i}");
        assert_eq!(
            out.trained.holdout_learned(m.id),
            holdout_rows.contains(&i),
            "{i}"
        );
        // Among finished matches the window spans exactly the served fit's
        // rows, so what lies outside it was learned by neither fit.
        if m.score.is_some() {
            let outside = out_of_sample(window, m.kickoff, None, later);
            assert_eq!(outside, (!served).then_some(true), "{i} at {}", m.kickoff);
        }
    }
    assert_eq!(out.trained.served.len(), out.card.data_window.n_train);
    assert_eq!(
        out.trained.holdout.len(),
        out.card.data_window.holdout_n_train
    );
}

#[test]
fn the_served_fit_learns_from_the_test_split_and_the_test_metrics_do_not() {
    let data = league();
    let config = config(&data);
    let out = run_quietly(&data, &config);
    let finished = out.split.finished();
    assert_eq!(
        out.served_rows,
        trainable(&data.matches, &finished, config.cv.burn_in_days),
        "every finished match after the burn-in, the test split included"
    );
    assert!(out.split.test.iter().all(|i| out.served_rows.contains(i)));
    let all: Vec<usize> = (0..data.matches.len()).collect();
    let served = out.model.predict(&out.features, &all).unwrap();
    let holdout = out.holdout.predict(&out.features, &all).unwrap();
    assert_ne!(served, holdout, "the two fits differ");
    assert_eq!(out.holdout.temperature, out.model.temperature);
    // The served model is the chosen recipe fitted on exactly those rows.
    let scores: Vec<Score> = out
        .served_rows
        .iter()
        .map(|&i| data.matches[i].score.unwrap())
        .collect();
    let mut refit = out
        .model
        .spec
        .fit(&out.features, &out.served_rows, &scores)
        .unwrap();
    refit.temperature = out.model.temperature;
    assert_eq!(refit.predict(&out.features, &all).unwrap(), served);

    // The test metrics are the holdout fit's: a run whose served fit is the
    // holdout (as_of at the split: no test split) trains the same model.
    let before_split = PipelineConfig {
        as_of: config.split_date,
        ..config.clone()
    };
    let alone = run_quietly(&data, &before_split);
    let test: Vec<usize> = out.split.test.clone();
    assert_eq!(
        alone.model.predict(&out.features, &test).unwrap(),
        out.holdout.predict(&out.features, &test).unwrap()
    );
    let scored: Vec<[f64; 3]> = test.iter().map(|&i| holdout[i]).collect();
    let labels: Vec<usize> = test
        .iter()
        .map(|&i| data.matches[i].score.unwrap().class())
        .collect();
    assert_eq!(Some(evaluate(&scored, &labels).unwrap()), out.report.test);
}

#[test]
fn a_single_candidate_is_trained_whatever_the_rule_says() {
    // `matchday train --candidate gbdt`: the tree ensemble alone, although
    // the rule would prefer a linear model within the margin.
    let data = league();
    let mut config = config(&data);
    config.candidates.retain(|c| c.name == "gbdt");
    let out = run_quietly(&data, &config);
    let selection = out.card.selection.as_ref().unwrap();
    assert_eq!(selection.chosen, "gbdt");
    assert!(
        selection.reason.starts_with("the only candidate"),
        "{}",
        selection.reason
    );
    assert!(!selection.reason.contains("linear"));
}

#[test]
fn empty_training_split_is_an_error() {
    let data = league();
    let config = PipelineConfig {
        split_date: data.matches[0].kickoff,
        as_of: data.matches[100].kickoff,
        ..PipelineConfig::default()
    };
    assert!(matches!(
        run(
            &data.matches,
            &data.odds,
            &StatsById::new(),
            &config,
            &mut |_| {}
        ),
        Err(MlError::EmptyTrainingSet(_))
    ));
}

/// `pipeline.json` keeps the feature settings at the top level, as it was
/// before `FeatureConfig` was embedded, so earlier work directories load.
#[test]
fn feature_settings_serialise_at_the_top_level() {
    let config = PipelineConfig::default();
    let text = serde_json::to_string(&config).unwrap();
    let top: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text).unwrap();
    assert!(!top.contains_key("features"));
    let order = [
        "as_of",
        "split_date",
        "windows",
        "elo",
        "pi",
        "dixon_coles",
        "leagues",
        "shot_windows",
        "stat_strength",
        "closed_doors",
        "cv",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|key| text.find(&format!("\"{key}\":")).expect(key))
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
    let back: PipelineConfig = serde_json::from_str(&text).unwrap();
    assert_eq!(back, config);
}
