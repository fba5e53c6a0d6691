use tract_onnx::prelude::*;

use super::*;
use crate::features::FeatureTable;
use crate::linear::{LogitParams, MultinomialLogit};
use crate::metrics::Evaluation;
use crate::models::blend::BlendParams;
use crate::models::gbdt::{GbdtModel, GbdtParams};
use crate::models::goals::{GoalsModel, GoalsParams};
use crate::models::{FeatureSet, Fitted, ModelSpec, filled};
use crate::synthetic::SplitMix64;
use matchday_core::domain::Score;

/// A small fitted model on features with very different scales and some NaN,
/// so folding the standardisation and the fill step both matter.
fn fitted(n_features: usize) -> (MultinomialLogit, Vec<Vec<f64>>) {
    let mut rng = SplitMix64::new(11);
    let mut rows = Vec::new();
    let mut labels = Vec::new();
    for i in 0..3_000 {
        let row: Vec<f64> = (0..n_features)
            .map(|f| {
                if rng.next_f64() < 0.1 {
                    f64::NAN
                } else {
                    10f64.powi(f as i32 - 1) * rng.normal() + 100.0 * f as f64
                }
            })
            .collect();
        rows.push(row);
        labels.push(i % 3);
    }
    let refs: Vec<&[f64]> = rows.iter().map(Vec::as_slice).collect();
    let labels: Vec<usize> = refs
        .iter()
        .zip(labels)
        .map(|(r, y)| if r[0] > 0.5 { 0 } else { y })
        .collect();
    let model = MultinomialLogit::fit(&refs, &labels, &LogitParams::default()).unwrap();
    (model, rows)
}

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("f{i}")).collect()
}

fn run_tract(bytes: &[u8], rows: &[Vec<f64>]) -> Vec<[f32; 3]> {
    let model = tract_onnx::onnx()
        .model_for_read(&mut &bytes[..])
        .unwrap()
        .into_optimized()
        .unwrap()
        .into_runnable()
        .unwrap();
    let width = rows[0].len();
    let input: Tensor =
        tract_ndarray::Array2::from_shape_fn((rows.len(), width), |(i, j)| rows[i][j] as f32)
            .into();
    let outputs = model.run(tvec!(input.into())).unwrap();
    let view = outputs[0].to_plain_array_view::<f32>().unwrap();
    assert_eq!(view.shape(), &[rows.len(), 3]);
    view.rows()
        .into_iter()
        .map(|r| [r[0], r[1], r[2]])
        .collect()
}

#[test]
fn tract_matches_the_trainer_with_in_graph_fill() {
    let (model, rows) = fitted(4);
    let bytes = export_logit(
        &model,
        &GraphInputs::plain(&names(4)),
        &OnnxOptions::default(),
        &[],
    )
    .unwrap();
    // Two batch sizes through the same file: N is dynamic.
    for batch in [&rows[..1], &rows[..500]] {
        let got = run_tract(&bytes, batch);
        let nan_rows = batch
            .iter()
            .filter(|r| r.iter().any(|v| v.is_nan()))
            .count();
        assert!(batch.len() == 1 || nan_rows > 0);
        for (row, p) in batch.iter().zip(&got) {
            let want = model.predict_proba(row).unwrap();
            for c in 0..3 {
                assert!(
                    (f64::from(p[c]) - want[c]).abs() < 1e-5,
                    "{p:?} vs {want:?}"
                );
            }
        }
    }
}

#[test]
fn without_the_fill_step_prefilled_inputs_match() {
    let (model, rows) = fitted(3);
    let options = OnnxOptions {
        missing_values: MissingValues::FillBeforeInference,
    };
    let bytes = export_logit(&model, &GraphInputs::plain(&names(3)), &options, &[]).unwrap();
    let fill = &model.standardizer.fill_values;
    let prefilled: Vec<Vec<f64>> = rows[..300]
        .iter()
        .map(|r| filled(r, fill).collect())
        .collect();
    let got = run_tract(&bytes, &prefilled);
    for (row, p) in rows.iter().zip(&got) {
        let want = model.predict_proba(row).unwrap();
        for c in 0..3 {
            assert!((f64::from(p[c]) - want[c]).abs() < 1e-5);
        }
    }
}

#[test]
fn header_fields_follow_the_schema() {
    let (model, _) = fitted(2);
    let meta = [("run_id".to_string(), "run-1".to_string())];
    let bytes = export_logit(
        &model,
        &GraphInputs::plain(&names(2)),
        &OnnxOptions::default(),
        &meta,
    )
    .unwrap();
    // Decode with tract's own generated schema: our field numbers must agree.
    let decoded = tract_onnx::pb::ModelProto::decode(&bytes[..]).unwrap();
    assert_eq!(decoded.ir_version, IR_VERSION);
    assert_eq!(decoded.opset_import[0].version, OPSET);
    assert_eq!(decoded.metadata_props[0].key, "run_id");
    let graph = decoded.graph.unwrap();
    assert_eq!(graph.input[0].name, INPUT_NAME);
    assert_eq!(graph.output[0].name, OUTPUT_NAME);
    let ops: Vec<&str> = graph.node.iter().map(|n| n.op_type.as_str()).collect();
    assert_eq!(ops, ["IsNaN", "Where", "MatMul", "Add", "Softmax"]);
    assert_eq!(graph.node[4].attribute[0].i, 1);
}

#[test]
fn feature_names_must_match_the_model() {
    let (model, _) = fitted(2);
    let err = export_logit(
        &model,
        &GraphInputs::plain(&names(3)),
        &OnnxOptions::default(),
        &[],
    )
    .unwrap_err();
    assert_eq!(err, MlError::FeatureCount { model: 2, given: 3 });
}

/// Rows of the same kind (NaN included) with labels that thresholds and a
/// linear trend both explain in part.
fn tree_data() -> (Vec<Vec<f64>>, Vec<usize>) {
    let (_, rows) = fitted(4);
    let labels: Vec<usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            if r[1] > 1.0 {
                0
            } else if r[2] > 200.0 {
                2
            } else {
                i % 3
            }
        })
        .collect();
    (rows, labels)
}

fn small_gbdt_params() -> GbdtParams {
    GbdtParams {
        rounds: 30,
        ..Default::default()
    }
}

/// A small boosted ensemble on [`tree_data`].
fn fitted_gbdt() -> (GbdtModel, Vec<Vec<f64>>) {
    let (rows, labels) = tree_data();
    let refs: Vec<&[f64]> = rows.iter().map(Vec::as_slice).collect();
    let model = GbdtModel::fit(&refs, &labels, &small_gbdt_params()).unwrap();
    (model, rows)
}

#[test]
fn tract_runs_the_blend_like_the_trainer() {
    let (rows, labels) = tree_data();
    let refs: Vec<&[f64]> = rows.iter().map(Vec::as_slice).collect();
    let params = BlendParams {
        logit: LogitParams::default(),
        gbdt: small_gbdt_params(),
        logit_weight: 0.4,
    };
    let blend = BlendModel::fit(&refs, &labels, &params).unwrap();
    assert_tract_matches(
        &rows[..700],
        &|t, inputs| export_blend(&blend, t, inputs, &OnnxOptions::default(), &[]),
        &|row| blend.predict_proba(row),
    );
}

/// At temperatures 1 and 1.3, tract runs the graph `export(temperature,
/// inputs)` on `rows` (named `f0…`) like `predict` within 1e-5.
fn assert_tract_matches(
    rows: &[Vec<f64>],
    export: &dyn Fn(f64, &GraphInputs) -> Result<Vec<u8>>,
    predict: &dyn Fn(&[f64]) -> Result<[f64; 3]>,
) {
    let names = names(rows[0].len());
    for temperature in [1.0, 1.3] {
        let bytes = export(temperature, &GraphInputs::plain(&names)).unwrap();
        for (row, p) in rows.iter().zip(run_tract(&bytes, rows)) {
            let want = crate::calibration::apply_temperature(predict(row).unwrap(), temperature);
            for c in 0..3 {
                assert!(
                    (f64::from(p[c]) - want[c]).abs() < 1e-5,
                    "{p:?} vs {want:?}"
                );
            }
        }
    }
}

/// A final score of class `class` (0 home win, 1 draw, 2 away win), varied
/// with `i` so the goal regressions see more than one score per class.
fn score_of(class: usize, i: usize) -> Score {
    let k = (i % 3) as u8;
    match class {
        0 => Score {
            home: 1 + k,
            away: k / 2,
        },
        1 => Score { home: k, away: k },
        _ => Score {
            home: k / 2,
            away: 1 + k,
        },
    }
}

#[test]
fn tract_runs_the_goals_pool_like_the_trainer() {
    let (rows, labels) = tree_data();
    let refs: Vec<&[f64]> = rows.iter().map(Vec::as_slice).collect();
    let scores: Vec<Score> = labels
        .iter()
        .enumerate()
        .map(|(i, &y)| score_of(y, i))
        .collect();
    let params = GoalsParams {
        logit: LogitParams::default(),
        logit_weight: 0.4,
    };
    let model = GoalsModel::fit(&refs, &scores, &params).unwrap();
    assert!(model.rho != 0.0);
    assert_tract_matches(
        &rows[..700],
        &|t, inputs| export_goals(&model, t, inputs, &OnnxOptions::default(), &[]),
        &|row| model.predict_proba(row),
    );
}

#[test]
fn tract_runs_the_tree_ensemble_like_the_trainer() {
    let (model, rows) = fitted_gbdt();
    for temperature in [1.0, 1.3] {
        let bytes = export_gbdt(
            &model,
            temperature,
            &GraphInputs::plain(&names(4)),
            &OnnxOptions::default(),
            &[],
        )
        .unwrap();
        for batch in [&rows[..1], &rows[..700]] {
            let got = run_tract(&bytes, batch);
            for (row, p) in batch.iter().zip(&got) {
                let raw = model.predict_proba(row).unwrap();
                let want = crate::calibration::apply_temperature(raw, temperature);
                for c in 0..3 {
                    assert!(
                        (f64::from(p[c]) - want[c]).abs() < 1e-5,
                        "{p:?} vs {want:?}"
                    );
                }
            }
        }
    }
    let decoded = tract_onnx::pb::ModelProto::decode(
        &export_gbdt(
            &model,
            1.0,
            &GraphInputs::plain(&names(4)),
            &OnnxOptions::default(),
            &[],
        )
        .unwrap()[..],
    )
    .unwrap();
    let graph = decoded.graph.unwrap();
    // Plain default-domain operators only, one Softmax at the end.
    assert!(graph.node.iter().all(|n| n.domain.is_empty()));
    assert_eq!(graph.node.last().unwrap().op_type, "Softmax");
    assert_eq!(graph.output.len(), 1);
    assert_eq!(decoded.opset_import.len(), 1);
}

/// One unbalanced tree per class, by hand: class 0's root is a leaf, class
/// 1's tree splits twice on one side only. Padding must keep every leaf's
/// value for every route (depth 2 here).
#[test]
fn unbalanced_trees_are_padded_to_one_depth_without_changing_a_route() {
    use crate::models::gbdt::{Tree, TreeNode};
    let leaf = |value: f32| TreeNode {
        feature: 0,
        threshold: 0.0,
        missing_left: true,
        left: u32::MAX,
        right: u32::MAX,
        value,
    };
    let split = |feature: u32, threshold: f32, left: u32, right: u32| TreeNode {
        feature,
        threshold,
        missing_left: false,
        left,
        right,
        value: 0.0,
    };
    let model = GbdtModel {
        fill_values: vec![0.0, 0.0],
        base_margins: [0.1, -0.2, 0.0],
        trees: vec![
            Tree {
                class: 0,
                nodes: vec![leaf(0.7)],
            },
            Tree {
                class: 1,
                nodes: vec![
                    split(0, 0.5, 1, 2),
                    leaf(-1.0),
                    split(1, 2.0, 3, 4),
                    leaf(2.0),
                    leaf(3.0),
                ],
            },
            Tree {
                class: 2,
                nodes: vec![split(1, -1.0, 1, 2), leaf(0.4), leaf(-0.4)],
            },
        ],
        params: GbdtParams::default(),
    };
    // Every route, with values on both sides of and equal to each threshold.
    let rows: Vec<Vec<f64>> = [0.0, 0.5, 1.0]
        .iter()
        .flat_map(|&a| [-2.0, -1.0, 2.0, 3.0].map(|b| vec![a, b]))
        .collect();
    let bytes = export_gbdt(
        &model,
        1.0,
        &GraphInputs::plain(&names(2)),
        &OnnxOptions::default(),
        &[],
    )
    .unwrap();
    for (row, p) in rows.iter().zip(run_tract(&bytes, &rows)) {
        let want = model.predict_proba(row).unwrap();
        for c in 0..3 {
            assert!(
                (f64::from(p[c]) - want[c]).abs() < 1e-6,
                "{row:?}: {p:?} vs {want:?}"
            );
        }
    }
}

/// A table whose first column is a strength difference around 0, with draws
/// where it is small: only its size tells a draw apart, so the sizes matter.
fn balance_table() -> (FeatureTable, Vec<usize>) {
    let (_, rows) = fitted(4);
    let labels = rows
        .iter()
        .enumerate()
        .map(|(i, r)| match r[0] {
            x if x.is_nan() || i % 7 == 0 => i % 3,
            x if x.abs() < 0.07 => 1,
            x if x > 0.0 => 0,
            _ => 2,
        })
        .collect();
    let names = [
        "diff_elo",
        "rest_days_home",
        "pi_rating_diff",
        "season_stage",
    ];
    let table = FeatureTable {
        names: names.iter().map(|s| s.to_string()).collect(),
        match_ids: (0..rows.len() as i64).collect(),
        rows,
    };
    (table, labels)
}

#[test]
fn tract_appends_the_sizes_like_the_trainer() {
    let (table, labels) = balance_table();
    let train: Vec<usize> = (0..2_000).collect();
    let test: Vec<usize> = (2_000..2_600).collect();
    let logit = LogitParams::default();
    let gbdt = small_gbdt_params();
    let blend = BlendParams {
        logit,
        gbdt,
        logit_weight: 0.4,
    };
    let goals = GoalsParams {
        logit,
        logit_weight: 0.4,
    };
    let specs = [
        ModelSpec::logit("logit", FeatureSet::Full, logit),
        ModelSpec::gbdt("gbdt", FeatureSet::Full, gbdt),
        ModelSpec::blend("blend", FeatureSet::Full, blend),
        ModelSpec::goals("goals", FeatureSet::Full, goals),
    ];
    let scores: Vec<Score> = labels[..2_000]
        .iter()
        .enumerate()
        .map(|(i, &y)| score_of(y, i))
        .collect();
    for spec in specs {
        let plain = spec.fit(&table, &train, &scores).unwrap();
        let fitted = spec.with_balance().fit(&table, &train, &scores).unwrap();
        let balance = fitted.balance.as_ref().unwrap();
        assert_eq!(
            balance.names(&fitted.feature_names),
            ["abs_diff_elo", "abs_pi_rating_diff"]
        );
        assert_eq!(fitted.fill_values().len(), 4);
        if fitted.spec.name == "logit" {
            // The sizes are what lets a logit find the draws.
            let log_loss = |m: &Fitted| {
                let p = m.predict(&table, &test).unwrap();
                Evaluation::new(&p, &labels[2_000..2_600])
                    .unwrap()
                    .log_loss()
            };
            assert!(log_loss(&fitted) < log_loss(&plain) - 0.05);
        }
        let raw: Vec<Vec<f64>> = test.iter().map(|&i| table.rows[i].clone()).collect();
        assert!(raw.iter().any(|r| r[0].is_nan()) && raw.iter().any(|r| r[0] < 0.0));
        let fill = fitted.fill_values();
        let prefilled: Vec<Vec<f64>> = raw.iter().map(|r| filled(r, fill).collect()).collect();
        for (missing_values, fed) in [
            (MissingValues::FilledInGraph, &raw),
            (MissingValues::FillBeforeInference, &prefilled),
        ] {
            let bytes = fitted
                .to_onnx(&OnnxOptions { missing_values }, &[])
                .unwrap();
            let graph = tract_onnx::pb::ModelProto::decode(&bytes[..])
                .unwrap()
                .graph
                .unwrap();
            assert!(
                graph
                    .doc_string
                    .ends_with("abs_diff_elo, abs_pi_rating_diff")
            );
            let got = run_tract(&bytes, fed);
            for (row, p) in raw.iter().zip(&got) {
                let want = fitted.predict_row(row).unwrap();
                for c in 0..3 {
                    assert!(
                        (f64::from(p[c]) - want[c]).abs() < 1e-5,
                        "{}: {p:?} vs {want:?}",
                        fitted.spec.name
                    );
                }
            }
        }
    }
}
