//! The run summary the CLI prints: test-split scores of the model next to
//! the bookmaker's and the naive forecast's on the same matches.

use std::fmt;
use std::time::Duration;

use super::Stage;
use crate::card::BookmakerComparison;
use crate::metrics::Scores;

#[derive(Debug, Clone, PartialEq)]
pub struct PipelineReport {
    pub run_id: String,
    /// The chosen model (name and family).
    pub model: String,
    pub n_matches: usize,
    /// Matches the served fit was trained on (the test split included).
    pub n_train: usize,
    /// Matches the holdout fit, which the test scores are of, was trained on.
    pub n_holdout_train: usize,
    pub n_test: usize,
    pub n_unlabeled: usize,
    pub n_future: usize,
    /// The model on the whole test split.
    pub test: Option<Scores>,
    /// Training class frequencies on the whole test split.
    pub naive_test: Option<Scores>,
    /// Model, bookmaker and naive on the test matches with odds.
    pub comparison: Option<BookmakerComparison>,
    pub timings: Vec<(Stage, Duration)>,
    pub total: Duration,
}

fn row(f: &mut fmt::Formatter<'_>, label: &str, s: &Scores) -> fmt::Result {
    writeln!(
        f,
        "  {label:<22} {:>6} {:>9.4} {:>7.4} {:>7.4} {:>9.2}% {:>7.4}",
        s.n,
        s.log_loss,
        s.rps,
        s.brier,
        100.0 * s.accuracy,
        s.ece
    )
}

fn header(f: &mut fmt::Formatter<'_>, title: &str) -> fmt::Result {
    writeln!(f, "{title}")?;
    writeln!(
        f,
        "  {:<22} {:>6} {:>9} {:>7} {:>7} {:>10} {:>7}",
        "", "n", "log-loss", "RPS", "Brier", "accuracy", "ECE"
    )
}

impl fmt::Display for PipelineReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} ({}): {} matches (served fit on {}; holdout fit on {}, test {}, no result {}, future {})",
            self.run_id,
            self.model,
            self.n_matches,
            self.n_train,
            self.n_holdout_train,
            self.n_test,
            self.n_unlabeled,
            self.n_future
        )?;
        match (&self.test, &self.naive_test) {
            (Some(test), Some(naive)) => {
                header(f, "test split")?;
                row(f, "model", test)?;
                row(f, "naive (train freq.)", naive)?;
            }
            _ => writeln!(f, "test split: empty")?,
        }
        if let Some(c) = &self.comparison {
            header(f, "test matches with odds")?;
            row(f, "model", &c.model)?;
            row(f, "bookmaker", &c.bookmaker)?;
            row(f, "naive (train freq.)", &c.naive)?;
            let sources: Vec<String> = c.sources.iter().map(|(s, n)| format!("{s} {n}")).collect();
            writeln!(f, "  odds sources: {}", sources.join(", "))?;
        }
        let timings: Vec<String> = self
            .timings
            .iter()
            .map(|(s, d)| format!("{} {:.3}s", s.as_str(), d.as_secs_f64()))
            .collect();
        write!(
            f,
            "time: {:.3}s ({})",
            self.total.as_secs_f64(),
            timings.join(", ")
        )
    }
}
