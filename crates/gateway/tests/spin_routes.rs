//! Every route spin.toml serves is in the policy's route table, so metrics
//! label it and the access class is the intended one.

use matchday_gateway::policy::{self, Access, UNMATCHED};

#[test]
fn spin_routes_are_covered() {
    let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../spin.toml"))
        .expect("spin.toml");
    let mut routes = 0;
    for line in manifest.lines() {
        let Some(route) = line.trim().strip_prefix("route = \"") else {
            continue;
        };
        let route = route.trim_end_matches('"');
        let base = route.strip_suffix("...").unwrap_or(route);
        // An exact route must match a template; a wildcard one must have at
        // least one template under it.
        let covered = if route.ends_with("...") {
            policy::ROUTES.iter().any(|r| r.template.starts_with(base))
        } else {
            policy::route_rule(base) != UNMATCHED
        };
        assert!(covered, "{route} is not in policy::ROUTES");
        let expected = if base.starts_with("/admin") {
            Access::AdminBearer
        } else if policy::OPEN_PATHS.contains(&base.trim_end_matches('/')) || base == "/" {
            Access::Open
        } else {
            Access::ApiKey
        };
        assert_eq!(policy::access(base), expected, "{route}");
        routes += 1;
    }
    assert!(routes >= 5, "found {routes} routes");
}
