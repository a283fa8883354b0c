//! A shared, hot-swappable handle on a key ring.

use core::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

/// A key ring shared between the layer and the code that rotates it: readers
/// take a snapshot (`Arc`) per request, writers publish a new ring, and
/// requests already running keep the snapshot they started with.
///
/// It is `std` only: a read is an uncontended `RwLock` read and an `Arc`
/// clone (tens of nanoseconds), and the layer only takes one when the ring's
/// generation changed (one atomic load per request otherwise).
///
/// Works with a [`signring::KeyRing`] (Django and signring formats) and a
/// [`CookieKeyRing`](crate::CookieKeyRing) (the `cookie` crate's format).
///
/// # Example: stage, promote, retire without a restart
///
/// ```
/// use signring::{KeyRing, RingKey, UnixTime};
/// use signring_http::RingHandle;
///
/// let handle = RingHandle::new(KeyRing::new("the-old-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?);
/// let layer_side = handle.clone(); // given to the layer
/// handle.update(|ring| ring.stage(RingKey::new("the-new-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?.id("new")))?;
/// handle.update(|ring| ring.promote(UnixTime::from_secs_f64(2_000_000_000.0)))?;
/// assert_eq!(layer_side.load().id(0).unwrap().as_str(), "new");
/// handle.update(|ring| { ring.retire_expired(UnixTime::from_secs_f64(2_000_000_001.0)); Ok::<_, signring::ConfigError>(()) })?;
/// assert_eq!(layer_side.load().key_count(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct RingHandle<R> {
    inner: Arc<Inner<R>>,
}

struct Inner<R> {
    ring: RwLock<Arc<R>>,
    generation: AtomicU64,
}

impl<R> Clone for RingHandle<R> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<R> RingHandle<R> {
    /// A handle on `ring`.
    ///
    /// # Example
    ///
    /// See [`RingHandle`].
    pub fn new(ring: R) -> Self {
        Self {
            inner: Arc::new(Inner {
                ring: RwLock::new(Arc::new(ring)),
                generation: AtomicU64::new(0),
            }),
        }
    }

    /// The ring now. Requests keep the snapshot they took when they started.
    ///
    /// # Example
    ///
    /// See [`RingHandle`].
    #[must_use]
    pub fn load(&self) -> Arc<R> {
        // A poisoned lock only means a writer panicked between two whole
        // rings: the ring inside is still a whole one.
        Arc::clone(
            &self
                .inner
                .ring
                .read()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    /// Publishes `ring`; the next request verifies with it.
    ///
    /// # Example
    ///
    /// ```
    /// use signring::KeyRing;
    /// let handle = signring_http::RingHandle::new(KeyRing::new("the-old-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?);
    /// handle.store(KeyRing::new("the-new-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?);
    /// assert_eq!(handle.generation(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn store(&self, ring: R) {
        let mut slot = self
            .inner
            .ring
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        *slot = Arc::new(ring);
        self.inner.generation.fetch_add(1, Ordering::Release);
    }

    /// How many times a ring was published: the layer re-derives its keys
    /// when this changes.
    ///
    /// # Example
    ///
    /// See [`RingHandle::store`].
    #[must_use]
    pub fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }
}

impl<R: Clone> RingHandle<R> {
    /// Edits a copy of the ring and publishes it if `edit` succeeds; on error
    /// nothing changes. Concurrent updates are serialized.
    ///
    /// # Errors
    ///
    /// Whatever `edit` returns.
    ///
    /// # Example
    ///
    /// See [`RingHandle`].
    pub fn update<E>(&self, edit: impl FnOnce(&mut R) -> Result<(), E>) -> Result<(), E> {
        let mut slot = self
            .inner
            .ring
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let mut ring = R::clone(&slot);
        edit(&mut ring)?;
        *slot = Arc::new(ring);
        self.inner.generation.fetch_add(1, Ordering::Release);
        Ok(())
    }
}

impl<R: fmt::Debug> fmt::Debug for RingHandle<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RingHandle")
            .field("generation", &self.generation())
            .field("ring", &self.load())
            .finish()
    }
}
