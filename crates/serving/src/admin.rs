//! The model routes of the `admin` component (bearer token checked by the
//! component first, as for data publishes):
//!
//! | route | |
//! |---|---|
//! | `GET /admin/models` | aliases and every registered version |
//! | `POST /admin/models?alias=candidate&force=false` | publish an upload ([`crate::upload`]); `alias` is `candidate` (default), `challenger`, `champion` (through the gate) or `none` |
//! | `POST /admin/models/aliases/{alias}` | `{"version": n, "force": false}`: point an alias at a version |
//! | `POST /admin/models/aliases/{alias}/rollback` | the alias names its previous version again |

use crate::registry::{self, Alias, PromoteRequest, RegistryError};
use crate::upload::ModelUpload;
use matchday_core::error::ApiError;
use matchday_core::kv::KvWrite;
use matchday_core::query::Query;
use matchday_core::response::HttpResponse;
use serde::Deserialize;

/// Default largest holdout log-loss increase a promotion to champion may
/// bring (variable `promotion_logloss_tolerance`).
pub const DEFAULT_TOLERANCE: f64 = 0.01;

#[derive(Debug, Clone, PartialEq)]
pub enum ModelAction {
    List,
    Publish { alias: Option<Alias>, force: bool },
    Promote(Alias),
    Rollback(Alias),
}

impl ModelAction {
    pub fn needs_body(&self) -> bool {
        matches!(self, ModelAction::Publish { .. } | ModelAction::Promote(_))
    }

    /// Whether the promotion gate may run (and needs its tolerance).
    pub fn may_promote(&self) -> bool {
        matches!(self, ModelAction::Publish { .. } | ModelAction::Promote(_))
    }
}

/// True for the paths this module serves.
pub fn is_model_path(path: &str) -> bool {
    path == "/admin/models" || path.starts_with("/admin/models/")
}

fn alias_param(raw: &str) -> Result<Alias, ApiError> {
    Alias::parse(raw).ok_or_else(|| {
        ApiError::invalid_parameter("alias", "alias must be champion, challenger or candidate")
    })
}

pub fn route(method: &str, path: &str, query: Option<&str>) -> Result<ModelAction, ApiError> {
    let path = matchday_core::route::trimmed(path);
    let (action, allowed) = if path == "/admin/models" {
        if method == "GET" {
            (ModelAction::List, "GET")
        } else {
            let query = Query::parse(query)?;
            let alias = match query
                .one_of("alias", &["candidate", "challenger", "champion", "none"])?
                .unwrap_or("candidate")
            {
                "none" => None,
                other => Alias::parse(other),
            };
            let force = query.bool("force")?.unwrap_or(false);
            (ModelAction::Publish { alias, force }, "POST")
        }
    } else if let Some(rest) = path.strip_prefix("/admin/models/aliases/") {
        match rest.split_once('/') {
            None => (ModelAction::Promote(alias_param(rest)?), "POST"),
            Some((alias, "rollback")) => (ModelAction::Rollback(alias_param(alias)?), "POST"),
            Some(_) => return Err(ApiError::not_found("no such endpoint")),
        }
    } else {
        return Err(ApiError::not_found("no such endpoint"));
    };
    if method == allowed {
        Ok(action)
    } else {
        Err(ApiError::method_not_allowed(allowed))
    }
}

/// Parses the tolerance variable: a finite, non-negative log-loss increase.
pub fn parse_tolerance(raw: &str) -> Result<f64, String> {
    raw.trim()
        .parse::<f64>()
        .ok()
        .filter(|t| t.is_finite() && *t >= 0.0)
        .ok_or_else(|| {
            format!("variable promotion_logloss_tolerance must be a number ≥ 0, got `{raw}`")
        })
}

fn registry_error(err: RegistryError) -> ApiError {
    let with = |status: u16, code: &'static str, message: String| {
        let mut api = ApiError::bad_request(message);
        api.status = status;
        api.code = code;
        api
    };
    match err {
        RegistryError::Invalid(message) => with(422, "invalid_model", message),
        RegistryError::NotFound(message) => ApiError::not_found(message),
        RegistryError::Conflict(message) => with(409, "conflict", message),
        RegistryError::Refused(gate) => with(
            409,
            "promotion_refused",
            format!("{}; pass force to override (it is logged)", gate.message),
        ),
        RegistryError::Store(e) => {
            eprintln!("admin: {e}");
            ApiError::unavailable("the data store failed; the registry is unchanged or consistent")
        }
    }
}

fn json(value: &impl serde::Serialize) -> HttpResponse {
    HttpResponse::json(serde_json::to_vec(value).unwrap_or_default())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PromoteBody {
    version: u64,
    #[serde(default)]
    force: bool,
}

pub async fn execute(
    action: ModelAction,
    body: &[u8],
    kv: &impl KvWrite,
    tolerance: f64,
    now: &str,
) -> HttpResponse {
    let result = match action {
        ModelAction::List => registry::registry_list(kv)
            .await
            .map(|list| json(&list))
            .map_err(RegistryError::Store),
        ModelAction::Publish { alias, force } => match ModelUpload::unpack(body) {
            Ok(upload) => registry::publish(kv, &upload, alias, force, tolerance, now)
                .await
                .map(|outcome| {
                    let status = if outcome.already_registered { 200 } else { 201 };
                    json(&outcome).with_status(status)
                }),
            Err(message) => Err(RegistryError::Invalid(message)),
        },
        ModelAction::Promote(alias) => match serde_json::from_slice::<PromoteBody>(body) {
            Ok(b) => {
                let request = PromoteRequest {
                    alias,
                    version: b.version,
                    force: b.force,
                };
                registry::promote(kv, &request, tolerance, now)
                    .await
                    .map(|moved| json(&moved))
            }
            Err(e) => Err(RegistryError::Invalid(format!(
                "the body must be {{\"version\": <n>, \"force\": false}}: {e}"
            ))),
        },
        ModelAction::Rollback(alias) => registry::rollback(kv, alias, now)
            .await
            .map(|moved| json(&moved)),
    };
    result.unwrap_or_else(|err| registry_error(err).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_methods_and_parameters() {
        assert_eq!(route("GET", "/admin/models", None), Ok(ModelAction::List));
        assert_eq!(
            route("POST", "/admin/models/", None),
            Ok(ModelAction::Publish {
                alias: Some(Alias::Candidate),
                force: false
            })
        );
        assert_eq!(
            route("POST", "/admin/models", Some("alias=none")),
            Ok(ModelAction::Publish {
                alias: None,
                force: false
            })
        );
        assert_eq!(
            route("POST", "/admin/models", Some("alias=champion&force=true")),
            Ok(ModelAction::Publish {
                alias: Some(Alias::Champion),
                force: true
            })
        );
        assert_eq!(
            route("POST", "/admin/models", Some("alias=boss"))
                .unwrap_err()
                .status,
            422
        );
        assert_eq!(
            route("POST", "/admin/models/aliases/champion", None),
            Ok(ModelAction::Promote(Alias::Champion))
        );
        assert_eq!(
            route("POST", "/admin/models/aliases/challenger/rollback", None),
            Ok(ModelAction::Rollback(Alias::Challenger))
        );
        assert_eq!(
            route("GET", "/admin/models/aliases/champion", None)
                .unwrap_err()
                .status,
            405
        );
        assert_eq!(
            route("POST", "/admin/models/aliases/x", None)
                .unwrap_err()
                .status,
            422
        );
        assert_eq!(
            route("POST", "/admin/models/aliases/champion/x", None)
                .unwrap_err()
                .status,
            404
        );
        assert!(is_model_path("/admin/models/aliases/champion"));
        assert!(!is_model_path("/admin/modelsx"));
    }

    #[test]
    fn tolerance_parsing() {
        assert_eq!(parse_tolerance(" 0.02 "), Ok(0.02));
        assert!(parse_tolerance("-1").is_err());
        assert!(parse_tolerance("NaN").is_err());
    }
}
