//! Flat-stake betting over finished matches: one unit on (a) every
//! predicted pick and (b) every value bet, at the price a card shows (the
//! first of `matchday_core::market::value::PRICE_PRIORITY`: Pinnacle's,
//! else Bet365's *opening* price, known well before kick-off). Per region,
//! per league and overall: bets, hits, hit rate, profit, ROI and a
//! percentile-bootstrap 95 % interval for the ROI.
//!
//! Only matches the model did not train on should be simulated (the
//! sidecar passes the test period); in-sample predictions would flatter the
//! ROI.

use matchday_core::market::card;
use matchday_core::market::layout::Strategy;
use matchday_core::market::value;
use matchday_core::types::{MatchSummary, OddsQuote, PrecomputedPrediction};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy)]
pub struct SimConfig {
    /// Value bets need an edge above this (0.05 = 5 pp).
    pub threshold: f64,
    /// Bootstrap resamples per group (0: no interval, it equals the ROI).
    pub bootstrap: usize,
    pub seed: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            threshold: value::VALUE_THRESHOLD,
            bootstrap: 2000,
            seed: 20_231_123,
        }
    }
}

/// One settled bet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bet {
    pub odds: f64,
    pub won: bool,
}

impl Bet {
    pub fn profit(&self) -> f64 {
        value::flat_stake_profit(self.odds, self.won)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    pub bets: u32,
    pub hits: u32,
    pub hit_rate: f64,
    pub profit: f64,
    pub roi: f64,
    pub roi_ci_low: f64,
    pub roi_ci_high: f64,
}

/// Which rows a result aggregates.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Group {
    Overall,
    Region(String),
    League { region: String, league: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoiResult {
    pub strategy: Strategy,
    pub group: Group,
    pub stats: Stats,
}

/// A finished match to bet on: what was known before kick-off and the result.
pub struct SimMatch<'a> {
    pub summary: &'a MatchSummary,
    pub prediction: &'a PrecomputedPrediction,
    /// Every quote of the match (with margin-free probabilities).
    pub quotes: &'a [OddsQuote],
}

/// SplitMix64: small, fast, and the same numbers on every platform, so an
/// interval is reproducible from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        // Multiply-shift: unbiased enough for n ≪ 2^32, no division.
        (((self.next() >> 32) * n as u64) >> 32) as usize
    }
}

/// Linear-interpolated quantile of sorted values.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Bets, hits, profit, ROI and its bootstrap interval.
pub fn stats(bets: &[Bet], resamples: usize, seed: u64) -> Stats {
    let n = bets.len();
    let hits = bets.iter().filter(|b| b.won).count();
    let profit: f64 = bets.iter().map(Bet::profit).sum();
    if n == 0 {
        return Stats {
            bets: 0,
            hits: 0,
            hit_rate: 0.0,
            profit: 0.0,
            roi: 0.0,
            roi_ci_low: 0.0,
            roi_ci_high: 0.0,
        };
    }
    let roi = profit / n as f64;
    let (low, high) = if resamples == 0 {
        (roi, roi)
    } else {
        let mut rng = Rng(seed);
        let profits: Vec<f64> = bets.iter().map(Bet::profit).collect();
        let mut rois: Vec<f64> = (0..resamples)
            .map(|_| (0..n).map(|_| profits[rng.below(n)]).sum::<f64>() / n as f64)
            .collect();
        rois.sort_by(f64::total_cmp);
        (quantile(&rois, 0.025), quantile(&rois, 0.975))
    };
    Stats {
        bets: n as u32,
        hits: hits as u32,
        hit_rate: hits as f64 / n as f64,
        profit,
        roi,
        roi_ci_low: low,
        roi_ci_high: high,
    }
}

/// The bets a strategy places on one match (none without a priced quote).
pub fn bet_of(m: &SimMatch<'_>, strategy: Strategy, threshold: f64) -> Option<Bet> {
    let result = card::result(m.summary)?.class_index() as usize;
    let quote = card::card_quote(m.quotes)?;
    let odds = [quote.home, quote.draw, quote.away];
    let model = [
        m.prediction.probabilities.home_win,
        m.prediction.probabilities.draw,
        m.prediction.probabilities.away_win,
    ];
    let implied = [
        quote.implied.home_win,
        quote.implied.draw,
        quote.implied.away_win,
    ];
    let pick = match strategy {
        Strategy::AllPicks => m.prediction.predicted_class.class_index() as usize,
        Strategy::ValueBets => value::value_bet(model, implied, threshold)?.0,
    };
    Some(Bet {
        odds: odds[pick],
        won: pick == result,
    })
}

fn group_seed(seed: u64, strategy: Strategy, group: &Group) -> u64 {
    // FNV-1a of the group's name: every group its own reproducible stream.
    let name = format!("{}/{group:?}", strategy.as_str());
    name.bytes().fold(seed ^ 0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Both strategies, per region, per league and overall.
pub fn simulate(matches: &[SimMatch<'_>], config: &SimConfig) -> Vec<RoiResult> {
    let mut out = Vec::new();
    for strategy in [Strategy::AllPicks, Strategy::ValueBets] {
        let mut groups: BTreeMap<Group, Vec<Bet>> = BTreeMap::new();
        groups.insert(Group::Overall, Vec::new());
        for m in matches {
            let Some(bet) = bet_of(m, strategy, config.threshold) else {
                continue;
            };
            let (region, league) = (&m.summary.region, &m.summary.league);
            for group in [
                Group::Overall,
                Group::Region(region.clone()),
                Group::League {
                    region: region.clone(),
                    league: league.clone(),
                },
            ] {
                groups.entry(group).or_default().push(bet);
            }
        }
        for (group, bets) in groups {
            let seed = group_seed(config.seed, strategy, &group);
            out.push(RoiResult {
                strategy,
                stats: stats(&bets, config.bootstrap, seed),
                group,
            });
        }
    }
    out
}
