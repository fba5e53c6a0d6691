//! The two numerical routines the fits share: the one dense solver the
//! Newton steps need (logistic and Poisson regression, Dixon-Coles), `a x =
//! b` for a small symmetric positive definite `a`, and a one-dimensional
//! minimiser (temperature, Dixon-Coles' `ρ` of the goals pool).

/// Where the Cholesky factorisation broke down: the pivot index and its
/// value (not positive, or not finite).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NotPositiveDefinite {
    pub pivot: usize,
    pub value: f64,
}

/// Solves `a x = b` for symmetric positive definite `a` (`n × n`, row-major,
/// overwritten by its Cholesky factor).
pub fn cholesky_solve(a: &mut [f64], n: usize, b: &[f64]) -> Result<Vec<f64>, NotPositiveDefinite> {
    for j in 0..n {
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= a[j * n + k] * a[j * n + k];
        }
        if d <= 0.0 || !d.is_finite() {
            return Err(NotPositiveDefinite { pivot: j, value: d });
        }
        let d = d.sqrt();
        a[j * n + j] = d;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = s / d;
        }
    }
    // L y = b, then Lᵀ x = y.
    let mut y = b.to_vec();
    for i in 0..n {
        for k in 0..i {
            y[i] -= a[i * n + k] * y[k];
        }
        y[i] /= a[i * n + i];
    }
    for i in (0..n).rev() {
        for k in i + 1..n {
            y[i] -= a[k * n + i] * y[k];
        }
        y[i] /= a[i * n + i];
    }
    Ok(y)
}

/// The minimum of a function single-peaked (unimodal) on `[lo, hi]`, by
/// golden-section search: `iterations` steps shrink the bracket by 0.618
/// each, with one evaluation per step.
pub fn golden_section_min(
    mut f: impl FnMut(f64) -> f64,
    lo: f64,
    hi: f64,
    iterations: usize,
) -> f64 {
    let phi = (5f64.sqrt() - 1.0) / 2.0;
    let (mut a, mut b) = (lo, hi);
    let mut c = b - phi * (b - a);
    let mut d = a + phi * (b - a);
    let (mut fc, mut fd) = (f(c), f(d));
    for _ in 0..iterations {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - phi * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + phi * (b - a);
            fd = f(d);
        }
    }
    (a + b) / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_a_small_system_and_refuses_an_indefinite_one() {
        // [[4, 2], [2, 3]] x = [2, 1] → x = [0.5, 0].
        let mut a = vec![4.0, 2.0, 2.0, 3.0];
        let x = cholesky_solve(&mut a, 2, &[2.0, 1.0]).unwrap();
        assert!((x[0] - 0.5).abs() < 1e-12 && x[1].abs() < 1e-12, "{x:?}");
        let mut singular = vec![1.0, 1.0, 1.0, 1.0];
        assert_eq!(
            cholesky_solve(&mut singular, 2, &[1.0, 1.0])
                .unwrap_err()
                .pivot,
            1
        );
    }
}
