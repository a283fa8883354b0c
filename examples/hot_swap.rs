//! Swapping the key ring of a running service without a restart: load the new
//! ring, build its signer once, and publish it behind an `Arc`; requests in
//! flight keep the signer they started with.
//!
//! Run it with `cargo run --example hot_swap`.

use std::sync::{Arc, RwLock};
use std::thread;

use signring::{KeyRing, RingKey, RotationPlan, Signer, UnixTime, VerifyCounters};

/// What the request handlers share: the current signer and its counters.
struct Keys {
    signer: Signer,
    counters: Arc<VerifyCounters>,
}

fn publish(slot: &RwLock<Arc<Keys>>, ring: &KeyRing) -> Result<(), signring::ConfigError> {
    let counters = Arc::new(VerifyCounters::new(ring));
    let signer = Signer::builder(ring).observer(counters.clone()).build()?;
    // Only the pointer swap happens under the lock; deriving keys does not.
    *slot
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(Keys { signer, counters });
    Ok(())
}

fn current(slot: &RwLock<Arc<Keys>>) -> Arc<Keys> {
    slot.read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // In production: KeyRing::from_env() or KeyRing::from_keys_file(path),
    // reloaded on SIGHUP or when the mounted secret changes.
    let mut ring = KeyRing::from_ring_key(
        RingKey::new("the-key-we-have-used-since-launch-0123456789abcdefgh")?.id("2025"),
    );
    let slot = RwLock::new(Arc::new(Keys {
        signer: Signer::builder(&ring).build()?,
        counters: Arc::new(VerifyCounters::new(&ring)),
    }));
    publish(&slot, &ring)?;
    let old_cookie = current(&slot).signer.sign("user-42");

    // A worker keeps serving while the ring changes under it.
    let cookies: Vec<String> = (0..1000)
        .map(|i| current(&slot).signer.sign(&format!("user-{i}")))
        .collect();

    let plan = RotationPlan::new(signring::MaxAge::from_secs(14 * 24 * 3600));
    let now = UnixTime::now();
    let next = RingKey::new("a-fresh-key-from-signring-keygen-0123456789abcdefghij")?.id("2026");
    // Edits happen on a copy; a refused edit would leave the published ring as it was.
    plan.stage(&mut ring, next)?;
    publish(&slot, &ring)?;
    plan.promote(&mut ring, now)?;
    let promoted = ring;
    thread::scope(|scope| {
        let reader = scope.spawn(|| {
            cookies
                .iter()
                .filter(|c| current(&slot).signer.unsign(c).is_ok())
                .count()
        });
        publish(&slot, &promoted).expect("the promoted ring is valid");
        let verified = reader.join().expect("the reader does not panic");
        println!(
            "verified {verified} of {} cookies while the ring was swapped",
            cookies.len()
        );
        assert_eq!(verified, cookies.len());
    });

    let keys = current(&slot);
    let verified = keys.signer.unsign(&old_cookie)?;
    println!(
        "an old cookie verifies with key {} (stale: {})",
        verified.key_index(),
        verified.is_stale()
    );
    println!("counters after the swap: {}", keys.counters.report());
    Ok(())
}
