//! Configuration properties: the `${name}` placeholders of a flow file and the sources that
//! answer them.
//!
//! Placeholders are replaced as text, before any expression is parsed, in Mule's order of
//! precedence (highest first): system properties given with `-D`, environment variables,
//! the app's property files (`<configuration-properties>`, `<secure-properties:config>`, in
//! declaration order, first definition wins), and `<global-property>` defaults.

mod files;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

pub use files::{ConfigurationProperties, PropertyEntry, PropertyFileError, read_properties_file};

use crate::secret::Secret;

/// Answers `p('name')` in expressions and anything else that reads a property by name.
pub trait PropertyLookup: Send + Sync {
    /// The value of a property, if defined. Secret values are not returned here.
    fn property(&self, key: &str) -> Option<String>;
}

/// No properties at all.
pub struct NoProperties;

impl PropertyLookup for NoProperties {
    fn property(&self, _key: &str) -> Option<String> {
        None
    }
}

/// A property value as a provider returns it.
#[derive(Clone, Debug)]
pub enum PropertyValue {
    /// Ordinary text.
    Plain(String),
    /// A decrypted or otherwise sensitive value.
    Secret(Secret),
}

/// A source of application properties, such as a YAML file or a secure properties file.
pub trait PropertyProvider: Send + Sync {
    /// The value for `key`, if this provider defines it.
    fn get(&self, key: &str) -> Option<PropertyValue>;

    /// Describes the provider for messages, such as `configuration-properties file "a.yaml"`.
    fn describe(&self) -> String;
}

/// Why a placeholder could not be resolved.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// No source defines the key. The message is Mule's own.
    #[error("Couldn't find configuration property value for key ${{{key}}}")]
    NotFound {
        /// The key as written between `${` and `}`.
        key: String,
    },
    /// `${` without a closing `}`.
    #[error("unterminated placeholder `${{{rest}`: a `}}` is missing")]
    Unterminated {
        /// The text after `${`.
        rest: String,
    },
    /// A value refers back to itself through other properties.
    #[error("property `{key}` refers to itself through other properties")]
    Cycle {
        /// The key where the cycle was found.
        key: String,
    },
}

/// The result of replacing placeholders in a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The text with every placeholder replaced.
    pub text: String,
    /// True when a secret value was spliced in.
    pub secret: bool,
    /// Where the text differs from what was written: each placeholder (with the backslashes
    /// its escape dropped) as (start in `text`, length in `text`, length written), in order.
    pub replaced: Vec<(usize, usize, usize)>,
}

/// All property sources of one app, in precedence order.
#[derive(Default, Clone)]
pub struct Properties {
    system: BTreeMap<String, String>,
    use_env: bool,
    providers: Vec<Arc<dyn PropertyProvider>>,
    globals: BTreeMap<String, String>,
}

impl Properties {
    /// Sources with the given system properties and, if `use_env`, the process environment.
    pub fn new(system: BTreeMap<String, String>, use_env: bool) -> Properties {
        Properties { system, use_env, providers: Vec::new(), globals: BTreeMap::new() }
    }

    /// Adds a `<global-property>`; the first definition of a name is kept.
    pub fn add_global(&mut self, name: &str, value: &str) {
        self.globals.entry(name.to_owned()).or_insert_with(|| value.to_owned());
    }

    /// Adds an application provider after those already added.
    pub fn add_provider(&mut self, provider: Arc<dyn PropertyProvider>) {
        self.providers.push(provider);
    }

    /// Looks a key up in every source, highest precedence first.
    pub fn lookup(&self, key: &str) -> Option<PropertyValue> {
        self.lookup_in(key, true)
    }

    /// Looks a key up in system properties, the environment and global properties only: the
    /// sources Mule allows in the `file` and `key` attributes of property providers.
    pub fn lookup_bootstrap(&self, key: &str) -> Option<PropertyValue> {
        self.lookup_in(key, false)
    }

    fn lookup_in(&self, key: &str, with_providers: bool) -> Option<PropertyValue> {
        if let Some(value) = self.system.get(key) {
            return Some(PropertyValue::Plain(value.clone()));
        }
        if self.use_env
            && let Ok(value) = std::env::var(key)
        {
            return Some(PropertyValue::Plain(value));
        }
        if with_providers {
            for provider in &self.providers {
                if let Some(value) = provider.get(key) {
                    return Some(value);
                }
            }
        }
        self.globals.get(key).map(|value| PropertyValue::Plain(value.clone()))
    }

    /// Replaces every `${key}` in `text` using all sources.
    pub fn resolve(&self, text: &str) -> Result<Resolved, ResolveError> {
        resolve_with(text, &|key| self.lookup(key), 0)
    }

    /// Replaces every `${key}` in `text` using only the bootstrap sources (see
    /// [`Properties::lookup_bootstrap`]).
    pub fn resolve_bootstrap(&self, text: &str) -> Result<Resolved, ResolveError> {
        resolve_with(text, &|key| self.lookup_bootstrap(key), 0)
    }
}

impl PropertyLookup for Properties {
    fn property(&self, key: &str) -> Option<String> {
        match self.lookup(key)? {
            PropertyValue::Plain(text) => resolve_with(&text, &|k| self.lookup(k), 1)
                .ok()
                .filter(|resolved| !resolved.secret)
                .map(|resolved| resolved.text),
            // `p('secure::name')` reads a secure property, as Mule documents; logs and error
            // descriptions still mask the value.
            PropertyValue::Secret(secret) if key.starts_with("secure::") => {
                Some(secret.expose().to_owned())
            }
            PropertyValue::Secret(_) => None,
        }
    }
}

/// Values nest by referring to other properties; a chain this deep is a cycle.
const MAX_DEPTH: usize = 32;

/// Replaces placeholders in `text`, following Mule's rules: the key runs to the first `}`
/// (no nesting, no default values), `\${` is a literal `${`, `\\${` is a backslash then a
/// placeholder, and a value found is itself resolved again.
fn resolve_with(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<PropertyValue>,
    depth: usize,
) -> Result<Resolved, ResolveError> {
    let mut out = String::with_capacity(text.len());
    let mut secret = false;
    let mut replaced = Vec::new();
    let mut rest = text;
    while let Some(idx) = rest.find("${") {
        let before = &rest[..idx];
        let n_backslashes = before.len() - before.trim_end_matches('\\').len();
        if n_backslashes % 2 == 1 {
            // `\${x}` is the literal text `${x}`: drop the escaping backslash.
            out.push_str(&before[..before.len() - 1]);
            replaced.push((out.len(), 2, 3));
            out.push_str("${");
            rest = &rest[idx + 2..];
            continue;
        }
        // `\\${x}` is one backslash followed by the value.
        out.push_str(&before[..before.len() - n_backslashes / 2]);
        let piece_start = out.len();
        let written_start = text.len() - rest.len() + idx - n_backslashes / 2;
        let after = &rest[idx + 2..];
        let Some(close) = after.find('}') else {
            return Err(ResolveError::Unterminated { rest: after.to_owned() });
        };
        let key = &after[..close];
        if depth >= MAX_DEPTH {
            return Err(ResolveError::Cycle { key: key.to_owned() });
        }
        let value = lookup(key).ok_or_else(|| ResolveError::NotFound { key: key.to_owned() })?;
        let (value_text, value_secret) = match &value {
            PropertyValue::Plain(text) => (text.as_str(), false),
            PropertyValue::Secret(secret) => (secret.expose(), true),
        };
        let inner = resolve_with(value_text, lookup, depth + 1)?;
        secret |= value_secret || inner.secret;
        out.push_str(&inner.text);
        rest = &after[close + 1..];
        let written_len = text.len() - rest.len() - written_start;
        replaced.push((piece_start, out.len() - piece_start, written_len));
    }
    out.push_str(rest);
    Ok(Resolved { text: out, secret, replaced })
}

/// Where to look for files named by a flow file: the flow file's folder, then
/// `src/main/resources` of a Mule project folder.
#[derive(Clone, Debug, Default)]
pub struct SearchPath {
    /// Folders in the order they are searched.
    pub dirs: Vec<PathBuf>,
}

impl SearchPath {
    /// Finds `name` (absolute, or relative to one of the folders).
    pub fn find(&self, name: &str) -> Option<PathBuf> {
        let path = PathBuf::from(name);
        if path.is_absolute() {
            return path.exists().then_some(path);
        }
        self.dirs.iter().map(|dir| dir.join(name)).find(|candidate| candidate.is_file())
    }
}

/// Answers `${file::name}` with the text of the file `name`, found on the app's search path,
/// as Mule 4.3 and later do (`${file::dwl/errors.dwl}` inlines a script).
pub struct FileResources {
    /// Where the files are looked for.
    pub search_path: SearchPath,
}

impl PropertyProvider for FileResources {
    fn get(&self, key: &str) -> Option<PropertyValue> {
        let name = key.strip_prefix("file::")?;
        let path = self.search_path.find(name.trim())?;
        std::fs::read_to_string(path).ok().map(PropertyValue::Plain)
    }

    fn describe(&self) -> String {
        "`file::` resources".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Properties {
        let system = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Properties::new(system, false)
    }

    #[track_caller]
    fn check(pairs: &[(&str, &str)], input: &str, expected: &str) {
        assert_eq!(props(pairs).resolve(input).expect("resolves").text, expected);
    }

    #[test]
    fn placeholders_follow_mule_rules() {
        let k = [("k", "v"), ("a", "x${k}y"), ("env", "dev")];
        check(&k, "${k}", "v");
        check(&k, "p ${k} q ${a}", "p v q xvy");
        check(&k, "Hello \\${k} = ${k}", "Hello ${k} = v");
        check(&k, "\\\\${k}", "\\v");
        check(&k, "\\\\zaraza", "\\\\zaraza");
        check(&k, "${env}-secure.yaml", "dev-secure.yaml");
    }

    #[test]
    fn missing_key_has_mules_message() {
        let err = props(&[]).resolve("x ${env.X:} y").expect_err("missing");
        assert_eq!(err.to_string(), "Couldn't find configuration property value for key ${env.X:}");
        let err = props(&[]).resolve("${abc").expect_err("unterminated");
        assert!(matches!(err, ResolveError::Unterminated { .. }));
        let err = props(&[("a", "${b}"), ("b", "${a}")]).resolve("${a}").expect_err("cycle");
        assert!(matches!(err, ResolveError::Cycle { .. }));
    }

    #[test]
    fn precedence_system_then_providers_then_globals() {
        struct One;
        impl PropertyProvider for One {
            fn get(&self, key: &str) -> Option<PropertyValue> {
                (key == "p" || key == "q").then(|| PropertyValue::Plain("file".into()))
            }
            fn describe(&self) -> String {
                "test".into()
            }
        }
        let mut properties = props(&[("p", "system")]);
        properties.add_provider(Arc::new(One));
        properties.add_global("q", "global");
        properties.add_global("r", "global");
        assert_eq!(properties.resolve("${p} ${q} ${r}").expect("ok").text, "system file global");
        assert_eq!(properties.resolve_bootstrap("${q}").expect("ok").text, "global");
    }
}
