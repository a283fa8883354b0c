//! Integration tests: the public API only, compiled as one binary.

#![allow(clippy::unwrap_used)] // a test that cannot set up should fail loudly

mod api;
mod django_vectors;
mod proptests;
