//! Quality of the champion on matches finished since it was trained, next
//! to the bookmaker on the same matches. The scores are `matchday_ml`'s
//! (the same definitions the training report uses).

use matchday_ml::metrics::{ECE_BINS, Evaluation, argmax};
use matchday_observe::monitoring::records::{MarketComparison, QualitySummary, Scores, Window};
use std::collections::BTreeMap;

/// One finished match: what the model said, what happened, what the market said.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredMatch {
    pub match_id: i64,
    /// RFC 3339 kick-off.
    pub kickoff: String,
    /// Model probabilities (home, draw, away).
    pub model: [f64; 3],
    /// 0 home win, 1 draw, 2 away win.
    pub outcome: usize,
    /// Margin-free market probabilities and the source label.
    pub market: Option<([f64; 3], String)>,
}

fn scores(probs: &[[f64; 3]], labels: &[usize]) -> Option<Scores> {
    let e = Evaluation::new(probs, labels).ok()?;
    let s = e.scores();
    Some(Scores {
        n: s.n,
        log_loss: s.log_loss,
        rps: s.rps,
        brier: s.brier,
        ece: s.ece,
        hit_rate: s.accuracy,
    })
}

/// The quality summary of `matches` (all finished after `trained_as_of`).
pub fn quality_summary(
    model_run_id: &str,
    trained_as_of: &str,
    matches: &[ScoredMatch],
    n_unscored: usize,
    created_at: &str,
) -> QualitySummary {
    let probs: Vec<[f64; 3]> = matches.iter().map(|m| m.model).collect();
    let labels: Vec<usize> = matches.iter().map(|m| m.outcome).collect();
    let priced: Vec<&ScoredMatch> = matches.iter().filter(|m| m.market.is_some()).collect();
    let market = {
        let model: Vec<[f64; 3]> = priced.iter().map(|m| m.model).collect();
        let book: Vec<[f64; 3]> = priced
            .iter()
            .filter_map(|m| m.market.as_ref().map(|(p, _)| *p))
            .collect();
        let labels: Vec<usize> = priced.iter().map(|m| m.outcome).collect();
        let mut sources = BTreeMap::new();
        for m in &priced {
            if let Some((_, source)) = &m.market {
                *sources.entry(source.clone()).or_insert(0) += 1;
            }
        }
        match (scores(&model, &labels), scores(&book, &labels)) {
            (Some(model), Some(bookmaker)) => Some(MarketComparison {
                n: priced.len(),
                model,
                bookmaker,
                sources,
            }),
            _ => None,
        }
    };
    let kickoffs = matches.iter().map(|m| m.kickoff.as_str());
    QualitySummary {
        model_run_id: model_run_id.to_string(),
        trained_as_of: trained_as_of.to_string(),
        window: Window {
            from: kickoffs.clone().min().map(str::to_string),
            to: kickoffs.max().map(str::to_string),
            n: matches.len(),
        },
        n_unscored,
        model: scores(&probs, &labels),
        market,
        created_at: created_at.to_string(),
        report: None,
    }
}

/// One bin of a reliability diagram: the top-class confidence against how
/// often the top class happened.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReliabilityBin {
    pub n: usize,
    pub mean_confidence: f64,
    pub hit_rate: f64,
}

/// Reliability bins of the top-class confidence (the bins of ECE).
pub fn reliability(probs: &[[f64; 3]], labels: &[usize]) -> Vec<Option<ReliabilityBin>> {
    let mut count = [0usize; ECE_BINS];
    let mut conf = [0.0; ECE_BINS];
    let mut hits = [0.0; ECE_BINS];
    for (p, &y) in probs.iter().zip(labels) {
        let top = argmax(p);
        let bin = ((p[top] * ECE_BINS as f64) as usize).min(ECE_BINS - 1);
        count[bin] += 1;
        conf[bin] += p[top];
        hits[bin] += f64::from(u8::from(top == y));
    }
    (0..ECE_BINS)
        .map(|b| {
            (count[b] > 0).then(|| ReliabilityBin {
                n: count[b],
                mean_confidence: conf[b] / count[b] as f64,
                hit_rate: hits[b] / count[b] as f64,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(id: i64, model: [f64; 3], outcome: usize, market: Option<[f64; 3]>) -> ScoredMatch {
        ScoredMatch {
            match_id: id,
            kickoff: format!("2023-04-0{id}T15:00:00Z"),
            model,
            outcome,
            market: market.map(|p| (p, "PS closing".to_string())),
        }
    }

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }

    /// A fixture small enough to check by hand.
    pub fn fixture() -> Vec<ScoredMatch> {
        vec![
            m(1, [0.5, 0.3, 0.2], 0, Some([0.6, 0.25, 0.15])),
            m(2, [0.2, 0.3, 0.5], 1, Some([0.25, 0.5, 0.25])),
            m(3, [0.6, 0.3, 0.1], 2, None),
        ]
    }

    #[test]
    fn scores_of_a_hand_checkable_fixture() {
        let s = quality_summary("run-a", "2023-04-01T00:00:00Z", &fixture(), 1, "now");
        let model = s.model.unwrap();
        // log-loss: -(ln .5 + ln .3 + ln .1) / 3
        close(
            model.log_loss,
            -(0.5f64.ln() + 0.3f64.ln() + 0.1f64.ln()) / 3.0,
        );
        // RPS: (.145 + .145 + .585) / 3 (see matchday_ml::metrics' tests)
        close(model.rps, (0.145 + 0.145 + 0.585) / 3.0);
        // Brier: (.38 + .78 + 1.26) / 3
        close(model.brier, (0.38 + 0.78 + 1.26) / 3.0);
        close(model.hit_rate, 1.0 / 3.0);
        close(model.ece, 0.2);
        assert_eq!((model.n, s.window.n, s.n_unscored), (3, 3, 1));
        assert_eq!(s.window.from.as_deref(), Some("2023-04-01T15:00:00Z"));
        assert_eq!(s.window.to.as_deref(), Some("2023-04-03T15:00:00Z"));

        // Matches 1 and 2 have odds: model vs bookmaker on exactly those.
        let market = s.market.unwrap();
        assert_eq!(market.n, 2);
        close(market.model.log_loss, -(0.5f64.ln() + 0.3f64.ln()) / 2.0);
        close(
            market.bookmaker.log_loss,
            -(0.6f64.ln() + 0.5f64.ln()) / 2.0,
        );
        // Bookmaker hits both (home favourite won; draw favourite drew).
        close(market.bookmaker.hit_rate, 1.0);
        close(market.model.hit_rate, 0.5);
        assert_eq!(market.sources["PS closing"], 2);
    }

    #[test]
    fn no_finished_match_yet_gives_no_scores() {
        let s = quality_summary("run-a", "t", &[], 0, "now");
        assert_eq!((s.model, s.market), (None, None));
        assert_eq!(s.window.n, 0);
    }

    #[test]
    fn reliability_bins_by_top_confidence() {
        let probs: Vec<[f64; 3]> = fixture().iter().map(|m| m.model).collect();
        let bins = reliability(&probs, &[0, 1, 2]);
        let five = bins[5].unwrap();
        assert_eq!(five.n, 2);
        close(five.mean_confidence, 0.5);
        close(five.hit_rate, 0.5);
        let six = bins[6].unwrap();
        close(six.hit_rate, 0.0);
        assert!(bins[0].is_none());
    }
}
