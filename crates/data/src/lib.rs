//! Ingestion and the embedded match store (work in progress).
