//! The sizes of the strength differences, computed by the model from its own
//! inputs.
//!
//! Why: a multinomial logit's draw log-odds are linear in its inputs, so the
//! draw's share can only peak where the home and away logits cross. How
//! likely a draw is depends on how even the two sides are, whichever is
//! stronger; `|diff_elo|` and the like give the logit that shape (the trees
//! find it alone). The logit's CV log-loss went 1.01426 → 1.01354, lower on
//! all four folds.
//!
//! Why inside the model rather than as feature-table columns: a client of
//! `POST /predict/` sends the model's inputs, and a derived column it does not
//! know to send would silently get the training mean while its source says
//! otherwise. Here the sizes are computed after the NaN fill, the same way
//! by the trainer ([`Balance::expand`]) and by the ONNX graph (`Gather →
//! Abs → Concat`, see `crate::onnx`), so a server that fills before
//! inference gets the same numbers as one whose graph fills.

use serde::{Deserialize, Serialize};

use super::filled;
use crate::linear::Standardizer;

/// The strength differences (home − away) whose sizes are appended, for
/// those among a model's inputs.
pub const BALANCE_SOURCES: [&str; 6] = [
    "diff_elo",
    "pi_rating_diff",
    "pi_expected_gd",
    "dc_log_away_home",
    "sot_log_ratio",
    "shots_log_ratio",
];

/// Fitted on training rows: fill the inputs' NaN with their training means,
/// then append `|x|` of each source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Balance {
    /// Input columns whose sizes are appended, in [`BALANCE_SOURCES`] order.
    pub sources: Vec<usize>,
    /// Training mean of every input column: its NaN fill.
    pub fill_values: Vec<f64>,
}

impl Balance {
    /// `None` when no [`BALANCE_SOURCES`] is among `inputs`.
    pub fn fit(inputs: &[String], rows: &[&[f64]]) -> Option<Self> {
        let sources: Vec<usize> = BALANCE_SOURCES
            .iter()
            .filter_map(|source| inputs.iter().position(|n| n == source))
            .collect();
        if sources.is_empty() {
            return None;
        }
        Some(Self {
            sources,
            fill_values: Standardizer::fit(rows, inputs.len()).fill_values,
        })
    }

    /// The model's row: the filled inputs, then the sources' sizes.
    pub fn expand(&self, row: &[f64]) -> Vec<f64> {
        let mut out: Vec<f64> = filled(row, &self.fill_values).collect();
        for &s in &self.sources {
            out.push(out[s].abs());
        }
        out
    }

    /// Names of the appended columns (`abs_<source>`), for reports.
    pub fn names(&self, inputs: &[String]) -> Vec<String> {
        self.sources
            .iter()
            .map(|&s| format!("abs_{}", inputs[s]))
            .collect()
    }

    /// Input columns plus appended ones: the width the model itself sees.
    pub fn model_width(&self) -> usize {
        self.fill_values.len() + self.sources.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn sizes_follow_the_fill_in_source_order() {
        // Inputs in an order unlike BALANCE_SOURCES', with one non-source.
        let inputs = names(&["pi_rating_diff", "rest_days_home", "diff_elo"]);
        let rows: [&[f64]; 3] = [
            &[-1.0, 3.0, 40.0],
            &[f64::NAN, 5.0, -100.0],
            &[3.0, 4.0, f64::NAN],
        ];
        let balance = Balance::fit(&inputs, &rows).unwrap();
        // diff_elo first: BALANCE_SOURCES' order, not the inputs'.
        assert_eq!(balance.sources, vec![2, 0]);
        assert_eq!(
            balance.names(&inputs),
            names(&["abs_diff_elo", "abs_pi_rating_diff"])
        );
        assert_eq!(balance.fill_values, vec![1.0, 4.0, -30.0]);
        assert_eq!(balance.model_width(), 5);
        assert_eq!(balance.expand(rows[0]), vec![-1.0, 3.0, 40.0, 40.0, 1.0]);
        // A missing source is filled first, then sized: |mean|, not the mean of the sizes.
        assert_eq!(balance.expand(rows[2]), vec![3.0, 4.0, -30.0, 30.0, 3.0]);
        assert_eq!(balance.expand(rows[1]), vec![1.0, 5.0, -100.0, 100.0, 1.0]);
    }

    #[test]
    fn no_source_no_balance() {
        let rows: [&[f64]; 1] = [&[1.0]];
        assert_eq!(Balance::fit(&names(&["season_stage"]), &rows), None);
    }
}
