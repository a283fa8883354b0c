//! Integration tests: the public API only, compiled as one binary.

// Vector indices (`as_u64() as usize`) are tiny, and Unix times as f64 are
// what Django computes with.
#![allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
#![allow(clippy::unwrap_used)] // a test that cannot set up should fail loudly

/// What a test returns: any error fails it.
type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

mod api;
#[cfg(feature = "django")]
mod django_adapters;
mod django_algorithms;
#[cfg(feature = "django")]
mod django_proptests;
mod django_vectors;
mod proptests;
mod review;
mod vector_files;
