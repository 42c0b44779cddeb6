//! Whole secure files between flowrun and the JDK, for every supported algorithm × mode ×
//! IV setting, in both directions:
//!
//! - the JDK oracle (`tests/jdk/SecureOracle.java`, `javax.crypto` run as Mule's
//!   `JCEEncrypter`) writes `.yaml` and `.properties` secure files the way MuleSoft's tool does,
//!   value by value and file-level, and `flowrun call` on an app with four
//!   `<secure-properties:config>` elements reads every value back through `${secure::name}`;
//! - `flowrun secure file` and `file-level` encrypt files, and the JDK decrypts every value.

use std::path::Path;

use crate::secure_jdk::{hex, hex_or_empty, oracle};
use crate::support::openbao::TempDir;
use crate::support::process::flowrun;

/// Every algorithm a plain JDK has, with a key Mule accepts (its minimum length in chars and
/// the JDK's byte length).
const ALGORITHMS: [(&str, &str); 5] = [
    ("AES", "123456789012345678901234"),
    ("Blowfish", "MyMuleSoftKey"),
    ("DES", "mulesoft"),
    ("DESede", "0123456789abcdefghijklmn"),
    ("RC2", "mulesoft-rc2-key"),
];
const MODES: [&str; 4] = ["CBC", "CFB", "ECB", "OFB"];

/// The values of every file: empty, short, one block, several blocks, non-ASCII.
const VALUES: [(&str, &str); 5] = [
    ("user", "admin"),
    ("password", "s3cr3t-Plaintext-42"),
    ("empty", ""),
    ("unicode", "caf\u{e9} \u{2713} \u{43a}\u{43b}\u{44e}\u{447}"),
    ("long", "The mule carries secrets across the mountain pass, twice."),
];

/// The four files of one combination: prefix, file name, file-level or not.
const FILES: [(&str, &str, bool); 4] = [
    ("y", "values.yaml", false),
    ("p", "values.properties", false),
    ("fy", "whole.yaml", true),
    ("fp", "whole.properties", true),
];

#[test]
fn apps_read_every_value_of_files_the_jdk_wrote() {
    let dir = TempDir::new("secure-jdk-app");
    let mut requests = Vec::new();
    let mut combos = Vec::new();
    for (algorithm, key) in ALGORITHMS {
        for mode in MODES {
            for random_iv in [false, true] {
                let combo = Combo { algorithm, mode, key, random_iv };
                let combo_dir = dir.0.join(combo.tag());
                std::fs::create_dir_all(&combo_dir).expect("combination folder");
                for (prefix, name, file_level) in FILES {
                    let plain = combo_dir.join(format!("plain-{name}"));
                    std::fs::write(&plain, plain_text(prefix, name)).expect("write plaintext");
                    let out = combo_dir.join(name);
                    let verb = if file_level { "FILELEVEL" } else { "FILE" };
                    requests.push(format!(
                        "{verb} {} {} {} {}",
                        combo.oracle_prefix(),
                        u8::from(random_iv),
                        plain.display(),
                        out.display()
                    ));
                }
                combos.push((combo, combo_dir));
            }
        }
    }
    let answers = oracle(&requests);
    let failed: Vec<String> = requests
        .iter()
        .zip(&answers)
        .filter(|(_, answer)| *answer != "OK")
        .map(|(request, answer)| format!("{request}\n  {answer}"))
        .collect();
    assert!(failed.is_empty(), "the oracle failed:\n{}", failed.join("\n"));

    let mut failures = Vec::new();
    for (combo, combo_dir) in &combos {
        if let Err(failure) = read_back(combo, combo_dir) {
            failures.push(format!("{}: {failure}", combo.tag()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} combinations:\n{}",
        failures.len(),
        combos.len(),
        failures.join("\n")
    );
}

#[test]
fn the_jdk_decrypts_files_flowrun_wrote() {
    let dir = TempDir::new("secure-jdk-tool");
    let mut requests = Vec::new();
    let mut expected = Vec::new();
    for (algorithm, key) in ALGORITHMS {
        for mode in MODES {
            for random_iv in [false, true] {
                let combo = Combo { algorithm, mode, key, random_iv };
                let combo_dir = dir.0.join(combo.tag());
                std::fs::create_dir_all(&combo_dir).expect("combination folder");
                for (prefix, name, file_level) in FILES {
                    let plain_name = format!("plain-{name}");
                    let plain = plain_text(prefix, name);
                    std::fs::write(combo_dir.join(&plain_name), &plain).expect("write plaintext");
                    let method = if file_level { "file-level" } else { "file" };
                    let mut args =
                        vec!["secure", method, "encrypt", algorithm, mode, "-", &plain_name, name];
                    if random_iv {
                        args.push("--use-random-iv");
                    }
                    let output = flowrun()
                        .current_dir(&combo_dir)
                        .args(&args)
                        .env("FLOWRUN_SECURE_KEY", key)
                        .output()
                        .expect("run flowrun secure");
                    assert!(
                        output.status.success(),
                        "{args:?}: {}",
                        String::from_utf8_lossy(&output.stderr)
                    );

                    let written = combo_dir.join(name);
                    let prefix_line = format!("{} {}", combo.oracle_prefix(), u8::from(random_iv));
                    if file_level {
                        requests.push(format!("DECFILELEVEL {prefix_line} {}", written.display()));
                        expected.push(format!("OK {}", hex_or_empty(plain.as_bytes())));
                        continue;
                    }
                    let encrypted_values = VALUES
                        .iter()
                        .filter(|(_, value)| !is_left_plain(name, value))
                        .map(|(_, value)| value);
                    let wrapped = wrapped_values(&written);
                    assert_eq!(
                        wrapped.len(),
                        encrypted_values.clone().count(),
                        "{}",
                        written.display()
                    );
                    for (base64_text, plain_value) in wrapped.iter().zip(encrypted_values) {
                        requests.push(format!("DEC {prefix_line} {}", or_dash(base64_text)));
                        expected.push(format!("OK {}", hex_or_empty(plain_value.as_bytes())));
                    }
                }
            }
        }
    }
    let answers = oracle(&requests);
    let failures: Vec<String> = requests
        .iter()
        .zip(answers.iter().zip(&expected))
        .filter(|(_, (answer, expected))| answer != expected)
        .map(|(request, (answer, expected))| {
            format!("{request}\n  java: {answer}\n  want: {expected}")
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} values:\n{}",
        failures.len(),
        requests.len(),
        failures.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
    );
}

/// One algorithm, mode, key and IV setting.
struct Combo {
    algorithm: &'static str,
    mode: &'static str,
    key: &'static str,
    random_iv: bool,
}

impl Combo {
    fn tag(&self) -> String {
        let iv = if self.random_iv { "random" } else { "fixed" };
        format!("{}-{}-{iv}", self.algorithm, self.mode)
    }

    /// `<ALG> <MODE> <KEY_HEX>` of an oracle request.
    fn oracle_prefix(&self) -> String {
        format!("{} {} {}", self.algorithm, self.mode, hex(self.key.as_bytes()))
    }
}

/// The plaintext file with the values under `prefix`: flat dotted keys for the value-by-value
/// files (the tool's `file` mode works line by line), nested YAML for the file-level one.
fn plain_text(prefix: &str, name: &str) -> String {
    let is_yaml = name.ends_with(".yaml");
    let mut text = String::from("# secure values\n");
    if is_yaml && prefix == "fy" {
        text.push_str("fy:\n  db:\n");
        for (key, value) in VALUES {
            text.push_str(&format!("    {key}: \"{value}\"\n"));
        }
        return text;
    }
    for (key, value) in VALUES {
        let line = if is_yaml {
            format!("{prefix}.db.{key}: \"{value}\"\n")
        } else {
            format!("{prefix}.db.{key}={value}\n")
        };
        text.push_str(&line);
    }
    text
}

/// Runs `flowrun call` on an app with one config per file and compares every variable.
fn read_back(combo: &Combo, combo_dir: &Path) -> Result<(), String> {
    let configs: String = FILES
        .iter()
        .map(|(prefix, name, file_level)| {
            format!(
                r#"
  <secure-properties:config name="{prefix}" file="{name}" key="${{k}}" fileLevelEncryption="{file_level}">
    <secure-properties:encrypt algorithm="{}" mode="{}" useRandomIVs="{}"/>
  </secure-properties:config>"#,
                combo.algorithm, combo.mode, combo.random_iv
            )
        })
        .collect();
    let mut steps = String::new();
    for (prefix, _, _) in FILES {
        for (key, _) in VALUES {
            steps.push_str(&format!(
                "\n    <set-variable variableName=\"{prefix}_{key}\" value=\"${{secure::{prefix}.db.{key}}}\"/>"
            ));
        }
    }
    let app = format!(
        r#"<mule xmlns="http://www.mulesoft.org/schema/mule/core"
      xmlns:secure-properties="http://www.mulesoft.org/schema/mule/secure-properties">{configs}
  <flow name="f">{steps}
  </flow>
</mule>
"#
    );
    std::fs::write(combo_dir.join("app.xml"), app).map_err(|err| err.to_string())?;

    let output = flowrun()
        .current_dir(combo_dir)
        .args(["call", "app.xml", "--flow", "f", &format!("-Dk={}", combo.key)])
        .output()
        .map_err(|err| err.to_string())?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!("flowrun call failed:\n{stderr}"));
    }
    // Only the `.properties` file has a plain value: the empty one that the tool leaves alone.
    let warning = "Secure Properties file has non-encrypted values. Check file '";
    let warnings: Vec<&str> = stderr.lines().filter(|line| line.contains(warning)).collect();
    if warnings.len() != 1 || !warnings[0].contains("values.properties'") {
        return Err(format!("expected one warning for values.properties:\n{stderr}"));
    }
    let message: serde_json::Value =
        serde_json::from_slice(&output.stdout).map_err(|err| err.to_string())?;
    for (prefix, _, _) in FILES {
        for (key, value) in VALUES {
            let got = &message["vars"][format!("{prefix}_{key}")];
            if got != value {
                return Err(format!("`{prefix}.db.{key}` read as {got}, not {value:?}"));
            }
        }
    }
    Ok(())
}

/// True for the values that MuleSoft's tool leaves unencrypted in `file` mode: an empty
/// unquoted `.properties` value (`key=`). In YAML the empty value is quoted, so it is encrypted.
fn is_left_plain(file_name: &str, value: &str) -> bool {
    file_name == "values.properties" && value.is_empty()
}

/// The Base64 text of every `![...]` in a file, in order.
fn wrapped_values(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("read an encrypted file");
    text.lines()
        .filter_map(|line| {
            let start = line.find("![")? + 2;
            let end = start + line[start..].find(']')?;
            Some(line[start..end].to_owned())
        })
        .collect()
}

/// The oracle's spelling of an empty field.
fn or_dash(text: &str) -> &str {
    if text.is_empty() { "-" } else { text }
}
