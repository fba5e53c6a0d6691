//! The `predict` endpoint group: online inference on the model an alias
//! names, with the prediction cache and async tasks.
//!
//! | route | |
//! |---|---|
//! | `POST /predict/` | features in the body |
//! | `GET /predict/{match_id}` | features from the live data version |
//! | `GET /predict/model/info` | the model's card and registry facts |
//! | `POST /predict/async/` | a task, run before the 202 (see [`crate::tasks`]) |
//! | `GET /monitoring/task_status/{task_id}` | a task's final state |
//!
//! `?stage=champion|challenger` (default champion) picks the alias. Every
//! request reads that alias's pointer, so an alias move is seen by the next
//! request; the model itself is loaded only when this instance has not
//! loaded that version yet ([`ModelCache`]).

use crate::api::{AsyncAccepted, ModelInfo, PredictResponse, Prediction, Probabilities, TaskState};
use crate::cache;
use crate::card::ServingCard;
use crate::features::{self, InlineRequest};
use crate::model::{LoadedModel, ModelCache};
use crate::registry::{self, Alias, AliasPointer, keys};
use crate::tasks;
use crate::timing::{TimedKv, Timing};
use chrono::DateTime;
use matchday_core::error::ApiError;
use matchday_core::feature_record::FeatureRecord;
use matchday_core::kv::{KvRead, KvWrite};
use matchday_core::layout;
use matchday_core::lookup::live_pointer;
use matchday_core::query::Query;
use matchday_core::response::{DATA_VERSION_HEADER, HttpResponse};
use matchday_core::window;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::cell::Cell;
use std::rc::Rc;
use std::time::Instant;

/// Largest request body: a feature map of a few dozen numbers is ~2 KB.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
pub const DEFAULT_CACHE_TTL_SECONDS: u64 = 3600;
pub const DEFAULT_TASK_TTL_SECONDS: u64 = 86_400;

/// A request, as the component hands it over.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub body: &'a [u8],
}

/// Deployment settings (Spin variables).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// 0 turns the prediction cache off (no reads, no writes).
    pub cache_ttl_seconds: u64,
    pub task_ttl_seconds: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            cache_ttl_seconds: DEFAULT_CACHE_TTL_SECONDS,
            task_ttl_seconds: DEFAULT_TASK_TTL_SECONDS,
        }
    }
}

impl Settings {
    /// Parses the variables' text; an error names the bad variable.
    pub fn parse(cache_ttl: &str, task_ttl: &str) -> Result<Settings, String> {
        let seconds = |name: &str, raw: &str, min: u64| {
            raw.trim()
                .parse::<u64>()
                .ok()
                .filter(|v| *v >= min && *v <= 10 * 365 * 86_400)
                .ok_or_else(|| {
                    format!("variable {name} must be a number of seconds ≥ {min}, got `{raw}`")
                })
        };
        Ok(Settings {
            cache_ttl_seconds: seconds("prediction_cache_ttl_seconds", cache_ttl, 0)?,
            task_ttl_seconds: seconds("task_ttl_seconds", task_ttl, 1)?,
        })
    }
}

/// The request's time, read once.
#[derive(Debug, Clone)]
pub struct Now {
    pub unix: i64,
    pub rfc3339: String,
}

impl Now {
    pub fn from(time: chrono::DateTime<chrono::Utc>) -> Now {
        Now {
            unix: time.timestamp(),
            rfc3339: time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Route<'a> {
    Inline,
    ById(&'a str),
    ModelInfo,
    Submit,
    TaskStatus(&'a str),
}

fn route(path: &str) -> Option<Route<'_>> {
    let path = matchday_core::route::trimmed(path);
    match path {
        "/predict" => Some(Route::Inline),
        "/predict/model/info" => Some(Route::ModelInfo),
        "/predict/async" => Some(Route::Submit),
        _ => {
            if let Some(id) = path.strip_prefix("/monitoring/task_status/") {
                return (!id.contains('/')).then_some(Route::TaskStatus(id));
            }
            path.strip_prefix("/predict/")
                .filter(|id| !id.is_empty() && !id.contains('/'))
                .map(Route::ById)
        }
    }
}

/// Everything a request needs, borrowed for its duration.
struct Ctx<'a, K> {
    kv: &'a TimedKv<'a, K>,
    models: &'a ModelCache,
    settings: &'a Settings,
    now: &'a Now,
    timing: &'a Timing,
    served: &'a Cell<Served>,
}

/// What a request served, for the component's metrics (predictions by
/// source, cache hits and misses).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Served {
    /// `sync` (`GET /predict/{id}`, `POST /predict/`) or `async` (a task
    /// that succeeded) when a prediction was answered.
    pub prediction: Option<&'static str>,
    /// Whether the prediction cache held the answer, when it was consulted.
    pub prediction_cache_hit: Option<bool>,
    /// Whether this instance had the model loaded, when one was needed.
    pub model_cache_hit: Option<bool>,
}

impl<K> Ctx<'_, K> {
    fn note(&self, update: impl FnOnce(&mut Served)) {
        let mut served = self.served.get();
        update(&mut served);
        self.served.set(served);
    }
}

/// A response and what it served.
#[derive(Debug)]
pub struct Handled {
    pub response: HttpResponse,
    pub served: Served,
}

/// Serves one request of the group. Never panics on input; every error is
/// core's JSON error shape; the `server-timing` header splits the time.
pub async fn handle(
    request: &Request<'_>,
    kv: &impl KvWrite,
    models: &ModelCache,
    settings: &Settings,
    now: &Now,
) -> Handled {
    let timing = Timing::default();
    let served = Cell::new(Served::default());
    let kv = TimedKv {
        inner: kv,
        timing: &timing,
    };
    let ctx = Ctx {
        kv: &kv,
        models,
        settings,
        now,
        timing: &timing,
        served: &served,
    };
    let response = serve(request, &ctx)
        .await
        .unwrap_or_else(HttpResponse::from)
        .with_header("server-timing", timing.header());
    Handled {
        response,
        served: Served {
            model_cache_hit: timing.model_cache_hit(),
            ..served.get()
        },
    }
}

async fn serve<K: KvWrite>(
    request: &Request<'_>,
    ctx: &Ctx<'_, K>,
) -> Result<HttpResponse, ApiError> {
    let route = route(request.path).ok_or_else(|| ApiError::not_found("no such endpoint"))?;
    let allowed = match route {
        Route::Inline | Route::Submit => "POST",
        _ => "GET",
    };
    if request.method != allowed && !(allowed == "GET" && request.method == "HEAD") {
        return Err(ApiError::method_not_allowed(allowed));
    }
    let query = Query::parse(request.query)?;
    match route {
        Route::TaskStatus(id) => task_status(ctx, id).await,
        Route::Inline => {
            let stage = stage(&query)?;
            let parsed = features::parse_inline(request.body)?;
            let response = inline(ctx, stage, &parsed).await?;
            ctx.note(|s| s.prediction = Some("sync"));
            Ok(json(&response))
        }
        Route::ById(raw) => {
            let stage = stage(&query)?;
            let id = raw.parse::<i64>().map_err(|_| {
                ApiError::invalid_parameter("match_id", "match_id must be an integer")
            })?;
            let (response, data_version) = by_id(ctx, stage, id, true).await?;
            ctx.note(|s| s.prediction = Some("sync"));
            Ok(json(&response).with_header(DATA_VERSION_HEADER, data_version))
        }
        Route::ModelInfo => Ok(json(&model_info(ctx, stage(&query)?).await?)),
        Route::Submit => submit(ctx, stage(&query)?, request.body).await,
    }
}

/// `?stage=champion|challenger`, champion by default.
fn stage(query: &Query) -> Result<Alias, ApiError> {
    Ok(query
        .one_of("stage", &Alias::SERVED)?
        .and_then(Alias::parse)
        .unwrap_or(Alias::Champion))
}

fn json<T: Serialize>(value: &T) -> HttpResponse {
    HttpResponse::json(serde_json::to_vec(value).unwrap_or_default())
}

fn store_unavailable(err: impl std::fmt::Display) -> ApiError {
    eprintln!("predict: {err}");
    ApiError::unavailable("the data store is unavailable; retry shortly")
}

fn no_model(stage: Alias) -> ApiError {
    let mut err = ApiError::unavailable(format!("no model is promoted to {stage} yet"));
    err.code = "no_model";
    err
}

fn inference_failed() -> ApiError {
    ApiError {
        status: 500,
        code: "inference_failed",
        message: "the model could not produce valid probabilities for these features".into(),
        fields: Vec::new(),
        retry_after: None,
        challenge: None,
    }
}

/// The pointer of the alias a request asked for (one read, every request).
async fn alias_pointer<K: KvRead>(
    ctx: &Ctx<'_, K>,
    stage: Alias,
) -> Result<AliasPointer, ApiError> {
    registry::read_alias(ctx.kv, stage)
        .await
        .map_err(store_unavailable)?
        .ok_or_else(|| no_model(stage))
}

/// The loaded model of `version`: this instance's copy, or loaded from the
/// registry's files now.
async fn model<K: KvRead>(ctx: &Ctx<'_, K>, version: u64) -> Result<Rc<LoadedModel>, ApiError> {
    if let Some(model) = ctx.models.get(version) {
        ctx.timing.model_cache(true);
        return Ok(model);
    }
    ctx.timing.model_cache(false);
    let onnx = ctx
        .kv
        .get(&keys::onnx_key(version))
        .await
        .map_err(store_unavailable)?;
    let card = ctx
        .kv
        .get(&keys::card_key(version))
        .await
        .map_err(store_unavailable)?;
    let (Some(onnx), Some(card)) = (onnx, card) else {
        eprintln!("predict: the files of model version {version} are missing");
        return Err(ApiError::unavailable(
            "the model is unavailable; retry shortly",
        ));
    };
    let loaded = LoadedModel::load(version, &onnx, &card).map_err(|e| {
        eprintln!("predict: {e}");
        ApiError::unavailable("the model is unavailable; retry shortly")
    })?;
    ctx.timing.add_load(loaded.load_time);
    Ok(ctx.models.insert(loaded))
}

fn infer<K>(
    ctx: &Ctx<'_, K>,
    model: &LoadedModel,
    row: Vec<f32>,
) -> Result<Probabilities, ApiError> {
    let started = Instant::now();
    let p = model.predict(row).map_err(|e| {
        eprintln!("predict: model version {}: {e}", model.version);
        inference_failed()
    })?;
    ctx.timing.add_infer(started.elapsed());
    Ok(Probabilities::from_array(p))
}

/// What a prediction is of: a published match, or inline features.
struct Subject {
    match_id: Option<i64>,
    /// Null for inline features.
    features_computed_at: Option<String>,
    /// Null for inline features and when the facts cannot tell.
    out_of_sample: Option<bool>,
}

impl Subject {
    fn inline(match_id: Option<i64>) -> Subject {
        Subject {
            match_id,
            features_computed_at: None,
            out_of_sample: None,
        }
    }
}

fn response(
    subject: Subject,
    cached: bool,
    probabilities: Probabilities,
    model_version: u64,
    stage: Alias,
    run_id: &str,
) -> PredictResponse {
    PredictResponse {
        match_id: subject.match_id,
        cached,
        features_computed_at: subject.features_computed_at,
        out_of_sample: subject.out_of_sample,
        prediction: Prediction {
            predicted_class: probabilities.predicted_class().to_string(),
            probabilities,
            model_version: model_version.to_string(),
            model_stage: stage.to_string(),
            model_run_id: run_id.to_string(),
        },
    }
}

/// A cache hit, if the cache is on and holds a fresh entry for `key` that
/// answered the same input row (`row_hash`; `None` for `GET /predict/{id}`).
async fn cached<K: KvRead>(
    ctx: &Ctx<'_, K>,
    key: &str,
    row_hash: Option<u64>,
) -> Result<Option<cache::Entry>, ApiError> {
    if ctx.settings.cache_ttl_seconds == 0 {
        return Ok(None);
    }
    let raw = ctx.kv.get(key).await.map_err(store_unavailable)?;
    let hit = raw
        .and_then(|raw| cache::Entry::fresh(&raw, ctx.now.unix))
        .filter(|entry| entry.row_hash == row_hash);
    ctx.note(|s| s.prediction_cache_hit = Some(hit.is_some()));
    Ok(hit)
}

/// Writes a cache entry after a miss; a failure costs only a later miss.
async fn remember<K: KvWrite>(
    ctx: &Ctx<'_, K>,
    key: &str,
    response: &PredictResponse,
    row_hash: Option<u64>,
) {
    if ctx.settings.cache_ttl_seconds == 0 {
        return;
    }
    let entry = cache::Entry {
        schema: cache::SCHEMA,
        expires_at: ctx
            .now
            .unix
            .saturating_add(ctx.settings.cache_ttl_seconds as i64),
        probabilities: response.prediction.probabilities,
        model_run_id: response.prediction.model_run_id.clone(),
        features_computed_at: response.features_computed_at.clone(),
        out_of_sample: response.out_of_sample,
        row_hash,
    };
    if let Err(e) = ctx.kv.set(key, &entry.to_json()).await {
        eprintln!("predict: prediction cache write failed: {e}");
    }
}

/// `GET /predict/{id}` (and async tasks): features from the live data
/// version. Returns the response and the data version it was built from.
async fn by_id<K: KvWrite>(
    ctx: &Ctx<'_, K>,
    stage: Alias,
    id: i64,
    write_cache: bool,
) -> Result<(PredictResponse, String), ApiError> {
    let alias = alias_pointer(ctx, stage).await?;
    let no_features = || ApiError::not_found(format!("no published features for match {id}"));
    let pointer = live_pointer(ctx.kv).await?.ok_or_else(no_features)?;
    let computed_at = Some(pointer.predictions_computed_at.clone());

    let cache_key = cache::match_key(alias.version, &pointer.version, id);
    if let Some(hit) = cached(ctx, &cache_key, None).await? {
        let subject = Subject {
            match_id: Some(id),
            features_computed_at: hit.features_computed_at,
            out_of_sample: hit.out_of_sample,
        };
        let response = response(
            subject,
            true,
            hit.probabilities,
            alias.version,
            stage,
            &hit.model_run_id,
        );
        return Ok((response, pointer.version));
    }

    let bucket_key =
        layout::feature_bucket_key(&pointer.version, layout::bucket_of(id, pointer.buckets));
    let bucket = ctx
        .kv
        .get(&bucket_key)
        .await
        .map_err(store_unavailable)?
        .ok_or_else(no_features)?;
    let bucket = matchday_core::codec::RecordBucket::decode(&bucket)
        .map_err(|e| store_unavailable(format!("{bucket_key}: {e}")))?;
    let record = bucket.find(id).ok_or_else(no_features)?;
    let record = FeatureRecord::decode(record)
        .map_err(|e| store_unavailable(format!("{bucket_key}: {e}")))?;

    let model = model(ctx, alias.version).await?;
    let row = features::align_values(&record.values, &model);
    let probabilities = infer(ctx, &model, row)?;
    // Whether this model learned the match's result: the record's answer
    // is that of the version's run, so it speaks for that run's model only;
    // any other falls back to its card's window.
    let out_of_sample = record.facts.and_then(|facts| {
        let own_run = pointer.model_run_id == model.card.run_id;
        let learned = facts.learned.filter(|_| own_run);
        let now = DateTime::from_timestamp(ctx.now.unix, 0)?;
        window::out_of_sample(model.fit_window, facts.kickoff, learned, now)
    });
    let subject = Subject {
        match_id: Some(id),
        features_computed_at: computed_at,
        out_of_sample,
    };
    let response = response(
        subject,
        false,
        probabilities,
        alias.version,
        stage,
        &model.card.run_id,
    );
    if write_cache {
        remember(ctx, &cache_key, &response, None).await;
    }
    Ok((response, pointer.version))
}

/// `POST /predict/`: features from the body.
async fn inline<K: KvWrite>(
    ctx: &Ctx<'_, K>,
    stage: Alias,
    request: &InlineRequest,
) -> Result<PredictResponse, ApiError> {
    // Values refused without looking at the model are the client's to fix,
    // whether or not a model is available.
    let model = match alias_pointer(ctx, stage).await {
        Ok(alias) => model(ctx, alias.version).await,
        Err(e) => Err(e),
    };
    let model = match model {
        Ok(model) => model,
        Err(_) if !request.problems.is_empty() => {
            return Err(features::refusal(&request.problems, None));
        }
        Err(e) => return Err(e),
    };
    let row = features::align_inline(request, &model)?;
    let row_hash = features::row_hash(&row);
    let cache_key = request
        .match_id
        .map(|id| cache::inline_key(model.version, id));
    if let Some(key) = &cache_key
        && let Some(hit) = cached(ctx, key, Some(row_hash)).await?
    {
        return Ok(response(
            Subject::inline(request.match_id),
            true,
            hit.probabilities,
            model.version,
            stage,
            &hit.model_run_id,
        ));
    }
    // The row is the client's, checked finite value by value; a model that
    // still cannot score it (values so far out of range that its arithmetic
    // overflows) leaves the client something to fix, not a server fault.
    let probabilities = infer(ctx, &model, row).map_err(|_| {
        ApiError::invalid_parameter(
            "features",
            "the model cannot score these values: they are too far out of the range it was trained on",
        )
    })?;
    let response = response(
        Subject::inline(request.match_id),
        false,
        probabilities,
        model.version,
        stage,
        &model.card.run_id,
    );
    if let Some(key) = &cache_key {
        remember(ctx, key, &response, Some(row_hash)).await;
    }
    Ok(response)
}

/// `GET /predict/model/info`: no model load needed.
async fn model_info<K: KvRead>(ctx: &Ctx<'_, K>, stage: Alias) -> Result<ModelInfo, ApiError> {
    let alias = alias_pointer(ctx, stage).await?;
    let card = match ctx.models.get(alias.version) {
        Some(model) => model.card.clone(),
        None => {
            let raw = ctx
                .kv
                .get(&keys::card_key(alias.version))
                .await
                .map_err(store_unavailable)?
                .ok_or_else(|| {
                    store_unavailable(format!("card of version {} missing", alias.version))
                })?;
            ServingCard::parse(&raw).map_err(store_unavailable)?
        }
    };
    let entry = registry::read_entry(ctx.kv, alias.version)
        .await
        .map_err(store_unavailable)?;
    Ok(ModelInfo {
        model_name: card.name.clone(),
        version: alias.version.to_string(),
        stage: stage.to_string(),
        run_id: card.run_id.clone(),
        card_version: card.version.clone(),
        model_type: card.model_type.clone(),
        metrics: card.test_metrics.clone().unwrap_or_default(),
        params: card.flat_params(),
        feature_names: card.feature_names(),
        features: card.features.clone(),
        missing_values: card.missing_values.clone(),
        data_window: card.data_window.clone(),
        created_at: card.created_at.clone(),
        registered_at: entry.map(|e| e.registered_at),
        alias_set_at: alias.set_at,
    })
}

#[derive(Deserialize)]
struct SubmitBody<'a> {
    #[serde(borrow, default)]
    match_id: Option<&'a RawValue>,
}

/// `POST /predict/async/`: runs the task now, stores its final state once,
/// answers 202 with where to read it.
async fn submit<K: KvWrite>(
    ctx: &Ctx<'_, K>,
    stage: Alias,
    body: &[u8],
) -> Result<HttpResponse, ApiError> {
    let parsed: SubmitBody = serde_json::from_slice(body).map_err(|e| {
        if e.is_data() {
            ApiError::invalid_parameter("body", "the body must be a JSON object")
        } else {
            ApiError::bad_request("the body is not valid JSON")
        }
    })?;
    let id = features::parse_match_id(parsed.match_id)?.ok_or_else(|| {
        ApiError::invalid_parameter("match_id", "match_id is required (an integer)")
    })?;
    let (status, result, error) = match by_id(ctx, stage, id, false).await {
        Ok((response, _)) => {
            ctx.note(|s| s.prediction = Some("async"));
            (TaskState::Success, Some(response), None)
        }
        // The task itself failed (not the request): that is its outcome.
        Err(e) if e.status == 500 => (
            TaskState::Failure,
            None,
            Some(crate::api::TaskError {
                code: e.code.to_string(),
                message: e.message,
            }),
        ),
        Err(e) => return Err(e),
    };
    let task_id =
        tasks::new_task_id().map_err(|e| store_unavailable(format!("no randomness: {e}")))?;
    let record = tasks::Record {
        task_id: task_id.clone(),
        status,
        created_at: ctx.now.rfc3339.clone(),
        expires_at: ctx
            .now
            .unix
            .saturating_add(ctx.settings.task_ttl_seconds as i64),
        result,
        error,
    };
    ctx.kv
        .set(
            &tasks::key(&task_id),
            &serde_json::to_vec(&record).unwrap_or_default(),
        )
        .await
        .map_err(store_unavailable)?;
    let status_url = format!("/monitoring/task_status/{task_id}");
    Ok(json(&AsyncAccepted {
        task_id,
        status: "submitted".into(),
        status_url: status_url.clone(),
    })
    .with_status(202)
    .with_header("location", status_url))
}

/// `GET /monitoring/task_status/{id}`.
async fn task_status<K: KvWrite>(ctx: &Ctx<'_, K>, id: &str) -> Result<HttpResponse, ApiError> {
    let unknown = || ApiError::not_found(format!("no task {id}"));
    if !tasks::is_task_id(id) {
        return Err(ApiError::not_found("no such task"));
    }
    let key = tasks::key(id);
    let raw = ctx
        .kv
        .get(&key)
        .await
        .map_err(store_unavailable)?
        .ok_or_else(unknown)?;
    let record: tasks::Record =
        serde_json::from_slice(&raw).map_err(|e| store_unavailable(format!("{key}: {e}")))?;
    if ctx.now.unix >= record.expires_at {
        if let Err(e) = ctx.kv.delete(&key).await {
            eprintln!("predict: could not delete expired {key}: {e}");
        }
        return Err(unknown());
    }
    Ok(json(&record.status()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(route("/predict"), Some(Route::Inline));
        assert_eq!(route("/predict/"), Some(Route::Inline));
        assert_eq!(route("/predict/model/info"), Some(Route::ModelInfo));
        assert_eq!(route("/predict/model/info/"), Some(Route::ModelInfo));
        assert_eq!(route("/predict/async/"), Some(Route::Submit));
        assert_eq!(route("/predict/123"), Some(Route::ById("123")));
        assert_eq!(route("/predict/123/"), Some(Route::ById("123")));
        assert_eq!(route("/predict/123/x"), None);
        assert_eq!(route("/predict/model/other"), None);
        assert_eq!(
            route("/monitoring/task_status/abc"),
            Some(Route::TaskStatus("abc"))
        );
        assert_eq!(route("/monitoring/task_status/a/b"), None);
        assert_eq!(route("/monitoring/other"), None);
    }

    #[test]
    fn settings_parse() {
        assert_eq!(
            Settings::parse("0", "60"),
            Ok(Settings {
                cache_ttl_seconds: 0,
                task_ttl_seconds: 60
            })
        );
        assert!(
            Settings::parse("x", "60")
                .unwrap_err()
                .contains("prediction_cache_ttl_seconds")
        );
        assert!(
            Settings::parse("1", "0")
                .unwrap_err()
                .contains("task_ttl_seconds")
        );
        assert!(Settings::parse("-1", "1").is_err());
    }
}
