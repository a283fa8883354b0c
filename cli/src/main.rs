//! `signring`: sign, verify and inspect Django-compatible signed values from the
//! command line. Keys come from the environment or a file, never from argv.

#![forbid(unsafe_code)]

mod django;
mod keygen;
mod keys;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use serde::Serialize;
use signring::json::{self, Value};
use signring::{
    Algorithm, DUMPS_SALT, DjangoVersion, Error, MaxAge, Signer, SignerBuilder, TimestampSigner,
    UnixTime, Verified,
};

/// Sign and verify values exactly as Django does, with a key ring.
///
/// Keys: SECRET_KEY is the current key and SECRET_KEY_FALLBACKS a JSON array of
/// older keys, tried in order; or --keys-file FILE (first line current, each
/// further line a fallback). Keys are never taken from the command line.
///
/// Exit codes: 0 ok, 1 verification failed, 2 usage or configuration error.
#[derive(Debug, Parser)]
#[command(name = "signring", version, max_term_width = 100)]
struct Cli {
    /// The Django release on the other side.
    #[arg(long, global = true, default_value = "6.1", value_parser = parse_version)]
    django: DjangoVersion,
    /// Read the keys from FILE instead of the environment.
    #[arg(long, global = true, value_name = "FILE")]
    keys_file: Option<PathBuf>,
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
    Keygen,
    /// Django's own artifacts: sessions, auth hash, reset tokens, cookies, messages.
    Django {
        #[command(subcommand)]
        command: django::Command,
    },
}

/// Options every signing command shares.
#[derive(Debug, Args)]
struct Common {
    /// The salt (default: that of the Django call the command mirrors).
    #[arg(long, value_name = "S")]
    salt: Option<String>,
    /// The separator (default ":").
    #[arg(long, value_name = "C", default_value = ":")]
    sep: String,
    /// sha1, sha224, sha256, sha384 or sha512 (default: the Django version's).
    #[arg(long, value_name = "A", value_parser = parse_algorithm)]
    algorithm: Option<Algorithm>,
}

fn parse_version(text: &str) -> Result<DjangoVersion, String> {
    text.parse().map_err(|e: Error| e.to_string())
}

pub(crate) fn parse_algorithm(text: &str) -> Result<Algorithm, String> {
    text.parse().map_err(|e: Error| e.to_string())
}

pub(crate) fn parse_secs(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .map_err(|_| "expected a number of seconds".to_owned())
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

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure::Config(error.to_string())
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
        let key = keygen::generate().map_err(Failure::Config)?;
        println!("{}", key.as_str());
        return Ok(());
    }
    let ring = keys::load(cli.keys_file.as_deref()).map_err(Failure::Config)?;
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
        Command::Keygen => {}
    }
    Ok(())
}

/// Applies the shared options: salt (or the mirrored call's default), separator,
/// and the algorithm, which under Django 3.2 defaults to the
/// `DEFAULT_HASHING_ALGORITHM` environment variable.
fn configure<'r, S>(
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
            match std::env::var("DEFAULT_HASHING_ALGORITHM") {
                Ok(name) if name == "sha1" || name == "sha256" => Some(name.parse::<Algorithm>()?),
                Ok(_) => {
                    return Err(Failure::Config(
                        "DEFAULT_HASHING_ALGORITHM must be sha1 or sha256".into(),
                    ));
                }
                Err(_) => None,
            }
        }
        None => None,
    };
    if let Some(algorithm) = algorithm {
        builder = builder.algorithm(algorithm);
    }
    Ok(builder)
}

pub(crate) fn at(now: Option<f64>) -> UnixTime {
    now.map_or_else(UnixTime::now, UnixTime::from_secs_f64)
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
