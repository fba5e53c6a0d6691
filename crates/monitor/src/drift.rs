//! Feature drift between the training reference and recent matches.
//!
//! The reference is saved by `matchday train` (`drift_reference.json` next
//! to the model card): per model feature, its bins (deciles of the training
//! values, or the values themselves for a feature with few distinct ones,
//! like league indicators), the training shares per bin and a deterministic
//! sample of the training values for KS. `matchday drift` compares the
//! feature rows of a recent window with it.

use crate::stats::{self, psi, shares};
use matchday_observe::monitoring::records::{
    DriftSummary, DriftThresholds, FeatureDrift, FeatureStatus, Window,
};
use serde::{Deserialize, Serialize};

/// Quantile bins per continuous feature.
pub const BINS: usize = 10;
/// A feature with at most this many distinct training values is binned by value.
pub const MAX_CATEGORIES: usize = 12;
/// Training values kept per feature for KS (a deterministic, evenly spaced
/// subsample of the sorted values, which keeps the distribution exactly
/// up to 1/SAMPLE).
pub const SAMPLE: usize = 4000;

pub fn default_thresholds() -> DriftThresholds {
    DriftThresholds {
        psi_warn: 0.1,
        psi_drift: 0.25,
        ks_alpha: 0.01,
        ks_min_statistic: 0.1,
        dataset_share: 0.5,
    }
}

/// How a feature's values are put in bins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Bins {
    /// Bin `i` holds values in `(edges[i-1], edges[i]]`; the last is open-ended.
    Quantiles { edges: Vec<f64> },
    /// Bin `i` holds `values[i]`; one more bin holds any other value.
    Categories { values: Vec<f64> },
}

impl Bins {
    fn len(&self) -> usize {
        match self {
            Bins::Quantiles { edges } => edges.len() + 1,
            Bins::Categories { values } => values.len() + 1,
        }
    }

    fn bin(&self, x: f64) -> usize {
        match self {
            Bins::Quantiles { edges } => edges.partition_point(|e| *e < x),
            Bins::Categories { values } => {
                values.iter().position(|v| *v == x).unwrap_or(values.len())
            }
        }
    }

    /// Shares of `values` per bin.
    pub fn shares(&self, values: &[f64]) -> Vec<f64> {
        let mut counts = vec![0; self.len()];
        for &x in values {
            counts[self.bin(x)] += 1;
        }
        shares(&counts)
    }
}

/// One feature of the reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureReference {
    pub name: String,
    pub n: usize,
    pub missing: usize,
    pub bins: Bins,
    pub shares: Vec<f64>,
    pub mean: Option<f64>,
    /// Sorted known values (subsampled to at most [`SAMPLE`]).
    pub sample: Vec<f64>,
}

/// The training distribution of the model's features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftReference {
    pub model_run_id: String,
    pub created_at: String,
    pub window: Window,
    pub features: Vec<FeatureReference>,
}

fn known(values: impl Iterator<Item = f64>) -> Vec<f64> {
    values.filter(|v| v.is_finite()).collect()
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

fn bins_for(sorted: &[f64]) -> Bins {
    let mut distinct = sorted.to_vec();
    distinct.dedup();
    if distinct.len() <= MAX_CATEGORIES {
        return Bins::Categories { values: distinct };
    }
    let mut edges: Vec<f64> = (1..BINS)
        .map(|i| quantile(sorted, i as f64 / BINS as f64))
        .collect();
    edges.dedup();
    Bins::Quantiles { edges }
}

fn subsample(sorted: &[f64]) -> Vec<f64> {
    if sorted.len() <= SAMPLE {
        return sorted.to_vec();
    }
    (0..SAMPLE)
        .map(|i| sorted[i * (sorted.len() - 1) / (SAMPLE - 1)])
        .collect()
}

/// The reference of one feature from its training values (NaN = missing).
pub fn feature_reference(name: &str, values: &[f64]) -> FeatureReference {
    let mut sorted = known(values.iter().copied());
    sorted.sort_by(f64::total_cmp);
    let bins = if sorted.is_empty() {
        Bins::Categories { values: Vec::new() }
    } else {
        bins_for(&sorted)
    };
    FeatureReference {
        name: name.to_string(),
        n: values.len(),
        missing: values.len() - sorted.len(),
        shares: bins.shares(&sorted),
        mean: mean(&sorted),
        sample: subsample(&sorted),
        bins,
    }
}

/// Builds the reference from training rows whose columns are `names`.
pub fn build_reference(
    names: &[String],
    rows: &[&[f64]],
    model_run_id: &str,
    window: Window,
    created_at: &str,
) -> DriftReference {
    let features = names
        .iter()
        .enumerate()
        .map(|(c, name)| {
            let column: Vec<f64> = rows.iter().map(|r| r[c]).collect();
            feature_reference(name, &column)
        })
        .collect();
    DriftReference {
        model_run_id: model_run_id.to_string(),
        created_at: created_at.to_string(),
        window,
        features,
    }
}

fn missing_share(missing: usize, n: usize) -> f64 {
    if n == 0 {
        0.0
    } else {
        missing as f64 / n as f64
    }
}

/// Compares one feature's current values (NaN = missing) with its reference.
pub fn compare_feature(
    reference: &FeatureReference,
    current: &[f64],
    thresholds: &DriftThresholds,
) -> FeatureDrift {
    let known_current = known(current.iter().copied());
    let psi = psi(&reference.shares, &reference.bins.shares(&known_current));
    let ks = stats::ks_two_sample(&reference.sample, &known_current).unwrap_or(stats::KsResult {
        statistic: 0.0,
        p_value: 1.0,
    });
    let ks_significant = ks.p_value < thresholds.ks_alpha;
    let status = if psi >= thresholds.psi_drift
        || (ks_significant && ks.statistic >= thresholds.ks_min_statistic)
    {
        FeatureStatus::Drift
    } else if psi >= thresholds.psi_warn
        || (ks_significant && ks.statistic >= thresholds.ks_min_statistic / 2.0)
    {
        FeatureStatus::Warn
    } else {
        FeatureStatus::Ok
    };
    FeatureDrift {
        feature: reference.name.clone(),
        psi,
        ks_statistic: ks.statistic,
        ks_p_value: ks.p_value,
        status,
        reference_mean: reference.mean,
        current_mean: mean(&known_current),
        reference_missing_share: missing_share(reference.missing, reference.n),
        current_missing_share: missing_share(current.len() - known_current.len(), current.len()),
    }
}

/// The drift summary of `current` rows (columns in the reference's feature
/// order) against the reference. An empty window drifts nowhere.
pub fn drift_summary(
    reference: &DriftReference,
    current: &[Vec<f64>],
    current_window: Window,
    thresholds: DriftThresholds,
    created_at: &str,
) -> DriftSummary {
    let features: Vec<FeatureDrift> = reference
        .features
        .iter()
        .enumerate()
        .map(|(c, f)| {
            let column: Vec<f64> = current.iter().map(|r| r[c]).collect();
            compare_feature(f, &column, &thresholds)
        })
        .collect();
    let n_drifted = if current.is_empty() {
        0
    } else {
        features
            .iter()
            .filter(|f| f.status == FeatureStatus::Drift)
            .count()
    };
    let drift_score = if features.is_empty() {
        0.0
    } else {
        n_drifted as f64 / features.len() as f64
    };
    DriftSummary {
        drift_score,
        dataset_drift: drift_score >= thresholds.dataset_share,
        n_features: features.len(),
        n_drifted,
        features,
        reference_window: reference.window.clone(),
        current_window,
        thresholds,
        model_run_id: Some(reference.model_run_id.clone()),
        created_at: created_at.to_string(),
        report: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic stand-in for a normal sample (inverse-CDF of an
    /// evenly spaced, shuffled grid via the logistic approximation).
    fn normalish(n: usize, mean: f64, sd: f64, phase: f64) -> Vec<f64> {
        (0..n)
            .map(|i| {
                let u = ((i as f64 + phase) * 0.618_033_988_75)
                    .fract()
                    .clamp(1e-6, 1.0 - 1e-6);
                mean + sd * (u / (1.0 - u)).ln() * 0.551_328_895 // logistic → unit variance
            })
            .collect()
    }

    fn window(n: usize) -> Window {
        Window {
            from: None,
            to: None,
            n,
        }
    }

    fn reference(columns: &[(&str, Vec<f64>)]) -> DriftReference {
        let names: Vec<String> = columns.iter().map(|(n, _)| n.to_string()).collect();
        let n = columns[0].1.len();
        let rows: Vec<Vec<f64>> = (0..n)
            .map(|i| columns.iter().map(|(_, c)| c[i]).collect())
            .collect();
        let rows: Vec<&[f64]> = rows.iter().map(Vec::as_slice).collect();
        build_reference(&names, &rows, "run-x", window(n), "2026-11-23T00:00:00Z")
    }

    fn rows(columns: &[Vec<f64>]) -> Vec<Vec<f64>> {
        (0..columns[0].len())
            .map(|i| columns.iter().map(|c| c[i]).collect())
            .collect()
    }

    #[test]
    fn a_shifted_feature_drifts_and_an_unshifted_sample_does_not() {
        let reference = reference(&[
            ("diff_elo", normalish(5000, 0.0, 100.0, 0.0)),
            (
                "league_E0",
                (0..5000).map(|i| f64::from(u8::from(i % 5 == 0))).collect(),
            ),
        ]);
        // Same distributions, other draws.
        let same = rows(&[
            normalish(800, 0.0, 100.0, 0.37),
            (0..800).map(|i| f64::from(u8::from(i % 5 == 2))).collect(),
        ]);
        let calm = drift_summary(&reference, &same, window(800), default_thresholds(), "t");
        assert_eq!(calm.n_drifted, 0, "{:#?}", calm.features);
        assert_eq!(calm.drift_score, 0.0);
        assert!(calm.features.iter().all(|f| f.psi < 0.1));

        // diff_elo shifted by one standard deviation; the league mix unchanged.
        let shifted = rows(&[
            normalish(800, 100.0, 100.0, 0.37),
            (0..800).map(|i| f64::from(u8::from(i % 5 == 2))).collect(),
        ]);
        let drifted = drift_summary(&reference, &shifted, window(800), default_thresholds(), "t");
        assert_eq!(drifted.features[0].status, FeatureStatus::Drift);
        assert!(
            drifted.features[0].psi > 0.25,
            "{}",
            drifted.features[0].psi
        );
        assert!(drifted.features[0].ks_statistic > 0.3);
        assert!(drifted.features[0].ks_p_value < 1e-6);
        assert_eq!(drifted.features[1].status, FeatureStatus::Ok);
        assert_eq!(drifted.drift_score, 0.5);
        assert!(drifted.dataset_drift);
    }

    #[test]
    fn a_category_mix_change_is_caught_by_psi() {
        let reference = reference(&[(
            "league_E0",
            (0..1000).map(|i| f64::from(u8::from(i % 2 == 0))).collect(),
        )]);
        let current = rows(&[(0..500).map(|i| f64::from(u8::from(i % 10 == 0))).collect()]);
        let s = drift_summary(&reference, &current, window(500), default_thresholds(), "t");
        assert!(matches!(
            reference.features[0].bins,
            Bins::Categories { .. }
        ));
        assert_eq!(s.features[0].status, FeatureStatus::Drift);
    }

    #[test]
    fn missing_values_are_counted_apart() {
        let mut values = normalish(100, 0.0, 1.0, 0.0);
        values[0] = f64::NAN;
        values[1] = f64::NAN;
        let f = feature_reference("x", &values);
        assert_eq!((f.n, f.missing), (100, 2));
        let d = compare_feature(&f, &[f64::NAN, 0.0], &default_thresholds());
        assert_eq!(d.current_missing_share, 0.5);
        assert!((d.reference_missing_share - 0.02).abs() < 1e-12);
    }

    #[test]
    fn quantile_bins_split_the_reference_evenly() {
        let values: Vec<f64> = (0..1000).map(f64::from).collect();
        let f = feature_reference("x", &values);
        let Bins::Quantiles { edges } = &f.bins else {
            panic!("continuous feature");
        };
        assert_eq!(edges.len(), BINS - 1);
        for share in &f.shares {
            assert!((share - 0.1).abs() < 0.002, "{share}");
        }
        assert_eq!(f.sample.len(), 1000);
        let big: Vec<f64> = (0..50_000).map(f64::from).collect();
        let s = feature_reference("y", &big).sample;
        assert_eq!((s.len(), s[0], *s.last().unwrap()), (SAMPLE, 0.0, 49_999.0));
    }
}
