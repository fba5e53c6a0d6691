//! The crate's one error type: every fallible step of the pipeline says which
//! input or setting was wrong, so the CLI can report it without a backtrace.

use thiserror::Error;

#[derive(Debug, Error, PartialEq)]
pub enum MlError {
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    #[error("the training split is empty (no finished match before {0})")]
    EmptyTrainingSet(String),
    #[error("training data: {0}")]
    InvalidTrainingData(String),
    #[error("evaluation input: {0}")]
    InvalidEvaluation(String),
    #[error("Newton solver: {0}")]
    Solver(String),
    #[error("model has {model} features but {given} were given")]
    FeatureCount { model: usize, given: usize },
}

pub type Result<T, E = MlError> = std::result::Result<T, E>;
