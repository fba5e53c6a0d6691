//! The checks a model passes before the registry accepts it: its card's
//! training window, if it names one, reads; tract loads it, its input width
//! is the card's, and a dry run on one row (the card's fill values) gives
//! three finite probabilities summing to 1. The same code path
//! as serving (`matchday_inference::load` with batch 1), so a model that
//! passes here is one the `predict` component can run.

use crate::card::ServingCard;
use matchday_core::window::FitWindow;
use matchday_inference::InferenceError;

/// Tract's messages can be long; a publisher needs the gist.
const MAX_DETAIL: usize = 400;

fn short(text: String) -> String {
    if text.len() <= MAX_DETAIL {
        return text;
    }
    let mut end = MAX_DETAIL;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

pub fn check_model(onnx: &[u8], card: &ServingCard) -> Result<(), String> {
    // A training window serving could not read would silently leave every
    // `GET /predict/{id}` unflagged.
    FitWindow::from_card(&card.data_window)
        .map_err(|e| format!("the model card is invalid: {e}"))?;
    let classifier =
        matchday_inference::load(onnx, &card.feature_names(), 1).map_err(|e| match e {
            InferenceError::Inputs(detail) => {
                short(format!("the model does not match its card: {detail}"))
            }
            InferenceError::NoProbabilities => {
                "the model has no [N, 3] float output of class probabilities".to_string()
            }
            other => short(format!("the ONNX file could not be loaded: {other}")),
        })?;
    classifier
        .predict(&[card.fill_values()])
        .map_err(|e| short(format!("a dry run on the card's fill values failed: {e}")))?;
    Ok(())
}

/// A holdout fit passes the same checks against its served model's card,
/// which must say when the holdout's training data end; a file that names
/// its run (our exporter's `run_id` metadata) must name the card's, so a
/// stale holdout left beside another model is refused.
pub fn check_holdout_model(onnx: &[u8], card: &ServingCard) -> Result<(), String> {
    if card.holdout_trained_to().is_none() {
        return Err(
            "a holdout model needs its card's data_window.holdout_train_to (RFC 3339)".to_string(),
        );
    }
    check_model(onnx, card).map_err(|e| format!("holdout model: {e}"))?;
    let metadata = matchday_inference::metadata(onnx).unwrap_or_default();
    match metadata.get("run_id") {
        Some(run) if *run != card.run_id => Err(short(format!(
            "holdout model: it comes from run `{run}`, the card from run `{}`",
            card.run_id
        ))),
        _ => Ok(()),
    }
}
