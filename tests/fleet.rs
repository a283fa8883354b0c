//! Fleet simulation: a rolling deploy of a new key across several servers,
//! with clients whose requests bounce between them (Django ticket #35400).
//!
//! Every server holds its own [`KeyRing`] and a session [`TimestampSigner`];
//! every client holds one signed session value. Each tick, random clients send
//! a request to a random server, which verifies the value with `unsign_at`:
//!
//! * a bad signature logs the client out (a *rejection*: the rotation's
//!   fault), and the client logs in again on that server;
//! * a value past `max_age` logs the client out too (an *expiry*: it happens
//!   without any rotation, and the no-rotation baseline counts the same); a
//!   value refused for its signature once its key went counts as an expiry if
//!   it was past `max_age` anyway (the signature is checked first);
//! * a stale value (verified by a fallback) is re-signed with `resign`, which
//!   keeps its timestamp.
//!
//! The scenarios share one seed and draw the same random numbers whatever
//! happens, so they differ only by what the fleet does with its keys:
//!
//! * **baseline**: no rotation;
//! * **naive**: a rolling deploy of `ring.rotate(NEW)`, the new key signing on
//!   each server as soon as it is deployed there, which the servers not yet
//!   deployed reject;
//! * **staged**: `stage` on every server, then `promote(grace_end)` on every
//!   server, then `retire_expired(now)` on every server once `grace_end` (the
//!   last promotion plus `max_age`) has passed: no rejection at all;
//! * **early retirement**: the staged plan with a grace period shorter than
//!   `max_age`: clients idle for longer are logged out.
//!
//! Run `cargo test --test fleet -- --nocapture` to see the counts.

// The simulation's counts, indices and times are small, and its random
// numbers are scaled through f64 on purpose.
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_precision_loss,
    clippy::cast_sign_loss
)]
#![allow(clippy::unwrap_used)] // a test that cannot set up should fail loudly

use std::fmt;

use signring::{Error, KeyRing, MaxAge, RingKey, TimestampSigner, UnixTime};

const SERVERS: usize = 8;
const CLIENTS: usize = 2000;
const REQUESTS_PER_TICK: usize = 16;
/// Percent of requests that are a fresh login rather than a visit.
const LOGIN_PERCENT: u64 = 2;

const MINUTE: i64 = 60;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
const TICK: i64 = 5 * MINUTE;
/// Django's `SESSION_COOKIE_AGE` default.
const MAX_AGE: i64 = 14 * DAY;
/// Time between two servers of a rolling deploy.
const DEPLOY_STEP: i64 = 30 * MINUTE;

/// The simulation starts here (2025-06-15), whole seconds.
const T0: i64 = 1_750_000_000;
const END: i64 = T0 + 17 * DAY;
/// The first server gets the new key (naive) or stages it (staged plan).
const ROLLOUT: i64 = T0 + DAY;
/// The staged plan's first promotion.
const PROMOTION: i64 = T0 + 2 * DAY;
/// The staged plan's last promotion: the grace period counts from here.
const PROMOTION_DONE: i64 = PROMOTION + (SERVERS as i64 - 1) * DEPLOY_STEP;
/// The grace period of the early-retirement scenario (shorter than `MAX_AGE`).
const SHORT_GRACE: i64 = 2 * DAY;

const SEED: u64 = 0x35400_F1EE7;
const SALT: &str = "django.contrib.sessions.backends.signed_cookies";
const OLD: &str = "fleet-old-key-that-signed-every-session-until-now-0123456789";
const NEW: &str = "fleet-new-key-rolled-out-across-all-eight-servers-9876543210";

/// SplitMix64: small, fast, and the same sequence on every platform.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn at(secs: i64) -> UnixTime {
    UnixTime::from_secs_f64(secs as f64)
}

/// What one server does to its ring at one moment.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// `ring.rotate(NEW)`: the new key signs at once.
    Rotate,
    /// `ring.stage(NEW)`: the new key verifies but does not sign.
    Stage,
    /// `ring.promote(grace_end)`: the new key signs, the old one verifies until
    /// `grace_end`.
    Promote(i64),
    /// `ring.retire_expired(now)`.
    Retire,
}

#[derive(Debug, Clone, Copy)]
struct Event {
    at: i64,
    server: usize,
    step: Step,
}

/// One step on every server, one server after another.
fn rolling(start: i64, step: Step) -> impl Iterator<Item = Event> {
    (0..SERVERS).map(move |server| Event {
        at: start + server as i64 * DEPLOY_STEP,
        server,
        step,
    })
}

fn session_signer(ring: &KeyRing) -> TimestampSigner {
    TimestampSigner::builder(ring)
        .salt(SALT)
        .max_age(MaxAge::from_secs(MAX_AGE))
        .build()
        .unwrap()
}

struct Server {
    ring: KeyRing,
    signer: TimestampSigner,
}

impl Server {
    fn new() -> Self {
        let ring = KeyRing::from_ring_key(RingKey::new(OLD).unwrap().id("old"));
        let signer = session_signer(&ring);
        Self { ring, signer }
    }

    fn apply(&mut self, step: Step, now: i64) {
        match step {
            Step::Rotate => self.ring.rotate(NEW).unwrap(),
            Step::Stage => self
                .ring
                .stage(RingKey::new(NEW).unwrap().id("new"))
                .unwrap(),
            Step::Promote(grace_end) => self.ring.promote(at(grace_end)).unwrap(),
            Step::Retire => {
                self.ring.retire_expired(at(now));
            }
        }
        self.ring.validate(at(now)).unwrap();
        self.signer = session_signer(&self.ring);
    }
}

struct Client {
    value: String,
    /// The timestamp the server put in `value` when the client logged in.
    issued: i64,
    last_request: Option<i64>,
    rejected: bool,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Counts {
    requests: u64,
    /// Requests while the fleet disagrees on which key signs (from the first
    /// server to switch to the new key to the last).
    during_switch: u64,
    /// Fresh logins the clients asked for.
    logins: u64,
    /// Values refused for their signature: logouts caused by the rotation.
    rejected: u64,
    /// Rejections while the fleet disagrees on which key signs.
    rejected_during_switch: u64,
    /// Distinct clients logged out at least once by a rejection.
    clients_rejected: u64,
    /// Values past `max_age`: logouts that happen without any rotation.
    expired: u64,
    /// Stale values re-signed with the current key (timestamp kept).
    resigned: u64,
}

struct Scenario {
    name: &'static str,
    events: Vec<Event>,
}

struct Outcome {
    counts: Counts,
    servers: Vec<Server>,
    clients: Vec<Client>,
}

fn session(client: usize) -> String {
    format!("uid={client}")
}

fn run(scenario: &Scenario) -> Outcome {
    let mut rng = SplitMix64(SEED);
    let mut servers: Vec<Server> = (0..SERVERS).map(|_| Server::new()).collect();
    // Everybody logged in at some point of the last 13 days, on any server
    // (they all sign with the old key).
    let clients_signed_by = &servers[0].signer;
    let mut clients: Vec<Client> = (0..CLIENTS)
        .map(|c| {
            let issued = T0 - rng.below((13 * DAY) as u64) as i64;
            Client {
                value: clients_signed_by.sign_at(&session(c), at(issued)),
                issued,
                last_request: None,
                rejected: false,
            }
        })
        .collect();

    let switches = scenario
        .events
        .iter()
        .filter(|e| matches!(e.step, Step::Rotate | Step::Promote(_)))
        .map(|e| e.at);
    let switch_window = switches.clone().min().unwrap_or(i64::MAX)..switches.max().unwrap_or(0);
    let mut events = scenario.events.clone();
    events.sort_by_key(|e| e.at);
    let mut events = events.into_iter().peekable();
    let mut counts = Counts::default();
    let mut now = T0;
    while now < END {
        while let Some(event) = events.next_if(|e| e.at <= now) {
            servers[event.server].apply(event.step, now);
        }
        let now_t = at(now);
        for _ in 0..REQUESTS_PER_TICK {
            // The same draws whatever the outcome, so scenarios stay comparable.
            // Cubing skews traffic: a few clients come back often, most rarely.
            let u = rng.unit();
            let c = ((CLIENTS as f64) * u * u * u) as usize;
            let server = &servers[rng.below(SERVERS as u64) as usize];
            let login = rng.below(100) < LOGIN_PERCENT;
            let client = &mut clients[c];
            counts.requests += 1;
            counts.during_switch += u64::from(switch_window.contains(&now));
            client.last_request = Some(now);
            if login {
                counts.logins += 1;
                client.value = server.signer.sign_at(&session(c), now_t);
                client.issued = now;
                continue;
            }
            match server.signer.unsign_at(&client.value, now_t) {
                Ok(verified) => {
                    assert_eq!(*verified.value(), session(c));
                    assert_eq!(verified.timestamp(), Some(client.issued));
                    if verified.is_stale() {
                        let fresh = server.signer.resign(&verified).unwrap();
                        let again = server.signer.unsign_at(&fresh, now_t).unwrap();
                        assert_eq!(
                            again.timestamp(),
                            verified.timestamp(),
                            "re-signing keeps the timestamp"
                        );
                        assert_eq!((again.key_index(), again.is_stale()), (0, false));
                        counts.resigned += 1;
                        client.value = fresh;
                    }
                }
                Err(error) => {
                    match error {
                        // The signature is checked first: a value refused
                        // after its key went may have expired anyway.
                        Error::BadSignature if now - client.issued > MAX_AGE => {
                            counts.expired += 1;
                        }
                        Error::BadSignature => {
                            counts.rejected += 1;
                            counts.rejected_during_switch +=
                                u64::from(switch_window.contains(&now));
                            counts.clients_rejected += u64::from(!client.rejected);
                            client.rejected = true;
                        }
                        Error::Expired { .. } => counts.expired += 1,
                        other => panic!("{}: unexpected {other:?}", scenario.name),
                    }
                    // Logged out: the client logs in again on this server.
                    client.value = server.signer.sign_at(&session(c), now_t);
                    client.issued = now;
                }
            }
        }
        now += TICK;
    }
    assert!(
        events.next().is_none(),
        "every event happened before the end"
    );
    Outcome {
        counts,
        servers,
        clients,
    }
}

fn baseline() -> Scenario {
    Scenario {
        name: "baseline (no rotation)",
        events: Vec::new(),
    }
}

fn naive() -> Scenario {
    Scenario {
        name: "naive rotate(NEW)",
        events: rolling(ROLLOUT, Step::Rotate).collect(),
    }
}

/// Stage everywhere, then promote everywhere with one `grace_end` for the
/// whole fleet, then retire everywhere once it has passed.
fn staged(name: &'static str, grace: i64) -> Scenario {
    let grace_end = PROMOTION_DONE + grace;
    Scenario {
        name,
        events: rolling(ROLLOUT, Step::Stage)
            .chain(rolling(PROMOTION, Step::Promote(grace_end)))
            .chain(rolling(grace_end + HOUR, Step::Retire))
            .collect(),
    }
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:>8} {:>6} {:>7} {:>9} {:>8} {:>8} {:>9}",
            self.requests,
            self.during_switch,
            self.logins,
            self.rejected,
            self.clients_rejected,
            self.expired,
            self.resigned
        )
    }
}

fn print_table(rows: &[(&str, &Counts)]) {
    println!();
    println!(
        "fleet: {SERVERS} servers, {CLIENTS} clients, {REQUESTS_PER_TICK} requests per \
         {} min over {} days, max_age {} days, one server every {} min",
        TICK / MINUTE,
        (END - T0) / DAY,
        MAX_AGE / DAY,
        DEPLOY_STEP / MINUTE
    );
    println!(
        "{:<28} {:>8} {:>6} {:>7} {:>9} {:>8} {:>8} {:>9}",
        "scenario", "requests", "switch", "logins", "rejected", "clients", "expired", "re-signed"
    );
    for (name, counts) in rows {
        println!("{name:<28} {counts}");
    }
    println!(
        "switch: requests while servers disagree on the signing key; rejected: refused \
         signatures (logouts the rotation caused); clients: distinct clients rejected; \
         expired: past max_age (as without rotation)"
    );
}

#[test]
fn a_staged_rotation_logs_nobody_out_where_a_naive_one_does() {
    let staged_scenario = staged("staged (grace = max_age)", MAX_AGE);
    let early_scenario = staged("staged, retired after 2 days", SHORT_GRACE);
    // Independent runs: one thread each keeps the debug build fast.
    let (base, naive_run, staged_run, early_run) = std::thread::scope(|s| {
        let base = s.spawn(|| run(&baseline()));
        let naive_run = s.spawn(|| run(&naive()));
        let staged_run = s.spawn(|| run(&staged_scenario));
        let early_run = run(&early_scenario);
        (
            base.join().unwrap(),
            naive_run.join().unwrap(),
            staged_run.join().unwrap(),
            early_run,
        )
    });
    print_table(&[
        (baseline().name, &base.counts),
        (naive().name, &naive_run.counts),
        (staged_scenario.name, &staged_run.counts),
        (early_scenario.name, &early_run.counts),
    ]);

    // Without a rotation nothing is ever refused: expiries are the only logouts.
    assert_eq!(base.counts.rejected, 0);
    assert!(base.counts.expired > 0);
    assert_eq!(base.counts.resigned, 0);

    // Naive: a server that has not been deployed yet refuses what the
    // deployed ones sign with the new key.
    assert!(naive_run.counts.rejected > 0, "{:?}", naive_run.counts);
    // Only while the fleet is mixed: afterwards every server has both keys.
    assert_eq!(
        naive_run.counts.rejected_during_switch,
        naive_run.counts.rejected
    );

    // The plan: not one value refused in any phase, and exactly the logouts a
    // fleet that never rotates would have had.
    let counts = &staged_run.counts;
    assert_eq!(counts.rejected, 0, "{counts:?}");
    assert_eq!(counts.clients_rejected, 0);
    assert_eq!(counts.expired, base.counts.expired);
    assert_eq!(counts.logins, base.counts.logins);
    assert!(counts.resigned > 0);
    // Every server ends with the new key alone.
    for server in &staged_run.servers {
        assert_eq!(server.ring.key_count(), 1);
        assert_eq!(server.ring.id(0).unwrap().as_str(), "new");
    }
    // Every client seen after the last promotion holds a value of the new key
    // (checked as of its last request, since values expire); everybody else
    // holds an old value that had expired before the old key was retired.
    let signer = &staged_run.servers[0].signer;
    let mut on_new_key = 0;
    for (c, client) in staged_run.clients.iter().enumerate() {
        match client.last_request {
            Some(last) if last >= PROMOTION_DONE => {
                let verified = signer.unsign_at(&client.value, at(last)).unwrap();
                assert_eq!((verified.key_index(), verified.is_stale()), (0, false));
                assert_eq!(verified.timestamp(), Some(client.issued));
                on_new_key += 1;
            }
            _ => assert!(
                client.issued + MAX_AGE <= PROMOTION_DONE + MAX_AGE,
                "client {c} holds an old value that outlives the old key's not_after"
            ),
        }
    }
    println!(
        "staged: {on_new_key} of {CLIENTS} clients came back after the last promotion \
         and all hold a value of the new key"
    );

    // Retiring before max_age has passed logs out clients idle for longer
    // than the grace period, still holding a valid value of the old key.
    assert!(early_run.counts.rejected > 0, "{:?}", early_run.counts);
    assert_eq!(early_run.counts.rejected_during_switch, 0);

    // Same seed, same draws (integer and exact IEEE arithmetic only): the
    // counts are the same on every run. Changing a parameter changes them.
    assert_eq!(
        (
            base.counts.expired,
            naive_run.counts.during_switch,
            naive_run.counts.rejected,
            naive_run.counts.clients_rejected,
            early_run.counts.rejected,
        ),
        (1634, 672, 32, 25, 116)
    );
}
