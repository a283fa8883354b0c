//! `signring django …`: Django's own artifacts from the command line.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use signring::django::{
    GetUser, Message, MessageEntry, MessagesCookie, NOT_FINISHED, PasswordResetTokens, ResetUser,
    RotateError, SessionAuthHash, SessionBackend, SessionCodec, SignedCookie, check_keys,
    parse_naive_datetime, quote_cookie_value, unquote_cookie_value,
};
use signring::json::{self, Map, Value};
use signring::{Algorithm, DEFAULT_MAX_INPUT_LEN, DjangoVersion, Error, KeyRing, MaxAge};
use time::PrimitiveDateTime;
use zeroize::Zeroizing;

use crate::{Failure, at, env_var, error_kind, parse_algorithm, parse_secs, print_json};

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Session data of the db, file, cached_db and signed_cookies backends.
    Session {
        #[command(subcommand)]
        command: SessionCommand,
    },
    /// The session auth hash (`_auth_user_hash`) of a stored password hash.
    AuthHash {
        /// Verify STORED_HASH instead: which key made it, and what get_user does.
        #[arg(long, value_name = "STORED_HASH")]
        verify: Option<String>,
        /// The algorithm (default: the Django version's).
        #[arg(long, value_name = "A", value_parser = parse_algorithm)]
        algorithm: Option<Algorithm>,
        /// Print one JSON object with the outcome.
        #[arg(long)]
        json: bool,
        /// Read the password hash from FILE (`-`: stdin), one line, instead of
        /// the command line.
        #[arg(long, value_name = "FILE", conflicts_with = "password_hash")]
        password_hash_file: Option<PathBuf>,
        /// The user's stored password hash (such as pbkdf2_sha256$…). Other
        /// local users can read the command line (ps, /proc): prefer
        /// --password-hash-file.
        #[arg(required_unless_present = "password_hash_file")]
        password_hash: Option<String>,
    },
    /// Password-reset tokens (default_token_generator).
    ResetToken {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Signed cookies (set_signed_cookie / get_signed_cookie).
    Cookie {
        #[command(subcommand)]
        command: CookieCommand,
    },
    /// The messages framework's cookie (CookieStorage).
    Messages {
        #[command(subcommand)]
        command: MessagesCommand,
    },
    /// Django's SECRET_KEY checks (W009, W025); exits 1 when any fails.
    CheckKey {
        /// Print {"warnings":[…]}.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub(crate) struct SessionOptions {
    /// The session backend.
    #[arg(long, default_value = "db", value_parser = parse_backend)]
    backend: SessionBackend,
    /// A custom SessionStore class name.
    #[arg(long, value_name = "NAME")]
    session_class: Option<String>,
    /// Read the pre-3.1 format under Django 4.2+ too.
    #[arg(long)]
    read_legacy: bool,
    /// The time, in Unix seconds (default: now).
    #[arg(long, value_name = "SECS", allow_hyphen_values = true, value_parser = parse_secs)]
    now: Option<f64>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SessionCommand {
    /// Encode a JSON object as session data.
    Encode {
        #[command(flatten)]
        options: SessionOptions,
        /// The session dictionary as JSON.
        json: String,
    },
    /// Decode session data and print the session as JSON.
    Decode {
        #[command(flatten)]
        options: SessionOptions,
        /// Print one JSON object with the outcome.
        #[arg(long)]
        json: bool,
        /// The stored session data.
        data: String,
    },
    /// Re-encode session data with the current key and auth hash.
    Rotate {
        #[command(flatten)]
        options: SessionOptions,
        /// The logged-in user's stored password hash. Other local users can
        /// read the command line (ps, /proc): prefer --password-hash-file.
        #[arg(
            long,
            value_name = "HASH",
            required_unless_present = "password_hash_file"
        )]
        password_hash: Option<String>,
        /// Read the password hash from FILE (`-`: stdin), one line, instead of
        /// the command line.
        #[arg(long, value_name = "FILE", conflicts_with = "password_hash")]
        password_hash_file: Option<PathBuf>,
        /// Print one JSON object with the outcome.
        #[arg(long)]
        json: bool,
        /// The stored session data.
        data: String,
    },
    /// Move every stored session to the current key, where it lives.
    ///
    /// Each session that a fallback key verified is re-encoded with the
    /// current key (its signing timestamp kept, `_auth_user_hash` rewritten,
    /// in the format the --django profile writes) and written back with a
    /// compare-and-set: a session the site changed meanwhile is skipped and
    /// counted. Sessions no key verifies, corrupt ones, and those the current
    /// or a staged key verified are left exactly as they are. One transaction
    /// per batch; --state resumes after the last committed batch.
    ///
    /// Exit codes: 0 ran to the end; 1 ran to the end but some sessions were
    /// undecodable or changed meanwhile; 2 usage, configuration or connection
    /// error (the batch in progress was rolled back).
    Migrate(Box<crate::migrate::MigrateArgs>),
}

#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Make a token for USER_JSON (or the user in --user-file).
    Make {
        /// Django's naive local time (default: now, UTC).
        #[arg(long, value_name = "ISO_DATETIME", value_parser = parse_datetime)]
        now: Option<PrimitiveDateTime>,
        /// Read USER_JSON from FILE (`-`: stdin) instead of the command line.
        #[arg(long, value_name = "FILE", conflicts_with = "user_json")]
        user_file: Option<PathBuf>,
        /// {"pk":…,"password":…,"last_login":ISO|null,"email":…}. It holds the
        /// password hash, and other local users can read the command line
        /// (ps, /proc): prefer --user-file.
        #[arg(required_unless_present = "user_file")]
        user_json: Option<String>,
    },
    /// Check TOKEN for USER_JSON (or the user in --user-file).
    Check {
        /// Django's naive local time (default: now, UTC).
        #[arg(long, value_name = "ISO_DATETIME", value_parser = parse_datetime)]
        now: Option<PrimitiveDateTime>,
        /// Print one JSON object with the outcome.
        #[arg(long)]
        json: bool,
        /// Read USER_JSON from FILE (`-`: stdin) instead of the command line.
        #[arg(long, value_name = "FILE")]
        user_file: Option<PathBuf>,
        /// [USER_JSON] TOKEN: the user {"pk":…,"password":…,"last_login":ISO|null,
        /// "email":…} (it holds the password hash, and other local users can
        /// read the command line (ps, /proc): prefer --user-file), then the
        /// token.
        #[arg(num_args = 1..=2, required = true, value_names = ["USER_JSON", "TOKEN"])]
        arguments: Vec<String>,
    },
}

#[derive(Debug, Args)]
pub(crate) struct CookieOptions {
    /// The cookie's name.
    #[arg(long)]
    name: String,
    /// The salt argument.
    #[arg(long, value_name = "S", default_value = "")]
    salt: String,
    /// The time, in Unix seconds (default: now).
    #[arg(long, value_name = "SECS", allow_hyphen_values = true, value_parser = parse_secs)]
    now: Option<f64>,
    /// Print one JSON object with the outcome.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum CookieCommand {
    /// Sign VALUE as set_signed_cookie does.
    Set {
        #[command(flatten)]
        options: CookieOptions,
        /// The value.
        value: String,
    },
    /// Verify COOKIE_VALUE as get_signed_cookie does.
    Get {
        #[command(flatten)]
        options: CookieOptions,
        /// Refuse cookies older than SECS seconds.
        #[arg(long, value_name = "SECS", allow_hyphen_values = true, value_parser = parse_secs)]
        max_age: Option<f64>,
        /// The cookie value (quoted or not).
        cookie_value: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum MessagesCommand {
    /// Encode MESSAGES_JSON as the messages cookie.
    Encode {
        /// Encode an empty list too (Django deletes the cookie otherwise).
        #[arg(long)]
        encode_empty: bool,
        /// The time, in Unix seconds (default: now).
        #[arg(long, value_name = "SECS", allow_hyphen_values = true, value_parser = parse_secs)]
        now: Option<f64>,
        /// Print one JSON object with the outcome.
        #[arg(long)]
        json: bool,
        /// [{"level":N,"message":…,"extra_tags":…,"safe":B} or {"other":JSON}, …]
        messages_json: String,
    },
    /// Store MESSAGES_JSON as CookieStorage does, dropping what does not fit.
    Store {
        /// Drop the newest messages instead of the oldest.
        #[arg(long)]
        remove_newest: bool,
        /// The time, in Unix seconds (default: now).
        #[arg(long, value_name = "SECS", allow_hyphen_values = true, value_parser = parse_secs)]
        now: Option<f64>,
        /// Print one JSON object with the outcome.
        #[arg(long)]
        json: bool,
        /// [{"level":N,"message":…,"extra_tags":…,"safe":B}, …]
        messages_json: String,
    },
    /// Re-issue the messages cookie with the current key, keeping all it holds.
    Rotate {
        /// The time, in Unix seconds (default: now).
        #[arg(long, value_name = "SECS", allow_hyphen_values = true, value_parser = parse_secs)]
        now: Option<f64>,
        /// Read the formats of older releases too.
        #[arg(long)]
        read_older_formats: bool,
        /// Print one JSON object with the outcome.
        #[arg(long)]
        json: bool,
        /// The cookie value (quoted or not).
        data: String,
    },
    /// Decode the messages cookie and print its messages as JSON.
    Decode {
        /// The time, in Unix seconds (unused: the cookie is not age-checked).
        #[arg(long, value_name = "SECS", allow_hyphen_values = true, value_parser = parse_secs)]
        now: Option<f64>,
        /// Read the formats of older releases too.
        #[arg(long)]
        read_older_formats: bool,
        /// Print one JSON object with the outcome.
        #[arg(long)]
        json: bool,
        /// The cookie value (quoted or not).
        data: String,
    },
}

pub(crate) fn parse_backend(text: &str) -> Result<SessionBackend, String> {
    text.parse()
        .map_err(|_| "expected db, file, cached_db or signed_cookies".to_owned())
}

fn parse_datetime(text: &str) -> Result<PrimitiveDateTime, String> {
    parse_naive_datetime(text).ok_or_else(|| {
        format!("expected an ISO date-time such as 2020-09-13T12:26:40, got {text:?}")
    })
}

fn now_naive(now: Option<PrimitiveDateTime>) -> PrimitiveDateTime {
    now.unwrap_or_else(|| {
        let utc = time::OffsetDateTime::now_utc();
        PrimitiveDateTime::new(utc.date(), utc.time())
    })
}

/// The whole of FILE, or of stdin when FILE is `-`, wiped when dropped.
/// `option` names the flag in messages; the content never appears in them.
/// More than [`DEFAULT_MAX_INPUT_LEN`] bytes is refused.
fn read_secret(path: &Path, option: &str) -> Result<Zeroizing<String>, Failure> {
    let failed =
        |e: std::io::Error| Failure::Config(format!("{option}: cannot read: {}", e.kind()));
    let limit = u64::try_from(DEFAULT_MAX_INPUT_LEN).unwrap_or(u64::MAX);
    let mut bytes = Zeroizing::new(Vec::new());
    let source: Box<dyn std::io::Read> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(path).map_err(failed)?)
    };
    source
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(failed)?;
    if bytes.len() > DEFAULT_MAX_INPUT_LEN {
        return Err(Failure::Config(format!(
            "{option}: longer than {DEFAULT_MAX_INPUT_LEN} bytes"
        )));
    }
    let text =
        std::str::from_utf8(&bytes).map_err(|_| Failure::Config(format!("{option}: not UTF-8")))?;
    Ok(Zeroizing::new(text.to_owned()))
}

/// The password hash from the command line or from `--password-hash-file`:
/// one line, its line ending dropped.
fn password_hash_input(
    argument: Option<&str>,
    file: Option<&Path>,
) -> Result<Zeroizing<String>, Failure> {
    let path = match (argument, file) {
        (_, Some(path)) => path,
        (Some(hash), None) => return Ok(Zeroizing::new(hash.to_owned())),
        (None, None) => {
            return Err(Failure::Config(
                "give the password hash or --password-hash-file".into(),
            ));
        }
    };
    let mut text = read_secret(path, "--password-hash-file")?;
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    if text.contains(['\n', '\r']) {
        return Err(Failure::Config(
            "--password-hash-file: expected one line, the password hash".into(),
        ));
    }
    Ok(text)
}

/// USER_JSON from the command line or from `--user-file`.
fn user_json_input(
    argument: Option<&str>,
    file: Option<&Path>,
) -> Result<Zeroizing<String>, Failure> {
    match (argument, file) {
        (_, Some(path)) => read_secret(path, "--user-file"),
        (Some(json), None) => Ok(Zeroizing::new(json.to_owned())),
        (None, None) => Err(Failure::Config("give USER_JSON or --user-file".into())),
    }
}

/// An environment setting with Django's name, parsed.
pub(crate) fn setting<T: core::str::FromStr>(name: &str) -> Result<Option<T>, Failure> {
    match env_var(name).map_err(Failure::Config)? {
        Some(text) => text
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| Failure::Config(format!("{name} is not valid"))),
        None => Ok(None),
    }
}

pub(crate) fn bool_setting(name: &str) -> Result<Option<bool>, Failure> {
    match env_var(name)
        .map_err(Failure::Config)?
        .map(|text| text.to_ascii_lowercase())
        .as_deref()
    {
        Some("true" | "1" | "yes" | "on") => Ok(Some(true)),
        Some("false" | "0" | "no" | "off") => Ok(Some(false)),
        Some(_) => Err(Failure::Config(format!("{name} must be true or false"))),
        None => Ok(None),
    }
}

/// `DEFAULT_HASHING_ALGORITHM`, read under the 3.2 profile only.
pub(crate) fn hashing_algorithm(version: DjangoVersion) -> Result<Option<Algorithm>, Failure> {
    if version != DjangoVersion::V3_2 {
        return Ok(None);
    }
    match env_var("DEFAULT_HASHING_ALGORITHM")
        .map_err(Failure::Config)?
        .as_deref()
    {
        Some(name @ ("sha1" | "sha256")) => Ok(name.parse().ok()),
        Some(_) => Err(Failure::Config(
            "DEFAULT_HASHING_ALGORITHM must be sha1 or sha256".into(),
        )),
        None => Ok(None),
    }
}

/// A JSON report: `ok` first, then the fields in order.
struct Report(Map);

impl Report {
    fn ok(key_index: usize, stale: bool) -> Self {
        let mut map = Map::new();
        map.insert("ok".into(), Value::Bool(true));
        map.insert("key_index".into(), Value::Integer(key_index as i128));
        map.insert("stale".into(), Value::Bool(stale));
        Report(map)
    }
    fn with(mut self, key: &str, value: Value) -> Self {
        self.0.insert(key.to_owned(), value);
        self
    }
    fn print(self) {
        print_json(&Value::Object(self.0));
    }
}

fn text(value: &str) -> Value {
    Value::String(value.to_owned())
}

fn verification(json: bool) -> impl Fn(Error) -> Failure {
    move |error| Failure::Verification(error, json)
}

pub(crate) fn run(
    command: &Command,
    ring: &KeyRing,
    version: DjangoVersion,
) -> Result<(), Failure> {
    match command {
        Command::Session { command } => session(command, ring, version),
        Command::AuthHash {
            verify,
            algorithm,
            json,
            password_hash_file,
            password_hash: argument,
        } => {
            let password_hash =
                &*password_hash_input(argument.as_deref(), password_hash_file.as_deref())?;
            let algorithm = algorithm.or(hashing_algorithm(version)?);
            let auth = SessionAuthHash::new(ring, &auth_options(version, algorithm))?;
            let Some(stored) = verify else {
                println!("{}", auth.hash(password_hash));
                return Ok(());
            };
            let found = auth
                .verify(stored, password_hash)
                .ok_or(Failure::Verification(Error::BadSignature, *json))?;
            let get_user = match auth.django_get_user(Some(stored), password_hash) {
                GetUser::LoggedIn { rehashed: false } => "logged_in",
                GetUser::LoggedIn { rehashed: true } => "logged_in_rehashed",
                _ => "logged_out",
            };
            if *json {
                Report::ok(found.key_index, found.stale)
                    .with("algorithm", text(found.algorithm.name()))
                    .with("hash", text(&auth.hash(password_hash)))
                    .with("get_user", text(get_user))
                    .print();
            } else {
                println!("{}", auth.hash(password_hash));
            }
            Ok(())
        }
        Command::ResetToken { command } => reset_token(command, ring, version),
        Command::Cookie { command } => cookie(command, ring, version),
        Command::Messages { command } => messages(command, ring, version),
        Command::CheckKey { json } => {
            let warnings = check_keys(ring, version);
            if *json {
                let ids = warnings.iter().map(|w| text(w.id)).collect();
                let mut map = Map::new();
                map.insert("warnings".into(), Value::Array(ids));
                print_json(&Value::Object(map));
            } else {
                for warning in &warnings {
                    println!("{}: {}: {}", warning.id, warning.setting, warning.message);
                }
            }
            if warnings.is_empty() {
                Ok(())
            } else {
                Err(Failure::Silent)
            }
        }
    }
}

fn session_codec(
    options: &SessionOptions,
    ring: &KeyRing,
    version: DjangoVersion,
) -> Result<SessionCodec, Failure> {
    let mut builder = SessionCodec::builder(ring)
        .backend(options.backend)
        .django(version);
    if let Some(class) = &options.session_class {
        builder = builder.session_class(class.clone());
    }
    if options.read_legacy {
        builder = builder.read_legacy(true);
    }
    if let Some(age) = setting::<i64>("SESSION_COOKIE_AGE")? {
        builder = builder.session_cookie_age(age);
    }
    if let Some(algorithm) = hashing_algorithm(version)? {
        builder = builder.algorithm(algorithm);
    }
    Ok(builder.build()?)
}

fn session(
    command: &SessionCommand,
    ring: &KeyRing,
    version: DjangoVersion,
) -> Result<(), Failure> {
    match command {
        SessionCommand::Encode {
            options,
            json: input,
        } => {
            let session: Map = json::from_str(input)
                .map_err(|e| Failure::Config(format!("JSON argument: {e}")))?;
            println!(
                "{}",
                session_codec(options, ring, version)?.encode_at(&session, at(options.now))?
            );
        }
        SessionCommand::Decode {
            options,
            json,
            data,
        } => {
            let decoded = session_codec(options, ring, version)?
                .decode_at(data, at(options.now))
                .map_err(verification(*json))?;
            if *json {
                Report::ok(decoded.record.key_index, decoded.record.stale)
                    .with("session", Value::Object(decoded.session))
                    .with("format", text(decoded.format.as_str()))
                    .with("algorithm", text(decoded.record.algorithm.name()))
                    .with(
                        "timestamp",
                        decoded
                            .record
                            .timestamp
                            .map_or(Value::Null, |t| Value::Integer(t.into())),
                    )
                    .print();
            } else {
                print_json(&decoded.session);
            }
        }
        SessionCommand::Rotate {
            options,
            password_hash: argument,
            password_hash_file,
            json,
            data,
        } => {
            let password_hash =
                password_hash_input(argument.as_deref(), password_hash_file.as_deref())?;
            let algorithm = hashing_algorithm(version)?;
            let auth = SessionAuthHash::new(ring, &auth_options(version, algorithm))?;
            let codec = session_codec(options, ring, version)?;
            let rotated = codec.rotate_at(
                data,
                &auth,
                |_| Some(String::clone(&password_hash)),
                at(options.now),
            );
            let rotated = match rotated {
                Ok(rotated) => rotated,
                Err(RotateError::Decode(error)) => return Err(Failure::Verification(error, *json)),
                Err(other) => return Err(Failure::Rotation(other, *json)),
            };
            if *json {
                Report::ok(rotated.record.key_index, rotated.was_stale)
                    .with("value", text(&rotated.data))
                    .with("format", text(rotated.format.as_str()))
                    .with("hash_rewritten", Value::Bool(rotated.hash_rewritten))
                    .print();
            } else {
                println!("{}", rotated.data);
            }
        }
        SessionCommand::Migrate(args) => crate::migrate::run(args, ring, version)?,
    }
    Ok(())
}

fn reset_user(input: &str) -> Result<ResetUser, Failure> {
    let bad = |what: &str| Failure::Config(format!("USER_JSON: {what}"));
    let user: Value = json::from_str(input).map_err(|e| bad(&e.to_string()))?;
    let pk = match &user["pk"] {
        Value::String(pk) => pk.clone(),
        Value::Null => return Err(bad("pk is missing")),
        other => json::to_string(other).map_err(|e| bad(&e.to_string()))?,
    };
    let Value::String(password) = &user["password"] else {
        return Err(bad("password must be a string"));
    };
    let mut reset_user = ResetUser::new(pk, password.clone());
    match &user["email"] {
        Value::String(email) => reset_user = reset_user.email(email.clone()),
        Value::Null => {}
        _ => return Err(bad("email must be a string or null")),
    }
    match &user["last_login"] {
        Value::String(at) => {
            reset_user = reset_user.last_login(parse_datetime(at).map_err(|e| bad(&e))?)
        }
        Value::Null => {}
        _ => return Err(bad("last_login must be an ISO date-time or null")),
    }
    Ok(reset_user)
}

fn reset_token(
    command: &TokenCommand,
    ring: &KeyRing,
    version: DjangoVersion,
) -> Result<(), Failure> {
    let mut builder = PasswordResetTokens::builder(ring).django(version);
    if let Some(algorithm) = hashing_algorithm(version)? {
        builder = builder.algorithm(algorithm);
    }
    if let Some(seconds) = setting::<i64>("PASSWORD_RESET_TIMEOUT")? {
        builder = builder.timeout_seconds(seconds);
    }
    if version <= DjangoVersion::V3_2
        && let Some(days) = setting::<i64>("PASSWORD_RESET_TIMEOUT_DAYS")?
    {
        builder = builder.timeout_days(days);
    }
    let tokens = builder.build()?;
    match command {
        TokenCommand::Make {
            now,
            user_file,
            user_json: argument,
        } => {
            let user = reset_user(&user_json_input(argument.as_deref(), user_file.as_deref())?)?;
            println!("{}", tokens.make_token(&user, now_naive(*now))?);
        }
        TokenCommand::Check {
            now,
            json,
            user_file,
            arguments,
        } => {
            let (argument, token) = match (arguments.as_slice(), user_file) {
                ([token], Some(_)) => (None, token),
                ([user, token], None) => (Some(user.as_str()), token),
                ([_], None) => {
                    return Err(Failure::Config(
                        "reset-token check needs USER_JSON or --user-file, then TOKEN".into(),
                    ));
                }
                _ => {
                    return Err(Failure::Config(
                        "reset-token check takes USER_JSON or --user-file, not both".into(),
                    ));
                }
            };
            let user = reset_user(&user_json_input(argument, user_file.as_deref())?)?;
            let found = tokens
                .check_token(&user, token, now_naive(*now))
                .map_err(verification(*json))?;
            if *json {
                Report::ok(found.key_index, found.stale)
                    .with("algorithm", text(found.algorithm.name()))
                    .print();
            } else {
                println!("valid");
            }
        }
    }
    Ok(())
}

fn cookie(command: &CookieCommand, ring: &KeyRing, version: DjangoVersion) -> Result<(), Failure> {
    let (options, max_age) = match command {
        CookieCommand::Set { options, .. } => (options, None),
        CookieCommand::Get {
            options, max_age, ..
        } => (options, *max_age),
    };
    let mut builder = SignedCookie::builder(ring, options.name.clone())
        .salt(options.salt.clone())
        .django(version);
    if let Some(fallback) = bool_setting("SIGNED_COOKIE_LEGACY_SALT_FALLBACK")? {
        builder = builder.legacy_salt_fallback(fallback);
    }
    if let Some(max_age) = max_age {
        builder = builder.max_age(MaxAge::from_secs_f64(max_age));
    }
    if let Some(algorithm) = hashing_algorithm(version)? {
        builder = builder.algorithm(algorithm);
    }
    let signer = builder.build()?;
    match command {
        CookieCommand::Set { value, .. } => {
            let cookie_value = signer.sign_at(value, at(options.now));
            if options.json {
                Report::ok(0, false)
                    .with("cookie_value", text(&cookie_value))
                    .with("set_cookie_value", text(&quote_cookie_value(&cookie_value)))
                    .with("salt_variant", text(signer.writes().as_str()))
                    .print();
            } else {
                println!("{cookie_value}");
            }
        }
        CookieCommand::Get { cookie_value, .. } => {
            let cookie_value = unquote_cookie_value(cookie_value);
            let verified = signer
                .unsign_at(&cookie_value, at(options.now))
                .map_err(verification(options.json))?;
            if options.json {
                Report::ok(verified.record.key_index, verified.record.stale)
                    .with("value", text(verified.value))
                    .with("salt_variant", text(verified.salt_variant.as_str()))
                    .with(
                        "timestamp",
                        Value::Integer(verified.record.timestamp.unwrap_or_default().into()),
                    )
                    .print();
            } else {
                println!("{}", verified.value);
            }
        }
    }
    Ok(())
}

fn parse_messages(input: &str) -> Result<(Vec<Message>, bool), Failure> {
    let bad = |what: &str| Failure::Config(format!("MESSAGES_JSON: {what}"));
    let Value::Array(items) = json::from_str(input).map_err(|e| bad(&e.to_string()))? else {
        return Err(bad("expected a list"));
    };
    let mut messages = Vec::with_capacity(items.len());
    let mut not_finished = false;
    for (index, item) in items.iter().enumerate() {
        if not_finished {
            return Err(bad("the not-finished sentinel must come last"));
        }
        match item {
            Value::String(sentinel) if sentinel == NOT_FINISHED && index + 1 == items.len() => {
                not_finished = true
            }
            Value::Object(_) => {
                let Value::Integer(level) = item["level"] else {
                    return Err(bad("level must be an integer"));
                };
                let Value::String(text) = &item["message"] else {
                    return Err(bad("message must be a string"));
                };
                let mut message = Message::new(
                    i64::try_from(level).map_err(|_| bad("level is too large"))?,
                    text.clone(),
                );
                message.extra_tags = match &item["extra_tags"] {
                    Value::String(tags) => Some(tags.clone()),
                    Value::Null => None,
                    _ => return Err(bad("extra_tags must be a string or null")),
                };
                message.safe = matches!(item["safe"], Value::Bool(true));
                messages.push(message);
            }
            _ => return Err(bad("each entry must be a message object")),
        }
    }
    Ok((messages, not_finished))
}

/// MESSAGES_JSON for `encode`: message objects, `{"other": value}` for anything
/// else the list holds, and the sentinel last.
fn parse_entries(input: &str) -> Result<(Vec<MessageEntry>, bool), Failure> {
    let bad = |what: &str| Failure::Config(format!("MESSAGES_JSON: {what}"));
    let Value::Array(items) = json::from_str(input).map_err(|e| bad(&e.to_string()))? else {
        return Err(bad("expected a list"));
    };
    let mut entries = Vec::with_capacity(items.len());
    let mut plain = Vec::with_capacity(items.len());
    for item in items {
        match &item {
            Value::Object(map) if map.len() == 1 && map.get("other").is_some() => {
                let text = json::to_string(&item["other"]).map_err(|e| bad(&e.to_string()))?;
                entries.push(Some(MessageEntry::Other(text)));
            }
            _ => {
                entries.push(None);
                plain.push(item);
            }
        }
    }
    let (messages, not_finished) =
        parse_messages(&json::to_string(&Value::Array(plain)).map_err(|e| bad(&e.to_string()))?)?;
    let mut messages = messages.into_iter();
    let entries = entries
        .into_iter()
        .filter_map(|entry| entry.or_else(|| messages.next().map(MessageEntry::Message)))
        .collect();
    Ok((entries, not_finished))
}

/// Decoded entries as JSON: message objects, `{"other": value}` for the rest,
/// and the sentinel last.
pub(crate) fn entries_json(entries: &[MessageEntry], not_finished: bool) -> Value {
    let mut list = Vec::with_capacity(entries.len() + 1);
    for entry in entries {
        match entry {
            MessageEntry::Message(message) => {
                if let Value::Array(mut one) = messages_json(std::slice::from_ref(message), false) {
                    list.append(&mut one);
                }
            }
            MessageEntry::Other(other) => {
                let mut map = Map::new();
                map.insert(
                    "other".into(),
                    json::from_str(other).unwrap_or_else(|_| text(other)),
                );
                list.push(Value::Object(map));
            }
            _ => {}
        }
    }
    if not_finished {
        list.push(text(NOT_FINISHED));
    }
    Value::Array(list)
}

pub(crate) fn messages_json(messages: &[Message], not_finished: bool) -> Value {
    let mut list: Vec<Value> = messages
        .iter()
        .map(|m| {
            let mut map = Map::new();
            map.insert("level".into(), Value::Integer(m.level.into()));
            map.insert("message".into(), text(&m.message));
            map.insert(
                "extra_tags".into(),
                m.extra_tags.as_deref().map_or(Value::Null, text),
            );
            map.insert("safe".into(), Value::Bool(m.safe));
            Value::Object(map)
        })
        .collect();
    if not_finished {
        list.push(text(NOT_FINISHED));
    }
    Value::Array(list)
}

fn optional(value: Option<&str>) -> Value {
    value.map_or(Value::Null, text)
}

fn messages(
    command: &MessagesCommand,
    ring: &KeyRing,
    version: DjangoVersion,
) -> Result<(), Failure> {
    let read_older = matches!(
        command,
        MessagesCommand::Decode {
            read_older_formats: true,
            ..
        } | MessagesCommand::Rotate {
            read_older_formats: true,
            ..
        }
    );
    let mut builder = MessagesCookie::builder(ring).django(version);
    if read_older {
        builder = builder.read_older_formats(true);
    }
    if let Some(algorithm) = hashing_algorithm(version)? {
        builder = builder.algorithm(algorithm);
    }
    let cookie = builder.build()?;
    match command {
        MessagesCommand::Encode {
            encode_empty,
            now,
            json,
            messages_json: input,
        } => {
            let (entries, not_finished) = parse_entries(input)?;
            let value = if entries.is_empty() && !not_finished && !encode_empty {
                None
            } else {
                Some(cookie.encode_entries_at(&entries, not_finished, at(*now))?)
            };
            if *json {
                Report::ok(0, false)
                    .with("cookie_value", optional(value.as_deref()))
                    .with(
                        "set_cookie_value",
                        optional(value.as_deref().map(quote_cookie_value).as_deref()),
                    )
                    .print();
            } else if let Some(value) = value {
                println!("{value}");
            }
        }
        MessagesCommand::Store {
            remove_newest,
            now,
            json,
            messages_json: input,
        } => {
            let (messages, _) = parse_messages(input)?;
            let stored = cookie.store_at(&messages, !remove_newest, at(*now))?;
            if *json {
                Report::ok(0, false)
                    .with("cookie_value", optional(stored.cookie_value.as_deref()))
                    .with(
                        "set_cookie_value",
                        optional(
                            stored
                                .cookie_value
                                .as_deref()
                                .map(quote_cookie_value)
                                .as_deref(),
                        ),
                    )
                    .with("unstored", messages_json(&stored.unstored, false))
                    .print();
            } else if let Some(value) = stored.cookie_value {
                println!("{value}");
            }
        }
        MessagesCommand::Decode { json, data, .. } => {
            let decoded = cookie
                .decode(&unquote_cookie_value(data))
                .map_err(verification(*json))?;
            let list = entries_json(&decoded.entries, decoded.not_finished);
            if *json {
                let mut report = Report::ok(decoded.record.key_index, decoded.record.stale)
                    .with("messages", list)
                    .with("format", text(decoded.format.as_str()));
                if decoded.single {
                    report = report.with("single", Value::Bool(true));
                }
                report.print();
            } else {
                print_json(&list);
            }
        }
        MessagesCommand::Rotate {
            now, json, data, ..
        } => {
            let data = unquote_cookie_value(data);
            let decoded = cookie.decode(&data).map_err(verification(*json))?;
            let value = cookie
                .rotate_at(&data, at(*now))
                .map_err(verification(*json))?;
            if *json {
                Report::ok(decoded.record.key_index, decoded.record.stale)
                    .with("cookie_value", text(&value))
                    .with("set_cookie_value", text(&quote_cookie_value(&value)))
                    .with("format", text(decoded.format.as_str()))
                    .print();
            } else {
                println!("{value}");
            }
        }
    }
    Ok(())
}

/// The `error` word for a rotation that must not happen.
pub(crate) fn rotate_error_kind(error: &RotateError) -> &'static str {
    match error {
        RotateError::Decode(error) => error_kind(error),
        RotateError::UserGone => "user_gone",
        RotateError::NoAuthHash => "no_auth_hash",
        _ => "password_changed",
    }
}

/// The auth hash's options: the release and, where given, the algorithm.
fn auth_options(version: DjangoVersion, algorithm: Option<Algorithm>) -> signring::Options {
    let options = signring::Options::new().django(version);
    match algorithm {
        Some(algorithm) => options.algorithm(algorithm),
        None => options,
    }
}
