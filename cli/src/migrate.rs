//! `signring django session migrate`: every stored session moved to the
//! current key, where it lives (the `signring-migrate` crate).

use std::io::IsTerminal as _;
use std::path::PathBuf;

use clap::Args;
use signring::json::{Map, Value};
use signring::{DjangoVersion, KeyRing, Options};
use signring_migrate::{
    CacheKeys, Engine, MigrateError, Migrator, Report, StoreConfig, StoreError, UserTable,
    open_store,
};

use crate::django::hashing_algorithm;
use crate::{Failure, print_json};

/// Options of `django session migrate`.
#[derive(Debug, Args)]
pub(crate) struct MigrateArgs {
    /// Django's SESSION_ENGINE: db, cached_db, cache or file (signed_cookies
    /// sessions live in the browsers and cannot be migrated offline).
    #[arg(long, value_parser = parse_engine)]
    engine: Engine,
    /// The database: sqlite:///path/to/db.sqlite3, postgres://user@host:port/db
    /// or mysql://user@host:port/db. The sessions of db and cached_db; the
    /// users' password hashes for every engine. A password in the URL is
    /// never printed, but other local users can read the command line.
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// The cache (cached_db, cache): redis://host:port/N.
    #[arg(long, value_name = "URL")]
    cache: Option<String>,
    /// CACHES' KEY_PREFIX.
    #[arg(long, value_name = "P", default_value = "")]
    cache_key_prefix: String,
    /// CACHES' VERSION.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1,
        allow_hyphen_values = true
    )]
    cache_version: i64,
    /// SESSION_FILE_PATH (file).
    #[arg(long, value_name = "DIR")]
    file_path: Option<PathBuf>,
    /// SESSION_COOKIE_NAME, the session files' prefix (file).
    #[arg(long, value_name = "NAME", default_value = "sessionid")]
    cookie_name: String,
    /// The session table.
    #[arg(long, value_name = "TABLE", default_value = "django_session")]
    table: String,
    /// The user table (a custom user model's).
    #[arg(long, value_name = "TABLE", default_value = "auth_user")]
    user_table: String,
    /// The user table's primary key (what _auth_user_id holds).
    #[arg(long, value_name = "COLUMN", default_value = "id")]
    user_id_column: String,
    /// The user table's password-hash column.
    #[arg(long, value_name = "COLUMN", default_value = "password")]
    password_column: String,
    /// Sessions per batch, and per transaction.
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    batch_size: u64,
    /// Resume from, and record progress in, FILE (the cursor after the last
    /// committed batch). Readable by its owner only: it holds a session key.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// At most ROWS_PER_S sessions a second.
    #[arg(long, value_name = "ROWS_PER_S", value_parser = parse_rate)]
    max_rate: Option<f64>,
    /// Write nothing (not even the state file); report what would be done.
    #[arg(long)]
    dry_run: bool,
    /// Print one JSON object when done.
    #[arg(long)]
    json: bool,
}

fn parse_engine(text: &str) -> Result<Engine, String> {
    text.parse()
        .map_err(|e: signring_migrate::EngineError| e.to_string())
}

fn parse_rate(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err("expected a positive number of sessions per second".to_owned()),
    }
}

/// Runs the migration. Exit 0: it ran to the end; 1: to the end, but some
/// sessions were undecodable or changed meanwhile; 2: usage, configuration or
/// connection errors (the batch in progress rolled back).
pub(crate) fn run(
    args: &MigrateArgs,
    ring: &KeyRing,
    version: DjangoVersion,
) -> Result<(), Failure> {
    let mut report = Report::new(args.engine, args.dry_run);
    let result = migrate(args, ring, version, &mut report);
    for warning in &report.warnings {
        eprintln!("signring: warning: {warning}");
    }
    match result {
        Ok(target) => {
            if args.json {
                print_json(&Value::Object(json_report(&report, true)));
            } else {
                print_summary(&report, &target);
            }
            if report.is_clean() {
                Ok(())
            } else {
                Err(Failure::Silent)
            }
        }
        Err(error) => {
            if args.json {
                let mut object = json_report(&report, false);
                object.insert("error".into(), Value::String(error_kind(&error).into()));
                object.insert("message".into(), Value::String(error.to_string()));
                print_json(&Value::Object(object));
            }
            Err(Failure::Config(error.to_string()))
        }
    }
}

/// Opens the store and migrates it; the store's description on success.
fn migrate(
    args: &MigrateArgs,
    ring: &KeyRing,
    version: DjangoVersion,
    report: &mut Report,
) -> Result<String, MigrateError> {
    let config_error = |failure: Failure| match failure {
        Failure::Config(message) => MigrateError::Config(message),
        _ => MigrateError::Config("invalid configuration".into()),
    };
    let mut options = Options::new().django(version);
    if let Some(algorithm) = hashing_algorithm(version).map_err(config_error)? {
        options = options.algorithm(algorithm);
    }
    let mut config = StoreConfig::new(args.engine);
    config.database.clone_from(&args.database);
    config.cache.clone_from(&args.cache);
    config.cache_keys = CacheKeys::new(args.cache_key_prefix.clone(), args.cache_version);
    config.file_path.clone_from(&args.file_path);
    config.cookie_name.clone_from(&args.cookie_name);
    config.table.clone_from(&args.table);
    config.users = UserTable::new(
        &args.user_table,
        &args.user_id_column,
        &args.password_column,
    )?;
    let batch_size = usize::try_from(args.batch_size)
        .map_err(|_| MigrateError::Config("--batch-size is too large".into()))?;
    let mut builder = Migrator::builder(ring)
        .options(options)
        .batch_size(batch_size)
        .dry_run(args.dry_run)
        .progress(!args.json && std::io::stderr().is_terminal());
    if let Some(path) = &args.state {
        builder = builder.state_file(path);
    }
    if let Some(rate) = args.max_rate {
        builder = builder.max_rate(rate);
    }
    let migrator = builder.build()?;
    let mut store = open_store(&config)?;
    migrator.run_into(store.as_mut(), report)?;
    Ok(store.target())
}

/// The contract's JSON fields, in order.
fn json_report(report: &Report, ok: bool) -> Map {
    let count = |n: u64| Value::Integer(i128::from(n));
    let mut object = Map::new();
    object.insert("ok".into(), Value::Bool(ok));
    object.insert(
        "engine".into(),
        Value::String(report.engine.as_str().into()),
    );
    object.insert("dry_run".into(), Value::Bool(report.dry_run));
    object.insert("scanned".into(), count(report.scanned));
    object.insert("fresh".into(), count(report.fresh));
    object.insert("resigned".into(), count(report.resigned));
    object.insert("hash_rewritten".into(), count(report.hash_rewritten));
    object.insert("undecodable".into(), count(report.undecodable));
    object.insert(
        "skipped_concurrent".into(),
        count(report.skipped_concurrent),
    );
    let mut by_key = Map::new();
    for (id, n) in &report.by_key {
        by_key.insert(id.clone(), count(*n));
    }
    object.insert("by_key".into(), Value::Object(by_key));
    object
}

fn print_summary(report: &Report, target: &str) {
    let verb = if report.dry_run {
        "would migrate"
    } else {
        "migrated"
    };
    println!("{verb} {} sessions in {target}", report.engine);
    println!(
        "  scanned {}: fresh {}, resigned {} (auth hash rewritten {}), undecodable {}, skipped (changed meanwhile) {}",
        report.scanned,
        report.fresh,
        report.resigned,
        report.hash_rewritten,
        report.undecodable,
        report.skipped_concurrent
    );
    let by_key: Vec<String> = report
        .by_key
        .iter()
        .map(|(id, n)| format!("{id} {n}"))
        .collect();
    println!("  verified by key: {}", by_key.join(", "));
    if !report.undecodable_reasons.is_empty() {
        let reasons: Vec<String> = report
            .undecodable_reasons
            .iter()
            .map(|(reason, n)| format!("{reason} {n}"))
            .collect();
        println!("  left as they are (undecodable): {}", reasons.join(", "));
    }
    if report.logged_out > 0 {
        println!(
            "  logged out by Django whatever the key: {} (user not found: {})",
            report.logged_out, report.users_missing
        );
    }
    if report.skipped_concurrent > 0 {
        println!("  run it again to migrate the sessions changed meanwhile");
    }
    if report.dry_run {
        println!("  dry run: nothing was written");
    }
}

fn error_kind(error: &MigrateError) -> &'static str {
    match error {
        MigrateError::Config(_) => "config",
        MigrateError::Store(StoreError::Connect { .. }) => "connection",
        MigrateError::Store(_) => "store",
        MigrateError::State(_) => "state",
        MigrateError::OldKeyStillSigning { .. } => "old_key_still_signing",
        _ => "error",
    }
}
