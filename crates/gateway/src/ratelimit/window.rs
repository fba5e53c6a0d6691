//! Sliding-window arithmetic, pure.
//!
//! A limit of `L` requests per window `W` is checked against
//! `previous × (1 − elapsed/W) + current`: the count of the current fixed
//! window plus the share of the previous window that still lies within the
//! last `W` (Cloudflare's approximation, which assumes the previous window's
//! requests were spread evenly). Unlike plain fixed windows it does not
//! allow `2L` around a window boundary; like them it needs only one counter
//! per window, which instances can share with an atomic increment.

/// Requests counted against the limit at `elapsed_ms` into the current window.
pub fn estimate(previous: u64, current: u64, elapsed_ms: u64, window_ms: u64) -> f64 {
    let window_ms = window_ms.max(1);
    let left = window_ms - elapsed_ms.min(window_ms);
    previous as f64 * (left as f64 / window_ms as f64) + current as f64
}

/// Milliseconds until a request of `cost` would fit, if nobody else calls
/// meanwhile: the `Retry-After` of a 429.
pub fn retry_after_ms(
    previous: u64,
    current: u64,
    limit: u64,
    cost: u64,
    elapsed_ms: u64,
    window_ms: u64,
) -> u64 {
    let window_ms = window_ms.max(1);
    let w = window_ms as f64;
    let elapsed = elapsed_ms.min(window_ms) as f64;
    if cost > limit {
        return window_ms; // never fits; a window is as good an answer as any
    }
    let (l, c, p, k) = (limit as f64, current as f64, previous as f64, cost as f64);
    let room = l - c - k;
    if room >= 0.0 {
        // Within this window, once the previous window's share has decayed:
        // p·(1 − t/W) + c + k ≤ l  ⇔  t ≥ W·(1 − room/p).
        if p <= 0.0 {
            return 0;
        }
        let t = w * (1.0 - room / p);
        return (t - elapsed).max(0.0).ceil() as u64;
    }
    // In the next window, where this window's count becomes "previous":
    // c·(1 − t/W) + k ≤ l  ⇔  t ≥ W·(1 − (l − k)/c).
    let t_next = if c > 0.0 {
        (w * (1.0 - (l - k) / c)).max(0.0)
    } else {
        0.0
    };
    ((w - elapsed) + t_next).ceil() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: u64 = 60_000;

    #[test]
    fn the_previous_window_decays_linearly() {
        assert_eq!(estimate(100, 10, 0, W), 110.0);
        assert_eq!(estimate(100, 10, W / 2, W), 60.0);
        assert_eq!(estimate(100, 10, W, W), 10.0);
        assert_eq!(
            estimate(100, 10, 10 * W, W),
            10.0,
            "elapsed past the window is clamped"
        );
        assert_eq!(
            estimate(0, 0, 0, 0),
            0.0,
            "a zero window does not divide by zero"
        );
    }

    #[test]
    fn retry_after_is_when_the_request_fits_again() {
        // 60 per minute, 60 used in this window: wait for the next window,
        // where the 60 count as previous and must decay by 1/60.
        let ms = retry_after_ms(0, 60, 60, 1, 30_000, W);
        assert!((31_000..=31_001).contains(&ms), "{ms}");
        assert!(estimate(60, 0, ms - 30_000, W) + 1.0 <= 60.0 + 1e-9);
        // Full because of the previous window: wait until enough has decayed.
        let ms = retry_after_ms(60, 30, 60, 1, 0, W);
        assert!(estimate(60, 30, ms, W) + 1.0 <= 60.0 + 1e-9);
        assert!(estimate(60, 30, ms - 100, W) + 1.0 > 60.0);
        // A cost above the limit never fits.
        assert_eq!(retry_after_ms(0, 0, 5, 6, 0, W), W);
    }
}
