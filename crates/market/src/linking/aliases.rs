//! The alias table: feed spellings of team names that normalisation alone
//! cannot match to the source's, e.g. `Wolverhampton Wanderers` → `Wolves`,
//! `Internazionale` → `Inter`.
//!
//! A committed, editable TOML file (`config/team-aliases.toml`):
//!
//! ```toml
//! [aliases]
//! "Wolverhampton Wanderers" = "Wolves"   # feed spelling = football-data spelling
//! ```
//!
//! Both sides are compared after [`normalize`], so one entry covers case,
//! accent and `FC` variants of the feed spelling.

use crate::linking::normalize::{Normalized, normalize};
use serde::Deserialize;
use std::collections::HashMap;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum AliasError {
    #[error("alias file {path}: {detail}")]
    Invalid { path: String, detail: String },
}

#[derive(Debug, Clone, Default)]
pub struct Aliases {
    /// Normalised feed key → normalised source name.
    map: HashMap<String, Normalized>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    aliases: HashMap<String, String>,
}

impl Aliases {
    pub fn parse(text: &str, path: &str) -> Result<Aliases, AliasError> {
        let invalid = |detail: String| AliasError::Invalid {
            path: path.to_string(),
            detail,
        };
        let file: File = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let mut map = HashMap::new();
        for (feed, source) in file.aliases {
            let (from, to) = (normalize(&feed), normalize(&source));
            if from.key().is_empty() || to.key().is_empty() {
                return Err(invalid(format!("empty name in `{feed}` = `{source}`")));
            }
            if let Some(previous) = map.insert(from.key(), to.clone())
                && previous != to
            {
                return Err(invalid(format!(
                    "`{feed}` is listed twice with different targets"
                )));
            }
        }
        Ok(Aliases { map })
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Aliases {
        Aliases {
            map: pairs
                .into_iter()
                .map(|(feed, source)| (normalize(feed).key(), normalize(source)))
                .collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The source name a feed name stands for, if the table has it.
    pub fn resolve(&self, feed: &Normalized) -> Option<&Normalized> {
        self.map.get(&feed.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_match_after_normalisation() {
        let aliases = Aliases::parse(
            "[aliases]\n\"Wolverhampton Wanderers\" = \"Wolves\"\n\"Internazionale\" = \"Inter\"\n",
            "test",
        )
        .unwrap();
        assert_eq!(aliases.len(), 2);
        let hit = aliases
            .resolve(&normalize("WOLVERHAMPTON WANDERERS FC"))
            .unwrap();
        assert_eq!(hit.key(), "wolves");
        assert!(aliases.resolve(&normalize("Wolves")).is_none());
    }

    #[test]
    fn bad_files_are_refused_with_the_path() {
        let err = Aliases::parse("[aliases]\nx = 1\n", "config/a.toml").unwrap_err();
        assert!(err.to_string().contains("config/a.toml"));
        assert!(Aliases::parse("[other]\n", "f").is_err());
        assert!(Aliases::parse("[aliases]\n\"A FC\" = \"X\"\n\"a\" = \"Y\"\n", "f").is_err());
    }
}
