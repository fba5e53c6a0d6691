//! Who may call what, and under which name a request is counted.
//!
//! Every path falls in one [`Access`] class, decided here and nowhere else:
//!
//! | paths | class |
//! |---|---|
//! | `/`, `/healthcheck/`, `/metrics` (exactly) | [`Access::Open`]: probes and scrapers need them without credentials |
//! | `/admin` and below | [`Access::AdminBearer`]: `Authorization: Bearer <admin_token>` |
//! | everything else (`/predict/*`, `/livescores/*`, `/monitoring/*`, and any route added later) | [`Access::ApiKey`]: `X-API-Key` |
//!
//! The default is the API key: a component added later is closed until this
//! table says otherwise, never open by omission.
//!
//! [`route_rule`] maps a path to its route template (`/predict/precomputed/{match_id}`)
//! for metrics labels and logs, so neither ever carries a raw id, and to the
//! rate-limit cost of the route.

/// The access classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// No credentials; rate-limited per client address.
    Open,
    /// A key from `api_keys` in `X-API-Key`; rate-limited per key.
    ApiKey,
    /// A token from `admin_token` as a bearer token; not rate-limited
    /// (operators only, and a publish is one request a day).
    AdminBearer,
}

impl Access {
    pub fn label(self) -> &'static str {
        match self {
            Access::Open => "open",
            Access::ApiKey => "api_key",
            Access::AdminBearer => "admin",
        }
    }
}

/// Paths anyone may call, compared without their trailing slash.
pub const OPEN_PATHS: &[&str] = &["/", "/healthcheck", "/metrics"];

/// The access class of a request path (as the component received it).
pub fn access(path: &str) -> Access {
    let path = trim_slash(path);
    if OPEN_PATHS.contains(&path) {
        Access::Open
    } else if path == "/admin" || path.starts_with("/admin/") {
        Access::AdminBearer
    } else {
        Access::ApiKey
    }
}

fn trim_slash(path: &str) -> &str {
    if path.len() > 1 {
        path.strip_suffix('/').unwrap_or(path)
    } else {
        path
    }
}

/// A route of the app: its template and what one request costs against the
/// caller's rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteRule {
    /// The path with `{name}` for variable segments, as the seed's API
    /// documents it. This, never the raw path, is what metrics and logs see.
    pub template: &'static str,
    /// Requests' worth of rate limit one call uses (1 for a lookup; more for
    /// endpoints that run a model).
    pub cost: u32,
}

const fn rule(template: &'static str, cost: u32) -> RouteRule {
    RouteRule { template, cost }
}

/// The label of a path that matches no template (a 404 in the making).
pub const UNMATCHED: RouteRule = rule("unmatched", 1);

/// Every route of the app, those served today and those the seed's API
/// promises. A component adding a route adds its template here (the
/// `spin_routes_are_covered` test checks spin.toml against this table).
pub const ROUTES: &[RouteRule] = &[
    // open
    rule("/", 1),
    rule("/healthcheck/", 1),
    rule("/metrics", 1),
    // lookup
    rule("/predict/matches/", 1),
    rule("/predict/precomputed/{match_id}", 1),
    rule("/predict/predictions/", 1),
    rule("/livescores/", 1),
    // predict: model inference costs more than a lookup
    rule("/predict/", 5),
    rule("/predict/async/", 5),
    rule("/predict/{match_id}", 5),
    rule("/predict/model/info", 1),
    // markets
    rule("/predict/odds/", 1),
    rule("/predict/cards/", 1),
    rule("/predict/cards/{match_id}", 1),
    rule("/predict/region-roi/", 1),
    // monitoring
    rule("/monitoring/", 1),
    rule("/monitoring/task_status/{task_id}", 1),
    rule("/monitoring/drift", 1),
    rule("/monitoring/quality", 1),
    rule("/monitoring/components", 1),
    rule("/monitoring/celery/queues", 1),
    rule("/monitoring/celery/workers", 1),
    rule("/monitoring/reports/", 1),
    rule("/monitoring/reports/{filename}", 1),
    // admin
    rule("/admin/publish", 1),
    rule("/admin/rollback", 1),
    rule("/admin/versions", 1),
    rule("/admin/models", 1),
    rule("/admin/models/aliases/{alias}", 1),
    rule("/admin/models/aliases/{alias}/rollback", 1),
    rule("/admin/monitoring/reports", 1),
];

fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

/// Literal segments of `template` if `path` matches it, else `None`.
fn literal_match(template: &str, path: &str) -> Option<usize> {
    let mut literals = 0;
    let mut wanted = segments(template);
    let mut given = segments(path);
    loop {
        match (wanted.next(), given.next()) {
            (None, None) => return Some(literals),
            (Some(w), Some(_)) if w.starts_with('{') && w.ends_with('}') => {}
            (Some(w), Some(g)) if w == g => literals += 1,
            _ => return None,
        }
    }
}

/// The route a path belongs to: the matching template with the most literal
/// segments (so `/predict/matches/` beats `/predict/{match_id}`), or
/// [`UNMATCHED`]. Trailing slashes do not matter, as in Spin's routing.
pub fn route_rule(path: &str) -> RouteRule {
    ROUTES
        .iter()
        .filter_map(|r| literal_match(r.template, path).map(|n| (n, r)))
        .max_by_key(|(n, _)| *n)
        .map(|(_, r)| *r)
        .unwrap_or(UNMATCHED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_probe_paths_are_open() {
        for path in [
            "/",
            "/healthcheck",
            "/healthcheck/",
            "/metrics",
            "/metrics/",
        ] {
            assert_eq!(access(path), Access::Open, "{path}");
        }
        for path in [
            "/predict/matches/",
            "/predict/precomputed/1",
            "/livescores/",
            "/monitoring/task_status/abc",
            "/monitoring/",
            "/healthcheck/x",
            "/healthcheck//",
            "/metricsx",
            "/odds",
            "",
            "//predict/matches",
            "/Admin/publish",
        ] {
            assert_eq!(access(path), Access::ApiKey, "{path}");
        }
        for path in ["/admin", "/admin/", "/admin/publish", "/admin/x/y"] {
            assert_eq!(access(path), Access::AdminBearer, "{path}");
        }
    }

    #[test]
    fn templates_hide_ids_and_prefer_literals() {
        let t = |p| route_rule(p).template;
        assert_eq!(
            t("/predict/precomputed/8930151269554065"),
            "/predict/precomputed/{match_id}"
        );
        assert_eq!(
            t("/predict/precomputed/8930151269554065/"),
            "/predict/precomputed/{match_id}"
        );
        assert_eq!(t("/predict/matches/"), "/predict/matches/");
        assert_eq!(t("/predict/matches"), "/predict/matches/");
        assert_eq!(t("/predict/123"), "/predict/{match_id}");
        assert_eq!(t("/predict/"), "/predict/");
        assert_eq!(t("/"), "/");
        assert_eq!(
            t("/monitoring/task_status/9f1c"),
            "/monitoring/task_status/{task_id}"
        );
        assert_eq!(t("/predict/cards/123"), "/predict/cards/{match_id}");
        assert_eq!(t("/predict/cards/"), "/predict/cards/");
        assert_eq!(t("/predict/precomputed/1/extra"), "unmatched");
        assert_eq!(t("/secret-key-in-path"), "unmatched");
        assert_eq!(route_rule("/predict/42").cost, 5);
    }

    #[test]
    fn templates_are_well_formed_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for r in ROUTES {
            assert!(r.template.starts_with('/'), "{}", r.template);
            assert!(r.cost >= 1);
            assert!(seen.insert(r.template), "duplicate {}", r.template);
            // A template matches itself.
            assert_eq!(route_rule(r.template).template, r.template);
        }
    }
}
