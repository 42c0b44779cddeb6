//! Secrets: decrypted property values and keys, kept out of logs and replaceable while the
//! app runs.
//!
//! A [`Secret`] never prints its content and is zeroed when dropped. The [`SecretStore`]
//! holds the current value of each named secret behind a [`SecretRef`]; replacing a value
//! in the store is seen by every holder of a reference on its next read, which is what lets a
//! running app switch to a rotated key without a restart.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, RwLock};

use zeroize::Zeroizing;

/// Text that must not be shown: a decrypted value or a key.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps text as a secret.
    pub fn new(text: impl Into<String>) -> Secret {
        Secret(Zeroizing::new(text.into()))
    }

    /// The secret text. Call sites are the only places a secret is revealed; keep them few.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(****)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

/// A live handle on one named secret: each read sees the store's current value.
#[derive(Clone)]
pub struct SecretRef {
    name: Arc<str>,
    cell: Arc<RwLock<Secret>>,
}

impl SecretRef {
    /// The secret's name, such as `ai.openai.key` (names are not secret).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The current value.
    pub fn get(&self) -> Secret {
        // A poisoned lock only means a writer panicked after or before replacing the value;
        // the value itself is always a whole `Secret`, so reading it is still sound.
        self.cell.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }
}

impl fmt::Debug for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretRef({})", self.name)
    }
}

/// The app's secrets by name.
#[derive(Default, Clone)]
pub struct SecretStore {
    cells: Arc<RwLock<BTreeMap<String, Arc<RwLock<Secret>>>>>,
}

/// Secrets shorter than this are not masked by [`SecretStore::redact`]: masking every `1` or
/// `ab` in a log line would destroy the line and reveal the secret's shape anyway.
pub const MIN_REDACTED_LEN: usize = 4;

impl SecretStore {
    /// `text` with every occurrence of a secret's current value replaced by `****`.
    ///
    /// This is the last line of defence for text that leaves the process (log lines, error
    /// descriptions): a flow may put a secret into a URL or a message, and the text built from
    /// it must not show it. Values shorter than [`MIN_REDACTED_LEN`] are left alone.
    pub fn redact<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        let cells = self.cells.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut out = std::borrow::Cow::Borrowed(text);
        for cell in cells.values() {
            let secret = cell.read().unwrap_or_else(|poisoned| poisoned.into_inner());
            let value = secret.expose();
            if value.len() < MIN_REDACTED_LEN {
                continue;
            }
            if out.contains(value) {
                out = std::borrow::Cow::Owned(out.replace(value, "****"));
            }
            // A flow that writes the secret as JSON escapes its quotes and backslashes.
            if value.contains(['"', '\\']) || value.chars().any(char::is_control) {
                let quoted =
                    zeroize::Zeroizing::new(serde_json::to_string(value).unwrap_or_default());
                // `to_string` of a string is the text between two quotes.
                let escaped = quoted.get(1..quoted.len() - 1).unwrap_or_default();
                if !escaped.is_empty() && out.contains(escaped) {
                    out = std::borrow::Cow::Owned(out.replace(escaped, "****"));
                }
            }
        }
        out
    }

    /// Sets a secret. Existing references see the new value on their next read.
    pub fn set(&self, name: &str, value: Secret) {
        let mut cells = self.cells.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        match cells.get(name) {
            Some(cell) => {
                *cell.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = value;
            }
            None => {
                cells.insert(name.to_owned(), Arc::new(RwLock::new(value)));
            }
        }
    }

    /// Adds each secret whose name the store does not have yet, under one lock, and returns
    /// the names added, in order. The other values are dropped, which zeroes them. Property
    /// providers use it: the first definition of a name wins across providers.
    pub fn insert_new(&self, values: Vec<(String, Secret)>) -> Vec<String> {
        let mut cells = self.cells.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut added = Vec::with_capacity(values.len());
        for (name, value) in values {
            if let std::collections::btree_map::Entry::Vacant(slot) = cells.entry(name) {
                added.push(slot.key().clone());
                slot.insert(Arc::new(RwLock::new(value)));
            }
        }
        added
    }

    /// A live reference to a secret, if it exists.
    pub fn get(&self, name: &str) -> Option<SecretRef> {
        let cells = self.cells.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        cells.get(name).map(|cell| SecretRef { name: name.into(), cell: cell.clone() })
    }

    /// True when the store has a secret of that name.
    pub fn contains(&self, name: &str) -> bool {
        self.cells.read().unwrap_or_else(|poisoned| poisoned.into_inner()).contains_key(name)
    }
}

impl fmt::Debug for SecretStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cells = self.cells.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        f.debug_set().entries(cells.keys()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_written_as_json_are_masked_too() {
        let store = SecretStore::default();
        store.set("pw", Secret::new(r#"pa"ss\wörd/1"#));
        let logged = r#"{"pw": "pa\"ss\\wörd/1"}"#;
        assert_eq!(store.redact(logged), r#"{"pw": "****"}"#);
    }

    #[test]
    fn secrets_do_not_print() {
        let secret = Secret::new("sk-live-123");
        assert_eq!(format!("{secret} {secret:?}"), "**** Secret(****)");
    }

    #[test]
    fn redact_masks_current_values() {
        let store = SecretStore::default();
        store.set("token", Secret::new("top-secret"));
        store.set("tiny", Secret::new("ab"));
        assert_eq!(store.redact("GET /x/top-secret?ab=1"), "GET /x/****?ab=1");
        store.set("token", Secret::new("rotated-value"));
        assert_eq!(store.redact("top-secret rotated-value"), "top-secret ****");
        assert!(matches!(store.redact("nothing here"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn references_see_replaced_values() {
        let store = SecretStore::default();
        store.set("ai.key", Secret::new("old"));
        let reader = store.get("ai.key").expect("just set");
        store.set("ai.key", Secret::new("new"));
        assert_eq!(reader.get().expose(), "new");
        assert_eq!(format!("{store:?}"), "{\"ai.key\"}");
    }

    #[test]
    fn insert_new_keeps_the_first_definition() {
        let store = SecretStore::default();
        store.set("a", Secret::new("first"));
        let values =
            vec![("a".to_owned(), Secret::new("second")), ("b".to_owned(), Secret::new("b"))];
        assert_eq!(store.insert_new(values), ["b"]);
        assert_eq!(store.get("a").expect("a").get().expose(), "first");
    }
}
