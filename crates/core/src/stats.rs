//! Comparing two models on the same matches: shared by the sidecar's model
//! selection and evaluation, and by the registry's promotion gate.

/// Standard error of the mean of `a[i] - b[i]`: how far apart two models'
/// mean losses on the same matches may be by chance. 0 for fewer than two
/// pairs or lengths that differ (nothing to compare).
pub fn paired_standard_error(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len();
    if n < 2 || b.len() != n {
        return 0.0;
    }
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let mean = d.iter().sum::<f64>() / n as f64;
    let var = d.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    (var / n as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_standard_error_of_a_paired_difference() {
        // Differences 1, 2, 3, 6: mean 3, sample variance (4+1+0+9)/3 = 14/3,
        // standard error sqrt(14/3 / 4).
        let se = paired_standard_error(&[2.0, 4.0, 6.0, 10.0], &[1.0, 2.0, 3.0, 4.0]);
        assert!((se - (14.0_f64 / 12.0).sqrt()).abs() < 1e-12, "{se}");
        // A constant difference is no evidence of noise.
        assert_eq!(paired_standard_error(&[1.0, 2.0], &[0.5, 1.5]), 0.0);
        assert_eq!(paired_standard_error(&[1.0], &[0.0]), 0.0);
        assert_eq!(paired_standard_error(&[1.0, 2.0], &[0.0]), 0.0);
    }
}
