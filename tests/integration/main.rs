//! Integration tests: the public API only, compiled as one binary.

mod api;
mod django_vectors;
mod proptests;
