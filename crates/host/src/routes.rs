//! HTTP route matching with Spin's semantics (pure; no I/O).
//!
//! Spin builds its router on the `routefinder` crate. What matters for
//! behaviour, and what this module reproduces:
//! - a route and a path are compared segment by segment after trimming
//!   leading and trailing slashes, so `/odds` also matches `/odds/`;
//! - `/prefix/...` is a trailing wildcard that matches `/prefix` itself,
//!   `/prefix/` and anything below; `/...` matches every path;
//! - `:name` matches exactly one non-empty segment and is reported in the
//!   `spin-path-match-<name>` header;
//! - when several routes match, the best one is chosen segment by segment:
//!   at the first segment where the candidates differ, a literal beats a
//!   `:param`, which beats the wildcard; a route that ends exactly where the
//!   path ends beats a wildcard at that point. So an exact route beats a
//!   wildcard and the longest literal prefix wins, regardless of the order
//!   of the routes in the manifest;
//! - two triggers with the same route: the later one wins (Spin logs the
//!   earlier as unreachable);
//! - `spin-path-info` is the part of the path the wildcard captured, with a
//!   leading slash, keeping a trailing slash (`/123` for
//!   `/predict/precomputed/123` under `/predict/precomputed/...`; empty for
//!   an exact match).

use std::collections::BTreeMap;

/// One route as written in the manifest, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The route exactly as written in the manifest (`/odds/...`).
    raw: String,
    segments: Vec<Segment>,
    wildcard: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
}

/// Why a route string is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteError(pub String);

impl std::fmt::Display for RouteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RouteError {}

impl Route {
    /// Parses a manifest route such as `/`, `/odds`, `/odds/...`,
    /// `/users/:id` or `/...`.
    pub fn parse(raw: &str) -> Result<Self, RouteError> {
        // Spin absolutizes a route without a leading slash and strips one
        // trailing slash before handing it to the router.
        let absolute = if raw.starts_with('/') {
            raw.to_string()
        } else {
            format!("/{raw}")
        };
        let (body, wildcard) = if let Some(prefix) = absolute.strip_suffix("/...") {
            (prefix.to_string(), true)
        } else if let Some(prefix) = absolute.strip_suffix("/*") {
            (prefix.to_string(), true)
        } else {
            (absolute.clone(), false)
        };
        let trimmed = body.trim_matches('/');
        let mut segments = Vec::new();
        if !trimmed.is_empty() {
            for part in trimmed.split('/') {
                if part.is_empty() {
                    return Err(RouteError(format!("route {raw:?} has an empty segment")));
                }
                if part == "..." || part.contains('*') {
                    return Err(RouteError(format!(
                        "route {raw:?}: a wildcard is only allowed as the last segment (`/...`)"
                    )));
                }
                if let Some(name) = part.strip_prefix(':') {
                    if name.is_empty() {
                        return Err(RouteError(format!("route {raw:?}: params must be named")));
                    }
                    segments.push(Segment::Param(name.to_string()));
                } else {
                    segments.push(Segment::Literal(part.to_string()));
                }
            }
        }
        Ok(Self {
            raw: raw.to_string(),
            segments,
            wildcard,
        })
    }

    /// The route as written in the manifest.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// True for a trailing-wildcard route (`/x/...`).
    pub fn is_wildcard(&self) -> bool {
        self.wildcard
    }

    /// The route without its trailing wildcard (`spin-component-route`).
    pub fn prefix(&self) -> &str {
        self.raw.strip_suffix("/...").unwrap_or(&self.raw)
    }

    /// Route as Spin prints it at startup: `/odds (wildcard)` or `/odds`.
    pub fn display(&self) -> String {
        if self.wildcard {
            format!("{} (wildcard)", self.prefix())
        } else if self.raw.is_empty() {
            "/".to_string()
        } else {
            self.raw.clone()
        }
    }
}

/// The outcome of routing one request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch<'r> {
    /// Component that handles the request.
    pub component_id: &'r str,
    /// The matched route as written in the manifest.
    pub route: &'r Route,
    /// `:name` captures, in route order.
    pub params: Vec<(String, String)>,
    /// `spin-path-info`.
    pub path_info: String,
}

impl RouteMatch<'_> {
    /// The headers Spin adds to the request, in the order Spin adds them
    /// (`spin-full-url` needs the request's scheme/host/query, so the
    /// caller passes it in).
    pub fn spin_headers(&self, full_url: &str, client_addr: &str) -> Vec<(String, String)> {
        let mut headers = vec![
            ("spin-path-info".to_string(), self.path_info.clone()),
            ("spin-full-url".to_string(), full_url.to_string()),
            (
                "spin-matched-route".to_string(),
                self.route.raw().to_string(),
            ),
            ("spin-base-path".to_string(), "/".to_string()),
            (
                "spin-raw-component-route".to_string(),
                self.route.raw().to_string(),
            ),
            (
                "spin-component-route".to_string(),
                self.route.prefix().to_string(),
            ),
            ("spin-client-addr".to_string(), client_addr.to_string()),
        ];
        for (name, value) in &self.params {
            headers.push((
                format!("spin-path-match-{}", name.to_ascii_lowercase()),
                value.clone(),
            ));
        }
        headers
    }
}

/// Router over the public routes of an app.
#[derive(Debug, Clone, Default)]
pub struct Router {
    entries: Vec<(Route, String)>,
    /// Routes that a later trigger with the same route string replaced.
    duplicates: Vec<(String, String, String)>,
}

impl Router {
    /// Builds a router from `(route, component id)` pairs in manifest order.
    /// A later duplicate of the same route string replaces the earlier one,
    /// as in Spin.
    pub fn build<'a>(
        routes: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, RouteError> {
        let mut by_raw: BTreeMap<String, usize> = BTreeMap::new();
        let mut router = Router::default();
        for (raw, component) in routes {
            let route = Route::parse(raw).map_err(|e| {
                RouteError(format!(
                    "error parsing route {raw:?} associated with component {component:?}: {e}"
                ))
            })?;
            if let Some(&index) = by_raw.get(raw) {
                let replaced = std::mem::replace(&mut router.entries[index].1, component.into());
                router
                    .duplicates
                    .push((raw.to_string(), replaced, component.to_string()));
            } else {
                by_raw.insert(raw.to_string(), router.entries.len());
                router.entries.push((route, component.to_string()));
            }
        }
        Ok(router)
    }

    /// `(route, component)` in manifest order, for the startup listing.
    pub fn routes(&self) -> impl Iterator<Item = (&Route, &str)> {
        self.entries.iter().map(|(r, c)| (r, c.as_str()))
    }

    /// `(route, replaced component, effective component)` for duplicates.
    pub fn duplicates(&self) -> &[(String, String, String)] {
        &self.duplicates
    }

    /// Finds the component for a request path (the URI path, without the
    /// query string). `None` means 404.
    pub fn route(&self, path: &str) -> Option<RouteMatch<'_>> {
        let trimmed = path.trim_matches('/');
        let path_segments: Vec<&str> = if trimmed.is_empty() {
            Vec::new()
        } else {
            trimmed.split('/').collect()
        };
        let mut best: Option<(usize, Candidate)> = None;
        for (index, (route, _)) in self.entries.iter().enumerate() {
            let Some(candidate) = match_route(route, &path_segments) else {
                continue;
            };
            if best.as_ref().is_none_or(|(_, b)| candidate.rank < b.rank) {
                best = Some((index, candidate));
            }
        }
        let (index, candidate) = best?;
        let (route, component) = &self.entries[index];
        let path_info = if route.wildcard {
            wildcard_path_info(&path_segments[candidate.consumed..], path.ends_with('/'))
        } else {
            String::new()
        };
        let params = candidate.params;
        Some(RouteMatch {
            component_id: component,
            route,
            params,
            path_info,
        })
    }
}

/// Specificity of one matched position; smaller is more specific. The
/// derived ordering on `Vec<Rank>` is lexicographic, which gives exactly
/// "first differing segment decides".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    /// The route ended exactly where the path ended.
    End,
    Literal,
    Param,
    Wildcard,
}

/// One route that matches a path.
struct Candidate {
    rank: Vec<Rank>,
    params: Vec<(String, String)>,
    /// Path segments matched before the wildcard.
    consumed: usize,
}

fn match_route(route: &Route, path: &[&str]) -> Option<Candidate> {
    if path.len() < route.segments.len() {
        return None;
    }
    let mut rank = Vec::with_capacity(route.segments.len() + 1);
    let mut params = Vec::new();
    for (segment, part) in route.segments.iter().zip(path) {
        match segment {
            Segment::Literal(lit) if lit == part => rank.push(Rank::Literal),
            Segment::Literal(_) => return None,
            Segment::Param(_) if part.is_empty() => return None,
            Segment::Param(name) => {
                rank.push(Rank::Param);
                params.push((name.clone(), (*part).to_string()));
            }
        }
    }
    let consumed = route.segments.len();
    if route.wildcard {
        rank.push(Rank::Wildcard);
    } else if consumed == path.len() {
        rank.push(Rank::End);
    } else {
        return None;
    }
    Some(Candidate {
        rank,
        params,
        consumed,
    })
}

/// Spin has always reported the captured tail with a leading slash and
/// kept a trailing slash: `/foo/...` gives `` for `/foo`, `/` for `/foo/`,
/// `/bar` for `/foo/bar` and `/bar/` for `/foo/bar/`.
fn wildcard_path_info(rest: &[&str], trailing_slash: bool) -> String {
    let captured = rest.join("/");
    match (captured.is_empty(), trailing_slash) {
        (true, false) => String::new(),
        (true, true) => "/".to_string(),
        (false, false) => format!("/{captured}"),
        (false, true) => format!("/{captured}/"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(routes: &[(&str, &str)]) -> Router {
        Router::build(routes.iter().copied()).expect("valid routes")
    }

    fn component<'a>(r: &'a Router, path: &str) -> Option<&'a str> {
        r.route(path).map(|m| m.component_id)
    }

    #[test]
    fn exact_routes() {
        let r = router(&[("/foo", "foo"), ("/foo/bar", "foobar")]);
        assert_eq!(component(&r, "/foo"), Some("foo"));
        assert_eq!(component(&r, "/foo/"), Some("foo"));
        assert_eq!(component(&r, "/foo/bar"), Some("foobar"));
        assert_eq!(component(&r, "/foo/baz"), None);
        assert_eq!(component(&r, "/"), None);
        assert_eq!(r.route("/foo").map(|m| m.path_info), Some(String::new()));
    }

    #[test]
    fn catch_all() {
        let r = router(&[("/...", "all")]);
        for path in ["/", "/foo/bar", "/abc/", ""] {
            assert_eq!(component(&r, path), Some("all"), "{path}");
        }
        assert_eq!(r.route("/1/2/3").unwrap().path_info, "/1/2/3");
        assert_eq!(r.route("/").unwrap().path_info, "/");
    }

    #[test]
    fn trailing_wildcard_matches_prefix_itself() {
        let r = router(&[("/odds/...", "odds")]);
        let m = r.route("/odds").unwrap();
        assert_eq!(m.path_info, "");
        assert_eq!(r.route("/odds/").unwrap().path_info, "/");
        assert_eq!(r.route("/odds/hello").unwrap().path_info, "/hello");
        assert_eq!(r.route("/odds/hello/").unwrap().path_info, "/hello/");
        assert_eq!(r.route("/odds/a/b").unwrap().path_info, "/a/b");
        assert_eq!(component(&r, "/oddsx"), None);
        assert_eq!(component(&r, "/"), None);
    }

    #[test]
    fn path_info_for_precomputed_ids() {
        let r = router(&[
            ("/predict/matches/...", "lookup"),
            ("/predict/precomputed/...", "lookup"),
            ("/admin/...", "admin"),
        ]);
        let m = r.route("/predict/precomputed/123").unwrap();
        assert_eq!(m.component_id, "lookup");
        assert_eq!(m.path_info, "/123");
        assert_eq!(m.route.raw(), "/predict/precomputed/...");
        assert_eq!(m.route.prefix(), "/predict/precomputed");
    }

    #[test]
    fn exact_beats_wildcard() {
        let r = router(&[("/...", "wildcard"), ("/one", "one_exact")]);
        assert_eq!(component(&r, "/one"), Some("one_exact"));
        assert_eq!(component(&r, "/two"), Some("wildcard"));
        let r = router(&[("/", "root"), ("/...", "all")]);
        assert_eq!(component(&r, "/"), Some("root"));
        assert_eq!(component(&r, "/x"), Some("all"));
        let r = router(&[("/a/b/...", "wild"), ("/a/b", "exact")]);
        assert_eq!(component(&r, "/a/b"), Some("exact"));
        assert_eq!(component(&r, "/a/b/c"), Some("wild"));
    }

    #[test]
    fn longest_prefix_wins_regardless_of_order() {
        let forward = router(&[
            ("/one/...", "one"),
            ("/one/two/...", "onetwo"),
            ("/one/two/three/...", "onetwothree"),
        ]);
        let backward = router(&[
            ("/one/two/three/...", "onetwothree"),
            ("/one/two/...", "onetwo"),
            ("/one/...", "one"),
        ]);
        for r in [&forward, &backward] {
            assert_eq!(component(r, "/one/two/three/four"), Some("onetwothree"));
            assert_eq!(component(r, "/one/two/x"), Some("onetwo"));
            assert_eq!(component(r, "/one/x"), Some("one"));
            assert_eq!(component(r, "/one"), Some("one"));
        }
    }

    #[test]
    fn named_segments() {
        let r = router(&[("/1/:two/3", "exact"), ("/users/:id/...", "user")]);
        let m = r.route("/1/2/3").unwrap();
        assert_eq!(m.component_id, "exact");
        assert_eq!(m.params, vec![("two".to_string(), "2".to_string())]);
        let m = r.route("/users/42/posts").unwrap();
        assert_eq!(m.params, vec![("id".to_string(), "42".to_string())]);
        assert_eq!(m.path_info, "/posts");
        let headers = m.spin_headers("http://h/users/42/posts", "127.0.0.1:1");
        assert!(headers.contains(&("spin-path-match-id".to_string(), "42".to_string())));
        assert!(headers.contains(&("spin-component-route".to_string(), "/users/:id".to_string())));
        assert_eq!(component(&r, "/users"), None);
    }

    #[test]
    fn literal_beats_param_beats_wildcard() {
        let r = router(&[
            ("/a/...", "wild"),
            ("/a/:id", "param"),
            ("/a/new", "literal"),
        ]);
        assert_eq!(component(&r, "/a/new"), Some("literal"));
        assert_eq!(component(&r, "/a/7"), Some("param"));
        assert_eq!(component(&r, "/a/7/x"), Some("wild"));
        // The first differing segment decides, not the number of literals.
        let r = router(&[("/a/b/...", "ab"), ("/a/:x/c", "axc")]);
        assert_eq!(component(&r, "/a/b/c"), Some("ab"));
    }

    #[test]
    fn duplicate_routes_last_wins() {
        let r = router(&[("/foo", "first"), ("/foo", "second")]);
        assert_eq!(component(&r, "/foo"), Some("second"));
        assert_eq!(
            r.duplicates(),
            &[(
                "/foo".to_string(),
                "first".to_string(),
                "second".to_string()
            )]
        );
        assert_eq!(r.routes().count(), 1);
    }

    #[test]
    fn spin_headers_for_wildcard() {
        let r = router(&[("/foo/...", "c")]);
        let m = r.route("/foo/bar").unwrap();
        let h = m.spin_headers("https://fermyon.dev/foo/bar?key1=value1", "127.0.0.1:8777");
        let get = |n: &str| {
            h.iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.as_str())
                .unwrap_or("<missing>")
        };
        assert_eq!(
            get("spin-full-url"),
            "https://fermyon.dev/foo/bar?key1=value1"
        );
        assert_eq!(get("spin-path-info"), "/bar");
        assert_eq!(get("spin-matched-route"), "/foo/...");
        assert_eq!(get("spin-base-path"), "/");
        assert_eq!(get("spin-raw-component-route"), "/foo/...");
        assert_eq!(get("spin-component-route"), "/foo");
        assert_eq!(get("spin-client-addr"), "127.0.0.1:8777");
    }

    #[test]
    fn bad_routes_are_rejected() {
        assert!(Route::parse("/a/.../b").is_err());
        assert!(Route::parse("/a/:").is_err());
        assert!(Route::parse("/a//b").is_err());
        assert!(Route::parse("no-slash").is_ok());
    }

    #[test]
    fn display_matches_spin_listing() {
        assert_eq!(
            Route::parse("/whee/...").unwrap().display(),
            "/whee (wildcard)"
        );
        assert_eq!(Route::parse("/...").unwrap().display(), " (wildcard)");
        assert_eq!(Route::parse("/odds").unwrap().display(), "/odds");
    }
}
