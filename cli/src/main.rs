//! `signring`: sign, verify and inspect Django-compatible signed values from the
//! command line. Keys come from the environment or a file, never from argv.

#![forbid(unsafe_code)]

mod django;
mod inspect;
mod keygen;
mod keys;
mod migrate;
mod plan;
mod resign;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use serde::Serialize;
use signring::json::{self, Value};
use signring::{
    Algorithm, ConfigError, DUMPS_SALT, DjangoVersion, Error, MaxAge, Signer, SignerBuilder,
    TimestampSigner, UnixTime, Verified,
};

/// Sign and verify values exactly as Django does, with a key ring.
///
/// Keys: SECRET_KEY is the current key and SECRET_KEY_FALLBACKS a JSON array of
/// older keys, tried in order; or --keys-file FILE (first key current, each
/// further one a fallback; "# " starts a comment); or --ring FILE (JSON with
/// current, fallbacks and staged keys, ids and not_after). Keys that fail
/// Django's W009/W025 checks are refused unless --allow-weak-keys. Keys are
/// never taken from the command line.
///
/// Exit codes: 0 ok, 1 verification failed, 2 usage or configuration error.
#[derive(Debug, Parser)]
#[command(name = "signring", version, max_term_width = 100)]
struct Cli {
    /// The Django release on the other side.
    #[arg(long, global = true, default_value = "6.1", value_parser = parse_version)]
    django: DjangoVersion,
    /// Read the keys from FILE (one per line) instead of the environment.
    #[arg(long, global = true, value_name = "FILE", conflicts_with = "ring")]
    keys_file: Option<PathBuf>,
    /// Read the ring from FILE: JSON {"current": {"secret", "id", "not_after"},
    /// "fallbacks": [...], "staged": [...]}.
    #[arg(long, global = true, value_name = "FILE")]
    ring: Option<PathBuf>,
    /// Accept keys that fail Django's W009/W025 checks (tests, fixtures);
    /// also SIGNRING_ALLOW_WEAK_KEYS=1 in the environment.
    #[arg(long, global = true)]
    allow_weak_keys: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sign VALUE (Django's Signer, or TimestampSigner with --timestamp).
    Sign {
        #[command(flatten)]
        common: Common,
        /// Add a timestamp (TimestampSigner).
        #[arg(long)]
        timestamp: bool,
        /// The time to sign at, in Unix seconds (default: now).
        #[arg(long, value_name = "SECS", requires = "timestamp", allow_hyphen_values = true, value_parser = parse_secs)]
        now: Option<f64>,
        /// The value to sign.
        value: String,
    },
    /// Verify SIGNED and print its value.
    Unsign {
        #[command(flatten)]
        common: Common,
        /// The value carries a timestamp (TimestampSigner).
        #[arg(long)]
        timestamp: bool,
        /// Refuse values older than SECS seconds.
        #[arg(long, value_name = "SECS", requires = "timestamp", allow_hyphen_values = true, value_parser = parse_secs)]
        max_age: Option<f64>,
        /// The time to check against, in Unix seconds (default: now).
        #[arg(long, value_name = "SECS", requires = "timestamp", allow_hyphen_values = true, value_parser = parse_secs)]
        now: Option<f64>,
        /// Print one JSON object with the outcome.
        #[arg(long)]
        json: bool,
        /// The signed value.
        signed: String,
    },
    /// Sign a JSON value (signing.dumps, or Signer.sign_object with --no-timestamp).
    Dumps {
        #[command(flatten)]
        common: Common,
        /// Compress the payload when that makes it shorter.
        #[arg(long)]
        compress: bool,
        /// No timestamp: Signer.sign_object instead of signing.dumps.
        #[arg(long)]
        no_timestamp: bool,
        /// The time to sign at, in Unix seconds (default: now).
        #[arg(long, value_name = "SECS", conflicts_with = "no_timestamp", allow_hyphen_values = true, value_parser = parse_secs)]
        now: Option<f64>,
        /// The JSON value to sign (Python's JSON: NaN and Infinity allowed).
        json: String,
    },
    /// Verify a signed object and print its JSON (signing.loads).
    Loads {
        #[command(flatten)]
        common: Common,
        /// No timestamp: Signer.unsign_object instead of signing.loads.
        #[arg(long)]
        no_timestamp: bool,
        /// Refuse values older than SECS seconds.
        #[arg(long, value_name = "SECS", conflicts_with = "no_timestamp", allow_hyphen_values = true, value_parser = parse_secs)]
        max_age: Option<f64>,
        /// The time to check against, in Unix seconds (default: now).
        #[arg(long, value_name = "SECS", conflicts_with = "no_timestamp", allow_hyphen_values = true, value_parser = parse_secs)]
        now: Option<f64>,
        /// Print one JSON object with the outcome.
        #[arg(long)]
        json: bool,
        /// The signed value.
        signed: String,
    },
    /// Print a new 50-character key from the OS random generator.
    ///
    /// The key passes Django's key checks (W009) under the --django profile:
    /// a candidate that would fail one is drawn again.
    Keygen,
    /// Find out which format, salt and key verified VALUE.
    ///
    /// Tries every known format and salt, and reports the first that verifies:
    /// format, salt, key index and key id (never the key), timestamp, whether
    /// it is stale, and the value. Formats: signer, timestamp_signer, dumps, session, session_legacy,
    /// signed_cookies_session, signed_cookie (with --name), messages,
    /// messages_raw, messages_legacy; read under the --django profile plus the
    /// older formats it no longer reads. Nothing is checked against a max_age.
    /// Exits 0 when something verified, 1 when nothing did.
    Inspect {
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
        /// Also try the signed cookie of this name (both salt variants).
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        /// Also try Signer and TimestampSigner with this salt; with --name, the
        /// cookie's salt argument (default "").
        #[arg(long, value_name = "S")]
        salt: Option<String>,
        /// The value (a cookie value may be quoted).
        value: String,
    },
    /// Re-sign values read from stdin, one per line, with the current key.
    ///
    /// Each input line gives one output line: the value unchanged when it is
    /// fresh, re-signed with the current key (keeping its timestamp) when a
    /// fallback key or an old algorithm, salt or format verified it, and
    /// `!error KIND` (bad_signature, expired, malformed, payload) when it does
    /// not verify. A line longer than 4 MiB (the library's input limit) is
    /// skipped without being held in memory and gives `!error malformed`.
    /// Totals go to stderr (with a progress line when it is a terminal).
    /// Exits 1 when any value failed.
    ///
    /// Sessions keep their payload and timestamp and get a new signature;
    /// one that changes format (legacy to signed) is encoded again at the
    /// current time, the legacy format having no timestamp. `_auth_user_hash`
    /// is not rewritten: `django session rotate` does that, given the user's
    /// password hash.
    Resign {
        /// The salt (default: that of the format's Django call; for cookies
        /// the salt argument, default "").
        #[arg(long, value_name = "S")]
        salt: Option<String>,
        /// The values carry a timestamp: the same as --format timestamp.
        #[arg(long)]
        timestamp: bool,
        /// What the values are (default signer, or timestamp with --timestamp).
        #[arg(long, value_enum)]
        format: Option<resign::Format>,
        /// The cookie's name (--format cookie).
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        /// The session backend (--format session).
        #[arg(long, default_value = "db", value_parser = django::parse_backend)]
        backend: signring::django::SessionBackend,
    },
    /// Print the phases of the next key rotation, by key id.
    ///
    /// For the configured keys (ids only, never keys): stage the new key on
    /// every server, promote it, retire the old one after the grace period,
    /// which must cover the longest max_age in use and runs from the last
    /// promotion (--promote-at).
    RotatePlan {
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
        /// Seconds the old key keeps verifying after the promotion (default:
        /// the longest max_age known: SESSION_COOKIE_AGE, 1209600, or
        /// PASSWORD_RESET_TIMEOUT if longer).
        #[arg(long, value_name = "SECS")]
        grace: Option<u64>,
        /// A max_age your own code uses, in seconds (repeatable): the grace
        /// period should cover it.
        #[arg(long = "max-age", value_name = "SECS")]
        max_ages: Vec<u64>,
        /// When the plan starts, in Unix seconds (default: now).
        #[arg(long, value_name = "SECS", allow_hyphen_values = true, value_parser = parse_secs)]
        now: Option<f64>,
        /// When the last server will have promoted the new key, in Unix seconds
        /// (default: the plan's start). The grace period runs from here: the
        /// old key's end and the retire step are this plus the grace period.
        #[arg(long, value_name = "SECS", allow_hyphen_values = true, value_parser = parse_secs)]
        promote_at: Option<f64>,
    },
    /// Django's own artifacts: sessions, auth hash, reset tokens, cookies, messages.
    Django {
        #[command(subcommand)]
        command: django::Command,
    },
}

/// Options every signing command shares.
#[derive(Debug, Args)]
pub(crate) struct Common {
    /// The salt (default: that of the Django call the command mirrors).
    #[arg(long, value_name = "S")]
    pub(crate) salt: Option<String>,
    /// The separator (default ":").
    #[arg(long, value_name = "C", default_value = ":")]
    pub(crate) sep: String,
    /// md5, sha1, sha224, sha256, sha384, sha512, blake2b, blake2s, sha3_224,
    /// sha3_256, sha3_384 or sha3_512 (default: the Django version's).
    #[arg(long, value_name = "A", value_parser = parse_algorithm)]
    pub(crate) algorithm: Option<Algorithm>,
}

fn parse_version(text: &str) -> Result<DjangoVersion, String> {
    text.parse().map_err(|e: ConfigError| e.to_string())
}

pub(crate) fn parse_algorithm(text: &str) -> Result<Algorithm, String> {
    text.parse().map_err(|e: ConfigError| e.to_string())
}

/// Seconds as a finite number: `nan`, `inf` and numbers too large for a
/// double (`1e999`) are refused, as they would make every comparison with
/// them false (a `--max-age nan` would never expire anything).
pub(crate) fn parse_secs(text: &str) -> Result<f64, String> {
    let secs = text
        .trim()
        .parse::<f64>()
        .map_err(|_| "expected a number of seconds".to_owned())?;
    if secs.is_finite() {
        Ok(secs)
    } else {
        Err("expected a finite number of seconds, not NaN or infinity".to_owned())
    }
}

/// A failure and the exit code it maps to.
pub(crate) enum Failure {
    /// Verification failed (exit 1); `json` selects the JSON report.
    Verification(Error, bool),
    /// Usage or configuration (exit 2).
    Config(String),
    /// A session that must not be rotated (exit 1).
    Rotation(signring::django::RotateError, bool),
    /// Exit 1 with everything already printed.
    Silent,
}

impl From<ConfigError> for Failure {
    fn from(error: ConfigError) -> Self {
        Failure::Config(format!("invalid configuration: {error}"))
    }
}

impl From<Error> for Failure {
    /// The type decides the exit code: a value that does not verify is 1; a
    /// request no value could satisfy (re-signing for another signer, a reset
    /// token before 2001) is a usage error, 2.
    fn from(error: Error) -> Self {
        match error {
            Error::Unsupported(_) | Error::OtherSigner => Failure::Config(error.to_string()),
            error => Failure::Verification(error, false),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Verification(error, json)) => {
            if json {
                print_json(&FailureReport {
                    ok: false,
                    error: error_kind(&error),
                });
            } else {
                eprintln!("signring: {error}");
            }
            ExitCode::from(1)
        }
        Err(Failure::Rotation(error, json)) => {
            if json {
                print_json(&FailureReport {
                    ok: false,
                    error: django::rotate_error_kind(&error),
                });
            } else {
                eprintln!("signring: {error}");
            }
            ExitCode::from(1)
        }
        Err(Failure::Silent) => ExitCode::from(1),
        Err(Failure::Config(message)) => {
            eprintln!("signring: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: &Cli) -> Result<(), Failure> {
    if let Command::Keygen = cli.command {
        let key = keygen::generate(cli.django).map_err(Failure::Config)?;
        println!("{}", key.as_str());
        return Ok(());
    }
    let source = match (&cli.keys_file, &cli.ring) {
        (Some(path), _) => keys::Source::KeysFile(path),
        (None, Some(path)) => keys::Source::RingFile(path),
        (None, None) => keys::Source::Environment,
    };
    // `django check-key` exists to report weak keys, so it loads them.
    let checking = matches!(
        &cli.command,
        Command::Django {
            command: django::Command::CheckKey { .. }
        }
    );
    let allow_weak = cli.allow_weak_keys || checking || weak_keys_allowed_by_env()?;
    let ring = keys::load(source, cli.django, allow_weak).map_err(Failure::Config)?;
    let version = cli.django;
    match &cli.command {
        Command::Sign {
            common,
            timestamp: false,
            value,
            ..
        } => {
            let signer = configure(Signer::builder(&ring), common, None, version)?.build()?;
            println!("{}", signer.sign(value));
        }
        Command::Sign {
            common,
            timestamp: true,
            now,
            value,
        } => {
            let signer =
                configure(TimestampSigner::builder(&ring), common, None, version)?.build()?;
            println!("{}", signer.sign_at(value, at(*now)));
        }
        Command::Unsign {
            common,
            timestamp: false,
            json,
            signed,
            ..
        } => {
            let signer = configure(Signer::builder(&ring), common, None, version)?.build()?;
            let verified = signer
                .unsign(signed)
                .map_err(|e| Failure::Verification(e, *json))?;
            report(verified.map(|v| Value::String(v.to_owned())), *json, |v| {
                print_raw(v)
            });
        }
        Command::Unsign {
            common,
            timestamp: true,
            max_age,
            now,
            json,
            signed,
        } => {
            let mut builder = configure(TimestampSigner::builder(&ring), common, None, version)?;
            if let Some(max_age) = max_age {
                builder = builder.max_age(MaxAge::from_secs_f64(*max_age));
            }
            let verified = builder
                .build()?
                .unsign_at(signed, at(*now))
                .map_err(|e| Failure::Verification(e, *json))?;
            report(verified.map(|v| Value::String(v.to_owned())), *json, |v| {
                print_raw(v)
            });
        }
        Command::Dumps {
            common,
            compress,
            no_timestamp,
            now,
            json: input,
        } => {
            let value: Value = json::from_str(input)
                .map_err(|e| Failure::Config(format!("JSON argument: {e}")))?;
            let signed = if *no_timestamp {
                configure(Signer::builder(&ring), common, None, version)?
                    .build()?
                    .sign_object(&value, *compress)?
            } else {
                let builder = configure(
                    TimestampSigner::builder(&ring),
                    common,
                    Some(DUMPS_SALT),
                    version,
                )?;
                builder
                    .build()?
                    .sign_object_at(&value, *compress, at(*now))?
            };
            println!("{signed}");
        }
        Command::Loads {
            common,
            no_timestamp,
            max_age,
            now,
            json,
            signed,
        } => {
            let verified = if *no_timestamp {
                let signer = configure(Signer::builder(&ring), common, None, version)?.build()?;
                signer.unsign_object::<Value>(signed)
            } else {
                let mut builder = configure(
                    TimestampSigner::builder(&ring),
                    common,
                    Some(DUMPS_SALT),
                    version,
                )?;
                if let Some(max_age) = max_age {
                    builder = builder.max_age(MaxAge::from_secs_f64(*max_age));
                }
                builder.build()?.unsign_object_at::<Value>(signed, at(*now))
            };
            let verified = verified.map_err(|e| Failure::Verification(e, *json))?;
            report(verified, *json, print_json);
        }
        Command::Django { command } => django::run(command, &ring, version)?,
        Command::Inspect {
            json,
            name,
            salt,
            value,
        } => inspect::run(
            &ring,
            version,
            value,
            name.as_deref(),
            salt.as_deref(),
            *json,
        )?,
        Command::Resign {
            salt,
            timestamp,
            format,
            name,
            backend,
        } => {
            let format = resign::Format::choose(*format, *timestamp)?;
            let options = resign::Options {
                format,
                salt: salt.as_deref(),
                name: name.as_deref(),
                backend: *backend,
            };
            resign::run(&ring, version, &options)?;
        }
        Command::RotatePlan {
            json,
            grace,
            max_ages,
            now,
            promote_at,
        } => {
            let options = plan::Options {
                grace: *grace,
                max_ages,
                now: at(*now),
                promote_at: promote_at.map(UnixTime::from_secs_f64),
                json: *json,
            };
            plan::run(&ring, version, &options)?;
        }
        Command::Keygen => {}
    }
    Ok(())
}

/// Applies the shared options: salt (or the mirrored call's default), separator,
/// and the algorithm, which under Django 3.2 defaults to the
/// `DEFAULT_HASHING_ALGORITHM` environment variable.
pub(crate) fn configure<'r, S>(
    builder: SignerBuilder<'r, S>,
    common: &Common,
    default_salt: Option<&str>,
    version: DjangoVersion,
) -> Result<SignerBuilder<'r, S>, Failure> {
    let mut builder = builder.django(version).sep(common.sep.clone());
    match (&common.salt, default_salt) {
        (Some(salt), _) => builder = builder.salt(salt.clone()),
        (None, Some(salt)) => builder = builder.salt(salt),
        (None, None) => {}
    }
    let algorithm = match common.algorithm {
        Some(algorithm) => Some(algorithm),
        None if version == DjangoVersion::V3_2 => {
            match env_var("DEFAULT_HASHING_ALGORITHM").map_err(Failure::Config)? {
                Some(name) if name == "sha1" || name == "sha256" => {
                    Some(name.parse::<Algorithm>()?)
                }
                Some(_) => {
                    return Err(Failure::Config(
                        "DEFAULT_HASHING_ALGORITHM must be sha1 or sha256".into(),
                    ));
                }
                None => None,
            }
        }
        None => None,
    };
    if let Some(algorithm) = algorithm {
        builder = builder.algorithm(algorithm);
    }
    Ok(builder)
}

/// `SIGNRING_ALLOW_WEAK_KEYS=1` (or `true`), the environment's form of
/// `--allow-weak-keys` for test harnesses that set keys there too; any other
/// value than `0`/`false`/unset is a usage error rather than a silent choice.
fn weak_keys_allowed_by_env() -> Result<bool, Failure> {
    match env_var("SIGNRING_ALLOW_WEAK_KEYS")
        .map_err(Failure::Config)?
        .as_deref()
    {
        None | Some("" | "0" | "false") => Ok(false),
        Some("1" | "true") => Ok(true),
        Some(_) => Err(Failure::Config(
            "SIGNRING_ALLOW_WEAK_KEYS must be 1, true, 0 or false".into(),
        )),
    }
}

/// An environment variable, `None` when unset. One that is set but not UTF-8
/// is an error, not unset: ignoring it would drop a setting silently (a
/// `PASSWORD_RESET_TIMEOUT` reverting to its default, fallbacks not loaded).
pub(crate) fn env_var(name: &str) -> Result<Option<String>, String> {
    match std::env::var(name) {
        Ok(text) => Ok(Some(text)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(format!("{name} is not UTF-8")),
    }
}

pub(crate) fn at(now: Option<f64>) -> UnixTime {
    now.map_or_else(UnixTime::now, UnixTime::from_secs_f64)
}

/// Whole seconds, truncated toward zero as Python's `int()` does.
pub(crate) fn whole_secs(secs: f64) -> i64 {
    // std has no float-to-integer conversion but `as`, which is defined to
    // truncate toward zero, saturate beyond i64 and map NaN to 0: the times
    // and durations here are finite and far inside i64.
    #[allow(clippy::cast_possible_truncation)]
    let whole = secs.trunc() as i64;
    whole
}

#[derive(Serialize)]
struct SuccessReport<'v> {
    ok: bool,
    value: &'v Value,
    key_index: usize,
    stale: bool,
    algorithm: &'static str,
    timestamp: Option<i64>,
}

#[derive(Serialize)]
struct FailureReport {
    ok: bool,
    error: &'static str,
}

/// Prints the verified value bare, or the JSON report.
fn report(verified: Verified<'_, Value>, json: bool, bare: impl FnOnce(&Value)) {
    if json {
        print_json(&SuccessReport {
            ok: true,
            value: verified.value(),
            key_index: verified.key_index(),
            stale: verified.is_stale(),
            algorithm: verified.algorithm().name(),
            timestamp: verified.timestamp(),
        });
    } else {
        bare(verified.value());
    }
}

fn print_raw(value: &Value) {
    if let Value::String(text) = value {
        println!("{text}");
    }
}

pub(crate) fn print_json<T: Serialize + ?Sized>(value: &T) {
    // Serializing our own report types and parsed values cannot fail.
    if let Ok(mut bytes) = json::to_vec(value) {
        bytes.push(b'\n');
        let _ = std::io::stdout().lock().write_all(&bytes);
    }
}

pub(crate) fn error_kind(error: &Error) -> &'static str {
    match error {
        Error::BadSignature => "bad_signature",
        Error::Expired { .. } => "expired",
        Error::Payload(_) => "payload",
        _ => "malformed",
    }
}
