//! The shared records, generated from `wit/types.wit` so that the WIT package
//! stays their only definition.

wit_bindgen::generate!({
    path: "../../wit",
    world: "matchday:api/records",
    generate_all,
    generate_unused_types: true,
    // Records compare by value (tests, and the market code's round trips).
    additional_derives: [PartialEq],
});

pub use matchday::api::types::*;
