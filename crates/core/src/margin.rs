//! Removing the bookmaker's margin: from decimal 1X2 prices to implied
//! probabilities that sum to 1.
//!
//! The raw inverse prices `π_i = 1/o_i` sum to the booksum `β > 1`; the
//! excess `β - 1` is the margin. The methods differ in how they take it out:
//!
//! - [`Method::Basic`] divides every `π_i` by `β`: the margin is taken in
//!   proportion to each probability.
//! - [`Method::Shin`] (Shin 1992/1993) models the margin as protection
//!   against a share `z` of insiders; solving for `z` takes relatively more
//!   margin out of long shots, which corrects the favourite–long-shot bias
//!   of 1X2 prices.
//! - [`Method::Power`] finds `k` with `Σ π_i^k = 1`, which also shrinks long
//!   shots more than favourites.
//!
//! **Cards use Shin** ([`CARD_METHOD`]): it is the standard correction for
//! the favourite–long-shot bias of 1X2 prices, which basic normalisation
//! leaves in (see `crates/market/README.md`).
//!
//! Everything here is pure `f64` arithmetic (Wasm-safe, no allocation), so the
//! sidecar and the publish-time record builders share it.

/// How the margin is removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Basic,
    Shin,
    Power,
}

impl Method {
    pub const ALL: [Method; 3] = [Method::Basic, Method::Shin, Method::Power];

    pub fn name(self) -> &'static str {
        match self {
            Method::Basic => "basic",
            Method::Shin => "shin",
            Method::Power => "power",
        }
    }
}

/// The method behind every published `implied` value (odds and cards).
pub const CARD_METHOD: Method = Method::Shin;

/// Why prices cannot be turned into probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarginError {
    /// A price is not a finite number above 1.
    BadPrice,
    /// The booksum is below 1 (an arbitrage, typically stale or best-of-market
    /// prices): there is no margin to remove.
    NegativeMargin,
}

/// Margin-free probabilities (home, draw, away) of decimal prices.
pub fn implied(odds: [f64; 3], method: Method) -> Result<[f64; 3], MarginError> {
    if odds.iter().any(|o| !o.is_finite() || *o <= 1.0) {
        return Err(MarginError::BadPrice);
    }
    let inverse = odds.map(|o| 1.0 / o);
    let booksum: f64 = inverse.iter().sum();
    if booksum < 1.0 {
        return Err(MarginError::NegativeMargin);
    }
    Ok(match method {
        Method::Basic => inverse.map(|p| p / booksum),
        Method::Shin => {
            let z = shin_z(&inverse, booksum);
            shin_probabilities(&inverse, booksum, z)
        }
        Method::Power => {
            let k = power_k(&inverse);
            let p = inverse.map(|x| x.powf(k));
            // The solver leaves Σ within 1e-12 of 1; renormalise the rest.
            let total: f64 = p.iter().sum();
            p.map(|x| x / total)
        }
    })
}

/// The booksum `Σ 1/o_i` (1.05 = a 5 % overround).
pub fn booksum(odds: [f64; 3]) -> f64 {
    odds.iter().map(|o| 1.0 / o).sum()
}

/// Shin's probabilities for a given insider share `z`:
/// `p_i = (sqrt(z² + 4(1-z) π_i²/β) - z) / (2(1-z))`.
fn shin_probabilities(inverse: &[f64; 3], booksum: f64, z: f64) -> [f64; 3] {
    inverse.map(|pi| ((z * z + 4.0 * (1.0 - z) * pi * pi / booksum).sqrt() - z) / (2.0 * (1.0 - z)))
}

/// Shin's `z`: the root of `Σ p_i(z) = 1` in `[0, 1)`. The sum is `sqrt(β) ≥ 1`
/// at `z = 0` and decreases in `z`, so bisection finds it (to ~1e-16 in 60
/// halvings, far below any price's precision).
fn shin_z(inverse: &[f64; 3], booksum: f64) -> f64 {
    let excess = |z: f64| shin_probabilities(inverse, booksum, z).iter().sum::<f64>() - 1.0;
    if excess(0.0) <= 0.0 {
        return 0.0; // no margin
    }
    let (mut lo, mut hi) = (0.0_f64, 0.999_f64);
    for _ in 0..64 {
        let mid = 0.5 * (lo + hi);
        if excess(mid) > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Shin's insider share `z` of a price triple (0 for a margin-free book).
pub fn shin_insider_share(odds: [f64; 3]) -> Result<f64, MarginError> {
    implied(odds, Method::Basic)?;
    let inverse = odds.map(|o| 1.0 / o);
    Ok(shin_z(&inverse, inverse.iter().sum()))
}

/// The power method's exponent: the root of `Σ π_i^k = 1`, `k ≥ 1` because
/// every `π_i < 1` makes the sum decrease in `k`.
fn power_k(inverse: &[f64; 3]) -> f64 {
    let excess = |k: f64| inverse.iter().map(|p| p.powf(k)).sum::<f64>() - 1.0;
    let (mut lo, mut hi) = (1.0_f64, 2.0_f64);
    while excess(hi) > 0.0 && hi < 1e6 {
        hi *= 2.0;
    }
    for _ in 0..80 {
        let mid = 0.5 * (lo + hi);
        if excess(mid) > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: [f64; 3], b: [f64; 3], tolerance: f64) -> bool {
        a.iter().zip(&b).all(|(x, y)| (x - y).abs() < tolerance)
    }

    #[test]
    fn basic_normalisation_by_hand() {
        // 1/2 + 1/3.5 + 1/4 = 0.5 + 0.285714 + 0.25 = 1.035714.
        let p = implied([2.0, 3.5, 4.0], Method::Basic).unwrap();
        assert!(close(p, [0.482759, 0.275862, 0.241379], 1e-6), "{p:?}");
    }

    /// Shin on 2.00 / 3.50 / 4.00, by hand:
    /// π = (0.5, 0.285714, 0.25), β = 1.035714.
    /// Solve Σ (sqrt(z² + 4(1-z)π_i²/β) − z) / (2(1−z)) = 1.
    /// At z = 0.01789 the terms are 0.486734, 0.274328, 0.238938, which sum
    /// to 1.000000; so z ≈ 0.01789 and p = (0.48673, 0.27433, 0.23894): the
    /// favourite keeps more than under basic normalisation (0.48276) and the
    /// long shot less (0.24138).
    #[test]
    fn shin_matches_hand_computed_values() {
        let odds = [2.0, 3.5, 4.0];
        let z = shin_insider_share(odds).unwrap();
        assert!((z - 0.01789).abs() < 1e-5, "z = {z}");
        let p = implied(odds, Method::Shin).unwrap();
        assert!(close(p, [0.486734, 0.274328, 0.238938], 1e-6), "{p:?}");
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        // Re-derive each p_i from z with the closed form.
        let beta = booksum(odds);
        for (i, o) in odds.iter().enumerate() {
            let pi = 1.0 / o;
            let expected =
                ((z * z + 4.0 * (1.0 - z) * pi * pi / beta).sqrt() - z) / (2.0 * (1.0 - z));
            assert!((p[i] - expected).abs() < 1e-12);
        }
    }

    /// A second hand-worked case, a heavy favourite: 1.25 / 6.00 / 11.00.
    /// π = (0.8, 0.166667, 0.090909), β = 1.057576.
    /// z ≈ 0.02997 gives p ≈ (0.77455, 0.14983, 0.07563): Shin moves
    /// probability from the long shot to the favourite
    /// (basic: 0.75645, 0.15759, 0.08596).
    #[test]
    fn shin_favours_the_favourite() {
        let odds = [1.25, 6.0, 11.0];
        let shin = implied(odds, Method::Shin).unwrap();
        let basic = implied(odds, Method::Basic).unwrap();
        assert!(close(basic, [0.75645, 0.15759, 0.08596], 5e-5), "{basic:?}");
        assert!(close(shin, [0.77455, 0.14983, 0.07563], 5e-5), "{shin:?}");
        assert!((shin_insider_share(odds).unwrap() - 0.02997).abs() < 1e-5);
        assert!(shin[0] > basic[0] && shin[2] < basic[2]);
        assert!((shin.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn a_fair_book_is_left_alone() {
        // 1/2 + 1/4 + 1/4 = 1: no margin, every method returns π.
        for method in Method::ALL {
            let p = implied([2.0, 4.0, 4.0], method).unwrap();
            assert!(close(p, [0.5, 0.25, 0.25], 1e-9), "{method:?}: {p:?}");
        }
    }

    #[test]
    fn equal_prices_give_equal_probabilities() {
        for method in Method::ALL {
            let p = implied([2.8, 2.8, 2.8], method).unwrap();
            assert!(close(p, [1.0 / 3.0; 3], 1e-9), "{method:?}: {p:?}");
        }
    }

    #[test]
    fn power_method_solves_its_exponent() {
        let odds = [2.0, 3.5, 4.0];
        let p = implied(odds, Method::Power).unwrap();
        // p_i = π_i^k with one k: log p_i / log π_i is the same for all i.
        let k: Vec<f64> = odds
            .iter()
            .zip(&p)
            .map(|(o, p)| p.ln() / (1.0 / o).ln())
            .collect();
        assert!(
            k.iter().all(|x| (x - k[0]).abs() < 1e-9) && k[0] > 1.0,
            "{k:?}"
        );
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn unusable_prices_are_errors_not_panics() {
        for method in Method::ALL {
            assert_eq!(implied([1.0, 3.0, 4.0], method), Err(MarginError::BadPrice));
            assert_eq!(
                implied([f64::NAN, 3.0, 4.0], method),
                Err(MarginError::BadPrice)
            );
            assert_eq!(
                implied([f64::INFINITY, 3.0, 4.0], method),
                Err(MarginError::BadPrice)
            );
            // 1/2.5 + 1/4 + 1/5 = 0.85: best-of-market prices, no margin.
            assert_eq!(
                implied([2.5, 4.0, 5.0], method),
                Err(MarginError::NegativeMargin)
            );
        }
    }

    #[test]
    fn extreme_but_valid_prices_stay_finite() {
        for odds in [
            [1.01, 50.0, 100.0],
            [1000.0, 1000.0, 1.0001],
            [1.5, 1.5, 1.5],
        ] {
            for method in Method::ALL {
                let p = implied(odds, method).unwrap();
                assert!(p.iter().all(|x| x.is_finite() && (0.0..=1.0).contains(x)));
                assert!(
                    (p.iter().sum::<f64>() - 1.0).abs() < 1e-9,
                    "{method:?} {odds:?}"
                );
            }
        }
    }
}
