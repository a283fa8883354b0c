//! Storing messages in a cookie of limited size, as `CookieStorage._store`.

use super::{MAX_COOKIE_SIZE, Message, MessagesCookie, StoredMessages};
use crate::clock::UnixTime;
use crate::django::cookie::quote_cookie_value;
use crate::error::Result;
use crate::version::DjangoVersion;

impl MessagesCookie {
    /// Stores `messages` as `CookieStorage._store` does: if the quoted cookie
    /// would exceed 2048 characters, drop the oldest messages (or the newest,
    /// with `remove_oldest = false`) until it fits, and mark the cookie as not
    /// finished.
    ///
    /// # Errors
    ///
    /// As [`encode_at`](MessagesCookie::encode_at).
    ///
    /// # Example
    ///
    /// ```
    /// # let ring = signring::KeyRing::new("doc-example-secret-key-not-used-anywhere-else-0123456789")?;
    /// use signring::{UnixTime, django::{Message, MessagesCookie}};
    /// let cookie = MessagesCookie::builder(&ring).build()?;
    /// // Random-looking text does not compress, so 200 such messages overflow 2 KiB.
    /// let messages: Vec<Message> = (0..200u64)
    ///     .map(|i| Message::new(20, format!("{:x}", i.wrapping_mul(0x9e37_79b9_7f4a_7c15))))
    ///     .collect();
    /// let stored = cookie.store_at(&messages, true, UnixTime::now())?;
    /// assert!(!stored.unstored.is_empty());
    /// assert_eq!(stored.unstored[0], messages[0], "the oldest go first");
    /// let kept = cookie.decode(stored.cookie_value.as_deref().unwrap())?;
    /// assert!(kept.not_finished);
    /// assert_eq!(kept.messages.len() + stored.unstored.len(), 200);
    /// assert_eq!(kept.messages.last(), messages.last(), "the newest stay");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn store_at(
        &self,
        messages: &[Message],
        remove_oldest: bool,
        now: UnixTime,
    ) -> Result<StoredMessages> {
        let too_large = |value: &str| quote_cookie_value(value).chars().count() > MAX_COOKIE_SIZE;
        if messages.is_empty() {
            return Ok(StoredMessages {
                cookie_value: None,
                unstored: Vec::new(),
            });
        }
        let all = self.encode_at(messages, false, now)?;
        if !too_large(&all) {
            return Ok(StoredMessages {
                cookie_value: Some(all),
                unstored: Vec::new(),
            });
        }
        // How many messages to keep beside the sentinel. Compression makes the
        // fit non-monotonic, so the search order matters: Django 5.0+ bisects,
        // earlier releases drop one message at a time.
        let encode_kept = |keep: usize| {
            let kept = if remove_oldest {
                &messages[messages.len() - keep..]
            } else {
                &messages[..keep]
            };
            self.encode_at(kept, true, now)
        };
        let keep = if self.version >= DjangoVersion::V5_2 {
            // bisect_keep_right / bisect_keep_left, over the number dropped.
            let (mut lo, mut hi) = (0, messages.len());
            while lo < hi {
                let mid = (lo + hi) / 2;
                let fits = if remove_oldest {
                    !too_large(&encode_kept(messages.len() - mid)?)
                } else {
                    !too_large(&encode_kept(mid + 1)?)
                };
                match (remove_oldest, fits) {
                    (true, false) => lo = mid + 1,
                    (true, true) => hi = mid,
                    (false, false) => hi = mid,
                    (false, true) => lo = mid + 1,
                }
            }
            if remove_oldest {
                messages.len() - lo
            } else {
                lo
            }
        } else {
            let mut keep = messages.len();
            while keep > 0 {
                keep -= 1;
                if !too_large(&encode_kept(keep)?) {
                    break;
                }
            }
            keep
        };
        let value = encode_kept(keep)?;
        let unstored = if remove_oldest {
            &messages[..messages.len() - keep]
        } else {
            &messages[keep..]
        };
        Ok(StoredMessages {
            cookie_value: Some(value),
            unstored: unstored.to_vec(),
        })
    }
}
