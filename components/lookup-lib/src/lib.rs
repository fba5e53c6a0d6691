//! `lookup-lib`: the lookup group's reads as the typed WIT interface
//! `matchday:api/lookup`, for components that depend on it (Spin component
//! dependencies). No HTTP: a dependency must export a library interface.
//! The logic is `matchday_core::library`; this file only adapts it.

mod bindings {
    spin_sdk::wit_bindgen::generate!({
        path: "../../wit",
        world: "matchday:api/lookup-provider",
        runtime_path: "::spin_sdk::wit_bindgen::rt",
        with: { "matchday:api/types@0.1.0": matchday_core::types },
    });
    use super::Lookup;
    export!(Lookup);
}

use bindings::exports::matchday::api::lookup::Guest;
use matchday_core::library;
use matchday_core::types::{LookupError, MatchSummary, PrecomputedPrediction};
use matchday_spin::SpinKv;

struct Lookup;

async fn store() -> Result<SpinKv, LookupError> {
    SpinKv::open().await.map_err(|_| {
        LookupError::Unavailable("the data store is unavailable; retry shortly".into())
    })
}

impl Guest for Lookup {
    async fn data_version() -> Result<String, LookupError> {
        library::data_version(&store().await?).await
    }

    async fn precomputed(
        version: String,
        id: i64,
    ) -> Result<Option<PrecomputedPrediction>, LookupError> {
        library::precomputed(&store().await?, &version, id).await
    }

    async fn summary(version: String, id: i64) -> Result<Option<MatchSummary>, LookupError> {
        library::summary(&store().await?, &version, id).await
    }

    async fn upcoming(version: String) -> Result<Vec<MatchSummary>, LookupError> {
        library::upcoming(&store().await?, &version).await
    }
}
