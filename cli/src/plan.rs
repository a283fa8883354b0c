//! `signring rotate-plan`: the phases of the next key rotation, by key id.
//!
//! The phases are computed by running the library's [`RotationPlan`] on the
//! configured ring with a throwaway stand-in for the next key (id `new`):
//! `stage` at the plan's start, `promote` when the last server promotes
//! (`--promote-at`, default the plan's start; the old key's `not_after` is the
//! end of the grace period counted from there), then `retire` after it. The
//! stand-in is random and never printed; only ids ever are. Fallbacks older than the current key (environment keys carry no
//! `not_after`) are retired with it: their own grace period is over by then.

use signring::django::{DEFAULT_PASSWORD_RESET_TIMEOUT, DEFAULT_SESSION_COOKIE_AGE};
use signring::json::{Map, Value};
use signring::{
    DjangoVersion, KeyRing, KeyRole, MaxAge, RingKey, RotationPhase, RotationPlan, UnixTime,
};

use crate::django::setting;
use crate::{Failure, keygen, print_json, whole_secs};

/// The id the next key goes by in the plan.
const NEW_ID: &str = "new";

/// A `max_age` the grace period has to cover, and where it comes from.
struct Bound {
    name: String,
    secs: i64,
}

/// The longest-lived signed values Django keeps on its own, then `--max-age`.
fn bounds(version: DjangoVersion, max_ages: &[u64]) -> Result<Vec<Bound>, Failure> {
    let session = setting::<i64>("SESSION_COOKIE_AGE")?.unwrap_or(DEFAULT_SESSION_COOKIE_AGE);
    let days = if version <= DjangoVersion::V3_2 {
        setting::<i64>("PASSWORD_RESET_TIMEOUT_DAYS")?.map(|d| d.saturating_mul(86_400))
    } else {
        None
    };
    let reset = match setting::<i64>("PASSWORD_RESET_TIMEOUT")? {
        Some(secs) => secs,
        None => days.unwrap_or(DEFAULT_PASSWORD_RESET_TIMEOUT),
    };
    let mut bounds = vec![
        Bound {
            name: "SESSION_COOKIE_AGE".into(),
            secs: session,
        },
        Bound {
            name: "PASSWORD_RESET_TIMEOUT".into(),
            secs: reset,
        },
    ];
    for &secs in max_ages {
        bounds.push(Bound {
            name: "--max-age".into(),
            secs: i64::try_from(secs).unwrap_or(i64::MAX),
        });
    }
    Ok(bounds)
}

/// One key as the plan shows it.
struct KeyView {
    id: String,
    role: &'static str,
    not_after: Option<i64>,
}

fn keys_of(ring: &KeyRing) -> Vec<KeyView> {
    (0..ring.key_count())
        .map(|i| KeyView {
            id: ring
                .id(i)
                .map_or(String::new(), |id| id.as_str().to_owned()),
            role: ring.role(i).map_or("?", KeyRole::as_str),
            not_after: ring.not_after(i).map(|t| whole_secs(t.as_secs_f64())),
        })
        .collect()
}

/// Django has no staged keys: they go after the fallbacks in
/// `SECRET_KEY_FALLBACKS`, which verifies them without signing with them.
fn django_settings(keys: &[KeyView]) -> (String, Vec<String>) {
    let current = keys
        .iter()
        .find(|k| k.role == KeyRole::Current.as_str())
        .map_or(String::new(), |k| k.id.clone());
    let fallbacks = keys
        .iter()
        .filter(|k| k.role == KeyRole::Fallback.as_str())
        .chain(keys.iter().filter(|k| k.role == KeyRole::Staged.as_str()))
        .map(|k| k.id.clone())
        .collect();
    (current, fallbacks)
}

struct Phase {
    name: &'static str,
    not_before: i64,
    keys: Vec<KeyView>,
    /// Ids dropped in this phase.
    retired: Vec<String>,
    action: String,
}

/// The options of `signring rotate-plan`.
pub(crate) struct Options<'a> {
    /// `--grace`, else the longest known `max_age`.
    pub(crate) grace: Option<u64>,
    /// `--max-age`, repeated.
    pub(crate) max_ages: &'a [u64],
    /// When the plan starts: the stage step.
    pub(crate) now: UnixTime,
    /// When the last server promotes (default: `now`).
    pub(crate) promote_at: Option<UnixTime>,
    pub(crate) json: bool,
}

pub(crate) fn run(
    ring: &KeyRing,
    version: DjangoVersion,
    options: &Options<'_>,
) -> Result<(), Failure> {
    let Options {
        grace,
        max_ages,
        now,
        promote_at,
        json,
    } = *options;
    let now = UnixTime::from_secs_f64(now.as_secs_f64().floor());
    let now_secs = whole_secs(now.as_secs_f64());
    // Rounded up, so that the grace period never ends early.
    let promote_at = promote_at.map_or(now, |t| UnixTime::from_secs_f64(t.as_secs_f64().ceil()));
    if promote_at < now {
        return Err(Failure::Config(
            "--promote-at is before the plan starts (--now): \
             the key is staged on every server first"
                .into(),
        ));
    }
    let promote_secs = whole_secs(promote_at.as_secs_f64());
    let bounds = bounds(version, max_ages)?;
    let longest = bounds.iter().max_by_key(|b| b.secs);
    let plan = match grace {
        Some(grace) => {
            RotationPlan::new(MaxAge::from_secs(i64::try_from(grace).unwrap_or(i64::MAX)))
        }
        None => RotationPlan::for_max_ages(bounds.iter().map(|b| MaxAge::from_secs(b.secs))),
    };
    let grace = whole_secs(plan.grace().as_secs_f64());
    let mut warnings = Vec::new();
    for bound in bounds.iter().filter(|b| b.secs > grace) {
        warnings.push(format!(
            "the grace period ({grace} s) is shorter than {} ({} s): values the old key signed \
             shortly before the promotion will be refused before they expire",
            bound.name, bound.secs
        ));
    }
    let expired: Vec<String> = ring.expired(now).map(|id| id.as_str().to_owned()).collect();
    // The grace period runs from the last promotion, not from the plan's
    // start: until then some server still signs with the old key.
    let retire_at = promote_at + plan.grace();
    let retire_secs = whole_secs(retire_at.as_secs_f64());

    // The rotation, run on the real ring with a stand-in for the next key.
    let stand_in = keygen::generate(version).map_err(Failure::Config)?;
    let next = RingKey::new(stand_in.as_str())?.id(NEW_ID);
    let mut staged = ring.clone();
    staged.retire_expired(now);
    plan.stage(&mut staged, next)?;
    let mut promoted = staged.clone();
    plan.promote(&mut promoted, promote_at)?;
    // Just past the grace period, the old key is retirable; the older
    // fallbacks go with it.
    let mut retired = promoted.clone();
    plan.retire(
        &mut retired,
        UnixTime::from_secs_f64(retire_at.as_secs_f64() + 1.0),
    );
    let retired = retired.without_fallbacks();
    let old_id = ring
        .id(0)
        .map_or(String::new(), |id| id.as_str().to_owned());

    let promoted_keys = keys_of(&promoted);
    let retired_ids: Vec<String> = promoted_keys
        .iter()
        .filter(|k| k.role == KeyRole::Fallback.as_str())
        .map(|k| k.id.clone())
        .collect();
    let phases = [
        Phase {
            name: "stage",
            not_before: now_secs,
            keys: keys_of(&staged),
            retired: expired.clone(),
            action: format!(
                "generate the next key (signring keygen) and add it on every server as a staged key, \
                 after the fallbacks; {old_id} keeps signing"
            ),
        },
        Phase {
            name: "promote",
            not_before: promote_secs,
            keys: promoted_keys,
            retired: Vec::new(),
            action: format!(
                "once every server has the staged key, make it the current key on every server; \
                 {old_id} becomes the first fallback and verifies until {} (re-sign stored values \
                 meanwhile: signring resign)",
                iso_utc(retire_secs)
            ),
        },
        Phase {
            name: "retire",
            not_before: retire_secs,
            keys: keys_of(&retired),
            retired: retired_ids,
            action: format!(
                "{grace} s after the last server promoted, drop the fallbacks: only the new key remains"
            ),
        },
    ];
    let phase_now = ring.phase(now);

    if json {
        let summary = Summary {
            now: now_secs,
            promote_at: promote_secs,
            grace,
            longest,
            phase: phase_now,
            expired: &expired,
            warnings: &warnings,
        };
        print_json(&plan_json(ring, &summary, &phases));
        return Ok(());
    }
    println!("Keys now (ids only; phase {phase_now}):");
    for key in keys_of(ring) {
        let until = key
            .not_after
            .map_or(String::new(), |t| format!(", not after {}", iso_utc(t)));
        let expired = if expired.contains(&key.id) {
            " (expired)"
        } else {
            ""
        };
        println!("  {}  {}{until}{expired}", key.id, key.role);
    }
    match longest {
        Some(bound) => println!(
            "Rotation plan (grace {grace} s; longest max_age {} s, {}):",
            bound.secs, bound.name
        ),
        None => println!("Rotation plan (grace {grace} s):"),
    }
    for (number, phase) in (1..).zip(&phases) {
        let (current, fallbacks) = django_settings(&phase.keys);
        println!(
            "{number}. {} (not before {}): {}.",
            phase.name,
            iso_utc(phase.not_before),
            phase.action
        );
        println!(
            "   SECRET_KEY={current} SECRET_KEY_FALLBACKS=[{}]",
            fallbacks.join(", ")
        );
        if !phase.retired.is_empty() {
            println!("   retire: {}", phase.retired.join(", "));
        }
    }
    for warning in &warnings {
        println!("warning: {warning}");
    }
    Ok(())
}

/// What the JSON report says besides the keys and the phases.
struct Summary<'a> {
    now: i64,
    promote_at: i64,
    grace: i64,
    longest: Option<&'a Bound>,
    phase: RotationPhase,
    expired: &'a [String],
    warnings: &'a [String],
}

fn phase_name(phase: RotationPhase) -> &'static str {
    match phase {
        RotationPhase::Steady => "steady",
        RotationPhase::Staged => "staged",
        RotationPhase::Grace { .. } => "grace",
        _ => "retirable",
    }
}

fn plan_json(ring: &KeyRing, summary: &Summary<'_>, phases: &[Phase]) -> Value {
    let ids = |ids: &[String]| Value::Array(ids.iter().map(|id| text(id)).collect());
    let mut map = Map::new();
    map.insert("now".into(), Value::Integer(summary.now.into()));
    map.insert(
        "promote_at".into(),
        Value::Integer(summary.promote_at.into()),
    );
    map.insert("phase".into(), text(phase_name(summary.phase)));
    if let RotationPhase::Grace { until } = summary.phase {
        map.insert(
            "grace_until".into(),
            until.map_or(Value::Null, |t| {
                Value::Integer(whole_secs(t.as_secs_f64()).into())
            }),
        );
    }
    map.insert("grace".into(), Value::Integer(summary.grace.into()));
    map.insert(
        "longest_max_age".into(),
        summary.longest.map_or(Value::Null, |b| {
            let mut bound = Map::new();
            bound.insert("setting".into(), text(&b.name));
            bound.insert("secs".into(), Value::Integer(b.secs.into()));
            Value::Object(bound)
        }),
    );
    map.insert("keys".into(), keys_json(&keys_of(ring)));
    map.insert("expired".into(), ids(summary.expired));
    let phases = phases
        .iter()
        .map(|phase| {
            let (current, fallbacks) = django_settings(&phase.keys);
            let mut entry = Map::new();
            entry.insert("phase".into(), text(phase.name));
            entry.insert("not_before".into(), Value::Integer(phase.not_before.into()));
            entry.insert("keys".into(), keys_json(&phase.keys));
            entry.insert("secret_key".into(), text(&current));
            entry.insert("secret_key_fallbacks".into(), ids(&fallbacks));
            entry.insert("retire".into(), ids(&phase.retired));
            entry.insert("action".into(), text(&phase.action));
            Value::Object(entry)
        })
        .collect();
    map.insert("phases".into(), Value::Array(phases));
    map.insert("warnings".into(), ids(summary.warnings));
    Value::Object(map)
}

fn keys_json(keys: &[KeyView]) -> Value {
    Value::Array(
        keys.iter()
            .map(|key| {
                let mut entry = Map::new();
                entry.insert("id".into(), text(&key.id));
                entry.insert("role".into(), text(key.role));
                entry.insert(
                    "not_after".into(),
                    key.not_after
                        .map_or(Value::Null, |t| Value::Integer(t.into())),
                );
                Value::Object(entry)
            })
            .collect(),
    )
}

fn text(value: &str) -> Value {
    Value::String(value.to_owned())
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (the number itself when out of range).
pub(crate) fn iso_utc(secs: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(secs) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        Err(_) => format!("{secs} s"),
    }
}
