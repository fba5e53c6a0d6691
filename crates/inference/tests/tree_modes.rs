//! A third-party tree ensemble (`ai.onnx.ml` TreeEnsembleClassifier) whose
//! branches use every ordering mode exporters write, against onnxruntime's
//! probabilities for rows on both sides of, and exactly at, each threshold
//! (`scripts/byo_model/make_tree_modes_fixture.py`). tract 0.23.9 read
//! BRANCH_GTE nodes as leaves; `vendor/tract-onnx-opl` fixes it.

use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/byo_model")
        .join(name)
}

#[test]
fn every_branch_mode_matches_onnxruntime() {
    let onnx = std::fs::read(fixture("tree_modes_model.onnx")).unwrap();
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture("tree_modes_expected.json")).unwrap())
            .unwrap();
    let names = ["x0".to_string(), "x1".to_string()];
    let classifier = matchday_inference::load(&onnx, &names, 1).unwrap();
    let rows = expected["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 30);
    for row in rows {
        let features: Vec<f32> = row["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap() as f32)
            .collect();
        let got = classifier.predict(std::slice::from_ref(&features)).unwrap()[0];
        for (class, want) in row["probabilities"].as_array().unwrap().iter().enumerate() {
            let want = want.as_f64().unwrap() as f32;
            assert!(
                (got[class] - want).abs() < 1e-5,
                "row {features:?}, class {class}: tract {} vs onnxruntime {want}",
                got[class]
            );
        }
    }
}
