//! Component dependencies: plugging library components into a component's
//! imports before it is compiled, the way `spin up` composes them.
//!
//! Spin (3.0+) resolves `[component.x.dependencies]` with `wac-graph`: each
//! dependency name (`"ns:pkg/iface"`, `"ns:pkg"`, with or without a version)
//! is matched against the component's import names; a dependency's export of
//! the same name (or of the `export` it names) must be a subtype of the
//! import; the component is instantiated with those exports as arguments and
//! every export of the component is re-exported. What a dependency imports
//! itself (WASI, key-value, ...) becomes an import of the composed
//! component, which the host then provides with the *dependent's*
//! permissions: that is `dependencies_inherit_configuration = true`.
//!
//! Not mirrored (each refused or reported, never silently different):
//! - `dependencies_inherit_configuration = false`: Spin plugs a "deny-all"
//!   adapter into dependencies so that their configuration imports fail at
//!   run time. This host has no such adapter, so it refuses a dependency
//!   that imports a Spin configuration interface unless inheritance is on
//!   (a dependency importing none of them composes the same either way).
//! - Spin ≥ 4 isolates `wasi:cli/environment` between a component and its
//!   dependencies; here they share the dependent's environment (a warning
//!   is printed when a component with dependencies sets `environment`).

use std::collections::{BTreeMap, HashSet};

use anyhow::{Context, anyhow, bail};
use wac_graph::types::{Package, SubtypeChecker};
use wac_graph::{CompositionGraph, EncodeOptions};

/// One resolved dependency: its manifest name, the bytes of the component
/// that satisfies it and, optionally, which export to use.
pub struct DependencyBytes<'a> {
    /// The key in `[component.x.dependencies]`.
    pub name: &'a str,
    /// The Wasm component.
    pub wasm: Vec<u8>,
    /// `export = "..."`: the dependency's export to plug in, instead of the
    /// export named like the import.
    pub export: Option<&'a str>,
}

/// Import name prefixes of the configuration Spin gives a component (its
/// "capabilities"); a dependency importing one of them needs inheritance.
const CONFIGURATION_IMPORTS: &[&str] = &[
    "spin:key-value/",
    "fermyon:spin/key-value",
    "wasi:keyvalue/",
    "spin:variables/",
    "fermyon:spin/variables",
    "fermyon:spin/config",
    "wasi:config/",
    "spin:sqlite/",
    "fermyon:spin/sqlite",
    "wasi:http/outgoing-handler",
    "wasi:http/client",
    "wasi:sockets/",
    "spin:postgres/",
    "fermyon:spin/postgres",
    "spin:mysql/",
    "fermyon:spin/mysql",
    "spin:redis/",
    "fermyon:spin/redis",
    "spin:mqtt/",
    "fermyon:spin/mqtt",
    "fermyon:spin/llm",
];

/// A dependency or import name split into its parts.
#[derive(Debug, PartialEq, Eq)]
enum Name<'a> {
    /// `ns:pkg[/iface][@version]`.
    Package {
        package: &'a str,
        interface: Option<&'a str>,
        version: Option<&'a str>,
    },
    /// A plain kebab-case name.
    Plain(&'a str),
}

fn parse_name(name: &str) -> Name<'_> {
    if !name.contains(':') {
        return Name::Plain(name);
    }
    let (path, version) = match name.split_once('@') {
        Some((path, version)) => (path, Some(version)),
        None => (name, None),
    };
    let (package, interface) = match path.split_once('/') {
        Some((package, interface)) => (package, Some(interface)),
        None => (path, None),
    };
    Name::Package {
        package,
        interface,
        version,
    }
}

/// Whether the dependency named `dependency` satisfies the import `import`:
/// plain names match exactly; a package name matches imports of that
/// package, narrowed by interface and version when the name has them.
pub fn matches_import(dependency: &str, import: &str) -> bool {
    match (parse_name(dependency), parse_name(import)) {
        (Name::Plain(d), Name::Plain(i)) => d == i,
        (
            Name::Package {
                package: dp,
                interface: di,
                version: dv,
            },
            Name::Package {
                package: ip,
                interface: ii,
                version: iv,
            },
        ) => {
            dp == ip
                && di.is_none_or(|d| ii == Some(d))
                && dv.is_none_or(|d| iv.is_some_and(|i| same_version(d, i)))
        }
        _ => false,
    }
}

/// Versions compare as semver (`0.1` is not `0.1.0` textually, but is the
/// same version once both are normalised to three parts).
fn same_version(a: &str, b: &str) -> bool {
    fn normalise(v: &str) -> String {
        let (core, rest) = match v.find(['-', '+']) {
            Some(i) => (&v[..i], &v[i..]),
            None => (v, ""),
        };
        let mut parts: Vec<&str> = core.split('.').collect();
        while parts.len() < 3 {
            parts.push("0");
        }
        format!("{}{rest}", parts.join("."))
    }
    normalise(a) == normalise(b)
}

/// Composes `main` (component `component_id`) with its dependencies and
/// returns the bytes of the composed component. With no dependencies the
/// component is returned unchanged.
pub fn compose(
    component_id: &str,
    main: Vec<u8>,
    dependencies: Vec<DependencyBytes<'_>>,
    inherit_configuration: bool,
) -> anyhow::Result<Vec<u8>> {
    if dependencies.is_empty() {
        return Ok(main);
    }
    let mut graph = CompositionGraph::new();
    let main_package = Package::from_bytes(component_id, None, main, graph.types_mut())
        .with_context(|| format!("component {component_id:?} is not a valid component"))?;
    let main_world = main_package.ty();
    let main_id = graph.register_package(main_package)?;
    let main_node = graph.instantiate(main_id);
    let imports: Vec<String> = graph.types()[main_world].imports.keys().cloned().collect();

    // Which import each dependency satisfies; an import claimed twice is a
    // conflict, a dependency matching nothing is a mistake (both as Spin).
    let mut claimed: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (index, dependency) in dependencies.iter().enumerate() {
        let matched: Vec<&String> = imports
            .iter()
            .filter(|import| matches_import(dependency.name, import))
            .collect();
        if matched.is_empty() {
            bail!(
                "dependency {:?} doesn't match any imports of component {component_id:?} (it imports: {})",
                dependency.name,
                imports.join(", ")
            );
        }
        for import in matched {
            claimed.entry(import.clone()).or_default().push(index);
        }
    }
    if let Some((import, by)) = claimed.iter().find(|(_, by)| by.len() > 1) {
        let names: Vec<&str> = by.iter().map(|&i| dependencies[i].name).collect();
        bail!(
            "component {component_id:?} has dependency conflicts: import {import:?} is satisfied by {}",
            names.join(", ")
        );
    }

    for (index, dependency) in dependencies.into_iter().enumerate() {
        // A package name per dependency; the graph refuses duplicates.
        let package_name = format!("dependency{index}:{}", sanitize(dependency.name));
        let package = Package::from_bytes(&package_name, None, dependency.wasm, graph.types_mut())
            .with_context(|| {
                format!(
                    "dependency {:?} of component {component_id:?} is not a valid component",
                    dependency.name
                )
            })?;
        let world = package.ty();
        if !inherit_configuration {
            let configuration: Vec<&String> = graph.types()[world]
                .imports
                .keys()
                .filter(|name| CONFIGURATION_IMPORTS.iter().any(|p| name.starts_with(p)))
                .collect();
            if !configuration.is_empty() {
                bail!(
                    "dependency {:?} of component {component_id:?} imports {} but \
                     dependencies_inherit_configuration is false: Spin would plug a deny-all \
                     adapter into it (every such call fails), which this host does not implement; \
                     set dependencies_inherit_configuration = true to let it use the component's permissions",
                    dependency.name,
                    configuration
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
        let id = graph.register_package(package)?;
        let node = graph.instantiate(id);
        let export_override = dependency.export.map(str::to_string);
        for (import, _) in claimed.iter().filter(|(_, by)| by[0] == index) {
            let export = export_override.clone().unwrap_or_else(|| import.clone());
            let export_ty = *graph.types()[world].exports.get(&export).ok_or_else(|| {
                anyhow!(
                    "dependency {:?} doesn't export {export:?} to satisfy import {import:?} of component {component_id:?}",
                    dependency.name
                )
            })?;
            let import_ty = graph.types()[main_world].imports[import];
            let mut cache = HashSet::new();
            SubtypeChecker::new(&mut cache)
                .is_subtype(export_ty, graph.types(), import_ty, graph.types())
                .with_context(|| {
                    format!(
                        "dependency {:?} exports {export:?}, which is not compatible with import {import:?} of component {component_id:?}",
                        dependency.name
                    )
                })?;
            let alias = graph.alias_instance_export(node, &export)?;
            graph.set_instantiation_argument(main_node, import, alias)?;
        }
    }

    // The composed component offers what the component offered.
    let exports: Vec<String> = graph.types()[main_world].exports.keys().cloned().collect();
    for export in exports {
        let alias = graph.alias_instance_export(main_node, &export)?;
        graph.export(alias, &export)?;
    }
    graph
        .encode(EncodeOptions::default())
        .with_context(|| format!("composing component {component_id:?} with its dependencies"))
}

/// A string usable as the name part of a wac package name (`ns:name`).
fn sanitize(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = cleaned.trim_matches('-');
    let mut out = String::new();
    for c in trimmed.chars() {
        if !(c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    }
    if out.is_empty() || !out.as_bytes()[0].is_ascii_alphabetic() {
        out.insert_str(0, "dep-");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependency_names_match_imports_as_spin_does() {
        for (dependency, import) in [
            ("matchday:api/lookup", "matchday:api/lookup@0.1.0"),
            ("matchday:api/lookup@0.1.0", "matchday:api/lookup@0.1.0"),
            ("matchday:api", "matchday:api/odds@0.1.0"),
            ("matchday:api@0.1.0", "matchday:api/lookup@0.1.0"),
            ("matchday:api/lookup", "matchday:api/lookup"),
            ("plain-name", "plain-name"),
        ] {
            assert!(
                matches_import(dependency, import),
                "{dependency} ~ {import}"
            );
        }
        for (dependency, import) in [
            ("matchday:api/lookup@0.1.0", "matchday:api/lookup"),
            ("matchday:api/lookup", "matchday:api/lookups@0.1.0"),
            ("matchday:api/lookup", "matchday:api/odds@0.1.0"),
            ("matchday:api@0.2.0", "matchday:api/lookup@0.1.0"),
            ("matchday:other", "matchday:api/lookup@0.1.0"),
            ("matchday:api/lookup", "lookup"),
            ("plain-name", "other-name"),
        ] {
            assert!(
                !matches_import(dependency, import),
                "{dependency} !~ {import}"
            );
        }
    }

    #[test]
    fn versions_compare_as_semver() {
        assert!(same_version("0.1", "0.1.0"));
        assert!(same_version("1.2.3", "1.2.3"));
        assert!(!same_version("0.1.0", "0.1.1"));
        assert!(!same_version("0.1.0-rc1", "0.1.0"));
    }

    #[test]
    fn package_names_are_sanitised() {
        assert_eq!(
            sanitize("matchday:api/lookup@0.1.0"),
            "matchday-api-lookup-0-1-0"
        );
        assert_eq!(sanitize("--x--y"), "x-y");
        assert_eq!(sanitize("0abc"), "dep-0abc");
    }

    #[test]
    fn no_dependencies_returns_the_component_unchanged() {
        let bytes = b"anything".to_vec();
        assert_eq!(
            compose("x", bytes.clone(), Vec::new(), true).unwrap(),
            bytes
        );
    }
}
