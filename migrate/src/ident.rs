//! SQL identifiers given on the command line (tables, columns), checked so
//! they can be quoted into queries safely.

use core::fmt;

/// A table or column name: one or more dot-separated parts (`schema.table`),
/// each a letter or `_` followed by letters, digits, `_` or `$`. Anything else
/// is refused, so quoting it cannot break out of the query.
///
/// # Example
///
/// ```
/// use signring_migrate::Identifier;
/// let table = Identifier::new("accounts.custom_user")?;
/// assert_eq!(table.quoted('"'), r#""accounts"."custom_user""#);
/// assert!(Identifier::new("users; DROP TABLE x").is_err());
/// # Ok::<(), signring_migrate::MigrateError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Identifier(pub(crate) String);

impl Identifier {
    /// Checks `name`.
    ///
    /// # Errors
    ///
    /// [`MigrateError::Config`](crate::MigrateError::Config) for a name that
    /// is not a plain identifier.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(signring_migrate::Identifier::new("django_session").is_ok());
    /// assert!(signring_migrate::Identifier::new("1abc").is_err());
    /// ```
    pub fn new(name: &str) -> Result<Self, crate::MigrateError> {
        let part_ok = |part: &str| {
            let mut chars = part.chars();
            chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        };
        if name.len() <= 128 && name.split('.').all(part_ok) {
            Ok(Self(name.to_owned()))
        } else {
            Err(crate::MigrateError::Config(format!(
                "{name:?} is not a plain SQL name (letters, digits, _ and $, parts joined by '.')"
            )))
        }
    }

    /// The name as given.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Each part quoted with `quote` (`"` for PostgreSQL and SQLite, `` ` ``
    /// for MySQL).
    #[must_use]
    pub fn quoted(&self, quote: char) -> String {
        self.0
            .split('.')
            .map(|part| format!("{quote}{part}{quote}"))
            .collect::<Vec<_>>()
            .join(".")
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Identifier({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_anything_that_could_escape_quotes() {
        for bad in ["", "a b", "a\"b", "a`b", "a.", ".a", "a..b", "a-b", "é"] {
            assert!(Identifier::new(bad).is_err(), "{bad}");
        }
        assert_eq!(Identifier::new("t$1").unwrap().quoted('`'), "`t$1`");
    }
}
