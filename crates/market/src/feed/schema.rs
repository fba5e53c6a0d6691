//! The feed's JSON, in the seed's shape (its `PariEvents` packet): a tree
//! of `sports` (sport → competition segments), `events` (matches, and
//! sub-events such as corners under them), and `customFactors` (prices per
//! event, by factor id).
//!
//! Only what linking and pricing need is modelled; unknown fields are
//! ignored so a feed that adds fields keeps working.

use serde::Deserialize;

/// Factor ids of the 1X2 market: home win, draw, away win.
pub const FACTOR_HOME: u32 = 921;
pub const FACTOR_DRAW: u32 = 922;
pub const FACTOR_AWAY: u32 = 923;

/// One feed packet.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    #[serde(default)]
    pub packet_version: Option<u64>,
    #[serde(default)]
    pub sports: Vec<Sport>,
    #[serde(default)]
    pub events: Vec<Event>,
    #[serde(default)]
    pub custom_factors: Vec<CustomFactors>,
}

/// A sport or a competition segment (`Football. England. Premier League`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Sport {
    pub id: u64,
    #[serde(default)]
    pub parent_id: Option<u64>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub name: String,
}

/// A match (level 1) or one of its sub-events (level > 1, `parent_id` set).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub id: u64,
    #[serde(default)]
    pub parent_id: Option<u64>,
    #[serde(default)]
    pub sport_id: Option<u64>,
    #[serde(default = "one")]
    pub level: u32,
    #[serde(default)]
    pub team1: Option<String>,
    #[serde(default)]
    pub team2: Option<String>,
    /// Kick-off, Unix seconds (UTC).
    #[serde(default)]
    pub start_time: Option<i64>,
}

fn one() -> u32 {
    1
}

/// The prices of one event.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct CustomFactors {
    /// The event id.
    pub e: u64,
    #[serde(default)]
    pub factors: Vec<Factor>,
}

/// One price: factor id and decimal odds.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Factor {
    pub f: u32,
    pub v: f64,
}

impl Snapshot {
    pub fn parse(bytes: &[u8]) -> Result<Snapshot, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}
