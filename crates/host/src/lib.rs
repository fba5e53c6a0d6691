//! Local Spin-compatible host (work in progress).
