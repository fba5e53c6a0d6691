use super::*;
use crate::synthetic::SplitMix64;

/// Rows of 3 features (the third pure noise, with ~10% missing) and labels
/// drawn from a known multinomial model with logits
/// `[0, b1 + x·w1, b2 + x·w2]` scaled by `sharpness`.
fn sample(n: usize, sharpness: f64, seed: u64) -> (Vec<Vec<f64>>, Vec<usize>) {
    let mut rng = SplitMix64::new(seed);
    let mut rows = Vec::with_capacity(n);
    let mut labels = Vec::with_capacity(n);
    for _ in 0..n {
        let x1 = 2.0 + 3.0 * rng.normal(); // non-zero mean and scale: exercises standardisation
        let x2 = rng.normal();
        let x3 = if rng.next_f64() < 0.1 {
            f64::NAN
        } else {
            rng.normal()
        };
        let logits = [
            0.0,
            sharpness * (-0.3 + 0.2 * x1),
            sharpness * (-0.5 - 0.3 * x1 + 1.5 * x2),
        ];
        let p = softmax(logits);
        let u = rng.next_f64();
        let y = if u < p[0] {
            0
        } else if u < p[0] + p[1] {
            1
        } else {
            2
        };
        rows.push(vec![x1, x2, x3]);
        labels.push(y);
    }
    (rows, labels)
}

fn refs(rows: &[Vec<f64>]) -> Vec<&[f64]> {
    rows.iter().map(Vec::as_slice).collect()
}

#[test]
fn recovers_known_coefficients() {
    let (rows, labels) = sample(40_000, 1.0, 1);
    let params = LogitParams {
        l2: 0.0,
        ..LogitParams::default()
    };
    let model = MultinomialLogit::fit(&refs(&rows), &labels, &params).unwrap();
    assert!(model.fit_info.max_abs_gradient < params.tol);
    let raw = model.to_raw();
    // The NaN-filled noise feature x3 has mean ~0, so the intercepts are
    // those of the generating model.
    let truth_w = [[0.0, 0.2, -0.3], [0.0, 0.0, 1.5], [0.0, 0.0, 0.0]];
    let truth_b = [0.0, -0.3, -0.5];
    for (i, (got, want)) in raw
        .weights
        .iter()
        .flatten()
        .zip(truth_w.iter().flatten())
        .enumerate()
    {
        assert!(
            (got - want).abs() < 0.06,
            "w[{}][{}] = {got} vs {want}",
            i / 3,
            i % 3
        );
    }
    for (c, (got, want)) in raw.intercepts.iter().zip(truth_b).enumerate() {
        assert!((got - want).abs() < 0.08, "b[{c}] = {got} vs {want}");
    }
}

#[test]
fn raw_weights_reproduce_the_probabilities() {
    let (rows, labels) = sample(2_000, 1.0, 5);
    let model = MultinomialLogit::fit(&refs(&rows), &labels, &LogitParams::default()).unwrap();
    let raw = model.to_raw();
    for row in rows.iter().take(200) {
        let mut logits = raw.intercepts;
        for (f, &v) in row.iter().enumerate() {
            let v = if v.is_nan() { raw.fill_values[f] } else { v };
            for (l, w) in logits.iter_mut().zip(raw.weights[f]) {
                *l += v * w;
            }
        }
        let p = softmax(logits);
        let q = model.predict_proba(row).unwrap();
        for c in 0..3 {
            assert!((p[c] - q[c]).abs() < 1e-12);
        }
    }
}

#[test]
fn fitting_is_deterministic() {
    let (rows, labels) = sample(3_000, 1.0, 6);
    let a = MultinomialLogit::fit(&refs(&rows), &labels, &LogitParams::default()).unwrap();
    let b = MultinomialLogit::fit(&refs(&rows), &labels, &LogitParams::default()).unwrap();
    assert_eq!(a, b);
}

#[test]
fn bad_inputs_are_typed_errors() {
    let rows = [vec![1.0], vec![2.0]];
    let r = refs(&rows);
    assert!(matches!(
        MultinomialLogit::fit(&r, &[0, 1], &LogitParams::default()),
        Err(MlError::InvalidTrainingData(_))
    ));
    let params = LogitParams {
        l2: -1.0,
        ..LogitParams::default()
    };
    assert!(matches!(
        MultinomialLogit::fit(&r, &[0, 1], &params),
        Err(MlError::InvalidConfig(_))
    ));
    let (rows, labels) = sample(500, 1.0, 7);
    let model = MultinomialLogit::fit(&refs(&rows), &labels, &LogitParams::default()).unwrap();
    assert_eq!(
        model.predict_proba(&[1.0]),
        Err(MlError::FeatureCount { model: 3, given: 1 })
    );
}

/// A gradient tolerance below what f64 can reach on this many rows: the
/// solver must stop at the rounding floor with the optimum, not run out of
/// iterations. (The market variant's fit stalled so, with the gradient at
/// 1.5e-9 against a tolerance of 1e-9, once two top divisions had no match
/// statistics before the test seasons.)
#[test]
fn stops_at_the_rounding_floor_below_an_unreachable_tolerance() {
    let (rows, labels) = sample(20_000, 1.0, 8);
    let reachable = MultinomialLogit::fit(&refs(&rows), &labels, &LogitParams::default()).unwrap();
    let params = LogitParams {
        tol: 1e-30,
        ..LogitParams::default()
    };
    let floor = MultinomialLogit::fit(&refs(&rows), &labels, &params).unwrap();
    assert!(floor.fit_info.iterations < params.max_iter);
    assert!(floor.fit_info.max_abs_gradient < params.tol.sqrt().max(1e-12));
    for (a, b) in floor
        .to_raw()
        .weights
        .iter()
        .flatten()
        .zip(reachable.to_raw().weights.iter().flatten())
    {
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }
}
