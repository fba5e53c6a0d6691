//! The app's components and their routes, read from `spin.toml`.
//!
//! The `monitoring` component compiles the manifest in (`include_str!`), so
//! the table is the one the app was built with. It reads only what it needs:
//! `[[trigger.http]]` blocks (`route`, `component`) and `[component.<id>]`
//! headers, the shapes Matchday's manifest uses. A trigger whose route is a
//! table (`{ private = true }`) is listed as `private`.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComponentRoutes {
    pub id: String,
    pub routes: Vec<String>,
}

fn quoted(value: &str) -> Option<String> {
    let value = value.trim();
    let inner = value.strip_prefix('"')?.strip_suffix('"')?;
    Some(inner.to_string())
}

fn assignment<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let (k, v) = line.split_once('=')?;
    (k.trim() == key).then_some(v)
}

/// Adds `route` (if any) to component `id`, creating it in first-seen order.
fn add_route(components: &mut Vec<ComponentRoutes>, id: &str, route: Option<String>) {
    let index = match components.iter().position(|c| c.id == id) {
        Some(i) => i,
        None => {
            components.push(ComponentRoutes {
                id: id.to_string(),
                routes: Vec::new(),
            });
            components.len() - 1
        }
    };
    components[index].routes.extend(route);
}

/// One `[[trigger.http]]` block being read: its keys may come in any order.
#[derive(Default)]
struct Trigger {
    route: Option<String>,
    component: Option<String>,
}

impl Trigger {
    fn finish(self, components: &mut Vec<ComponentRoutes>) {
        if let Some(id) = self.component {
            let route = self.route.unwrap_or_else(|| "private".to_string());
            add_route(components, &id, Some(route));
        }
    }
}

/// Components in manifest order (triggers first, then component tables),
/// each with its routes in manifest order.
pub fn parse_manifest(manifest: &str) -> Vec<ComponentRoutes> {
    let mut components = Vec::new();
    let mut declared = Vec::new();
    let mut trigger: Option<Trigger> = None;
    for raw in manifest.lines() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.starts_with('[') {
            if let Some(done) = trigger.take() {
                done.finish(&mut components);
            }
            if line == "[[trigger.http]]" {
                trigger = Some(Trigger::default());
            } else if let Some(id) = line
                .strip_prefix("[component.")
                .and_then(|rest| rest.strip_suffix(']'))
                .filter(|id| !id.contains('.'))
            {
                declared.push(id.to_string());
            }
            continue;
        }
        let Some(current) = trigger.as_mut() else {
            continue;
        };
        if let Some(value) = assignment(line, "route") {
            // A table (`{ private = true }`) is not a public route.
            current.route = Some(quoted(value).unwrap_or_else(|| "private".to_string()));
        } else if let Some(value) = assignment(line, "component") {
            current.component = quoted(value);
        }
    }
    if let Some(done) = trigger.take() {
        done.finish(&mut components);
    }
    for id in declared {
        add_route(&mut components, &id, None);
    }
    components
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_routes_per_component_in_manifest_order() {
        let manifest = r#"
spin_manifest_version = 2
[variables]
admin_token = { required = true }

[[trigger.http]]
route = "/predict/matches/..."   # upcoming
component = "lookup"

[[trigger.http]]
component = "lookup"
route = "/livescores/..."

[[trigger.http]]
route = { private = true }
component = "inner"

[component.lookup]
source = "target/wasm32-wasip2/release/lookup.wasm"
[component.lookup.build]
command = "cargo build"

[component.inner]
source = "x.wasm"
"#;
        let parsed = parse_manifest(manifest);
        assert_eq!(
            parsed,
            vec![
                ComponentRoutes {
                    id: "lookup".into(),
                    routes: vec!["/predict/matches/...".into(), "/livescores/...".into()],
                },
                ComponentRoutes {
                    id: "inner".into(),
                    routes: vec!["private".into()],
                },
            ]
        );
    }

    #[test]
    fn the_real_manifest_gives_every_component_a_route_or_a_dependent() {
        let manifest = include_str!("../../../../spin.toml");
        let parsed = parse_manifest(manifest);
        assert!(!parsed.is_empty());
        // A component without a route must be a library another one
        // depends on (`lookup-lib`, `odds-lib`), never a forgotten trigger.
        for c in &parsed {
            let dependency = format!("component = \"{}\"", c.id);
            assert!(
                !c.routes.is_empty() || manifest.contains(&dependency),
                "{} has no route and no component depends on it",
                c.id
            );
        }
        assert!(parsed.iter().any(|c| c.id == "lookup"));
    }
}
