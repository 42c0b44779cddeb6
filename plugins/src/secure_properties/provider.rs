//! `<secure-properties:config>`: a property provider whose values are decrypted when the app
//! loads and read only as `${secure::name}`.
//!
//! Values are stored in the app's [`SecretStore`], so they never exist as plain strings in the
//! model and a later rotation can replace them while the app runs. Unlike Mule, which checks
//! only the key's minimum length at start and fails at the first lookup of a value, flowrun
//! checks the key and decrypts every value when the app loads, so a wrong key fails at start.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use flowrun_engine::diag::Diagnostic;
use flowrun_engine::plugin::{
    AttrSpec, BuildContext, ChildSpec, Component, PropertyProviderKind, Schema,
};
use flowrun_engine::props::{PropertyEntry, PropertyProvider, PropertyValue, read_properties_file};
use flowrun_engine::secret::{Secret, SecretStore};
use flowrun_engine::xml::{Element, ns};

use crate::secure_properties::crypto::{self, Algorithm, Mode};

/// The prefix that selects secure properties in placeholders.
const PREFIX: &str = "secure::";

/// The element kind `secure-properties:config`.
pub(crate) struct SecurePropertiesKind;

static ENCRYPT: Schema = Schema {
    attributes: &[
        AttrSpec::optional("algorithm"),
        AttrSpec::optional("mode"),
        AttrSpec::optional("useRandomIVs"),
    ],
    children: &[],
    text: false,
};

static CONFIG: Schema = Schema {
    attributes: &[
        AttrSpec::required("name"),
        AttrSpec::required("file"),
        AttrSpec::required("key"),
        AttrSpec::optional("encoding"),
        AttrSpec::optional("fileLevelEncryption"),
    ],
    children: &[ChildSpec {
        ns: ns::SECURE_PROPERTIES,
        name: "encrypt",
        schema: &ENCRYPT,
        required: true,
    }],
    text: false,
};

impl Component for SecurePropertiesKind {
    fn namespace(&self) -> &'static str {
        ns::SECURE_PROPERTIES
    }
    fn name(&self) -> &'static str {
        "config"
    }
    fn summary(&self) -> &'static str {
        "reads encrypted properties, available as ${secure::name}"
    }
    fn schema(&self) -> &'static Schema {
        &CONFIG
    }
}

/// The cipher settings of one config.
struct Settings {
    algorithm: Algorithm,
    mode: Mode,
    use_random_iv: bool,
    key: Secret,
}

impl PropertyProviderKind for SecurePropertiesKind {
    fn build(
        &self,
        element: &Element,
        cx: &mut BuildContext<'_>,
    ) -> Option<Arc<dyn PropertyProvider>> {
        let settings = read_settings(element, cx)?;
        let file_attr = element.attr("file")?;
        let file_name = cx.bootstrap_attr(element, "file")?;
        let Some(path) = cx.find_file(&file_name) else {
            cx.report(flowrun_engine::model::missing_file(
                file_attr.value_span,
                &file_name,
                cx.search_path,
            ));
            return None;
        };
        let file_level = element.attr_value("fileLevelEncryption") == Some("true");
        let entries = match read_entries(&path, file_level, &settings) {
            Ok(entries) => entries,
            Err(message) => {
                cx.error(file_attr.value_span, message);
                return None;
            }
        };

        let mut keys = BTreeSet::new();
        let mut n_plain = 0;
        let mut ok = true;
        for entry in entries {
            let value = if file_level {
                Secret::new(entry.value)
            } else if let Some(inner) = crypto::unwrap_encrypted(&entry.value) {
                let key = settings.key.expose().as_bytes();
                match crypto::decrypt_value(
                    settings.algorithm,
                    settings.mode,
                    key,
                    settings.use_random_iv,
                    inner,
                ) {
                    Ok(secret) => secret,
                    Err(err) => {
                        let message = format!(
                            "cannot decrypt `{}` in `{}`: {err}",
                            entry.key,
                            path.display()
                        );
                        cx.report(Diagnostic::error(file_attr.value_span, message).with_note(
                            "check the key and the `algorithm`, `mode` and `useRandomIVs` settings",
                        ));
                        ok = false;
                        continue;
                    }
                }
            } else {
                n_plain += 1;
                Secret::new(entry.value)
            };
            // The first definition wins, across files and configs, as in Mule 4.
            if !cx.secrets.contains(&entry.key) {
                cx.secrets.set(&entry.key, value);
                keys.insert(entry.key);
            }
        }
        if n_plain > 0 {
            cx.report(Diagnostic::warning(
                file_attr.value_span,
                format!(
                    "Secure Properties file has non-encrypted values. Check file '{}'. Remember to \
                     encrypt properties or use file-level encryption before going into productive environment",
                    path.display()
                ),
            ));
        }
        let description = format!("secure-properties file `{}`", path.display());
        ok.then(|| {
            Arc::new(SecureProperties { store: cx.secrets.clone(), keys, description })
                as Arc<dyn PropertyProvider>
        })
    }
}

fn read_settings(element: &Element, cx: &mut BuildContext<'_>) -> Option<Settings> {
    let name = element.attr_value("name").unwrap_or_default().to_owned();
    let encrypt = element.child(ns::SECURE_PROPERTIES, "encrypt")?;
    let algorithm = match encrypt.attr("algorithm") {
        None => Algorithm::Aes,
        Some(attr) => match attr.value.parse::<Algorithm>() {
            Ok(algorithm) => algorithm,
            Err(err) => {
                cx.error(attr.value_span, err.to_string());
                return None;
            }
        },
    };
    let mode = match encrypt.attr("mode") {
        None => Mode::Cbc,
        Some(attr) => match attr.value.parse::<Mode>() {
            Ok(mode) => mode,
            Err(err) => {
                cx.error(attr.value_span, err.to_string());
                return None;
            }
        },
    };
    let use_random_iv = match encrypt.attr("useRandomIVs") {
        None => false,
        Some(attr) => match attr.value.as_str() {
            "true" => true,
            "false" => false,
            other => {
                cx.error(
                    attr.value_span,
                    format!("`useRandomIVs` must be `true` or `false`, not `{other}`"),
                );
                return None;
            }
        },
    };
    let key_attr = element.attr("key")?;
    let key = Secret::new(cx.bootstrap_attr(element, "key")?);
    let checked = crypto::check_min_key_size(algorithm, key.expose())
        .and_then(|()| crypto::check_key(algorithm, key.expose().as_bytes()));
    if let Err(err) = checked {
        cx.report(
            Diagnostic::error(key_attr.value_span, format!("the key of `{name}` does not fit {algorithm}: {err}"))
                .with_note("AES keys are 16, 24 or 32 bytes; give the key with -Dname=value or an environment variable"),
        );
        return None;
    }
    Some(Settings { algorithm, mode, use_random_iv, key })
}

/// Reads the file's entries; for file-level encryption, decrypts the whole file first.
fn read_entries(
    path: &Path,
    file_level: bool,
    settings: &Settings,
) -> Result<Vec<PropertyEntry>, String> {
    let bytes =
        std::fs::read(path).map_err(|err| format!("cannot read `{}`: {err}", path.display()))?;
    let text = if file_level {
        let cipher_bytes = crypto::decode_base64_strict(&bytes).map_err(|err| {
            format!("cannot decode file-level encrypted `{}`: {err}", path.display())
        })?;
        let key = settings.key.expose().as_bytes();
        let plain = crypto::decrypt(
            settings.algorithm,
            settings.mode,
            key,
            settings.use_random_iv,
            &cipher_bytes,
        )
        .map_err(|err| {
            format!("cannot decrypt file-level encrypted `{}`: {err}", path.display())
        })?;
        String::from_utf8_lossy(&plain).into_owned()
    } else {
        String::from_utf8(bytes).map_err(|_| format!("`{}` is not UTF-8 text", path.display()))?
    };
    read_properties_file(path, &text).map_err(|err| err.to_string())
}

/// A loaded secure properties file: answers `secure::name` with the store's current value.
struct SecureProperties {
    store: SecretStore,
    keys: BTreeSet<String>,
    description: String,
}

impl PropertyProvider for SecureProperties {
    fn get(&self, key: &str) -> Option<PropertyValue> {
        let name = key.strip_prefix(PREFIX)?;
        if !self.keys.contains(name) {
            return None;
        }
        self.store.get(name).map(|reference| PropertyValue::Secret(reference.get()))
    }

    fn describe(&self) -> String {
        self.description.clone()
    }
}
