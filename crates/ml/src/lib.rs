//! Feature engineering, training, evaluation and ONNX export for Matchday's
//! 1X2 predictions (class 0 home win, 1 draw, 2 away win, everywhere).
//!
//! One module per job:
//! - [`features`]: pre-kick-off features (rolling form, Elo, pi-ratings,
//!   Dixon-Coles, context) → [`features::FeatureTable`];
//! - [`split`]: the temporal train/test split and the `as_of` visibility rule;
//! - [`linear`]: multinomial logistic regression (standardisation, NaN fill, L2, Newton);
//! - [`models`]: the logit and boosted trees behind one fit/predict/export interface;
//! - [`cv`], [`calibration`], [`tune`], [`selection`]: expanding-window CV,
//!   temperature scaling, fixed-budget tuning and the select-model stage;
//! - [`metrics`]: log-loss, RPS, Brier, accuracy, ECE;
//! - [`bookmaker`]: margin-free implied probabilities and the per-match odds source;
//! - [`onnx`]: export of a fitted model as an ONNX graph;
//! - [`card`]: the model card written next to the ONNX file;
//! - [`pipeline`]: everything above in one call, for the sidecar CLI;
//! - [`evaluate`]: walk-forward evaluation against baselines and the market;
//! - [`synthetic`]: a seeded league generator for tests.

pub mod bookmaker;
pub mod calibration;
pub mod card;
pub mod cv;
pub mod error;
pub mod evaluate;
pub mod features;
pub mod linalg;
pub mod linear;
pub mod metrics;
pub mod models;
pub mod onnx;
pub mod pipeline;
pub mod selection;
pub mod split;
pub mod synthetic;
pub mod tune;

pub use error::{MlError, Result};

/// Class labels in class-index order (the architecture's convention).
pub const CLASS_LABELS: [&str; 3] = ["home_win", "draw", "away_win"];
