//! `odds-lib`: the odds group's reads as the typed WIT interface
//! `matchday:api/odds`, for components that depend on it. No HTTP.
//! The logic is `matchday_core::library`; this file only adapts it.

mod bindings {
    spin_sdk::wit_bindgen::generate!({
        path: "../../wit",
        world: "matchday:api/odds-provider",
        runtime_path: "::spin_sdk::wit_bindgen::rt",
        with: { "matchday:api/types@0.1.0": matchday_core::types },
    });
    use super::Odds;
    export!(Odds);
}

use bindings::exports::matchday::api::odds::Guest;
use matchday_core::library;
use matchday_core::types::{LookupError, OddsQuote};
use matchday_spin::SpinKv;

struct Odds;

impl Guest for Odds {
    async fn quotes(version: String, id: i64) -> Result<Vec<OddsQuote>, LookupError> {
        let kv = SpinKv::open().await.map_err(|_| {
            LookupError::Unavailable("the data store is unavailable; retry shortly".into())
        })?;
        library::quotes(&kv, &version, id).await
    }
}
