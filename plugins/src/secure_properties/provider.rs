//! `<secure-properties:config>`: a property provider whose values are decrypted when the app
//! loads and read only as `${secure::name}`.
//!
//! Values are stored in the app's [`SecretStore`], so they never exist as plain strings in the
//! model and a later rotation can replace them while the app runs. Unlike Mule, which checks
//! only the key's minimum length at start and fails at the first lookup of a value, flowrun
//! checks the key and decrypts every value when the app loads, so a wrong key fails at start.
//!
//! How one config loads, in order:
//!
//! 1. `file`, `key` and the other attributes are resolved against system properties, the
//!    environment and `<global-property>` only, as in Mule (never against another file);
//! 2. the algorithm, mode and key are checked (Mule's minimum length in chars, then the JDK's
//!    byte lengths), so a wrong key length fails before the file is read;
//! 3. the file is read; with `fileLevelEncryption="true"` its one Base64 line is decoded
//!    strictly and decrypted first; the text is decoded with `encoding` (UTF-8 by default);
//! 4. the text is parsed as YAML or `.properties` by the file's extension, and every `![...]`
//!    value is decrypted. Within one file the last definition of a key wins (Java's
//!    `Properties` and Mule's YAML map both overwrite); across configs the first config that
//!    defines a key wins, as in Mule 4.
//!
//! Every error names the file and, where there is one, the property; none contains a key or a
//! decrypted value.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use zeroize::Zeroizing;

use flowrun_engine::diag::{Diagnostic, Span};
use flowrun_engine::plugin::{AttrSpec, BuildContext, ChildSpec, PropertyProviderKind, Schema};
use flowrun_engine::props::{
    PropertyEntry, PropertyFileError, PropertyProvider, PropertyValue, read_properties_file,
};
use flowrun_engine::secret::{Secret, SecretStore};
use flowrun_engine::xml::{Element, ns};

use crate::secure_properties::crypto::{self, Algorithm, Mode};
use crate::secure_properties::{encoding, simple_file};

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

flowrun_engine::component!(
    SecurePropertiesKind,
    ns::SECURE_PROPERTIES,
    "config",
    "reads encrypted properties, available as ${secure::name}",
    &CONFIG
);

/// How to read and decrypt one secure properties file.
pub(crate) struct Settings {
    pub(crate) algorithm: Algorithm,
    pub(crate) mode: Mode,
    pub(crate) use_random_iv: bool,
    pub(crate) file_level: bool,
    pub(crate) charset: Charset,
    pub(crate) key: Secret,
}

/// The text encodings a secure file may be written in (`encoding="..."`).
///
/// Mule hands the name to Java's `Charset.forName`; flowrun knows the three that cover
/// property files in practice and refuses any other name at load, rather than guessing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Charset {
    Utf8,
    Latin1,
    Ascii,
}

/// A secure file read and decrypted: every key with its value, in file order.
pub(crate) struct Loaded {
    pub(crate) values: Vec<(String, Secret)>,
    /// How many values were not `![...]` (always 0 with file-level encryption).
    pub(crate) n_plain: usize,
}

/// Why a secure file could not be loaded. Messages name the file and the property; they
/// never hold a key or a decrypted value.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SecureFileError {
    #[error("cannot read `{path}`: {source}", path = path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("`{path}` is not valid {charset} text (line {line})", path = path.display())]
    NotText { path: PathBuf, charset: &'static str, line: usize },
    #[error("cannot decode file-level encrypted `{path}`: {source}", path = path.display())]
    FileLevelBase64 { path: PathBuf, source: encoding::Error, trailing_newline: bool },
    #[error("cannot decrypt file-level encrypted `{path}`: {source}", path = path.display())]
    FileLevelDecrypt { path: PathBuf, source: crypto::Error },
    #[error(transparent)]
    Parse(#[from] PropertyFileError),
    #[error("cannot decrypt `{path}`: {source}", path = path.display())]
    Cipher { path: PathBuf, source: crypto::Error },
    #[error("cannot decrypt `{key}` in `{path}`: {source}", path = path.display())]
    Decrypt { path: PathBuf, key: String, source: crypto::Error },
}

impl SecureFileError {
    /// What the user can do about it.
    fn note(&self) -> Option<&'static str> {
        match self {
            SecureFileError::NotText { .. } => {
                Some("set `encoding` on the config (UTF-8, ISO-8859-1 or US-ASCII)")
            }
            SecureFileError::FileLevelBase64 { trailing_newline: true, .. } => Some(
                "a file-level encrypted file is one Base64 line with no newline at the end, as \
                 MuleSoft's tool writes it; an editor added one: remove it \
                 (for example `truncate -s -1 FILE`)",
            ),
            SecureFileError::FileLevelDecrypt { .. } | SecureFileError::Decrypt { .. } => {
                Some("check the key and the `algorithm`, `mode` and `useRandomIVs` settings")
            }
            _ => None,
        }
    }
}

impl PropertyProviderKind for SecurePropertiesKind {
    fn build(
        &self,
        element: &Element,
        cx: &mut BuildContext<'_>,
    ) -> Option<Arc<dyn PropertyProvider>> {
        let file_attr = element.attr("file")?;
        let file_name = cx.bootstrap_attr(element, "file")?;
        let settings = read_settings(element, &file_name, cx)?;
        let Some(path) = cx.find_file(&file_name) else {
            cx.report(flowrun_engine::model::missing_file(
                file_attr.value_span,
                &file_name,
                cx.search_path,
            ));
            return None;
        };

        let loaded = match load_file(&path, &settings) {
            Ok(loaded) => loaded,
            Err(errors) => {
                report_file_errors(cx, file_attr.value_span, errors);
                return None;
            }
        };
        if loaded.n_plain > 0 {
            cx.report(Diagnostic::warning(
                file_attr.value_span,
                format!(
                    "Secure Properties file has non-encrypted values. Check file '{}'. Remember to \
                     encrypt properties or use file-level encryption before going into productive environment",
                    path.display()
                ),
            ));
        }

        // The first definition wins across configs, as in Mule 4.
        let keys = cx.secrets.insert_new(loaded.values).into_iter().collect();
        // The key itself is a secret: masked wherever `${mule.key}` or `p('mule.key')` puts it.
        // The name cannot be a property's, so no `secure::` lookup ever finds it.
        cx.secrets.set(&format!("\u{0}key of {}", path.display()), settings.key.clone());
        let description = format!("secure-properties file `{}`", path.display());
        Some(Arc::new(SecureProperties { store: cx.secrets.clone(), keys, description }))
    }
}

/// Reports the first error of a file, and names the other values that failed in a note: a
/// wrong key fails every value, and one error per value would bury the message.
fn report_file_errors(cx: &mut BuildContext<'_>, span: Span, errors: Vec<SecureFileError>) {
    const N_NAMED: usize = 5;

    let n_more = errors.len().saturating_sub(1);
    let mut errors = errors.into_iter();
    let Some(first) = errors.next() else { return };
    let mut diagnostic = Diagnostic::error(span, first.to_string());
    if let Some(note) = first.note() {
        diagnostic = diagnostic.with_note(note);
    }
    if n_more > 0 {
        let names: Vec<String> = errors
            .filter_map(|error| match error {
                SecureFileError::Decrypt { key, .. } => Some(format!("`{key}`")),
                _ => None,
            })
            .take(N_NAMED)
            .collect();
        let ellipsis = if n_more > N_NAMED { ", ..." } else { "" };
        let (values, verb) = if n_more == 1 { ("value", "does") } else { ("values", "do") };
        diagnostic = diagnostic.with_note(format!(
            "{n_more} more {values} of this file {verb} not decrypt either: {}{ellipsis}",
            names.join(", ")
        ));
    }
    cx.report(diagnostic);
}

/// Reads and checks every attribute but `file`; errors are reported at the attribute.
fn read_settings(
    element: &Element,
    file_name: &str,
    cx: &mut BuildContext<'_>,
) -> Option<Settings> {
    let name = element.attr_value("name").unwrap_or_default().to_owned();
    let encrypt = element.child(ns::SECURE_PROPERTIES, "encrypt")?;

    let algorithm: Algorithm = parsed_attr(encrypt, "algorithm", cx, Algorithm::Aes)?;
    let mode: Mode = parsed_attr(encrypt, "mode", cx, Mode::Cbc)?;
    let use_random_iv = bool_attr(encrypt, "useRandomIVs", cx)?;
    let file_level = bool_attr(element, "fileLevelEncryption", cx)?;
    let charset = match optional_attr(element, "encoding", cx)? {
        None => Charset::Utf8,
        Some(text) => {
            let Some(charset) = Charset::from_name(&text) else {
                let span = element.attr("encoding")?.value_span;
                cx.report(
                    Diagnostic::error(span, format!("unsupported encoding `{text}`"))
                        .with_note("flowrun reads secure files as UTF-8, ISO-8859-1 or US-ASCII"),
                );
                return None;
            };
            charset
        }
    };
    if !algorithm.is_supported() {
        let span = encrypt.attr("algorithm")?.value_span;
        cx.error(span, crypto::Error::UnsupportedAlgorithm(algorithm).to_string());
        return None;
    }
    if mode == Mode::Gcm && algorithm != Algorithm::Aes {
        let span = encrypt.attr("mode")?.value_span;
        cx.error(span, crypto::Error::GcmNeedsAes(algorithm).to_string());
        return None;
    }

    let key_span = element.attr("key")?.value_span;
    let key = Secret::new(cx.bootstrap_attr(element, "key")?);
    if let Err(err) = crypto::validate_key(algorithm, key.expose()) {
        cx.report(
            Diagnostic::error(
                key_span,
                format!("the key of `{name}` for `{file_name}` does not fit {algorithm}: {err}"),
            )
            .with_note(key_rule(algorithm))
            .with_note(
                "flowrun checks the key when the app loads; Mule would start and fail at the \
                 first use of a value",
            ),
        );
        return None;
    }
    Some(Settings { algorithm, mode, use_random_iv, file_level, charset, key })
}

/// The key lengths the JDK accepts, for the note under a key error.
fn key_rule(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::Aes => "AES keys are 16, 24 or 32 bytes of UTF-8 text",
        Algorithm::Blowfish => "Blowfish keys are 1 to 56 bytes of UTF-8 text",
        Algorithm::Des => "DES keys are exactly 8 bytes of UTF-8 text",
        Algorithm::DesEde => "DESede keys are exactly 24 bytes of UTF-8 text",
        Algorithm::Rc2 => "RC2 keys are 5 to 128 bytes of UTF-8 text",
        _ => "this algorithm is not supported",
    }
}

/// An attribute's text with placeholders resolved against the bootstrap sources; `Some(None)`
/// when absent, `None` when resolving failed (and was reported).
fn optional_attr(
    element: &Element,
    name: &str,
    cx: &mut BuildContext<'_>,
) -> Option<Option<String>> {
    if element.attr(name).is_none() {
        return Some(None);
    }
    cx.bootstrap_attr(element, name).map(Some)
}

fn parsed_attr<T>(element: &Element, name: &str, cx: &mut BuildContext<'_>, default: T) -> Option<T>
where
    T: std::str::FromStr<Err = crypto::Error>,
{
    let Some(text) = optional_attr(element, name, cx)? else { return Some(default) };
    match text.parse::<T>() {
        Ok(value) => Some(value),
        Err(err) => {
            let span = element.attr(name)?.value_span;
            cx.error(span, err.to_string());
            None
        }
    }
}

fn bool_attr(element: &Element, name: &str, cx: &mut BuildContext<'_>) -> Option<bool> {
    match optional_attr(element, name, cx)?.as_deref() {
        None | Some("false") => Some(false),
        Some("true") => Some(true),
        Some(other) => {
            let span = element.attr(name)?.value_span;
            cx.error(span, format!("`{name}` must be `true` or `false`, not `{other}`"));
            None
        }
    }
}

/// Reads, decrypts and parses one secure file: the whole of a config's work but storing.
///
/// # Errors
///
/// Every problem found: one for a file that cannot be read or parsed, or one per value that
/// does not decrypt.
pub(crate) fn load_file(path: &Path, settings: &Settings) -> Result<Loaded, Vec<SecureFileError>> {
    let entries = read_entries(path, settings).map_err(|err| vec![err])?;

    // The last definition in a file wins; replaced plain values are zeroed as they drop.
    let is_last: Vec<bool> = {
        let mut last_idx: HashMap<&str, usize> = HashMap::with_capacity(entries.len());
        for (entry_idx, entry) in entries.iter().enumerate() {
            last_idx.insert(&entry.key, entry_idx);
        }
        (0..entries.len())
            .map(|entry_idx| last_idx[entries[entry_idx].key.as_str()] == entry_idx)
            .collect()
    };
    let decrypter = crypto::Decrypter::new(
        settings.algorithm,
        settings.mode,
        settings.key.expose().as_bytes(),
        settings.use_random_iv,
    )
    .map_err(|source| vec![SecureFileError::Cipher { path: path.to_owned(), source }])?;
    let mut values = Vec::with_capacity(entries.len());
    let mut errors = Vec::new();
    let mut n_plain = 0;
    for (entry, is_last) in entries.into_iter().zip(is_last) {
        let mut raw = Zeroizing::new(entry.value);
        if !is_last {
            continue;
        }
        let inner = if settings.file_level { None } else { encoding::unwrap_encrypted(&raw) };
        let Some(inner) = inner else {
            n_plain += usize::from(!settings.file_level);
            values.push((entry.key, Secret::new(std::mem::take(&mut *raw))));
            continue;
        };
        match decrypter.decrypt_value(inner) {
            Ok(secret) => values.push((entry.key, secret)),
            Err(source) => errors.push(SecureFileError::Decrypt {
                path: path.to_owned(),
                key: entry.key,
                source,
            }),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Loaded { values, n_plain })
}

/// Reads the file's entries; for file-level encryption, decrypts the whole file first.
///
/// FIXME: the YAML parser keeps its own copies of plain values (file-level files and plain
/// values in secure files) that are freed without being zeroed. It bites only a process whose
/// memory is read after the fact; the fix is a YAML reader in `props` that writes values
/// straight into zeroizing buffers.
fn read_entries(path: &Path, settings: &Settings) -> Result<Vec<PropertyEntry>, SecureFileError> {
    // Fail on a wrong extension before reading or decrypting anything.
    read_properties_file(path, "")?;
    let bytes = Zeroizing::new(
        std::fs::read(path)
            .map_err(|source| SecureFileError::Read { path: path.to_owned(), source })?,
    );
    let text = if settings.file_level {
        let cipher_bytes = encoding::decode_base64_strict(&bytes).map_err(|source| {
            SecureFileError::FileLevelBase64 {
                path: path.to_owned(),
                source,
                trailing_newline: bytes.ends_with(b"\n"),
            }
        })?;
        let plain = crypto::decrypt(
            settings.algorithm,
            settings.mode,
            settings.key.expose().as_bytes(),
            settings.use_random_iv,
            &cipher_bytes,
        )
        .map_err(|source| SecureFileError::FileLevelDecrypt { path: path.to_owned(), source })?;
        settings.charset.decode(path, &plain)?
    } else {
        settings.charset.decode(path, &bytes)?
    };
    if let Some(entries) = simple_file::read_simple(path, &text) {
        return Ok(entries);
    }
    Ok(read_properties_file(path, &text)?)
}

impl Charset {
    /// Java's names and common aliases, case-insensitive as `Charset.forName` is.
    pub(crate) fn from_name(name: &str) -> Option<Charset> {
        match name.to_ascii_uppercase().as_str() {
            "UTF-8" | "UTF8" => Some(Charset::Utf8),
            "ISO-8859-1" | "ISO8859-1" | "ISO_8859_1" | "ISO8859_1" | "ISO_8859-1" | "LATIN1"
            | "L1" | "CP819" => Some(Charset::Latin1),
            "US-ASCII" | "ASCII" | "US_ASCII" | "ISO646-US" => Some(Charset::Ascii),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Charset::Utf8 => "UTF-8",
            Charset::Latin1 => "ISO-8859-1",
            Charset::Ascii => "US-ASCII",
        }
    }

    /// Decodes a file's bytes. Java's reader would put U+FFFD in place of bytes that do not
    /// decode; flowrun stops with the line instead, since such a file is almost always one
    /// saved in another encoding than the config says.
    fn decode(self, path: &Path, bytes: &[u8]) -> Result<Zeroizing<String>, SecureFileError> {
        let bad_at = |valid_up_to: usize| SecureFileError::NotText {
            path: path.to_owned(),
            charset: self.name(),
            line: 1 + bytes[..valid_up_to].iter().filter(|&&b| b == b'\n').count(),
        };
        match self {
            Charset::Utf8 => match std::str::from_utf8(bytes) {
                Ok(text) => Ok(Zeroizing::new(text.to_owned())),
                Err(err) => Err(bad_at(err.valid_up_to())),
            },
            Charset::Ascii => match bytes.iter().position(|b| !b.is_ascii()) {
                Some(idx) => Err(bad_at(idx)),
                None => Ok(Zeroizing::new(bytes.iter().map(|&b| char::from(b)).collect())),
            },
            Charset::Latin1 => Ok(Zeroizing::new(bytes.iter().map(|&b| char::from(b)).collect())),
        }
    }
}

/// A loaded secure properties file: answers `secure::name` with the store's current value.
struct SecureProperties {
    store: SecretStore,
    keys: HashSet<String>,
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

    #[test]
    fn encoding_names_follow_java() {
        use crate::secure_properties::provider::Charset;

        assert_eq!(Charset::from_name("utf-8"), Some(Charset::Utf8));
        assert_eq!(Charset::from_name("ISO-8859-1"), Some(Charset::Latin1));
        assert_eq!(Charset::from_name("latin1"), Some(Charset::Latin1));
        assert_eq!(Charset::from_name("US-ASCII"), Some(Charset::Ascii));
        assert_eq!(Charset::from_name("UTF-16"), None);
    }

    #[test]
    fn latin1_files_need_their_encoding() {
        let config = AES_CONFIG.replace("s.yaml", "s.properties");
        let fixture = Fixture::new("latin1", "s.properties", "");
        std::fs::write(fixture.0.join("s.properties"), b"name=Jos\xe9\n").expect("write");
        let err = fixture.load(&config, "x", "MyEncryptionKey1").err().expect("fails");
        assert!(err.to_string().contains("is not valid UTF-8 text (line 1)"), "{err}");

        let latin1 = config.replace("key=\"${k}\"", "key=\"${k}\" encoding=\"ISO-8859-1\"");
        let app = fixture.load(&latin1, "${secure::name}", "MyEncryptionKey1").expect("loads");
        assert_eq!(app.secrets.get("name").expect("name").get().expose(), "Jos\u{e9}");

        let utf16 = config.replace("key=\"${k}\"", "key=\"${k}\" encoding=\"UTF-16\"");
        let err = fixture.load(&utf16, "x", "MyEncryptionKey1").err().expect("fails");
        assert!(err.to_string().contains("unsupported encoding `UTF-16`"), "{err}");
    }

    #[test]
    fn last_definition_in_a_file_wins() {
        let config = AES_CONFIG.replace("s.yaml", "s.properties");
        let fixture = Fixture::new("dup", "s.properties", "a=first\na=second\n");
        let app = fixture.load(&config, "${secure::a}", "MyEncryptionKey1").expect("loads");
        assert_eq!(app.secrets.get("a").expect("a").get().expose(), "second");
    }
}
