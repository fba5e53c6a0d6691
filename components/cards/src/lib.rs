//! `cards`: match cards (predictions joined with odds, value bets).
//!
//! Predictions and odds come only through the typed interfaces of the
//! lookup and odds groups (`matchday:api/lookup`, `matchday:api/odds`),
//! which Spin plugs in from the `lookup-lib` and `odds-lib` components
//! (`[component.cards.dependencies]` in spin.toml). The card listings are
//! cards' own records. The logic is `matchday_core::market::cards`.

mod bindings {
    spin_sdk::wit_bindgen::generate!({
        path: "../../wit",
        world: "matchday:api/cards-client",
        runtime_path: "::spin_sdk::wit_bindgen::rt",
        with: { "matchday:api/types@0.1.0": matchday_core::types },
    });
}

use bindings::matchday::api::{lookup, odds};
use matchday_core::market::cards::{self, CardSource};
use matchday_core::types::{LookupError, MatchSummary, OddsQuote, PrecomputedPrediction};
use matchday_spin::Incoming;
use spin_sdk::http::{IntoResponse, Request};
use spin_sdk::http_service;

/// The imported interfaces, as core's card source.
struct Interfaces;

impl CardSource for Interfaces {
    async fn data_version(&self) -> Result<String, LookupError> {
        lookup::data_version().await
    }
    async fn precomputed(
        &self,
        version: &str,
        id: i64,
    ) -> Result<Option<PrecomputedPrediction>, LookupError> {
        lookup::precomputed(version.to_string(), id).await
    }
    async fn summary(&self, version: &str, id: i64) -> Result<Option<MatchSummary>, LookupError> {
        lookup::summary(version.to_string(), id).await
    }
    async fn quotes(&self, version: &str, id: i64) -> Result<Vec<OddsQuote>, LookupError> {
        odds::quotes(version.to_string(), id).await
    }
}

#[http_service]
async fn handle(request: Request) -> impl IntoResponse {
    matchday_spin::serve("cards", request, async |req: Incoming| {
        Ok(cards::handle(
            &req.method,
            &req.path,
            req.raw_query.as_deref(),
            &Interfaces,
            req.kv()?,
        )
        .await)
    })
    .await
}
