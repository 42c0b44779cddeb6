//! Property files: YAML (nested keys joined with dots) and Java `.properties`, and the
//! `<configuration-properties>` provider built on them.

use std::path::{Path, PathBuf};

use crate::props::{PropertyProvider, PropertyValue};

/// One key and its text value, as read from a property file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PropertyEntry {
    /// Dotted key, such as `vault.token`.
    pub key: String,
    /// The value as written (for secure files, still encrypted).
    pub value: String,
}

/// Why a property file could not be read. Messages name the file; values never appear in
/// them, since a secure file's values are secret.
#[derive(Debug, thiserror::Error)]
pub enum PropertyFileError {
    /// The file could not be read.
    #[error("cannot read `{path}`: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The name ends in neither `.yaml`/`.yml` nor `.properties`.
    #[error("Configuration properties file {path} must end with yaml or properties extension")]
    BadExtension {
        /// The file.
        path: PathBuf,
    },
    /// The YAML does not parse.
    #[error("Error while parsing YAML configuration file `{path}`{at}: {message}")]
    Yaml {
        /// The file.
        path: PathBuf,
        /// ` at line L column C` when known.
        at: String,
        /// The parser's message.
        message: String,
    },
    /// A YAML value that is not a string.
    #[error(
        "YAML configuration properties only supports string values, make sure to wrap the value \
         with \" so you force the value to be an string. Offending property is {key} in `{path}`"
    )]
    NotAString {
        /// The file.
        path: PathBuf,
        /// The dotted key.
        key: String,
    },
    /// An unquoted `![...]` value, which YAML reads as a tag.
    #[error(
        "the value of `{key}` in `{path}` is an unquoted `![...]`, which YAML reads as a tag: \
         write it in double quotes, \"![...]\""
    )]
    UnquotedEncrypted {
        /// The file.
        path: PathBuf,
        /// The dotted key.
        key: String,
    },
    /// A list whose items are not all strings.
    #[error(
        "List of complex objects are not supported as property values. Offending key is {key} in `{path}`"
    )]
    ComplexList {
        /// The file.
        path: PathBuf,
        /// The dotted key.
        key: String,
    },
    /// A `.properties` file that does not parse.
    #[error("cannot parse properties file `{path}`: {message}")]
    Properties {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
}

/// Reads a `.yaml`/`.yml` or `.properties` file's text into entries, choosing the format by
/// the file name. `path` is used for the format and for messages only.
pub fn read_properties_file(
    path: &Path,
    text: &str,
) -> Result<Vec<PropertyEntry>, PropertyFileError> {
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match extension {
        "yaml" | "yml" => read_yaml(path, text),
        "properties" => read_java_properties(path, text),
        _ => Err(PropertyFileError::BadExtension { path: path.to_owned() }),
    }
}

fn read_yaml(path: &Path, text: &str) -> Result<Vec<PropertyEntry>, PropertyFileError> {
    use serde::Deserialize;

    let mut entries = Vec::new();
    for document in serde_yaml_ng::Deserializer::from_str(text) {
        let value = serde_yaml_ng::Value::deserialize(document).map_err(|err| {
            let at = err
                .location()
                .map(|loc| format!(" at line {} column {}", loc.line(), loc.column()))
                .unwrap_or_default();
            if let Some(key) = unquoted_encrypted_key(text) {
                return PropertyFileError::UnquotedEncrypted { path: path.to_owned(), key };
            }
            let message = err.to_string();
            let message = message.split(" at line ").next().unwrap_or(&message).to_owned();
            PropertyFileError::Yaml { path: path.to_owned(), at, message }
        })?;
        flatten_yaml(path, "", &value, &mut entries)?;
    }
    Ok(entries)
}

/// The key of the first `key: ![...]` line, whose value YAML reads as a tag. The secure
/// properties tool writes such lines for unquoted input, so users meet this often.
fn unquoted_encrypted_key(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        let key = key.trim();
        let valid_key = !key.is_empty() && !key.starts_with('#') && !key.starts_with('-');
        (valid_key && value.trim_start().starts_with("![")).then(|| key.to_owned())
    })
}

fn flatten_yaml(
    path: &Path,
    prefix: &str,
    value: &serde_yaml_ng::Value,
    out: &mut Vec<PropertyEntry>,
) -> Result<(), PropertyFileError> {
    use serde_yaml_ng::Value as Y;

    let key = || prefix.to_owned();
    match value {
        Y::Null if prefix.is_empty() => Ok(()),
        Y::Mapping(map) => {
            for (k, v) in map {
                let k = match k {
                    Y::String(s) => s.clone(),
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    _ => {
                        return Err(PropertyFileError::NotAString {
                            path: path.to_owned(),
                            key: key(),
                        });
                    }
                };
                let full = if prefix.is_empty() { k } else { format!("{prefix}.{k}") };
                flatten_yaml(path, &full, v, out)?;
            }
            Ok(())
        }
        Y::String(s) => {
            out.push(PropertyEntry { key: key(), value: s.clone() });
            Ok(())
        }
        Y::Sequence(items) => {
            let mut texts = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Y::String(s) => texts.push(s.as_str()),
                    _ => {
                        return Err(PropertyFileError::ComplexList {
                            path: path.to_owned(),
                            key: key(),
                        });
                    }
                }
            }
            out.push(PropertyEntry { key: key(), value: texts.join(",") });
            Ok(())
        }
        Y::Tagged(tagged) if tagged.tag.to_string().starts_with("![") => {
            Err(PropertyFileError::UnquotedEncrypted { path: path.to_owned(), key: key() })
        }
        _ => Err(PropertyFileError::NotAString { path: path.to_owned(), key: key() }),
    }
}

fn read_java_properties(path: &Path, text: &str) -> Result<Vec<PropertyEntry>, PropertyFileError> {
    let mut entries = Vec::new();
    // `PropertiesIter::new` would read the bytes as ISO-8859-1, as `Properties.load(InputStream)`
    // does; the text here is already decoded, as with Mule's `Properties.load(Reader)`.
    java_properties::PropertiesIter::new_with_encoding(text.as_bytes(), encoding_rs::UTF_8)
        .read_into(|key, value| entries.push(PropertyEntry { key, value }))
        .map_err(|err| PropertyFileError::Properties {
            path: path.to_owned(),
            message: err.to_string(),
        })?;
    Ok(entries)
}

/// `<configuration-properties file="...">`: plain values from a YAML or `.properties` file.
pub struct ConfigurationProperties {
    path: PathBuf,
    entries: Vec<PropertyEntry>,
}

impl ConfigurationProperties {
    /// Reads the file.
    pub fn load(path: &Path) -> Result<ConfigurationProperties, PropertyFileError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| PropertyFileError::Io { path: path.to_owned(), source })?;
        let entries = read_properties_file(path, &text)?;
        Ok(ConfigurationProperties { path: path.to_owned(), entries })
    }
}

impl PropertyProvider for ConfigurationProperties {
    fn get(&self, key: &str) -> Option<PropertyValue> {
        // The first definition wins, as Mule 4 does within and across files.
        self.entries.iter().find(|e| e.key == key).map(|e| PropertyValue::Plain(e.value.clone()))
    }

    fn describe(&self) -> String {
        format!("configuration-properties file `{}`", self.path.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(name: &str, text: &str) -> Result<Vec<(String, String)>, String> {
        read_properties_file(Path::new(name), text)
            .map(|entries| entries.into_iter().map(|e| (e.key, e.value)).collect())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn yaml_nests_with_dots_and_joins_lists() {
        let got = read("a.yaml", "a:\n  b:\n    c: \"v\"\nlist: [x, y]\nd.e: w\n").expect("valid");
        let want = [("a.b.c", "v"), ("list", "x,y"), ("d.e", "w")];
        assert_eq!(got, want.map(|(k, v)| (k.to_owned(), v.to_owned())));
    }

    #[test]
    fn yaml_rejects_what_mule_rejects() {
        let err = read("a.yaml", "port: 8081\n").expect_err("number");
        assert!(err.contains("only supports string values") && err.contains("port"), "{err}");
        let err = read("s.yaml", "pw: ![abc==]\n").expect_err("tag");
        assert!(err.contains("unquoted `![...]`") && err.contains("pw"), "{err}");
        let err = read("s.yaml", "a: \"x\n").expect_err("syntax");
        assert!(
            err.contains("Error while parsing YAML configuration file `s.yaml` at line"),
            "{err}"
        );
        let err = read("s.txt", "").expect_err("extension");
        assert!(err.contains("must end with yaml or properties extension"), "{err}");
    }

    #[test]
    fn java_properties_follow_the_jdk() {
        let got = read("a.properties", "# c\na=1\nb : two \\\n  three\nc  x\n").expect("valid");
        let want = [("a", "1"), ("b", "two three"), ("c", "x")];
        assert_eq!(got, want.map(|(k, v)| (k.to_owned(), v.to_owned())));
        let got = read("a.properties", "name=Jos\u{e9} \\u20ac\n").expect("valid");
        assert_eq!(got, [("name".to_owned(), "Jos\u{e9} \u{20ac}".to_owned())]);
    }
}
