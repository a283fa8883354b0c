//! Where the users' password hashes are: `auth_user(id, password)` by
//! default, another table and columns for a custom user model.

use std::collections::HashMap;

use crate::error::StoreError;
use crate::ident::Identifier;

/// How many user ids one lookup query carries at most.
#[cfg_attr(
    not(any(feature = "sqlite", feature = "postgres", feature = "mysql")),
    allow(dead_code)
)]
pub(crate) const LOOKUP_CHUNK: usize = 500;

/// The table holding the users and the two columns the migration reads: the
/// primary key (what `_auth_user_id` holds, as text) and the stored password
/// hash (`pbkdf2_sha256$…`), from which the session auth hash is computed.
///
/// # Example
///
/// ```
/// use signring_migrate::UserTable;
/// let users = UserTable::default();
/// assert_eq!((users.table().as_str(), users.id_column().as_str(), users.password_column().as_str()),
///            ("auth_user", "id", "password"));
/// let custom = UserTable::new("accounts_member", "uuid", "password")?;
/// # Ok::<(), signring_migrate::MigrateError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserTable {
    table: Identifier,
    id_column: Identifier,
    password_column: Identifier,
}

impl Default for UserTable {
    fn default() -> Self {
        Self {
            table: Identifier("auth_user".into()),
            id_column: Identifier("id".into()),
            password_column: Identifier("password".into()),
        }
    }
}

impl UserTable {
    /// A custom user table.
    ///
    /// # Errors
    ///
    /// [`MigrateError::Config`](crate::MigrateError::Config) when a name is
    /// not a plain SQL identifier.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(signring_migrate::UserTable::new("auth_user", "id", "pass word").is_err());
    /// ```
    pub fn new(
        table: &str,
        id_column: &str,
        password_column: &str,
    ) -> Result<Self, crate::MigrateError> {
        Ok(Self {
            table: Identifier::new(table)?,
            id_column: Identifier::new(id_column)?,
            password_column: Identifier::new(password_column)?,
        })
    }

    /// The table.
    #[must_use]
    pub fn table(&self) -> &Identifier {
        &self.table
    }

    /// The primary-key column.
    #[must_use]
    pub fn id_column(&self) -> &Identifier {
        &self.id_column
    }

    /// The password-hash column.
    #[must_use]
    pub fn password_column(&self) -> &Identifier {
        &self.password_column
    }
}

/// Looks up stored password hashes by user id.
///
/// # Example
///
/// ```
/// use std::collections::HashMap;
/// use signring_migrate::{PasswordLookup, StoreError};
///
/// struct Fixed;
/// impl PasswordLookup for Fixed {
///     fn password_hashes(&mut self, ids: &[String]) -> Result<HashMap<String, String>, StoreError> {
///         Ok(ids.iter().filter(|id| *id == "1").map(|id| (id.clone(), "pbkdf2$x".into())).collect())
///     }
/// }
/// assert_eq!(Fixed.password_hashes(&["1".into(), "2".into()])?.len(), 1);
/// # Ok::<(), StoreError>(())
/// ```
pub trait PasswordLookup {
    /// The password hash of each id in `user_ids` whose user exists, keyed by
    /// the id exactly as given (the text of `_auth_user_id`).
    ///
    /// # Errors
    ///
    /// When the query fails.
    fn password_hashes(
        &mut self,
        user_ids: &[String],
    ) -> Result<HashMap<String, String>, StoreError>;
}

/// The 32-digit form Django stores a `UUIDField` in on databases without a
/// uuid type (SQLite, MySQL), for a session's dashed `_auth_user_id`.
#[cfg_attr(
    not(any(feature = "sqlite", feature = "postgres", feature = "mysql")),
    allow(dead_code)
)]
pub(crate) fn dashless_uuid(id: &str) -> Option<String> {
    let bytes = id.as_bytes();
    let dashes_ok = bytes.len() == 36 && [8, 13, 18, 23].iter().all(|&i| bytes[i] == b'-');
    let hex: String = id.chars().filter(|&c| c != '-').collect();
    (dashes_ok && hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit()))
        .then(|| hex.to_ascii_lowercase())
}

/// The text forms to look `ids` up by in a text column, each mapped back to
/// the id it came from.
#[cfg_attr(
    not(any(feature = "sqlite", feature = "postgres", feature = "mysql")),
    allow(dead_code)
)]
pub(crate) fn text_forms(ids: &[String]) -> HashMap<String, String> {
    let mut forms = HashMap::with_capacity(ids.len());
    for id in ids {
        forms.insert(id.clone(), id.clone());
        if let Some(hex) = dashless_uuid(id) {
            forms.entry(hex).or_insert_with(|| id.clone());
        }
    }
    forms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_forms() {
        assert_eq!(
            dashless_uuid("12345678-1234-5678-1234-567812345678").as_deref(),
            Some("12345678123456781234567812345678")
        );
        assert_eq!(dashless_uuid("42"), None);
        let forms = text_forms(&["42".into(), "12345678-1234-5678-1234-56781234567A".into()]);
        assert_eq!(forms.len(), 3);
        assert_eq!(
            forms["1234567812345678123456781234567a"],
            "12345678-1234-5678-1234-56781234567A"
        );
    }
}
