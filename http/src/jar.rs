//! The per-request cookie jar: verified declared cookies for handlers, the
//! cookies they set or remove, and the response side's re-issuing.

use core::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use http::header::{COOKIE, Entry, GetAll, SET_COOKIE, VARY};
use http::{HeaderMap, HeaderValue, Response};
use signring::django::Message;
use signring::json::Map;

use crate::compiled::{Checked, Compiled};
use crate::error::SetError;
use crate::header::{cookie_headers, cookie_pairs, last_value, split_set_cookie};
use crate::record::{CookieState, Failure, VerifiedCookie};
use crate::snapshot::{Config, Snapshot};
use crate::spec::CookieSpec;

/// What the layer found for one declared cookie.
// Most slots of a request that carries a cookie hold a verified one: boxing
// it would add an allocation per cookie.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Slot {
    Verified(Checked),
    Failed(Failure),
}

/// A cookie verified on demand ([`Cookies::verify`]) that will be re-issued
/// if stale.
#[derive(Debug)]
struct AdHoc {
    compiled: Compiled,
    reissue: String,
    timestamp: Option<i64>,
}

#[derive(Debug, Default)]
struct Changes {
    /// `Set-Cookie` values handlers asked for, in order.
    set: Vec<HeaderValue>,
    /// Names handlers set or removed: not re-issued.
    touched: Vec<String>,
    ad_hoc: Vec<AdHoc>,
}

/// The declared cookies a request carried, by index in the snapshot: the
/// first one inline (most requests carry one or none), the others in a
/// `Vec` that stays unallocated until a second one shows up. Absent cookies
/// have no slot.
#[derive(Debug, Default)]
struct Slots {
    first: Option<(usize, Slot)>,
    more: Vec<(usize, Slot)>,
}

impl Slots {
    fn push(&mut self, index: usize, slot: Slot) {
        if self.first.is_none() {
            self.first = Some((index, slot));
        } else {
            self.more.push((index, slot));
        }
    }

    fn get(&self, index: usize) -> Option<&Slot> {
        self.iter().find(|(i, _)| *i == index).map(|(_, slot)| slot)
    }

    /// In the snapshot's order (slots are pushed in that order).
    fn iter(&self) -> impl Iterator<Item = &(usize, Slot)> {
        self.first.iter().chain(&self.more)
    }
}

/// The request's `Cookie` headers (cheap clones: the bytes are shared), for
/// [`Cookies::verify`]: the first inline, any others (HTTP/2) in a `Vec`.
#[derive(Debug, Default)]
struct CookieHeaders {
    first: Option<HeaderValue>,
    more: Vec<HeaderValue>,
}

impl CookieHeaders {
    fn of(values: &GetAll<'_, HeaderValue>) -> Self {
        let mut values = values.iter();
        Self {
            first: values.next().cloned(),
            more: values.cloned().collect(),
        }
    }

    fn iter(&self) -> impl Iterator<Item = &HeaderValue> {
        self.first.iter().chain(&self.more)
    }
}

struct Inner {
    snapshot: Arc<Snapshot>,
    slots: Slots,
    headers: CookieHeaders,
    changes: Mutex<Changes>,
}

/// The signed cookies of one request: every declared cookie verified (with
/// its record), and the cookies handlers set or remove, signed with the
/// current key.
///
/// The layer puts it in the request's extensions; with the `axum` feature it
/// is also an extractor. Clones share the same state.
///
/// # Example
///
/// ```
/// use http::{Request, Response, header};
/// use signring::{KeyRing, TimestampSigner};
/// use signring_http::{CookieSpec, Cookies, RingHandle, SignedCookieLayer};
/// use tower::{Service, ServiceExt, service_fn};
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let old = KeyRing::new("the-old-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
/// let cart = TimestampSigner::builder(&old).salt("shop.cart").build()?.sign("3 apples");
/// let mut ring = old.clone();
/// ring.rotate("the-new-key-0123456789abcdefghijklmnopqrstuvwxyz0123")?;
///
/// let layer = SignedCookieLayer::builder()
///     .ring(RingHandle::new(ring))
///     .cookie(CookieSpec::signring("cart", "shop.cart").max_age(3600))
///     .build()?;
/// let service = tower::ServiceBuilder::new().layer(layer).service(service_fn(|req: Request<()>| async move {
///     let cookies = req.extensions().get::<Cookies>().expect("the layer is installed").clone();
///     let cart = cookies.get("cart").expect("it verified");
///     assert_eq!((cart.text(), cart.is_stale(), cart.record().key_index), (Some("3 apples"), true, 1));
///     Ok::<_, std::convert::Infallible>(Response::new(()))
/// }));
/// let request = Request::get("/").header(header::COOKIE, format!("cart={cart}")).body(())?;
/// let response = service.oneshot(request).await?;
/// // An old key verified it: re-issued with the current key, same timestamp.
/// let set_cookie = response.headers()[header::SET_COOKIE].to_str()?;
/// assert!(set_cookie.starts_with("cart=3 apples:") || set_cookie.starts_with("cart=\"3 apples:"));
/// assert!(set_cookie.contains("; Path=/; Max-Age="));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Cookies {
    inner: Arc<Inner>,
}

impl Cookies {
    /// Verifies every declared cookie the request carries.
    pub(crate) fn from_request(config: &Config, headers: &HeaderMap) -> Self {
        let snapshot = config.snapshot();
        // One lookup of the `Cookie` headers, for the values and the copy.
        let values = headers.get_all(COOKIE);
        // The last value of each declared cookie, on the stack for up to
        // eight declarations.
        let mut small = [None; 8];
        let mut large = Vec::new();
        let found: &mut [Option<(&HeaderValue, &str)>] = if snapshot.cookies.len() <= small.len() {
            &mut small[..snapshot.cookies.len()]
        } else {
            large.resize(snapshot.cookies.len(), None);
            &mut large
        };
        if !found.is_empty() {
            for header in values.iter() {
                let Ok(text) = core::str::from_utf8(header.as_bytes()) else {
                    continue;
                };
                for (name, value) in cookie_pairs(text) {
                    if let Some(i) = snapshot.cookies.iter().position(|c| c.name() == name) {
                        found[i] = Some((header, value));
                    }
                }
            }
        }
        let mut slots = Slots::default();
        for (i, (wire, compiled)) in found.iter().zip(&snapshot.cookies).enumerate() {
            if let Some((header, wire)) = wire {
                slots.push(
                    i,
                    match compiled.verify(wire, Some(header)) {
                        Ok(checked) => Slot::Verified(checked),
                        Err(failure) => Slot::Failed(failure),
                    },
                );
            }
        }
        Self {
            inner: Arc::new(Inner {
                snapshot,
                slots,
                headers: CookieHeaders::of(&values),
                changes: Mutex::new(Changes::default()),
            }),
        }
    }

    fn index(&self, name: &str) -> Option<usize> {
        self.inner
            .snapshot
            .cookies
            .iter()
            .position(|c| c.name() == name)
    }

    fn changes(&self) -> std::sync::MutexGuard<'_, Changes> {
        // A handler that panicked mid-change left whole values behind.
        self.inner
            .changes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The declared cookie `name`, when the request carried it and it verified.
    ///
    /// # Example
    ///
    /// See [`Cookies`].
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&VerifiedCookie> {
        match self.state(name) {
            CookieState::Verified(cookie) => Some(cookie),
            _ => None,
        }
    }

    /// Whether the declared cookie `name` was absent, verified or failed
    /// (`Absent` too for a name that is not declared).
    ///
    /// # Example
    ///
    /// ```
    /// use signring_http::{CookieState, Failure};
    /// # fn f(cookies: signring_http::Cookies) {
    /// match cookies.state("sessionid") {
    ///     CookieState::Verified(cookie) => println!("key {}", cookie.record().key_id),
    ///     CookieState::Failed(Failure::Expired) => println!("expired"),
    ///     _ => println!("no session"),
    /// }
    /// # }
    /// ```
    #[must_use]
    pub fn state(&self, name: &str) -> CookieState<'_> {
        match self.index(name).and_then(|i| self.inner.slots.get(i)) {
            Some(Slot::Verified(checked)) => CookieState::Verified(&checked.cookie),
            Some(Slot::Failed(failure)) => CookieState::Failed(*failure),
            None => CookieState::Absent,
        }
    }

    /// Sets the declared text cookie `name` to `value`, signed with the
    /// current key, with the declared attributes and `Max-Age`. The layer
    /// then does not re-issue the old one.
    ///
    /// # Errors
    ///
    /// [`SetError::NotDeclared`], [`SetError::WrongFormat`] (a session or
    /// messages cookie), [`SetError::NotHeaderSafe`].
    ///
    /// # Example
    ///
    /// ```
    /// # fn f(cookies: signring_http::Cookies) -> Result<(), signring_http::SetError> {
    /// cookies.set("prefs", "dark")?;
    /// cookies.remove("cart")?;
    /// # Ok(()) }
    /// ```
    pub fn set(&self, name: &str, value: &str) -> Result<(), SetError> {
        let compiled = self.compiled(name)?;
        let wire = compiled.sign_text(value).ok_or(SetError::WrongFormat)?;
        self.push(compiled, &wire)
    }

    /// Sets the declared signed-cookie session `name` to `session`.
    ///
    /// # Errors
    ///
    /// As [`set`](Cookies::set).
    ///
    /// # Example
    ///
    /// ```
    /// # fn f(cookies: signring_http::Cookies) -> Result<(), Box<dyn std::error::Error>> {
    /// let session: signring::json::Map = signring::json::from_str(r#"{"cart":[1,2]}"#)?;
    /// cookies.set_session("sessionid", &session)?;
    /// # Ok(()) }
    /// ```
    pub fn set_session(&self, name: &str, session: &Map) -> Result<(), SetError> {
        let compiled = self.compiled(name)?;
        let wire = compiled
            .sign_session(session)
            .ok_or(SetError::WrongFormat)?;
        self.push(compiled, &wire)
    }

    /// Sets the declared messages cookie `name` to `messages` (all of them:
    /// use [`MessagesCookie::store_at`](signring::django::MessagesCookie::store_at)
    /// first to drop what does not fit in 2 KiB).
    ///
    /// # Errors
    ///
    /// As [`set`](Cookies::set).
    ///
    /// # Example
    ///
    /// ```
    /// # fn f(cookies: signring_http::Cookies) -> Result<(), signring_http::SetError> {
    /// cookies.set_messages("messages", &[signring::django::Message::new(20, "Saved.")])?;
    /// # Ok(()) }
    /// ```
    pub fn set_messages(&self, name: &str, messages: &[Message]) -> Result<(), SetError> {
        let compiled = self.compiled(name)?;
        let wire = compiled
            .sign_messages(messages)
            .ok_or(SetError::WrongFormat)?;
        self.push(compiled, &wire)
    }

    /// Removes the declared cookie `name` (an empty value, `Max-Age=0`).
    ///
    /// # Errors
    ///
    /// [`SetError::NotDeclared`].
    ///
    /// # Example
    ///
    /// See [`Cookies::set`].
    pub fn remove(&self, name: &str) -> Result<(), SetError> {
        let compiled = self.compiled(name)?;
        let text = compiled.spec.declared_attributes().render_removal(name);
        let value = HeaderValue::from_str(&text).map_err(|_| SetError::NotHeaderSafe)?;
        let mut changes = self.changes();
        changes.set.push(value);
        changes.touched.push(name.to_owned());
        Ok(())
    }

    /// Sets a cookie that was not declared on the layer (its name or salt is
    /// only known here), signed with the current key, with `spec`'s
    /// attributes and `Max-Age`. Text formats only.
    ///
    /// # Errors
    ///
    /// [`SetError::BadName`]; [`SetError::WrongFormat`] for a session or
    /// messages declaration or one whose ring the layer lacks;
    /// [`SetError::NotHeaderSafe`].
    ///
    /// # Example
    ///
    /// ```
    /// use signring_http::CookieSpec;
    /// # fn f(cookies: signring_http::Cookies) -> Result<(), signring_http::SetError> {
    /// cookies.set_with(&CookieSpec::django_signed("greeting").salt("per-page"), "hello")?;
    /// # Ok(()) }
    /// ```
    pub fn set_with(&self, spec: &CookieSpec, value: &str) -> Result<(), SetError> {
        if !crate::error::valid_name(spec.name()) {
            return Err(SetError::BadName);
        }
        let compiled = self
            .inner
            .snapshot
            .compile(spec)
            .map_err(|_| SetError::WrongFormat)?;
        let wire = compiled.sign_text(value).ok_or(SetError::WrongFormat)?;
        self.push(&compiled, &wire)
    }

    /// Verifies a cookie that was not declared on the layer, because its name
    /// or salt is only known here (Django's `get_signed_cookie(name,
    /// salt=…)` with a salt from the URL, say). `None` when the request does
    /// not carry it. When it verifies stale, the response re-issues it like a
    /// declared cookie. Its keys are derived on each call: declare cookies on
    /// the layer when you can.
    ///
    /// # Errors
    ///
    /// The inner `Result` is the verification's: [`Failure`] when it fails,
    /// or [`Failure::Malformed`] when the declaration cannot be built
    /// (a format whose ring the layer lacks).
    ///
    /// # Example
    ///
    /// ```
    /// use signring_http::CookieSpec;
    /// # fn f(cookies: signring_http::Cookies, name: &str, salt: &str) {
    /// match cookies.verify(&CookieSpec::django_signed(name).salt(salt)) {
    ///     Some(Ok(cookie)) => println!("{:?}", cookie.text()),
    ///     Some(Err(failure)) => println!("refused: {failure}"),
    ///     None => println!("absent"),
    /// }
    /// # }
    /// ```
    #[must_use = "the result says whether the cookie verified"]
    pub fn verify(&self, spec: &CookieSpec) -> Option<Result<VerifiedCookie, Failure>> {
        let (header, wire) = last_value(self.inner.headers.iter(), spec.name())?;
        let compiled = match self.inner.snapshot.compile(spec) {
            Ok(compiled) => compiled,
            Err(_) => return Some(Err(Failure::Malformed)),
        };
        Some(compiled.verify(wire, Some(header)).map(|checked| {
            if let Some(reissue) = checked.reissue {
                self.changes().ad_hoc.push(AdHoc {
                    timestamp: checked.cookie.record.timestamp,
                    compiled,
                    reissue,
                });
            }
            checked.cookie
        }))
    }

    /// The ring this request verifies with (a snapshot: a swap during the
    /// request does not change it).
    ///
    /// # Example
    ///
    /// ```
    /// # fn f(cookies: signring_http::Cookies) {
    /// if let Some(ring) = cookies.ring() { println!("{} keys", ring.key_count()); }
    /// # }
    /// ```
    #[must_use]
    pub fn ring(&self) -> Option<&Arc<signring::KeyRing>> {
        self.inner.snapshot.ring.as_ref()
    }

    /// The `cookie::Key` ring this request verifies with (a snapshot).
    ///
    /// # Example
    ///
    /// ```
    /// # fn f(cookies: signring_http::Cookies) {
    /// let signing_key = cookies.cookie_keys().map(|ring| ring.current().clone());
    /// # }
    /// ```
    #[must_use]
    pub fn cookie_keys(&self) -> Option<&Arc<crate::CookieKeyRing>> {
        self.inner.snapshot.cookie_keys.as_ref()
    }

    fn compiled(&self, name: &str) -> Result<&Compiled, SetError> {
        self.index(name)
            .map(|i| &self.inner.snapshot.cookies[i])
            .ok_or(SetError::NotDeclared)
    }

    fn push(&self, compiled: &Compiled, wire: &str) -> Result<(), SetError> {
        let name = compiled.name();
        let max_age = compiled.spec.declared_max_age();
        let text = compiled
            .spec
            .declared_attributes()
            .render(name, wire, max_age);
        let value = HeaderValue::from_str(&text).map_err(|_| SetError::NotHeaderSafe)?;
        let mut changes = self.changes();
        changes.set.push(value);
        changes.touched.push(name.to_owned());
        Ok(())
    }

    /// The request side of transparent mode: the `Cookie` header the inner
    /// service sees, with transparent cookies' signatures stripped and failed
    /// ones dropped. `None` when nothing changes.
    pub(crate) fn stripped_cookie_header(&self, headers: &HeaderMap) -> Option<HeaderValue> {
        let snapshot = &self.inner.snapshot;
        let transparent = |name: &str| {
            snapshot
                .cookies
                .iter()
                .position(|c| c.name() == name && c.spec.is_transparent())
        };
        let mut any = false;
        let mut written: Vec<usize> = Vec::new();
        let mut out = String::new();
        for (name, value) in cookie_headers(headers).flat_map(cookie_pairs) {
            let replacement = match transparent(name) {
                None => Some(std::borrow::Cow::Borrowed(value)),
                // The verified value once, however many the request held.
                Some(i) if written.contains(&i) => None,
                Some(i) => {
                    any = true;
                    written.push(i);
                    match self.inner.slots.get(i) {
                        // Only the value the layer verified (the last one).
                        Some(Slot::Verified(checked)) => checked
                            .cookie
                            .text()
                            .map(|t| snapshot.cookies[i].encode_wire(t)),
                        _ => None,
                    }
                }
            };
            if let Some(value) = replacement {
                if !out.is_empty() {
                    out.push_str("; ");
                }
                if !name.is_empty() {
                    out.push_str(name);
                    out.push('=');
                }
                out.push_str(&value);
            }
        }
        if !any {
            return None;
        }
        HeaderValue::from_str(&out).ok()
    }

    /// The response side: signs the inner service's `Set-Cookie` values of
    /// transparent cookies in place, appends what handlers set, and — unless
    /// the response is a server error — re-issues every stale cookie nobody
    /// set, and adds `Vary: Cookie`.
    pub(crate) fn finish<B>(&self, response: &mut Response<B>) {
        let server_error = response.status().is_server_error();
        let headers = response.headers_mut();
        let set_by_inner = if self.inner.snapshot.any_transparent {
            self.sign_in_place(headers)
        } else {
            Vec::new()
        };
        let changes = std::mem::take(&mut *self.changes());
        for value in changes.set {
            headers.append(SET_COOKIE, value);
        }
        if server_error {
            return;
        }
        let untouched = |name: &str| {
            !changes.touched.iter().any(|n| n == name) && !set_by_inner.iter().any(|n| n == name)
        };
        let snapshot = &self.inner.snapshot;
        let mut now = None;
        for (i, slot) in self.inner.slots.iter() {
            let compiled = &snapshot.cookies[*i];
            if let Slot::Verified(Checked {
                cookie,
                reissue: Some(reissue),
            }) = slot
                && untouched(compiled.name())
            {
                let now = *now.get_or_insert_with(|| compiled.now());
                let max_age = compiled.remaining(cookie.record.timestamp, now);
                append(headers, compiled, reissue, max_age);
            }
        }
        for ad_hoc in &changes.ad_hoc {
            if untouched(ad_hoc.compiled.name()) {
                let now = *now.get_or_insert_with(|| ad_hoc.compiled.now());
                let max_age = ad_hoc.compiled.remaining(ad_hoc.timestamp, now);
                append(headers, &ad_hoc.compiled, &ad_hoc.reissue, max_age);
            }
        }
        if !snapshot.cookies.is_empty() || !changes.ad_hoc.is_empty() {
            add_vary_cookie(headers);
        }
    }

    /// Signs transparent cookies' `Set-Cookie` values in place; returns the
    /// names the inner service set or removed.
    fn sign_in_place(&self, headers: &mut HeaderMap) -> Vec<String> {
        let mut names = Vec::new();
        let Entry::Occupied(entry) = headers.entry(SET_COOKIE) else {
            return names;
        };
        let values: Vec<HeaderValue> = entry.remove_entry_mult().1.collect();
        for value in values {
            let parsed = core::str::from_utf8(value.as_bytes())
                .ok()
                .and_then(split_set_cookie);
            let Some((name, raw, rest)) = parsed else {
                headers.append(SET_COOKIE, value);
                continue;
            };
            let transparent = self
                .inner
                .snapshot
                .cookies
                .iter()
                .find(|c| c.name() == name && c.spec.is_transparent());
            let Some(compiled) = transparent else {
                headers.append(SET_COOKIE, value);
                continue;
            };
            names.push(name.to_owned());
            // An empty value is a removal: nothing to sign.
            if raw.is_empty() || raw == "\"\"" {
                headers.append(SET_COOKIE, value);
                continue;
            }
            let signed = compiled
                .decode_wire(raw)
                .and_then(|plain| compiled.sign_text(&plain))
                .and_then(|wire| HeaderValue::from_str(&format!("{name}={wire}{rest}")).ok());
            // A value that cannot be signed is dropped: an unsigned value
            // never goes out under a signed cookie's name.
            if let Some(signed) = signed {
                headers.append(SET_COOKIE, signed);
            }
        }
        names
    }
}

fn append(headers: &mut HeaderMap, compiled: &Compiled, wire: &str, max_age: Option<i64>) {
    let text = compiled
        .spec
        .declared_attributes()
        .render(compiled.name(), wire, max_age);
    // A value that cannot be a header is not written (never a panic). The
    // text's buffer becomes the header value's, without a copy.
    if let Ok(value) = HeaderValue::try_from(text) {
        headers.append(SET_COOKIE, value);
    }
}

/// `Vary: Cookie`, built once.
const VARY_COOKIE: HeaderValue = HeaderValue::from_static("Cookie");

/// Adds `Vary: Cookie` unless a `Vary` value already names `Cookie` or `*`;
/// one lookup of `Vary` either way.
fn add_vary_cookie(headers: &mut HeaderMap) {
    if headers.is_empty() {
        // Nothing to look up.
        headers.append(VARY, VARY_COOKIE);
        return;
    }
    match headers.entry(VARY) {
        Entry::Vacant(entry) => {
            entry.insert(VARY_COOKIE);
        }
        Entry::Occupied(mut entry) => {
            let varies = entry.iter().any(|v| {
                v.to_str().is_ok_and(|v| {
                    v.split(',')
                        .any(|t| t.trim() == "*" || t.trim().eq_ignore_ascii_case("cookie"))
                })
            });
            if !varies {
                entry.append(VARY_COOKIE);
            }
        }
    }
}

impl fmt::Debug for Cookies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (i, compiled) in self.inner.snapshot.cookies.iter().enumerate() {
            let state = match self.inner.slots.get(i) {
                None => "absent",
                Some(Slot::Verified(c)) if c.cookie.is_stale() => "stale",
                Some(Slot::Verified(_)) => "verified",
                Some(Slot::Failed(f)) => f.as_str(),
            };
            map.entry(&compiled.name(), &state);
        }
        map.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vary_after(existing: &[&'static str]) -> Vec<String> {
        let mut headers = HeaderMap::new();
        for value in existing {
            headers.append(VARY, HeaderValue::from_static(value));
        }
        add_vary_cookie(&mut headers);
        headers
            .get_all(VARY)
            .iter()
            .map(|v| v.to_str().unwrap_or("?").to_owned())
            .collect()
    }

    #[test]
    fn many_declared_cookies_and_repeated_ones() {
        use signring::{KeyRing, Options, TimestampSigner};
        let ring = KeyRing::new("jar-unit-test-key-0123456789abcdefghijklmnopqrstuvwxyz").unwrap();
        // More declarations than the stack array holds.
        let specs: Vec<_> = (0..10)
            .map(|i| CookieSpec::signring(format!("c{i}"), "s"))
            .collect();
        let config = Config::new(
            specs,
            Some(crate::RingHandle::new(ring.clone())),
            None,
            Options::new(),
            None,
        )
        .unwrap();
        let signed = |v: &str| {
            TimestampSigner::builder(&ring)
                .salt("s")
                .build()
                .unwrap()
                .sign(v)
        };
        let mut headers = HeaderMap::new();
        let first = format!("c9={}; c0=bad; c3={}", signed("nine"), signed("three"));
        headers.append(COOKIE, HeaderValue::from_str(&first).unwrap());
        // A second header (HTTP/2): its c0 is the last one, and wins.
        let second = format!("c0={}", signed("zero"));
        headers.append(COOKIE, HeaderValue::from_str(&second).unwrap());
        let cookies = Cookies::from_request(&config, &headers);
        let text = |name: &str| {
            cookies
                .get(name)
                .and_then(VerifiedCookie::text)
                .map(str::to_owned)
        };
        assert_eq!(text("c0").as_deref(), Some("zero"));
        assert_eq!(text("c3").as_deref(), Some("three"));
        assert_eq!(text("c9").as_deref(), Some("nine"));
        for absent in ["c1", "c8", "undeclared"] {
            assert_eq!(cookies.state(absent), CookieState::Absent);
        }
        assert_eq!(cookies.inner.headers.iter().count(), 2);
        let debug = format!("{cookies:?}");
        assert!(debug.contains(r#""c9": "verified""#) && debug.contains(r#""c1": "absent""#));
        let failed = Cookies::from_request(&config, &{
            let mut h = HeaderMap::new();
            h.append(COOKIE, HeaderValue::from_static("c5=x:y"));
            h
        });
        assert!(matches!(failed.state("c5"), CookieState::Failed(_)));
    }

    #[test]
    fn vary_cookie_is_added_once() {
        assert_eq!(vary_after(&[]), ["Cookie"]);
        assert_eq!(
            vary_after(&["Accept-Encoding"]),
            ["Accept-Encoding", "Cookie"]
        );
        assert_eq!(vary_after(&["Accept, cookie"]), ["Accept, cookie"]);
        assert_eq!(vary_after(&["Origin", " * "]), ["Origin", " * "]);
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain"),
        );
        add_vary_cookie(&mut headers);
        add_vary_cookie(&mut headers);
        assert_eq!(headers.get_all(VARY).iter().count(), 1);
    }
}
