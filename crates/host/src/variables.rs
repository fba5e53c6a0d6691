//! Application and component variables, resolved as Spin resolves them.
//!
//! - Application variables (`[variables]`) are either `required = true` or
//!   have a `default` (exactly one of the two, as Spin enforces).
//! - Their value comes from the environment variable
//!   `SPIN_VARIABLE_<NAME_UPPERCASE>` (Spin's default environment provider),
//!   else from the default. A required variable without a value stops the
//!   host at startup, naming the variable, never its value.
//! - A component sees only the names in `[component.x.variables]`; each is
//!   a template (`"{{ admin_token }}"`, `"prefix-{{ a }}"` or a plain
//!   string) over application variables.
//! - Names must be lower_snake_case: start with a lowercase ASCII letter,
//!   contain only lowercase letters, digits and single underscores, and not
//!   end with an underscore.
//!
//! Values are resolved once at startup. Secret values live only in memory:
//! nothing here implements `Debug`/`Display` over a value.

use std::collections::{BTreeMap, HashMap};

/// Why a variable could not be resolved (the `spin:variables` error cases
/// that this host can produce).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VariableError {
    /// The name is not a valid variable name.
    InvalidName(String),
    /// The component has no such variable.
    Undefined(String),
}

/// Checks a variable name with Spin's rules, returning the reason it is
/// invalid.
pub fn validate_name(key: &str) -> Result<(), String> {
    let reason = if key.is_empty() {
        "must not be empty".to_string()
    } else if let Some(invalid) = key
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))
    {
        format!(
            "invalid character {invalid:?}. Variable names may contain only lower-case letters, numbers, and underscores."
        )
    } else if !key.as_bytes()[0].is_ascii_lowercase() {
        "must start with a lowercase ASCII letter".to_string()
    } else if !key.as_bytes()[key.len() - 1].is_ascii_alphanumeric() {
        "must end with a lowercase ASCII letter or digit".to_string()
    } else if key.contains("__") {
        "must not contain multiple consecutive underscores".to_string()
    } else {
        return Ok(());
    };
    Err(format!("{key:?}: {reason}"))
}

/// A parsed value template: literal text and `{{ name }}` references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Lit(String),
    Expr(String),
}

impl Template {
    /// Parses a template; an unmatched `{{` is an error (as in Spin).
    pub fn parse(template: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = template;
        while !rest.is_empty() {
            if let Some(after_open) = rest.strip_prefix("{{") {
                let Some((expr, after)) = after_open.split_once("}}") else {
                    return Err("unmatched '{{' in template".to_string());
                };
                parts.push(Part::Expr(expr.trim().to_string()));
                rest = after;
            } else if let Some(index) = rest.find("{{") {
                parts.push(Part::Lit(rest[..index].to_string()));
                rest = &rest[index..];
            } else {
                parts.push(Part::Lit(rest.to_string()));
                rest = "";
            }
        }
        Ok(Self { parts })
    }

    /// The application variables the template refers to.
    pub fn references(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Expr(e) => Some(e.as_str()),
            Part::Lit(_) => None,
        })
    }

    fn render(&self, values: &HashMap<String, String>) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Lit(lit) => out.push_str(lit),
                Part::Expr(name) => out.push_str(values.get(name)?),
            }
        }
        Some(out)
    }
}

/// An application variable declaration from `[variables]`.
#[derive(Clone, PartialEq, Eq)]
pub struct VariableDecl {
    /// The default value, if any.
    pub default: Option<String>,
    /// `required = true`.
    pub required: bool,
    /// `secret = true`: never printed.
    pub secret: bool,
}

impl std::fmt::Debug for VariableDecl {
    // A secret default must never reach a log through `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VariableDecl")
            .field("has_default", &self.default.is_some())
            .field("required", &self.required)
            .field("secret", &self.secret)
            .finish()
    }
}

/// Resolved variables for every component of the app.
#[derive(Default)]
pub struct Variables {
    per_component: HashMap<String, HashMap<String, String>>,
}

impl std::fmt::Debug for Variables {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: BTreeMap<&String, Vec<&String>> = self
            .per_component
            .iter()
            .map(|(c, vars)| (c, vars.keys().collect()))
            .collect();
        f.debug_struct("Variables").field("names", &names).finish()
    }
}

impl Variables {
    /// Resolves every application variable (environment override, else
    /// default) and then every component's templates. `env` looks up an
    /// environment variable (injected so tests need not mutate the process
    /// environment).
    pub fn resolve(
        app_vars: &BTreeMap<String, VariableDecl>,
        components: &BTreeMap<String, BTreeMap<String, String>>,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Self> {
        let mut values = HashMap::new();
        let mut missing = Vec::new();
        for (name, decl) in app_vars {
            validate_name(name)
                .map_err(|e| anyhow::anyhow!("invalid application variable name {e}"))?;
            let env_name = format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase());
            match env(&env_name).or_else(|| decl.default.clone()) {
                Some(value) => {
                    values.insert(name.clone(), value);
                }
                None => missing.push(name.clone()),
            }
        }
        if !missing.is_empty() {
            let hints = missing
                .iter()
                .map(|n| format!("{n:?} (set SPIN_VARIABLE_{})", n.to_ascii_uppercase()))
                .collect::<Vec<_>>()
                .join(", ");
            anyhow::bail!("required application variable(s) have no value: {hints}");
        }

        let mut per_component = HashMap::new();
        for (component, vars) in components {
            let mut resolved = HashMap::new();
            for (key, template) in vars {
                validate_name(key).map_err(|e| {
                    anyhow::anyhow!("component {component:?}: invalid variable name {e}")
                })?;
                let parsed = Template::parse(template).map_err(|e| {
                    anyhow::anyhow!("component {component:?}: variable {key:?}: {e}")
                })?;
                if let Some(unknown) = parsed.references().find(|r| !app_vars.contains_key(*r)) {
                    anyhow::bail!(
                        "component {component:?}: variable {key:?} refers to unknown application variable {unknown:?}"
                    );
                }
                let value = parsed.render(&values).ok_or_else(|| {
                    anyhow::anyhow!("component {component:?}: variable {key:?} did not resolve")
                })?;
                resolved.insert(key.clone(), value);
            }
            per_component.insert(component.clone(), resolved);
        }
        Ok(Self { per_component })
    }

    /// The view of one component (what `spin:variables/get` answers from).
    pub fn for_component(&self, component: &str) -> ComponentVariables {
        ComponentVariables {
            values: self
                .per_component
                .get(component)
                .cloned()
                .unwrap_or_default(),
        }
    }
}

/// The variables one component may read.
#[derive(Clone, Default)]
pub struct ComponentVariables {
    values: HashMap<String, String>,
}

impl ComponentVariables {
    /// `spin:variables/variables.get`.
    pub fn get(&self, name: &str) -> Result<String, VariableError> {
        validate_name(name).map_err(VariableError::InvalidName)?;
        self.values
            .get(name)
            .cloned()
            .ok_or_else(|| VariableError::Undefined(format!("no variable for {name:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decl(default: Option<&str>, required: bool, secret: bool) -> VariableDecl {
        VariableDecl {
            default: default.map(str::to_string),
            required,
            secret,
        }
    }

    fn app() -> BTreeMap<String, VariableDecl> {
        BTreeMap::from([
            ("greeting".to_string(), decl(Some("hello"), false, false)),
            ("admin_token".to_string(), decl(None, true, true)),
        ])
    }

    fn comps(pairs: &[(&str, &str)]) -> BTreeMap<String, BTreeMap<String, String>> {
        BTreeMap::from([(
            "probe".to_string(),
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )])
    }

    #[test]
    fn names_follow_spin_rules() {
        for good in ["a", "abc", "a1b2c3", "a_1", "a_1_b_3"] {
            assert!(validate_name(good).is_ok(), "{good}");
        }
        for bad in ["", "aX", "1bc", "_x", "x.y", "x_", "a__b", "x-y"] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn templates_parse() {
        let t = Template::parse("a-{{ expr }}-b").unwrap();
        assert_eq!(
            t.parts,
            vec![
                Part::Lit("a-".into()),
                Part::Expr("expr".into()),
                Part::Lit("-b".into())
            ]
        );
        let t = Template::parse("{{x}}{{ y }}").unwrap();
        assert_eq!(t.references().collect::<Vec<_>>(), vec!["x", "y"]);
        assert!(Template::parse("{{ ok }} {{ unmatched").is_err());
        assert!(Template::parse("").unwrap().parts.is_empty());
    }

    #[test]
    fn defaults_templates_and_literals() {
        let vars = Variables::resolve(
            &app(),
            &comps(&[
                ("token", "{{ admin_token }}"),
                ("msg", "{{greeting}}, world"),
                ("plain", "just text"),
            ]),
            |k| (k == "SPIN_VARIABLE_ADMIN_TOKEN").then(|| "s3cret".to_string()),
        )
        .unwrap();
        let probe = vars.for_component("probe");
        assert_eq!(probe.get("token").unwrap(), "s3cret");
        assert_eq!(probe.get("msg").unwrap(), "hello, world");
        assert_eq!(probe.get("plain").unwrap(), "just text");
    }

    #[test]
    fn env_overrides_default() {
        let vars = Variables::resolve(&app(), &comps(&[("msg", "{{ greeting }}")]), |k| match k {
            "SPIN_VARIABLE_GREETING" => Some("bonjour".into()),
            "SPIN_VARIABLE_ADMIN_TOKEN" => Some("x".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(vars.for_component("probe").get("msg").unwrap(), "bonjour");
    }

    #[test]
    fn missing_required_variable_is_named_without_values() {
        let err = Variables::resolve(&app(), &comps(&[]), |_| None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("admin_token"), "{err}");
        assert!(err.contains("SPIN_VARIABLE_ADMIN_TOKEN"), "{err}");
        assert!(!err.contains("hello"), "{err}");
    }

    #[test]
    fn undeclared_and_invalid_names() {
        let vars = Variables::resolve(&app(), &comps(&[("msg", "{{ greeting }}")]), |_| {
            Some("x".into())
        })
        .unwrap();
        let probe = vars.for_component("probe");
        assert!(matches!(
            probe.get("greeting"),
            Err(VariableError::Undefined(_))
        ));
        assert!(matches!(
            probe.get("Bad-Name"),
            Err(VariableError::InvalidName(_))
        ));
        let other = vars.for_component("other");
        assert!(matches!(other.get("msg"), Err(VariableError::Undefined(_))));
    }

    #[test]
    fn template_referring_to_unknown_variable_fails() {
        let err = Variables::resolve(&app(), &comps(&[("x", "{{ nope }}")]), |_| Some("v".into()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("nope"), "{err}");
    }

    #[test]
    fn debug_never_shows_values() {
        let d = decl(Some("topsecret"), false, true);
        assert!(!format!("{d:?}").contains("topsecret"));
        let vars = Variables::resolve(&app(), &comps(&[("token", "{{ admin_token }}")]), |_| {
            Some("topsecret".into())
        })
        .unwrap();
        assert!(!format!("{vars:?}").contains("topsecret"));
    }
}
