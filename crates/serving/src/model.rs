//! A registry version loaded for serving, and the per-instance cache of them.
//!
//! Spin 4 reuses a wasi:http 0.3 instance for many requests, so a model
//! decoded once can serve the following requests of that instance. The cache
//! is keyed by registry version, and callers look the version up through the
//! alias on every request: moving an alias changes the key, so the next
//! request loads (or finds) the new version — hot reload without a restart.
//! On a fresh instance the cache is empty and every request loads; that path
//! must stay correct and cheap, never merely rare.

use crate::card::ServingCard;
use matchday_core::window::FitWindow;
use matchday_inference::{Classifier, InferenceError};
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;
use std::time::Duration;

pub struct LoadedModel {
    /// Registry version.
    pub version: u64,
    pub card: ServingCard,
    /// The span of kick-offs the model was trained on, when its card says
    /// (`data_window`): what lies outside it the model cannot have learned.
    /// Read once here, used by every `GET /predict/{id}` whose data carries
    /// no list of the model's run.
    pub fit_window: Option<FitWindow>,
    classifier: Classifier,
    fill: Vec<f32>,
    position: HashMap<String, usize>,
    /// Parse + optimise time of this load, for the timing report.
    pub load_time: Duration,
}

impl LoadedModel {
    /// Loads a registered version for single-row inference.
    pub fn load(version: u64, onnx: &[u8], card_json: &[u8]) -> Result<LoadedModel, String> {
        let started = std::time::Instant::now();
        let card = ServingCard::parse(card_json)?;
        let classifier = matchday_inference::load(onnx, &card.feature_names(), 1)
            .map_err(|e| format!("model version {version} does not load: {e}"))?;
        let position = card
            .features
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name.clone(), i))
            .collect();
        Ok(LoadedModel {
            version,
            fill: card.fill_values(),
            // Uploads with a malformed window are refused (`validate`);
            // one registered before that check serves unflagged.
            fit_window: FitWindow::from_card(&card.data_window).ok().flatten(),
            card,
            classifier,
            position,
            load_time: started.elapsed(),
        })
    }

    /// Input column of a feature name.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.position.get(name).copied()
    }

    /// A row of fill values (every feature missing), to be overwritten with
    /// the known ones.
    pub fn fill_row(&self) -> Vec<f32> {
        self.fill.clone()
    }

    /// Probabilities (home, draw, away) for one complete row, renormalised in
    /// f64 so they sum to 1 far within the API's 1e-6.
    pub fn predict(&self, row: Vec<f32>) -> Result<[f64; 3], InferenceError> {
        let p = self.classifier.predict(&[row])?[0];
        let sum: f64 = p.iter().map(|x| f64::from(*x)).sum();
        Ok(p.map(|x| f64::from(x) / sum))
    }
}

/// The last few versions an instance loaded (champion and challenger, plus
/// one being rolled in), most recently used first.
pub struct ModelCache {
    slots: RefCell<VecDeque<Rc<LoadedModel>>>,
    capacity: usize,
    loads: Cell<u64>,
}

pub const DEFAULT_CAPACITY: usize = 3;

impl Default for ModelCache {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

impl ModelCache {
    pub fn new(capacity: usize) -> Self {
        ModelCache {
            slots: RefCell::new(VecDeque::new()),
            capacity: capacity.max(1),
            loads: Cell::new(0),
        }
    }

    /// The loaded model of `version`, if this instance has it. The borrow
    /// ends here, so no `RefCell` borrow is ever held across an `await`
    /// (requests of one instance interleave at awaits).
    pub fn get(&self, version: u64) -> Option<Rc<LoadedModel>> {
        let mut slots = self.slots.borrow_mut();
        let i = slots.iter().position(|m| m.version == version)?;
        let model = slots.remove(i)?;
        slots.push_front(model.clone());
        Some(model)
    }

    /// Keeps `model`, evicting the least recently used beyond capacity. Two
    /// interleaved requests may both load the same version; the later insert
    /// replaces the earlier, and both were correct.
    pub fn insert(&self, model: LoadedModel) -> Rc<LoadedModel> {
        let model = Rc::new(model);
        let mut slots = self.slots.borrow_mut();
        slots.retain(|m| m.version != model.version);
        slots.push_front(model.clone());
        slots.truncate(self.capacity);
        self.loads.set(self.loads.get() + 1);
        model
    }

    /// How many models this cache has loaded (tests, timing reports).
    pub fn loads(&self) -> u64 {
        self.loads.get()
    }
}
