//! Canonical records of the native pipeline (ingest → features → training).
//!
//! These are richer than the published WIT records: they carry every odds
//! quote and the raw result, and never cross a component boundary.

use chrono::{DateTime, Utc};

/// Full-time result, from the home side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Score {
    pub home: u8,
    pub away: u8,
}

impl Score {
    /// Class index used everywhere in training and in ONNX outputs:
    /// 0 home win, 1 draw, 2 away win.
    pub fn class(self) -> usize {
        match self.home.cmp(&self.away) {
            std::cmp::Ordering::Greater => 0,
            std::cmp::Ordering::Equal => 1,
            std::cmp::Ordering::Less => 2,
        }
    }
}

/// Post-match statistics (home, away) that football-data publishes for the
/// top divisions. Facts after the whistle, like the score: a feature may use
/// a team's earlier matches' statistics, never those of the match itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MatchStats {
    pub shots: Option<[u16; 2]>,
    pub shots_on_target: Option<[u16; 2]>,
    pub corners: Option<[u16; 2]>,
}

impl MatchStats {
    pub fn is_empty(&self) -> bool {
        self.shots.is_none() && self.shots_on_target.is_none() && self.corners.is_none()
    }
}

/// One match of a league season, played or not.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub id: i64,
    /// football-data `Div` code (`E0`).
    pub league: String,
    /// `2019-2020`.
    pub season: String,
    /// Kick-off in UTC. When the source has no time (before 2019-20), the
    /// kick-off is the date at 15:00 UK time and `kickoff_time_known` is false.
    pub kickoff: DateTime<Utc>,
    pub kickoff_time_known: bool,
    pub home_team: String,
    pub away_team: String,
    /// `None` for a match not played (yet) as of the pipeline's date.
    pub score: Option<Score>,
}

/// When a price was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OddsKind {
    /// football-data's "pre-closing" prices: Friday/Tuesday afternoon before
    /// the match, so they are known well before kick-off.
    Opening,
    /// Last prices before kick-off.
    Closing,
}

impl OddsKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OddsKind::Opening => "opening",
            OddsKind::Closing => "closing",
        }
    }
}

/// Decimal 1X2 prices of one bookmaker (or market aggregate) for one match.
#[derive(Debug, Clone, PartialEq)]
pub struct OddsQuote {
    pub match_id: i64,
    /// Source column prefix: `B365`, `PS`, `Avg`, `Max`, `BbAv`, ...
    pub bookmaker: String,
    pub kind: OddsKind,
    pub home: f64,
    pub draw: f64,
    pub away: f64,
}

impl OddsQuote {
    /// A usable triple: every price finite and above 1.0, and an overround
    /// that is not negative (stale prices can make sum(1/odds) < 1).
    pub fn is_valid(&self) -> bool {
        let prices = [self.home, self.draw, self.away];
        prices.iter().all(|p| p.is_finite() && *p > 1.0)
            && prices.iter().map(|p| 1.0 / p).sum::<f64>() >= 1.0
    }
}
