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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use flowrun_engine::model::{App, LoadError, LoadOptions, load_str};

    /// A folder holding an app and its secure file, removed when dropped.
    struct Fixture(PathBuf);

    impl Fixture {
        fn new(tag: &str, file_name: &str, file_text: &str) -> Fixture {
            let dir =
                std::env::temp_dir().join(format!("flowrun-secure-{tag}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("temp dir");
            std::fs::write(dir.join(file_name), file_text).expect("write secure file");
            Fixture(dir)
        }

        fn load(&self, config: &str, uses: &str, key: &str) -> Result<App, LoadError> {
            let app = format!(
                r#"<mule xmlns="http://www.mulesoft.org/schema/mule/core"
      xmlns:secure-properties="http://www.mulesoft.org/schema/mule/secure-properties">
  {config}
  <flow name="f"><set-variable variableName="v" value="{uses}"/></flow>
</mule>"#
            );
            let mut options = LoadOptions::default();
            options.system_properties.insert("k".into(), key.into());
            load_str(&self.0.join("app.xml"), &app, &crate::registry(), &options)
        }
    }

    impl Drop for Fixture {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    const AES_CONFIG: &str = r#"<secure-properties:config name="S" file="s.yaml" key="${k}">
    <secure-properties:encrypt algorithm="AES" mode="CBC"/>
  </secure-properties:config>"#;

    /// Vector P5 of the spec, from MuleSoft's documentation.
    const P5_FILE: &str = "db:\n  password: \"![smzbg+aV2HbiC9Fv8KBsZpD5PlXiplsfhZ42RWNEbHhUeZ9ZIDftljUx6sYpuQ+b]\"\n";
    const P5_PLAIN: &str = "bb458e566cba4e2ea5a826d27b46031a";

    #[test]
    fn decrypts_mule_values_into_the_secret_store() {
        let fixture = Fixture::new("p5", "s.yaml", P5_FILE);
        let app =
            fixture.load(AES_CONFIG, "${secure::db.password}", "MyEncryptionKey1").expect("loads");
        let secret = app.secrets.get("db.password").expect("stored");
        assert_eq!(secret.get().expose(), P5_PLAIN);
        assert!(app.warnings.is_empty(), "no plain values, no warning");
    }

    #[test]
    fn secure_values_need_the_prefix() {
        let fixture = Fixture::new("prefix", "s.yaml", P5_FILE);
        let err =
            fixture.load(AES_CONFIG, "${db.password}", "MyEncryptionKey1").err().expect("fails");
        assert!(
            err.to_string()
                .contains("Couldn't find configuration property value for key ${db.password}"),
            "{err}"
        );
    }

    #[test]
    fn wrong_key_names_file_and_property_but_not_the_secret() {
        let fixture = Fixture::new("wrongkey", "s.yaml", P5_FILE);
        let err = fixture.load(AES_CONFIG, "x", "MyEncryptionKey2").err().expect("fails");
        let text = err.to_string();
        assert!(text.contains("cannot decrypt `db.password` in `"), "{text}");
        assert!(text.contains("s.yaml`: Given final block not properly padded"), "{text}");
        assert!(!text.contains("MyEncryptionKey2") && !text.contains(P5_PLAIN), "{text}");
    }

    #[test]
    fn key_length_is_checked_when_loading() {
        let fixture = Fixture::new("keylen", "s.yaml", P5_FILE);
        let err = fixture.load(AES_CONFIG, "x", "short").err().expect("fails");
        let text = err.to_string();
        assert!(text.contains("You need to increment your key size. The minimum allowed key size is: 16, but your key size is: 5"), "{text}");
        let err = fixture.load(AES_CONFIG, "x", "seventeen-chars!!").err().expect("fails");
        assert!(err.to_string().contains("Invalid AES key length: 17 bytes"), "{err}");
    }

    #[test]
    fn plain_values_are_allowed_with_mules_warning() {
        let fixture = Fixture::new("plain", "s.yaml", "a: \"plain\"\n");
        let app = fixture.load(AES_CONFIG, "${secure::a}", "MyEncryptionKey1").expect("loads");
        assert_eq!(app.warnings.len(), 1);
        assert!(
            app.warnings[0]
                .message
                .starts_with("Secure Properties file has non-encrypted values. Check file '")
        );
    }

    #[test]
    fn bad_files_are_clear_errors() {
        let fixture = Fixture::new("unquoted", "s.yaml", "a: ![abc==]\n");
        let err = fixture.load(AES_CONFIG, "x", "MyEncryptionKey1").err().expect("fails");
        assert!(err.to_string().contains("the value of `a`"), "{err}");
        assert!(err.to_string().contains("unquoted `![...]`"), "{err}");

        let fixture = Fixture::new("badb64", "s.yaml", "a: \"![no*base64]\"\n");
        let err = fixture.load(AES_CONFIG, "x", "MyEncryptionKey1").err().expect("fails");
        assert!(err.to_string().contains("cannot decrypt `a`"), "{err}");

        let config = AES_CONFIG.replace("s.yaml", "missing.yaml");
        let err = fixture.load(&config, "x", "MyEncryptionKey1").err().expect("fails");
        assert!(err.to_string().contains("file `missing.yaml` not found"), "{err}");
    }

    #[test]
    fn file_level_encryption_is_strict_about_newlines() {
        use crate::secure_properties::crypto::{self, Algorithm, Mode};

        let plain = "a: \"1\"\nb: \"2\"\n";
        let sealed = crypto::encrypt(
            Algorithm::Aes,
            Mode::Cbc,
            b"MyEncryptionKey1",
            false,
            plain.as_bytes(),
        )
        .expect("encrypts");
        let line = crypto::encode_base64(&sealed);
        let config =
            AES_CONFIG.replace("key=\"${k}\"", "key=\"${k}\" fileLevelEncryption=\"true\"");
        let fixture = Fixture::new("filelevel", "s.yaml", &line);
        let app = fixture.load(&config, "${secure::b}", "MyEncryptionKey1").expect("loads");
        assert_eq!(app.secrets.get("b").expect("b").get().expose(), "2");

        let fixture = Fixture::new("filelevel-nl", "s.yaml", &format!("{line}\n"));
        let err = fixture.load(&config, "x", "MyEncryptionKey1").err().expect("fails");
        assert!(err.to_string().contains("cannot decode file-level encrypted `"), "{err}");
    }
}
