//! Reading the committed Django vector files: each holds the Django version
//! that wrote it, its keys, and the cases.

use std::fmt::Debug;
use std::path::Path;

use serde_json::Value as Case;
use signring::{Algorithm, DjangoVersion, SecretKey};

/// What every vector file says about the Django that produced it.
pub(crate) struct Producer {
    pub(crate) version: DjangoVersion,
    /// `DEFAULT_HASHING_ALGORITHM`, where the version has it.
    pub(crate) default_hashing_algorithm: Option<Algorithm>,
    /// `SECRET_KEY`, then `SECRET_KEY_FALLBACKS`.
    pub(crate) keys: Vec<SecretKey>,
}

/// Runs `run` over every case of every file, with the context a failure needs,
/// prints per-file counts, and checks each file has at least `min_cases`.
pub(crate) fn check_files<V, C: Default + Debug>(
    files: &[(&str, DjangoVersion)],
    min_cases: usize,
    label: &str,
    vectors: impl Fn(Producer) -> V,
    run: impl Fn(&V, &Case, &str, &mut C),
) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/django");
    let mut total = 0;
    for &(name, version) in files {
        let text =
            std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let file: Case = serde_json::from_str(&text).unwrap();
        let keys = std::iter::once(&file["keys"]["current"])
            .chain(file["keys"]["fallbacks"].as_array().unwrap())
            .map(|k| SecretKey::new(k.as_str().unwrap()).unwrap())
            .collect();
        let default_hashing_algorithm = file["default_hashing_algorithm"]
            .as_str()
            .map(|a| a.parse().unwrap());
        let vectors = vectors(Producer {
            version,
            default_hashing_algorithm,
            keys,
        });
        let cases = file["cases"].as_array().unwrap();
        assert!(
            cases.len() >= min_cases,
            "{name}: only {} cases",
            cases.len()
        );
        let mut counts = C::default();
        for (index, case) in cases.iter().enumerate() {
            let ctx = format!(
                "{name} case {index} ({})",
                case.get("note").and_then(Case::as_str).unwrap_or("")
            );
            run(&vectors, case, &ctx, &mut counts);
        }
        println!(
            "{name} (Django {}): {} cases {counts:?}",
            file["django"].as_str().unwrap(),
            cases.len()
        );
        total += cases.len();
    }
    println!("{total} {label} checked");
}
