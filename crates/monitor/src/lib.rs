//! Model monitoring computed by the sidecar: feature [`drift`] between the
//! training reference and recent matches (PSI and two-sample KS,
//! [`stats`]), the champion's [`quality`] on matches finished since it was
//! trained next to the bookmaker's, and self-contained [`html`] reports
//! with inline [`svg`] charts. The results are `matchday_observe` records,
//! published through `admin` and served by the `monitoring` component.

pub mod drift;
pub mod html;
pub mod quality;
pub mod stats;
pub mod svg;
