//! Database and cache URLs: parsed without ever showing the password.

use core::fmt;

/// A `scheme://[user[:password]@]host[:port]/database` URL, or
/// `sqlite:///path`. Its `Debug` and `Display` never show the password, and
/// [`scrub`](ServerUrl::scrub) removes it from driver messages.
///
/// # Example
///
/// ```
/// use signring_migrate::ServerUrl;
/// let url = ServerUrl::parse("postgres://app:s3cret@db.internal:5433/site")?;
/// assert_eq!((url.scheme(), url.host(), url.port(), url.database()), ("postgres", "db.internal", Some(5433), "site"));
/// assert_eq!(url.to_string(), "postgres://app:***@db.internal:5433/site");
/// assert_eq!(url.scrub("auth failed for s3cret"), "auth failed for ***");
/// # Ok::<(), signring_migrate::MigrateError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ServerUrl {
    scheme: String,
    user: Option<String>,
    password: Option<String>,
    host: String,
    port: Option<u16>,
    database: String,
    query: Vec<(String, String)>,
}

impl ServerUrl {
    /// Parses a URL. `sqlite:///path/to/db.sqlite3` gives the path
    /// `/path/to/db.sqlite3` as [`database`](ServerUrl::database).
    ///
    /// # Errors
    ///
    /// [`MigrateError::Config`](crate::MigrateError::Config) for text that is
    /// not such a URL; the message never contains the URL.
    ///
    /// # Example
    ///
    /// ```
    /// use signring_migrate::ServerUrl;
    /// assert_eq!(ServerUrl::parse("sqlite:///var/db.sqlite3")?.database(), "/var/db.sqlite3");
    /// assert!(ServerUrl::parse("no scheme").is_err());
    /// # Ok::<(), signring_migrate::MigrateError>(())
    /// ```
    pub fn parse(text: &str) -> Result<Self, crate::MigrateError> {
        let bad = |why: &str| crate::MigrateError::Config(format!("invalid URL: {why}"));
        let (scheme, rest) = text
            .split_once("://")
            .ok_or_else(|| bad("expected scheme://…"))?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme.is_empty()
            || !scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '+')
        {
            return Err(bad("bad scheme"));
        }
        if scheme == "sqlite" {
            if rest.is_empty() {
                return Err(bad(
                    "sqlite:// needs a path, as in sqlite:///path/to/db.sqlite3",
                ));
            }
            return Ok(Self {
                scheme,
                user: None,
                password: None,
                host: String::new(),
                port: None,
                database: percent_decode(rest).ok_or_else(|| bad("bad percent escape"))?,
                query: Vec::new(),
            });
        }
        let (rest, query) = match rest.split_once('?') {
            Some((rest, query)) => (rest, query),
            None => (rest, ""),
        };
        let (authority, path) = match rest.find('/') {
            Some(slash) => (&rest[..slash], &rest[slash + 1..]),
            None => (rest, ""),
        };
        // The password may contain '@' when not escaped: the host follows the last one.
        let (credentials, host_port) = match authority.rfind('@') {
            Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
            None => (None, authority),
        };
        let (user, password) = match credentials {
            Some(credentials) => match credentials.split_once(':') {
                Some((user, password)) => (
                    Some(percent_decode(user).ok_or_else(|| bad("bad percent escape"))?),
                    Some(percent_decode(password).ok_or_else(|| bad("bad percent escape"))?),
                ),
                None => (
                    Some(percent_decode(credentials).ok_or_else(|| bad("bad percent escape"))?),
                    None,
                ),
            },
            None => (None, None),
        };
        let (host, port) = split_host_port(host_port).ok_or_else(|| bad("bad port"))?;
        let mut pairs = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            pairs.push((
                percent_decode(name).ok_or_else(|| bad("bad percent escape"))?,
                percent_decode(value).ok_or_else(|| bad("bad percent escape"))?,
            ));
        }
        Ok(Self {
            scheme,
            user: user.filter(|u| !u.is_empty()),
            password,
            host: if host.is_empty() {
                "localhost".to_owned()
            } else {
                host
            },
            port,
            database: percent_decode(path).ok_or_else(|| bad("bad percent escape"))?,
            query: pairs,
        })
    }

    /// The scheme, lower-case (`postgres`, `mysql`, `sqlite`, `redis`, …).
    #[must_use]
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The user name, if any.
    #[must_use]
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// The password, if any. Never print it.
    #[must_use]
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// The host (`localhost` when empty); the IPv6 brackets removed.
    #[must_use]
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port, if given.
    #[must_use]
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The path without its leading `/`: the database name (or number, for
    /// Redis); for `sqlite:` URLs, the file's path.
    #[must_use]
    pub fn database(&self) -> &str {
        &self.database
    }

    /// The query parameters, decoded.
    #[must_use]
    pub fn query(&self) -> &[(String, String)] {
        &self.query
    }

    /// `text` with every occurrence of the (decoded) password replaced by
    /// `***`: for driver messages, which may quote what they were given.
    #[must_use]
    pub fn scrub(&self, text: &str) -> String {
        match self.password.as_deref().filter(|p| !p.is_empty()) {
            Some(password) => text.replace(password, "***"),
            None => text.to_owned(),
        }
    }
}

impl fmt::Display for ServerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.scheme == "sqlite" {
            return write!(f, "sqlite://{}", self.database);
        }
        write!(f, "{}://", self.scheme)?;
        match (&self.user, &self.password) {
            (Some(user), Some(_)) => write!(f, "{user}:***@")?,
            (Some(user), None) => write!(f, "{user}@")?,
            (None, Some(_)) => f.write_str(":***@")?,
            (None, None) => {}
        }
        if self.host.contains(':') {
            write!(f, "[{}]", self.host)?;
        } else {
            f.write_str(&self.host)?;
        }
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        write!(f, "/{}", self.database)
    }
}

impl fmt::Debug for ServerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ServerUrl({self})")
    }
}

fn split_host_port(text: &str) -> Option<(String, Option<u16>)> {
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(port) => Some(port.parse().ok()?),
            None if after.is_empty() => None,
            None => return None,
        };
        return Some((host.to_owned(), port));
    }
    match text.rsplit_once(':') {
        Some((host, port)) => Some((percent_decode(host)?, Some(port.parse().ok()?))),
        None => Some((percent_decode(text)?, None)),
    }
}

/// Decodes `%XX` escapes; `None` for a bad escape or bytes that are not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_server_urls() {
        let url = ServerUrl::parse("mysql://root@127.0.0.1:3306/test").unwrap();
        assert_eq!(
            (
                url.user(),
                url.password(),
                url.host(),
                url.port(),
                url.database()
            ),
            (Some("root"), None, "127.0.0.1", Some(3306), "test")
        );
        let url = ServerUrl::parse("redis://127.0.0.1:6379/0").unwrap();
        assert_eq!((url.user(), url.database()), (None, "0"));
        let url = ServerUrl::parse("postgresql://u:p%40ss@[::1]/db?sslmode=disable").unwrap();
        assert_eq!((url.host(), url.password()), ("::1", Some("p@ss")));
        assert_eq!(url.query(), [("sslmode".to_owned(), "disable".to_owned())]);
    }

    #[test]
    fn never_shows_the_password() {
        let url = ServerUrl::parse("postgres://app:hunter2@h/db").unwrap();
        assert!(!url.to_string().contains("hunter2"));
        assert!(!format!("{url:?}").contains("hunter2"));
        assert_eq!(url.scrub("x hunter2 y"), "x *** y");
        let unescaped = ServerUrl::parse("redis://:p@ss@h:1/0").unwrap();
        assert_eq!(unescaped.password(), Some("p@ss"));
        assert_eq!(unescaped.to_string(), "redis://:***@h:1/0");
    }

    #[test]
    fn refuses_what_is_not_a_url_without_quoting_it() {
        for text in ["hunter2", "postgres://u:hunter2@h:notaport/db", "sqlite://"] {
            let error = ServerUrl::parse(text).unwrap_err().to_string();
            assert!(!error.contains("hunter2"), "{error}");
        }
    }

    #[test]
    fn sqlite_paths() {
        assert_eq!(
            ServerUrl::parse("sqlite:///tmp/a b.sqlite3")
                .unwrap()
                .database(),
            "/tmp/a b.sqlite3"
        );
        assert_eq!(
            ServerUrl::parse("sqlite://relative.db").unwrap().database(),
            "relative.db"
        );
    }
}
