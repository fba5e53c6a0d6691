//! `spin.toml` (Spin manifest v2): parsing, normalisation and validation.
//!
//! The host accepts the subset of the schema it implements and says so
//! clearly for the rest: an app that would behave differently here than on
//! `spin up` is refused at startup instead of half-served. Unknown keys
//! are reported as warnings (newer Spin versions add fields) and ignored.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use serde::Deserialize;

use crate::variables::{Template, VariableDecl, validate_name};

/// The key-value store every Spin app gets without a runtime config.
pub const DEFAULT_KV_STORE: &str = "default";

/// A parsed, normalised and validated manifest.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// Directory of `spin.toml`; relative paths are resolved against it.
    pub dir: PathBuf,
    /// `[application]`.
    pub application: Application,
    /// `[variables]`.
    pub variables: BTreeMap<String, VariableDecl>,
    /// `[[trigger.http]]`, in manifest order, each pointing at a component.
    pub http_triggers: Vec<HttpTrigger>,
    /// `[component.<id>]`, including inline trigger components.
    pub components: BTreeMap<String, Component>,
    /// Things worth telling the user that do not stop the host
    /// (unknown keys, ignored settings).
    pub warnings: Vec<String>,
}

/// `[application]`.
#[derive(Debug, Clone, Default)]
pub struct Application {
    /// `name`.
    pub name: String,
    /// `version`.
    pub version: Option<String>,
    /// `description`.
    pub description: Option<String>,
}

/// One `[[trigger.http]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpTrigger {
    /// `id`, or the id Spin generates (`<component>-http-trigger`).
    pub id: String,
    /// Where requests come from.
    pub route: TriggerRoute,
    /// The component id (inline components get a generated id).
    pub component: String,
}

/// `route = "/path"` or `route = { private = true }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TriggerRoute {
    /// A public route pattern.
    Public(String),
    /// Reachable only from inside the app (service chaining).
    Private,
}

/// One `files` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileMount {
    /// A path or glob relative to the app directory, mounted at the same
    /// relative path under `/`.
    Pattern(String),
    /// `{ source = "dir-or-file", destination = "/guest/path" }`.
    Placement {
        /// Path relative to the app directory.
        source: String,
        /// Absolute guest path.
        destination: String,
    },
}

/// One `[component.<id>]`.
#[derive(Debug, Clone)]
pub struct Component {
    /// The component id.
    pub id: String,
    /// Absolute path of the Wasm file.
    pub source: PathBuf,
    /// `description`.
    pub description: Option<String>,
    /// `key_value_stores`: the stores this component may open.
    pub key_value_stores: Vec<String>,
    /// `[component.x.variables]`: name → template.
    pub variables: BTreeMap<String, String>,
    /// `files`.
    pub files: Vec<FileMount>,
    /// `exclude_files` (globs relative to the app directory).
    pub exclude_files: Vec<String>,
    /// `allowed_outbound_hosts` (parsed, not enforced: outbound networking
    /// is refused altogether by this host).
    pub allowed_outbound_hosts: Vec<String>,
    /// `environment`: environment variables of the guest.
    pub environment: BTreeMap<String, String>,
    /// `[component.x.dependencies]`, resolved to local Wasm files and
    /// composed at startup (see [`crate::compose`]).
    pub dependencies: Vec<Dependency>,
    /// `dependencies_inherit_configuration`.
    pub dependencies_inherit_configuration: bool,
}

/// One entry of `[component.x.dependencies]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    /// The key: an import name (`"ns:pkg/iface@1.0.0"`), a package
    /// (`"ns:pkg"`) or a plain name.
    pub name: String,
    /// The Wasm file that satisfies it: `{ path = "..." }`, or the `source`
    /// of the component named by `{ component = "..." }`.
    pub path: PathBuf,
    /// `export = "..."`: the export to plug in instead of the one named like
    /// the import.
    pub export: Option<String>,
    /// The component id of a `{ component = "..." }` dependency.
    pub component: Option<String>,
}

#[derive(Deserialize)]
struct RawManifest {
    spin_manifest_version: Option<toml::Value>,
    application: Option<RawApplication>,
    #[serde(default)]
    variables: BTreeMap<String, RawVariable>,
    #[serde(default)]
    trigger: BTreeMap<String, Vec<toml::Table>>,
    #[serde(default)]
    component: BTreeMap<String, toml::Table>,
    #[serde(flatten)]
    extra: BTreeMap<String, toml::Value>,
}

#[derive(Deserialize)]
struct RawApplication {
    name: Option<String>,
    version: Option<String>,
    description: Option<String>,
    #[serde(default)]
    trigger: BTreeMap<String, toml::Table>,
    #[serde(flatten)]
    extra: BTreeMap<String, toml::Value>,
}

#[derive(Deserialize)]
struct RawVariable {
    default: Option<String>,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    secret: bool,
    #[allow(dead_code)]
    description: Option<String>,
    #[serde(flatten)]
    extra: BTreeMap<String, toml::Value>,
}

#[derive(Deserialize)]
struct RawComponent {
    source: RawSource,
    description: Option<String>,
    #[serde(default)]
    key_value_stores: Vec<String>,
    #[serde(default)]
    variables: BTreeMap<String, String>,
    #[serde(default)]
    files: Vec<RawFileMount>,
    #[serde(default)]
    exclude_files: Vec<String>,
    #[serde(default)]
    allowed_outbound_hosts: Vec<String>,
    #[serde(default)]
    allowed_http_hosts: Vec<String>,
    #[serde(default)]
    environment: BTreeMap<String, String>,
    #[serde(default)]
    sqlite_databases: Vec<String>,
    #[serde(default)]
    ai_models: Vec<String>,
    #[serde(default)]
    dependencies: BTreeMap<String, RawDependency>,
    #[serde(default)]
    dependencies_inherit_configuration: bool,
    // Build settings are for `spin build`; a host has no use for them.
    #[allow(dead_code)]
    build: Option<toml::Value>,
    #[allow(dead_code)]
    tool: Option<toml::Value>,
    #[serde(flatten)]
    extra: BTreeMap<String, toml::Value>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawSource {
    Local(String),
    Remote {
        url: String,
        #[allow(dead_code)]
        digest: String,
    },
    Registry {
        package: String,
        version: String,
        #[allow(dead_code)]
        registry: Option<String>,
    },
}

/// The forms of a dependency Spin accepts; only local ones are served here.
#[derive(Deserialize)]
#[serde(untagged, deny_unknown_fields)]
enum RawDependency {
    Version(String),
    Local {
        path: String,
        export: Option<String>,
    },
    Component {
        component: String,
        export: Option<String>,
    },
    Http {
        url: String,
        #[allow(dead_code)]
        digest: String,
        #[allow(dead_code)]
        export: Option<String>,
    },
    Package {
        version: String,
        #[allow(dead_code)]
        registry: Option<String>,
        #[allow(dead_code)]
        package: Option<String>,
        #[allow(dead_code)]
        export: Option<String>,
    },
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawFileMount {
    Pattern(String),
    Placement { source: String, destination: String },
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawRoute {
    Path(String),
    Private { private: bool },
}

impl Manifest {
    /// Reads and validates a manifest file.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("failed to read manifest {}", path.display()))?;
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        let dir = std::path::absolute(&dir)
            .with_context(|| format!("invalid manifest directory {}", dir.display()))?;
        Self::parse(&text, &dir).with_context(|| format!("invalid manifest {}", path.display()))
    }

    /// Parses manifest text whose relative paths are relative to `dir`.
    pub fn parse(text: &str, dir: &Path) -> anyhow::Result<Self> {
        let raw: RawManifest = toml::from_str(text)?;
        let mut warnings = Vec::new();

        match &raw.spin_manifest_version {
            Some(toml::Value::Integer(2)) => {}
            Some(other) => bail!(
                "spin_manifest_version {other} is not supported: this host reads manifest version 2"
            ),
            None => bail!("missing spin_manifest_version (this host reads manifest version 2)"),
        }
        for key in raw.extra.keys() {
            warnings.push(format!("unknown top-level key {key:?} ignored"));
        }

        let raw_app = raw
            .application
            .ok_or_else(|| anyhow!("missing [application] table"))?;
        for key in raw_app.extra.keys() {
            if !["authors", "targets"].contains(&key.as_str()) {
                warnings.push(format!("unknown [application] key {key:?} ignored"));
            }
        }
        if let Some(base) = raw_app
            .trigger
            .get("http")
            .and_then(|t| t.get("base"))
            .and_then(|b| b.as_str())
            && base != "/"
        {
            bail!(
                "this application uses the deprecated trigger 'base' field; the base must be prepended to each [[trigger.http]]'s 'route'"
            );
        }
        let application = Application {
            name: raw_app
                .name
                .ok_or_else(|| anyhow!("[application] has no name"))?,
            version: raw_app.version,
            description: raw_app.description,
        };

        let mut variables = BTreeMap::new();
        for (name, v) in raw.variables {
            validate_name(&name).map_err(|e| anyhow!("invalid variable name {e}"))?;
            for key in v.extra.keys() {
                warnings.push(format!("unknown key {key:?} in variable {name:?} ignored"));
            }
            if v.required == v.default.is_some() {
                bail!("variable {name:?}: must be `required` OR have a `default`");
            }
            variables.insert(
                name,
                VariableDecl {
                    default: v.default,
                    required: v.required,
                    secret: v.secret,
                },
            );
        }

        let mut raw_components: BTreeMap<String, toml::Table> = raw.component;
        let mut http_triggers = Vec::new();
        let mut trigger_ids: Vec<String> = Vec::new();
        for (trigger_type, triggers) in raw.trigger {
            if trigger_type != "http" {
                bail!("trigger type {trigger_type:?} is not supported by this host (only http)");
            }
            for trigger in triggers {
                if let Some(id) = trigger.get("id").and_then(|v| v.as_str()) {
                    trigger_ids.push(id.to_string());
                }
                http_triggers.push(trigger);
            }
        }
        let http_triggers = normalize_http_triggers(
            http_triggers,
            &mut raw_components,
            &mut trigger_ids,
            &mut warnings,
        )?;

        let mut components = BTreeMap::new();
        for (id, table) in raw_components {
            validate_kebab_id(&id).map_err(|e| anyhow!("invalid component id {id:?}: {e}"))?;
            let component = parse_component(&id, table, dir, &variables, &mut warnings)
                .with_context(|| format!("component {id:?}"))?;
            components.insert(id, component);
        }
        resolve_component_dependencies(&mut components)?;
        for trigger in &http_triggers {
            if !components.contains_key(&trigger.component) {
                bail!(
                    "trigger {:?} refers to component {:?}, which is not defined",
                    trigger.id,
                    trigger.component
                );
            }
        }

        Ok(Self {
            dir: dir.to_path_buf(),
            application,
            variables,
            http_triggers,
            components,
            warnings,
        })
    }

    /// Component variable templates per component (input to
    /// [`crate::variables::Variables::resolve`]).
    pub fn component_variables(&self) -> BTreeMap<String, BTreeMap<String, String>> {
        self.components
            .iter()
            .map(|(id, c)| (id.clone(), c.variables.clone()))
            .collect()
    }
}

/// Mirrors Spin's normalisation: triggers without an id get
/// `<component>-http-trigger` (or `http-trigger<N>`), and inline components
/// become top-level components named `<trigger-id>-component` (or
/// `inline-component<N>`).
fn normalize_http_triggers(
    triggers: Vec<toml::Table>,
    components: &mut BTreeMap<String, toml::Table>,
    trigger_ids: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> anyhow::Result<Vec<HttpTrigger>> {
    let mut counter = 1;
    let mut inline_counter = 1;
    let mut out = Vec::new();
    for mut trigger in triggers {
        let component_value = trigger
            .remove("component")
            .ok_or_else(|| anyhow!("a [[trigger.http]] has no `component`"))?;
        let route_value = trigger
            .remove("route")
            .ok_or_else(|| anyhow!("a [[trigger.http]] has no `route`"))?;
        let id = match trigger.remove("id") {
            Some(toml::Value::String(id)) => id,
            Some(_) => bail!("a [[trigger.http]] `id` must be a string"),
            None => {
                let natural = match &component_value {
                    toml::Value::String(c) => Some(format!("{c}-http-trigger")),
                    _ => None,
                };
                match natural {
                    Some(id) if !trigger_ids.contains(&id) => id,
                    _ => loop {
                        let id = format!("http-trigger{counter}");
                        counter += 1;
                        if !trigger_ids.contains(&id) {
                            break id;
                        }
                    },
                }
            }
        };
        trigger_ids.push(id.clone());

        let route: RawRoute = route_value.try_into().map_err(|_| {
            anyhow!("trigger {id:?}: `route` must be a string or {{ private = true }}")
        })?;
        let route = match route {
            RawRoute::Path(path) => TriggerRoute::Public(path),
            RawRoute::Private { private: true } => TriggerRoute::Private,
            RawRoute::Private { private: false } => bail!(
                "route must be a string pattern or '{{ private = true }}': trigger {id:?} has {{ private = false }}"
            ),
        };

        if let Some(executor) = trigger.remove("executor") {
            let kind = executor.get("type").and_then(|t| t.as_str()).unwrap_or("");
            if kind != "http" {
                bail!("trigger {id:?}: executor type {kind:?} is not supported by this host");
            }
        }
        if trigger.remove("static_response").is_some() {
            bail!("trigger {id:?}: `static_response` is not supported by this host");
        }
        for key in trigger.keys() {
            warnings.push(format!("unknown key {key:?} in trigger {id:?} ignored"));
        }

        let component = match component_value {
            toml::Value::String(c) => c,
            toml::Value::Table(inline) => {
                let natural = format!("{id}-component");
                let inline_id =
                    if validate_kebab_id(&natural).is_ok() && !components.contains_key(&natural) {
                        natural
                    } else {
                        loop {
                            let candidate = format!("inline-component{inline_counter}");
                            inline_counter += 1;
                            if !components.contains_key(&candidate) {
                                break candidate;
                            }
                        }
                    };
                components.insert(inline_id.clone(), inline);
                inline_id
            }
            _ => bail!("trigger {id:?}: `component` must be an id or an inline table"),
        };
        out.push(HttpTrigger {
            id,
            route,
            component,
        });
    }
    Ok(out)
}

fn parse_component(
    id: &str,
    table: toml::Table,
    dir: &Path,
    app_variables: &BTreeMap<String, VariableDecl>,
    warnings: &mut Vec<String>,
) -> anyhow::Result<Component> {
    let raw: RawComponent = toml::Value::Table(table).try_into()?;
    for key in raw.extra.keys() {
        warnings.push(format!("unknown key {key:?} in component {id:?} ignored"));
    }
    let source = match raw.source {
        RawSource::Local(path) => dir.join(path),
        RawSource::Remote { url, .. } => {
            bail!("source {url:?}: only local file sources are supported by this host")
        }
        RawSource::Registry {
            package, version, ..
        } => {
            bail!("source {package}@{version}: only local file sources are supported by this host")
        }
    };
    let mut dependencies = Vec::new();
    for (name, dependency) in raw.dependencies {
        validate_dependency_name(&name)
            .map_err(|e| anyhow!("invalid dependency name {name:?}: {e}"))?;
        let (path, export, component) = match dependency {
            RawDependency::Local { path, export } => (dir.join(path), export, None),
            // Resolved to the named component's source once every component
            // is parsed (see `resolve_component_dependencies`).
            RawDependency::Component { component, export } => {
                (PathBuf::new(), export, Some(component))
            }
            RawDependency::Version(version) | RawDependency::Package { version, .. } => bail!(
                "dependency {name:?} = version {version:?}: registry dependencies are not supported by this host (use {{ path = ... }} or {{ component = ... }})"
            ),
            RawDependency::Http { url, .. } => bail!(
                "dependency {name:?} = {{ url = {url:?} }}: remote dependencies are not supported by this host (use {{ path = ... }} or {{ component = ... }})"
            ),
        };
        if export.is_some() && !name.contains('/') && name.contains(':') {
            // Spin: an export can only stand in for one interface.
            bail!(
                "using an export to satisfy the package dependency {name:?} is not currently permitted"
            );
        }
        dependencies.push(Dependency {
            name,
            path,
            export,
            component,
        });
    }
    if !raw.sqlite_databases.is_empty() {
        bail!("sqlite_databases are not supported by this host");
    }
    if !raw.ai_models.is_empty() {
        bail!("ai_models are not supported by this host");
    }
    for label in &raw.key_value_stores {
        // Without a runtime config (which this host does not read) Spin
        // defines exactly one store, and refuses to start otherwise.
        if label != DEFAULT_KV_STORE {
            bail!(
                "unknown key_value_stores label {label:?} for component {id:?} (only {DEFAULT_KV_STORE:?} is defined; runtime-config.toml is not supported by this host)"
            );
        }
    }
    for (key, template) in &raw.variables {
        validate_name(key).map_err(|e| anyhow!("invalid variable name {e}"))?;
        let parsed = Template::parse(template).map_err(|e| anyhow!("variable {key:?}: {e}"))?;
        if let Some(unknown) = parsed
            .references()
            .find(|r| !app_variables.contains_key(*r))
        {
            bail!("variable {key:?}: invalid template: unknown variable {unknown:?}");
        }
    }
    let mut allowed_outbound_hosts = raw.allowed_outbound_hosts;
    if !raw.allowed_http_hosts.is_empty() {
        warnings.push(format!(
            "component {id:?}: deprecated `allowed_http_hosts` (use allowed_outbound_hosts)"
        ));
        allowed_outbound_hosts.extend(raw.allowed_http_hosts);
    }
    if !allowed_outbound_hosts.is_empty() {
        warnings.push(format!(
            "component {id:?}: allowed_outbound_hosts is not enforced here; this host refuses all outbound network access"
        ));
    }
    let files = raw
        .files
        .into_iter()
        .map(|f| match f {
            RawFileMount::Pattern(p) => FileMount::Pattern(p),
            RawFileMount::Placement {
                source,
                destination,
            } => FileMount::Placement {
                source,
                destination,
            },
        })
        .collect();
    Ok(Component {
        id: id.to_string(),
        source,
        description: raw.description,
        key_value_stores: raw.key_value_stores,
        variables: raw.variables,
        files,
        exclude_files: raw.exclude_files,
        allowed_outbound_hosts,
        environment: raw.environment,
        dependencies,
        dependencies_inherit_configuration: raw.dependencies_inherit_configuration,
    })
}

/// Mirrors Spin's normalisation of `{ component = "id" }` dependencies: the
/// named component must exist and carry no resources or permissions of its
/// own (it runs with its dependent's), and its `source` becomes the
/// dependency's file.
fn resolve_component_dependencies(
    components: &mut BTreeMap<String, Component>,
) -> anyhow::Result<()> {
    let snapshot = components.clone();
    for (depender, component) in components.iter_mut() {
        for dependency in &mut component.dependencies {
            let Some(target) = &dependency.component else {
                continue;
            };
            let depended_on = snapshot.get(target).ok_or_else(|| {
                anyhow!("component {depender:?}: dependency ID {target} does not exist")
            })?;
            let mut surprises = Vec::new();
            if !depended_on.allowed_outbound_hosts.is_empty() {
                surprises.push("allowed_outbound_hosts");
            }
            if !depended_on.dependencies.is_empty() {
                surprises.push("dependencies");
            }
            if !depended_on.environment.is_empty() {
                surprises.push("environment");
            }
            if !depended_on.files.is_empty() {
                surprises.push("files");
            }
            if !depended_on.key_value_stores.is_empty() {
                surprises.push("key_value_stores");
            }
            if !depended_on.variables.is_empty() {
                surprises.push("variables");
            }
            if !surprises.is_empty() {
                bail!(
                    "Dependencies may not have their own resources or permissions. Component {target} cannot be used as a dependency of {depender} because it specifies: {}",
                    surprises.join(", ")
                );
            }
            dependency.path = depended_on.source.clone();
        }
    }
    Ok(())
}

/// A dependency key: `ns:pkg[/iface][@version]` or a plain kebab name.
fn validate_dependency_name(name: &str) -> Result<(), String> {
    let Some((namespace, rest)) = name.split_once(':') else {
        return validate_kebab_id(name);
    };
    let path = rest.split_once('@').map_or(rest, |(path, _)| path);
    let (package, interface) = match path.split_once('/') {
        Some((package, interface)) => (package, Some(interface)),
        None => (path, None),
    };
    for part in [Some(namespace), Some(package), interface]
        .into_iter()
        .flatten()
    {
        validate_kebab_id(part)?;
    }
    Ok(())
}

/// Spin's component ids are kebab-case: lowercase letters, digits and
/// single dashes, starting with a letter.
fn validate_kebab_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("must not be empty".into());
    }
    if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(format!(
            "invalid character {c:?}; ids may contain only lowercase letters, digits and dashes"
        ));
    }
    if !id.as_bytes()[0].is_ascii_lowercase() {
        return Err("must start with a lowercase ASCII letter".into());
    }
    if id.ends_with('-') || id.contains("--") {
        return Err("dashes must separate words".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> anyhow::Result<Manifest> {
        Manifest::parse(text, Path::new("/app"))
    }

    const FULL: &str = r#"
#:schema https://schemas.spinframework.dev/spin/manifest-v2/latest.json
spin_manifest_version = 2

[application]
name = "matchday"
version = "0.1.0"
authors = ["someone"]
description = "test"

[variables]
admin_token = { required = true, secret = true }
page_size = { default = "50", future_option = 1 }

[[trigger.http]]
route = "/predict/..."
component = "lookup"

[[trigger.http]]
id = "admin-trigger"
route = "/admin/..."
component = "admin"

[[trigger.http]]
route = { private = true }
component = "internal"

[[trigger.http]]
route = "/static/..."
component = { source = "static.wasm", files = [{ source = "assets", destination = "/" }] }

[component.lookup]
source = "target/wasm32-wasip2/release/lookup.wasm"
key_value_stores = ["default"]
allowed_outbound_hosts = []
files = ["data/*.json", { source = "models", destination = "/models" }]
exclude_files = ["data/secret.json"]
environment = { RUST_LOG = "info" }
future_field = true
[component.lookup.variables]
page_size = "{{ page_size }}"
label = "plain"
[component.lookup.build]
command = "cargo build --target wasm32-wasip2 --release -p lookup"
watch = ["src/**/*.rs"]

[component.admin]
source = "admin.wasm"
key_value_stores = ["default"]
variables = { admin_token = "{{ admin_token }}" }

[component.internal]
source = "internal.wasm"
"#;

    #[test]
    fn parses_full_manifest() {
        let m = parse(FULL).unwrap();
        assert_eq!(m.application.name, "matchday");
        assert_eq!(m.variables.len(), 2);
        assert!(m.variables["admin_token"].secret);
        assert_eq!(m.variables["page_size"].default.as_deref(), Some("50"));

        let ids: Vec<_> = m.http_triggers.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "lookup-http-trigger",
                "admin-trigger",
                "internal-http-trigger",
                "http-trigger1"
            ]
        );
        assert_eq!(m.http_triggers[2].route, TriggerRoute::Private);
        assert_eq!(m.http_triggers[3].component, "http-trigger1-component");

        let lookup = &m.components["lookup"];
        assert_eq!(
            lookup.source,
            Path::new("/app/target/wasm32-wasip2/release/lookup.wasm")
        );
        assert_eq!(lookup.key_value_stores, ["default"]);
        assert_eq!(lookup.variables["page_size"], "{{ page_size }}");
        assert_eq!(
            lookup.files,
            vec![
                FileMount::Pattern("data/*.json".into()),
                FileMount::Placement {
                    source: "models".into(),
                    destination: "/models".into()
                }
            ]
        );
        assert_eq!(lookup.environment["RUST_LOG"], "info");
        assert!(m.warnings.iter().any(|w| w.contains("future_field")));
        assert!(m.warnings.iter().any(|w| w.contains("future_option")));

        let inline = &m.components["http-trigger1-component"];
        assert_eq!(inline.source, Path::new("/app/static.wasm"));
    }

    #[test]
    fn variable_must_be_required_xor_default() {
        let text = FULL.replace(
            r#"page_size = { default = "50", future_option = 1 }"#,
            r#"page_size = { default = "50", required = true }"#,
        );
        let err = format!("{:#}", parse(&text).unwrap_err());
        assert!(err.contains("page_size"), "{err}");
        let text = FULL.replace(
            r#"page_size = { default = "50", future_option = 1 }"#,
            "page_size = {}",
        );
        assert!(parse(&text).is_err());
    }

    #[test]
    fn unknown_template_variable_is_rejected() {
        let text = FULL.replace(r#"label = "plain""#, r#"label = "{{ nope }}""#);
        let err = format!("{:#}", parse(&text).unwrap_err());
        assert!(err.contains("nope"), "{err}");
    }

    #[test]
    fn undefined_store_is_rejected_like_spin() {
        let text = FULL.replace(
            r#"key_value_stores = ["default"]
variables"#,
            r#"key_value_stores = ["cache"]
variables"#,
        );
        let err = format!("{:#}", parse(&text).unwrap_err());
        assert!(
            err.contains("unknown key_value_stores label \"cache\""),
            "{err}"
        );
    }

    #[test]
    fn component_dependencies_resolve_to_the_named_source() {
        let text = format!(
            "{FULL}\n[component.lib]\nsource = \"lib.wasm\"\n\
             [component.internal.dependencies]\n\
             \"matchday:api/lookup\" = {{ component = \"lib\" }}\n\
             \"matchday:api/odds@0.1.0\" = {{ path = \"odds.wasm\", export = \"matchday:api/odds@0.1.0\" }}\n"
        );
        let m = parse(&text).unwrap();
        let deps = &m.components["internal"].dependencies;
        assert_eq!(deps.len(), 2);
        assert_eq!(deps[0].name, "matchday:api/lookup");
        assert_eq!(deps[0].path, Path::new("/app/lib.wasm"));
        assert_eq!(deps[0].component.as_deref(), Some("lib"));
        assert_eq!(deps[1].path, Path::new("/app/odds.wasm"));
        assert_eq!(deps[1].export.as_deref(), Some("matchday:api/odds@0.1.0"));
    }

    #[test]
    fn dependencies_this_host_cannot_serve_are_refused_clearly() {
        let with = |dep: &str| {
            let text = format!("{FULL}\n[component.internal.dependencies]\n{dep}\n");
            format!("{:#}", parse(&text).unwrap_err())
        };
        // A dependency with permissions of its own (Spin refuses it too).
        let err = with(r#""matchday:api/lookup" = { component = "lookup" }"#);
        assert!(err.contains("may not have their own resources"), "{err}");
        assert!(err.contains("key_value_stores"), "{err}");
        let err = with(r#""matchday:api/lookup" = { component = "nobody" }"#);
        assert!(err.contains("does not exist"), "{err}");
        let err = with(r#""matchday:api/lookup" = "1.0.0""#);
        assert!(
            err.contains("registry dependencies are not supported"),
            "{err}"
        );
        let err =
            with(r#""matchday:api/lookup" = { url = "https://x/y.wasm", digest = "sha256:0" }"#);
        assert!(
            err.contains("remote dependencies are not supported"),
            "{err}"
        );
        let err = with(r#""matchday:api" = { path = "x.wasm", export = "y" }"#);
        assert!(err.contains("not currently permitted"), "{err}");
        let err = with(r#""Matchday:Api/x" = { path = "x.wasm" }"#);
        assert!(err.contains("invalid dependency name"), "{err}");
    }

    #[test]
    fn private_false_is_an_error() {
        let text = FULL.replace("route = { private = true }", "route = { private = false }");
        assert!(parse(&text).is_err());
    }

    #[test]
    fn version_one_and_other_triggers_are_refused() {
        assert!(parse("spin_manifest_version = \"1\"\n").is_err());
        let text = format!("{FULL}\n[[trigger.redis]]\nchannel = \"x\"\ncomponent = \"admin\"\n");
        assert!(parse(&text).is_err());
    }

    #[test]
    fn missing_component_reference_is_an_error() {
        let text = FULL.replace(r#"component = "admin""#, r#"component = "nobody""#);
        let err = format!("{:#}", parse(&text).unwrap_err());
        assert!(err.contains("nobody"), "{err}");
    }

    #[test]
    fn kebab_ids() {
        assert!(validate_kebab_id("host-probe").is_ok());
        assert!(validate_kebab_id("a1").is_ok());
        for bad in ["", "Host", "1a", "a_b", "a-", "a--b"] {
            assert!(validate_kebab_id(bad).is_err(), "{bad}");
        }
    }
}
