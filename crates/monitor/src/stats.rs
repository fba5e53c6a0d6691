//! The two drift statistics, on plain slices.
//!
//! - PSI (population stability index): `Σ (c_i - r_i) ln(c_i / r_i)` over
//!   the bins of the reference; shares are floored at [`PSI_FLOOR`] so an
//!   empty bin gives a large but finite term.
//! - Two-sample Kolmogorov-Smirnov: the largest gap between the two
//!   empirical CDFs, and its asymptotic p-value (Kolmogorov distribution
//!   with Stephens' small-sample correction).

/// Smallest share a bin counts with in PSI.
pub const PSI_FLOOR: f64 = 1e-4;

/// PSI of `current` against `reference` (both shares per bin, same bins).
pub fn psi(reference: &[f64], current: &[f64]) -> f64 {
    reference
        .iter()
        .zip(current)
        .map(|(&r, &c)| {
            let (r, c) = (r.max(PSI_FLOOR), c.max(PSI_FLOOR));
            (c - r) * (c / r).ln()
        })
        .sum()
}

/// Shares of `counts` (all zero when there is nothing to count).
pub fn shares(counts: &[usize]) -> Vec<f64> {
    let total: usize = counts.iter().sum();
    counts
        .iter()
        .map(|&c| {
            if total == 0 {
                0.0
            } else {
                c as f64 / total as f64
            }
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KsResult {
    pub statistic: f64,
    pub p_value: f64,
}

/// Two-sample KS test of `a` against `b` (any order; NaNs must be removed).
/// `None` when either sample is empty.
pub fn ks_two_sample(a: &[f64], b: &[f64]) -> Option<KsResult> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (n, m) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j) = (0, 0);
    let mut statistic: f64 = 0.0;
    // Step through every distinct value; ties move both CDFs together.
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        statistic = statistic.max((i as f64 / n - j as f64 / m).abs());
    }
    let effective = (n * m / (n + m)).sqrt();
    let lambda = (effective + 0.12 + 0.11 / effective) * statistic;
    Some(KsResult {
        statistic,
        p_value: kolmogorov_q(lambda),
    })
}

/// `Q(λ) = 2 Σ_{k≥1} (-1)^{k-1} e^{-2k²λ²}`, the Kolmogorov survival function.
fn kolmogorov_q(lambda: f64) -> f64 {
    if lambda < 1e-3 {
        return 1.0;
    }
    let mut sum = 0.0;
    let mut sign = 1.0;
    for k in 1..=100 {
        let k = f64::from(k);
        let term = sign * (-2.0 * k * k * lambda * lambda).exp();
        sum += term;
        if term.abs() < 1e-12 {
            break;
        }
        sign = -sign;
    }
    (2.0 * sum).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() < tol, "{a} vs {b}");
    }

    #[test]
    fn psi_by_hand() {
        // (0.3-0.5) ln(0.3/0.5) + (0.7-0.5) ln(0.7/0.5)
        let expected = -0.2 * (0.6f64).ln() + 0.2 * (1.4f64).ln();
        close(psi(&[0.5, 0.5], &[0.3, 0.7]), expected, 1e-12);
        close(psi(&[0.25; 4], &[0.25; 4]), 0.0, 1e-15);
        // An empty current bin is floored, not infinite.
        assert!(psi(&[0.5, 0.5], &[1.0, 0.0]).is_finite());
        assert_eq!(shares(&[1, 3]), vec![0.25, 0.75]);
        assert_eq!(shares(&[0, 0]), vec![0.0, 0.0]);
    }

    #[test]
    fn ks_statistic_by_hand() {
        // b sorted: 0.5, 3.5, 4, 5, 6, 7. CDF gaps at 0.5: |0 - 1/6|; at 1:
        // |1/3 - 1/6|; at 2: |2/3 - 1/6|; at 3: |1 - 1/6| = 5/6, the largest.
        let r = ks_two_sample(&[1.0, 2.0, 3.0], &[3.5, 4.0, 5.0, 0.5, 6.0, 7.0]).unwrap();
        close(r.statistic, 5.0 / 6.0, 1e-12);
        let same = ks_two_sample(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]).unwrap();
        assert_eq!(same.statistic, 0.0);
        assert_eq!(same.p_value, 1.0);
        assert_eq!(ks_two_sample(&[], &[1.0]), None);
    }

    #[test]
    fn ks_p_value_matches_the_kolmogorov_distribution() {
        // Q(1.36) ≈ 0.049 and Q(1.63) ≈ 0.0098: the classic 5% and 1% points.
        close(kolmogorov_q(1.358), 0.05, 1e-3);
        close(kolmogorov_q(1.628), 0.01, 1e-3);
        assert_eq!(kolmogorov_q(0.0), 1.0);
    }
}
