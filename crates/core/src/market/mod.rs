//! The market groups: bookmaker odds, match cards (predictions joined with
//! odds, value bets) and the flat-stake ROI table.
//!
//! As for lookup, everything a request returns is built at publish time
//! ([`card`], [`wire`]) and laid out by [`layout`]; the request paths
//! ([`odds`], [`cards`], [`roi`]) read the live pointer and a few records of
//! that version. The value-bet rule and the odds a card prices with are in
//! [`value`], shared with the native ROI simulation.

pub mod card;
pub mod cards;
pub mod day_index;
pub mod layout;
pub mod odds;
mod pages;
pub mod roi;
pub mod value;
pub mod wire;
