//! Secure properties through the real binary: `flowrun secure` round trips, apps that read
//! `${secure::name}` from `.yaml` and `.properties` files (value by value and file-level), and
//! every bad input a user can give, each failing `flowrun validate` with exit code 2, one
//! message that names the file and the property, and no trace of the key or the plaintext.

use std::process::Output;

use flowrun_plugins::secure_properties::crypto::{self, Algorithm, Mode};

use crate::support::openbao::TempDir;
use crate::support::process::flowrun;

/// The key of most apps here, and a plaintext that must never show up in a message.
const KEY: &str = "MyEncryptionKey1";
const SECRET: &str = "s3cr3t-Plaintext-42";

#[test]
fn string_round_trips_through_the_cli() {
    let project = Project::new("secure-cli-string");
    project.write("key.txt", b"0123456789abcdef0123456789abcdef\n");
    let plaintext = "p@ss wörd ✓ = ${x}";
    let keys: [(Algorithm, &str); 5] = [
        (Algorithm::Aes, "0123456789abcdef0123456789abcdef"),
        (Algorithm::Blowfish, "mulesoft"),
        (Algorithm::Des, "12345678"),
        (Algorithm::DesEde, "123456789012345678901234"),
        (Algorithm::Rc2, "12345"),
    ];
    for (algorithm, key) in keys {
        for mode in ["CBC", "CFB", "ECB", "OFB"] {
            for random_iv in [false, true] {
                let alg = algorithm.name();
                let mut encrypt = vec!["secure", "string", "encrypt", alg, mode, key, plaintext];
                if random_iv {
                    encrypt.push("--use-random-iv");
                }
                let ciphertext = project.ok(&encrypt, &[]);
                let ciphertext = ciphertext.trim_end();
                let mut decrypt = vec!["secure", "string", "decrypt", alg, mode, key, ciphertext];
                if random_iv {
                    decrypt.push("--use-random-iv");
                }
                assert_eq!(project.ok(&decrypt, &[]), format!("{plaintext}\n"), "{alg}/{mode}");
            }
        }
    }

    // The key from FLOWRUN_SECURE_KEY, another variable, or a file with a trailing newline.
    let key = "0123456789abcdef0123456789abcdef";
    let sources: [(&str, &[(&str, &str)]); 3] = [
        ("-", &[("FLOWRUN_SECURE_KEY", key)]),
        ("env:APP_KEY", &[("APP_KEY", key)]),
        ("file:key.txt", &[]),
    ];
    let expected = project.ok(&["secure", "string", "encrypt", "AES", "CBC", key, plaintext], &[]);
    for (source, env) in sources {
        let args = ["secure", "string", "encrypt", "AES", "CBC", source, plaintext];
        assert_eq!(project.ok(&args, env), expected, "{source}");
        let args = ["secure", "string", "decrypt", "AES", "CBC", source, expected.trim_end()];
        assert_eq!(project.ok(&args, env), format!("{plaintext}\n"), "{source}");
    }

    // MuleSoft's documented vector P1, and GCM, flowrun's own mode.
    let args =
        ["secure", "string", "encrypt", "Blowfish", "CBC", "mulesoft", "some value to encrypt"];
    assert_eq!(project.ok(&args, &[]), "8q5e1+jy0cND2iV2WPThahmz6XsDwB6Z\n");
    let sealed = project.ok(&["secure", "string", "encrypt", "AES", "GCM", KEY, SECRET], &[]);
    let args = ["secure", "string", "decrypt", "AES", "GCM", KEY, sealed.trim_end()];
    assert_eq!(project.ok(&args, &[]), format!("{SECRET}\n"));
}

#[test]
fn tool_errors_have_mules_exit_codes_and_hide_the_key() {
    let project = Project::new("secure-cli-tool-errors");
    let ciphertext = project.ok(&["secure", "string", "encrypt", "AES", "CBC", KEY, SECRET], &[]);

    let wrong_key = "MyEncryptionKey2";
    let output = project
        .run(&["secure", "string", "decrypt", "AES", "CBC", wrong_key, ciphertext.trim_end()], &[]);
    let stderr = expect_exit(&output, 2);
    assert!(stderr.contains("Given final block not properly padded"), "{stderr}");
    assert_clean(&output, &[wrong_key, SECRET]);

    let output = project.run(&["secure", "string", "encrypt", "AES", "CBC", "short", SECRET], &[]);
    let stderr = expect_exit(&output, 2);
    assert!(stderr.contains("Invalid AES key length: 5 bytes"), "{stderr}");
    assert_clean(&output, &[SECRET]);

    project.write("in.yaml", b"a: \"1\"\n");
    let output = project
        .run(&["secure", "file", "encrypt", "AES", "CBC", KEY, "in.yaml", "out.properties"], &[]);
    assert!(expect_exit(&output, 1).starts_with("Invalid arguments\n"));
    let output = project.run(&["secure", "string", "encrypt", "aes", "CBC", KEY, SECRET], &[]);
    assert!(expect_exit(&output, 1).starts_with("Invalid arguments\n"));

    let output = project
        .run(&["secure", "string", "encrypt", "AES", "CBC", "env:NO_SUCH_KEY_VAR", SECRET], &[]);
    let stderr = expect_exit(&output, 1);
    assert!(stderr.contains("the key variable `NO_SUCH_KEY_VAR` is not set"), "{stderr}");
}

#[test]
fn file_mode_warns_about_mangled_lines_without_showing_values() {
    let project = Project::new("secure-cli-warnings");
    let yaml = format!(
        "list:\n  - {SECRET}\nblock: |\n  {SECRET}\ndb: [\n  {SECRET}\n]\nn: 5\nok: \"{SECRET}\"\n"
    );
    project.write("in.yaml", yaml.as_bytes());
    let output =
        project.run(&["secure", "file", "encrypt", "AES", "CBC", KEY, "in.yaml", "out.yaml"], &[]);
    let stderr = expect_exit(&output, 0);
    assert_clean(&output, &[SECRET]);
    let expected = [
        "warning: in.yaml:2: this YAML list item (`- ...`) has no `key: value` separator; \
         MuleSoft's tool drops it, and so does flowrun",
        "warning: in.yaml:3: `block` starts a block scalar (`|`); MuleSoft's tool encrypts the \
         indicator `|` as the value and not the block's lines, and so does flowrun",
        "warning: in.yaml:4: this line belongs to the block scalar of `block`; MuleSoft's tool \
         drops it, and so does flowrun",
        "warning: in.yaml:5: `db` opens a flow collection (`[`) over several lines; MuleSoft's \
         tool encrypts the opening line as one string, and so does flowrun",
        "warning: in.yaml:6: this line belongs to the flow collection of `db`; MuleSoft's tool \
         drops it, and so does flowrun",
        "warning: in.yaml:7: this line belongs to the flow collection of `db`; MuleSoft's tool \
         drops it, and so does flowrun",
        "warning: in.yaml:8: the value of `n` is a YAML number; encrypted it becomes a string, \
         so decrypting the file gives it back in double quotes, as MuleSoft's tool does",
        "warning: out.yaml: the output does not have the keys of the input: it lost `db.0`, \
         `list.0`",
    ];
    assert_eq!(stderr.lines().collect::<Vec<_>>(), expected, "{stderr}");
    let decrypted = project
        .run(&["secure", "file", "decrypt", "AES", "CBC", KEY, "out.yaml", "back.yaml"], &[]);
    expect_exit(&decrypted, 0);
    assert!(project.read("back.yaml").contains("n: \"5\"\n"));

    let properties = format!("a={SECRET}\\\n  {SECRET}\nd : {SECRET}\nok={SECRET}\n");
    project.write("in.properties", properties.as_bytes());
    let output = project.run(
        &["secure", "file", "encrypt", "AES", "CBC", KEY, "in.properties", "out.properties"],
        &[],
    );
    let stderr = expect_exit(&output, 0);
    assert_clean(&output, &[SECRET]);
    let expected = [
        "warning: in.properties:1: the value of `a` continues on the next line (`\\`); \
         MuleSoft's tool encrypts only this line's part, backslash included, and so does flowrun",
        "warning: in.properties:2: this line continues the value of `a`; MuleSoft's tool drops \
         it, and so does flowrun",
        "warning: in.properties:3: `d` uses `:` as its separator; MuleSoft's tool splits only at \
         `=` and drops the line, and so does flowrun",
    ];
    assert_eq!(stderr.lines().collect::<Vec<_>>(), expected, "{stderr}");
}

#[test]
fn tool_files_load_in_an_app_yaml_and_properties() {
    let project = Project::new("secure-cli-files");
    let yaml = "db:\n  user: \"admin\"\n  password: \"s3cr3t-Plaintext-42\"\nnote: \"caf\u{e9} \u{2713}\"\n";
    let properties = "db.user=admin\ndb.password=s3cr3t-Plaintext-42\nnote=caf\u{e9} \u{2713}\n";
    project.write("plain.yaml", yaml.as_bytes());
    project.write("plain.properties", properties.as_bytes());
    let env = [("FLOWRUN_SECURE_KEY", KEY)];
    for (method, input, output, file_level) in [
        ("file", "plain.yaml", "v.yaml", false),
        ("file", "plain.properties", "v.properties", false),
        ("file-level", "plain.yaml", "fl.yaml", true),
        ("file-level", "plain.properties", "fl.properties", true),
    ] {
        project.ok(
            &[
                "secure",
                method,
                "encrypt",
                "Blowfish",
                "OFB",
                "-",
                input,
                output,
                "--use-random-iv",
            ],
            &env,
        );
        let written = project.read(output);
        assert!(!written.contains(SECRET), "{output} holds the plaintext");
        if file_level {
            assert!(!written.ends_with('\n'), "file-level output is one line without a newline");
        } else if output.ends_with(".yaml") {
            assert!(written.contains("password: \"!["), "values are quoted in YAML: {written}");
        }

        let config =
            SecureConfig { file: output, file_level, ..SecureConfig::new("Blowfish", "OFB") };
        let app = project.app(
            &[config.random_iv()],
            &[
                ("u", "${secure::db.user}"),
                ("p", "${secure::db.password}"),
                ("n", "${secure::note}"),
            ],
        );
        let vars = project.call(&app, &["-Dk=".to_owned() + KEY]);
        assert_eq!(vars["u"], "admin", "{output}");
        assert_eq!(vars["p"], SECRET, "{output}");
        assert_eq!(vars["n"], "caf\u{e9} \u{2713}", "{output}");

        let back = format!("back-{output}");
        project.ok(
            &[
                "secure",
                method,
                "decrypt",
                "Blowfish",
                "OFB",
                "-",
                output,
                &back,
                "--use-random-iv",
            ],
            &env,
        );
        let original = if input.ends_with(".yaml") { yaml } else { properties };
        assert_eq!(project.read(&back), original, "{method} decrypt of {output}");
    }
}

#[test]
fn several_configs_env_file_names_and_env_keys() {
    let project = Project::new("secure-cli-configs");
    let dev = encrypted_yaml(
        Algorithm::Aes,
        Mode::Cbc,
        KEY,
        &[("shared", "from-dev"), ("only.dev", "dev-value")],
    );
    let prod = encrypted_yaml(
        Algorithm::Aes,
        Mode::Cbc,
        KEY,
        &[("shared", "from-prod"), ("only.dev", "prod-value")],
    );
    project.write("dev-secure.yaml", dev.as_bytes());
    project.write("prod-secure.yaml", prod.as_bytes());
    let blowfish_key = "another key";
    let common = format!(
        "shared={}\ncommon.pw={}\n",
        value(Algorithm::Blowfish, Mode::Ecb, blowfish_key, "from-common"),
        value(Algorithm::Blowfish, Mode::Ecb, blowfish_key, SECRET)
    );
    project.write("common-secure.properties", common.as_bytes());
    let first = SecureConfig { file: "${env}-secure.yaml", ..SecureConfig::new("AES", "CBC") };
    let second = SecureConfig {
        name: "Common",
        file: "common-secure.properties",
        key: "${COMMON_SECURE_KEY}",
        ..SecureConfig::new("Blowfish", "ECB")
    };
    let vars =
        [("s", "${secure::shared}"), ("d", "${secure::only.dev}"), ("c", "${secure::common.pw}")];
    let app = project.app_with(
        r#"<global-property name="env" value="dev"/>"#,
        &[first.xml(), second.xml()],
        &vars,
    );
    let env = [("COMMON_SECURE_KEY", blowfish_key)];

    let got = project.call_env(&app, &["-Dk=".to_owned() + KEY], &env);
    assert_eq!(
        (got["s"].as_str(), got["d"].as_str(), got["c"].as_str()),
        (Some("from-dev"), Some("dev-value"), Some(SECRET))
    );

    let got = project.call_env(&app, &["-Dk=".to_owned() + KEY, "-Denv=prod".to_owned()], &env);
    assert_eq!((got["s"].as_str(), got["d"].as_str()), (Some("from-prod"), Some("prod-value")));

    // The key from an environment variable for the first config too.
    let got = project.call_env(&app, &[], &[("k", KEY), ("COMMON_SECURE_KEY", blowfish_key)]);
    assert_eq!(got["s"], "from-dev");

    // A system property named `secure::shared` overrides the file, as a deployment property
    // does in Mule.
    let got = project.call_env(
        &app,
        &["-Dk=".to_owned() + KEY, "-Dsecure::shared=override".to_owned()],
        &env,
    );
    assert_eq!(got["s"], "override");
}

#[test]
fn secure_values_nest_and_plain_files_are_not_decrypted() {
    let project = Project::new("secure-cli-nesting");
    let secure = format!(
        "user: \"{}\"\nurl: \"{}\"\n",
        value(Algorithm::Aes, Mode::Cbc, KEY, "admin"),
        value(Algorithm::Aes, Mode::Cbc, KEY, "db://${secure::user}@host")
    );
    project.write("s.yaml", secure.as_bytes());
    let wrapped = value(Algorithm::Aes, Mode::Cbc, KEY, "x");
    project.write("plain.yaml", format!("wrapped: \"{wrapped}\"\n").as_bytes());
    let app = project.app_with(
        r#"<configuration-properties file="plain.yaml"/>"#,
        &[SecureConfig::new("AES", "CBC").xml()],
        &[("url", "${secure::url}"), ("wrapped", "${wrapped}")],
    );
    let vars = project.call(&app, &["-Dk=".to_owned() + KEY]);
    assert_eq!(vars["url"], "db://admin@host");
    assert_eq!(vars["wrapped"], wrapped.as_str());
}

#[test]
fn plain_values_give_one_warning_naming_the_file() {
    let project = Project::new("secure-cli-plain");
    let text = format!(
        "a: \"plain\"\nb: \"also plain\"\nc: \"{}\"\nd: \"{} \"\n",
        value(Algorithm::Aes, Mode::Cbc, KEY, SECRET),
        value(Algorithm::Aes, Mode::Cbc, KEY, "trailing space makes it plain")
    );
    project.write("s.yaml", text.as_bytes());
    let app = project.app(
        &[SecureConfig::new("AES", "CBC").xml()],
        &[("a", "${secure::a}"), ("c", "${secure::c}")],
    );
    let output = project.run(&["call", &app, "--flow", "f", &format!("-Dk={KEY}")], &[]);
    let stderr = expect_exit(&output, 0);
    let warning = "warning: Secure Properties file has non-encrypted values. Check file '";
    assert_eq!(stderr.matches(warning).count(), 1, "{stderr}");
    assert!(
        stderr.contains("s.yaml'. Remember to encrypt properties or use file-level encryption"),
        "{stderr}"
    );
    let vars = vars_of(&output);
    assert_eq!((vars["a"].as_str(), vars["c"].as_str()), (Some("plain"), Some(SECRET)));
}

#[test]
fn mismatched_random_iv_setting_behaves_like_mule() {
    let project = Project::new("secure-cli-ivs");
    let text =
        format!("pw: \"{}\"\n", value(Algorithm::Aes, Mode::Cbc, KEY, "verylongpassword123"));
    project.write("s.yaml", text.as_bytes());
    let app =
        project.app(&[SecureConfig::new("AES", "CBC").random_iv()], &[("pw", "${secure::pw}")]);
    // Mule reads the first block as the IV and returns the rest without complaint.
    assert_eq!(project.call(&app, &["-Dk=".to_owned() + KEY])["pw"], "123");
}

/// One bad input: the files, the config, the flow's placeholders, the arguments, and what the
/// message must say.
struct Bad {
    name: &'static str,
    files: Vec<(&'static str, Vec<u8>)>,
    configs: Vec<String>,
    uses: &'static str,
    args: Vec<String>,
    expected: Vec<&'static str>,
}

#[test]
fn bad_input_fails_validate_with_one_clear_message() {
    let project = Project::new("secure-cli-bad");
    let good = format!("db:\n  pw: \"{}\"\n", value(Algorithm::Aes, Mode::Cbc, KEY, SECRET));
    let aes = || SecureConfig::new("AES", "CBC");
    let key_arg = || vec![format!("-Dk={KEY}")];
    let file_level = |text: String| -> Vec<u8> { text.into_bytes() };
    let sealed_file = crypto::encode_base64(
        &crypto::encrypt(
            Algorithm::Aes,
            Mode::Cbc,
            KEY.as_bytes(),
            false,
            format!("pw: \"{SECRET}\"\n").as_bytes(),
        )
        .expect("encrypts"),
    );
    let unpadded = sealed_file.trim_end_matches('=').to_owned();
    assert_ne!(unpadded, sealed_file, "the test needs a file whose Base64 has padding");
    let full = value(Algorithm::Aes, Mode::Cbc, KEY, SECRET);
    let truncated = format!("{}]", &full[..full.len() - 8]);
    let short_iv = format!("![{}]", crypto::encode_base64(&[7u8; 8]));

    let cases = vec![
        Bad {
            name: "wrong key",
            files: vec![("s.yaml", good.clone().into_bytes())],
            configs: vec![aes().xml()],
            uses: "${secure::db.pw}",
            args: vec!["-Dk=MyEncryptionKey2".into()],
            expected: vec![
                "error: cannot decrypt `db.pw` in `",
                "s.yaml`: Given final block not properly padded",
            ],
        },
        Bad {
            name: "wrong key for several values",
            files: vec![(
                "s.yaml",
                format!(
                    "{good}  user: \"{}\"\n  host: \"{}\"\n",
                    value(Algorithm::Aes, Mode::Cbc, KEY, "u"),
                    value(Algorithm::Aes, Mode::Cbc, KEY, "h")
                )
                .into_bytes(),
            )],
            configs: vec![aes().xml()],
            uses: "x",
            args: vec!["-Dk=MyEncryptionKey2".into()],
            expected: vec![
                "error: cannot decrypt `db.pw` in `",
                "= 2 more values of this file do not decrypt either: `db.user`, `db.host`",
            ],
        },
        Bad {
            name: "wrong mode",
            files: vec![("s.yaml", good.clone().into_bytes())],
            configs: vec![SecureConfig::new("AES", "CFB").xml()],
            uses: "${secure::db.pw}",
            args: key_arg(),
            expected: vec![
                "error: cannot decrypt `db.pw` in `",
                "s.yaml`: Given final block not properly padded",
            ],
        },
        Bad {
            name: "wrong key length",
            files: vec![("s.yaml", good.clone().into_bytes())],
            configs: vec![aes().xml()],
            uses: "x",
            args: vec!["-Dk=MyEncryptionKey12".into()],
            expected: vec![
                "error: the key of `S` for `s.yaml` does not fit AES: Invalid AES key length: 17 bytes",
                "AES keys are 16, 24 or 32 bytes",
                "Mule would start and fail at the first use",
            ],
        },
        Bad {
            name: "key below Mule's minimum",
            files: vec![("s.yaml", good.clone().into_bytes())],
            configs: vec![aes().xml()],
            uses: "x",
            args: vec!["-Dk=short".into()],
            expected: vec![
                "for `s.yaml` does not fit AES: You need to increment your key size. The minimum allowed key size is: 16, but your key size is: 5",
            ],
        },
        Bad {
            name: "non-ASCII key: 16 chars, 21 bytes",
            files: vec![("s.yaml", good.clone().into_bytes())],
            configs: vec![aes().xml()],
            uses: "x",
            args: vec!["-Dk=äöü€123456789012".into()],
            expected: vec!["does not fit AES: Invalid AES key length: 21 bytes"],
        },
        Bad {
            name: "DES key of 9 bytes",
            files: vec![("s.yaml", good.clone().into_bytes())],
            configs: vec![SecureConfig::new("DES", "CBC").xml()],
            uses: "x",
            args: vec!["-Dk=123456789".into()],
            expected: vec!["does not fit DES: Wrong key size", "DES keys are exactly 8 bytes"],
        },
        Bad {
            name: "DESede key of 16 bytes",
            files: vec![("s.yaml", good.clone().into_bytes())],
            configs: vec![SecureConfig::new("DESede", "CBC").xml()],
            uses: "x",
            args: key_arg(),
            expected: vec!["does not fit DESede: Wrong key size"],
        },
        Bad {
            name: "Blowfish key of 57 bytes",
            files: vec![("s.yaml", good.clone().into_bytes())],
            configs: vec![SecureConfig::new("Blowfish", "CBC").xml()],
            uses: "x",
            args: vec![format!("-Dk={}", "k".repeat(57))],
            expected: vec!["does not fit Blowfish: Key too long (> 448 bits)"],
        },
        Bad {
            name: "RC2 key of 4 bytes",
            files: vec![("s.yaml", good.clone().into_bytes())],
            configs: vec![SecureConfig::new("RC2", "CBC").xml()],
            uses: "x",
            args: vec!["-Dk=abcd".into()],
            expected: vec!["does not fit RC2: RC2 key length must be between 40 and 1024 bit"],
        },
        Bad {
            name: "unknown mode",
            files: vec![("s.yaml", good.clone().into_bytes())],
            configs: vec![SecureConfig::new("AES", "cbc").xml()],
            uses: "x",
            args: key_arg(),
            expected: vec!["error: unknown mode `cbc`: expected CBC, CFB, ECB, OFB or GCM"],
        },
        Bad {
            name: "the docs' RCA",
            files: vec![("s.yaml", good.clone().into_bytes())],
            configs: vec![SecureConfig::new("RCA", "CBC").xml()],
            uses: "x",
            args: key_arg(),
            expected: vec!["error: unknown algorithm `RCA`: expected one of AES, Blowfish"],
        },
        Bad {
            name: "an algorithm a plain JDK lacks",
            files: vec![("s.yaml", good.clone().into_bytes())],
            configs: vec![SecureConfig::new("Camellia", "CBC").xml()],
            uses: "x",
            args: key_arg(),
            expected: vec!["error: algorithm `Camellia` is not supported"],
        },
        Bad {
            name: "GCM with Blowfish",
            files: vec![("s.yaml", good.clone().into_bytes())],
            configs: vec![SecureConfig::new("Blowfish", "GCM").xml()],
            uses: "x",
            args: key_arg(),
            expected: vec![
                "error: mode `GCM` is a flowrun extension that works only with AES, not with `Blowfish`",
            ],
        },
        Bad {
            name: "useRandomIVs not a boolean",
            files: vec![("s.yaml", good.clone().into_bytes())],
            configs: vec![aes().xml().replace("mode=\"CBC\"", "mode=\"CBC\" useRandomIVs=\"yes\"")],
            uses: "x",
            args: key_arg(),
            expected: vec!["error: `useRandomIVs` must be `true` or `false`, not `yes`"],
        },
        Bad {
            name: "unsupported encoding",
            files: vec![("s.yaml", good.clone().into_bytes())],
            configs: vec![aes().xml().replace("key=", "encoding=\"UTF-16\" key=")],
            uses: "x",
            args: key_arg(),
            expected: vec!["error: unsupported encoding `UTF-16`"],
        },
        Bad {
            name: "file in another encoding",
            files: vec![("s.properties", b"name=Jos\xe9\n".to_vec())],
            configs: vec![SecureConfig { file: "s.properties", ..aes() }.xml()],
            uses: "x",
            args: key_arg(),
            expected: vec![
                "s.properties` is not valid UTF-8 text (line 1)",
                "set `encoding` on the config",
            ],
        },
        Bad {
            name: "truncated ciphertext",
            files: vec![("s.yaml", format!("db:\n  pw: \"{truncated}\"\n").into_bytes())],
            configs: vec![aes().xml()],
            uses: "x",
            args: key_arg(),
            expected: vec![
                "error: cannot decrypt `db.pw` in `",
                "s.yaml`: Input length must be multiple of 16 when decrypting with padded cipher",
            ],
        },
        Bad {
            name: "non-Base64 ciphertext",
            files: vec![("s.properties", b"db.pw=![not*base64]\n".to_vec())],
            configs: vec![SecureConfig { file: "s.properties", ..aes() }.xml()],
            uses: "x",
            args: key_arg(),
            expected: vec![
                "error: cannot decrypt `db.pw` in `",
                "s.properties`: Bad Base64 input character at 3: 42(decimal)",
            ],
        },
        Bad {
            name: "random-IV value shorter than its IV",
            files: vec![("s.yaml", format!("db:\n  pw: \"{short_iv}\"\n").into_bytes())],
            configs: vec![aes().random_iv()],
            uses: "x",
            args: key_arg(),
            expected: vec![
                "error: cannot decrypt `db.pw` in `",
                "s.yaml`: Could not encrypt or decrypt the data.",
            ],
        },
        Bad {
            name: "file-level file with a trailing newline",
            files: vec![("s.yaml", file_level(format!("{sealed_file}\n")))],
            configs: vec![SecureConfig { file_level: true, ..aes() }.xml()],
            uses: "x",
            args: key_arg(),
            expected: vec![
                "error: cannot decode file-level encrypted `",
                "s.yaml`: Input byte array has incorrect ending byte at",
                "remove it (for example `truncate -s -1 FILE`)",
            ],
        },
        Bad {
            name: "file-level file without padding and with a trailing newline",
            files: vec![("s.yaml", file_level(format!("{unpadded}\n")))],
            configs: vec![SecureConfig { file_level: true, ..aes() }.xml()],
            uses: "x",
            args: key_arg(),
            expected: vec!["s.yaml`: Illegal base64 character a"],
        },
        Bad {
            name: "file-level file with the wrong key",
            files: vec![("s.yaml", file_level(sealed_file.clone()))],
            configs: vec![SecureConfig { file_level: true, ..aes() }.xml()],
            uses: "x",
            args: vec!["-Dk=MyEncryptionKey2".into()],
            expected: vec![
                "error: cannot decrypt file-level encrypted `",
                "s.yaml`: Given final block not properly padded",
            ],
        },
        Bad {
            name: "unquoted ![...] in YAML",
            files: vec![("s.yaml", format!("db:\n  pw: {full}\n").into_bytes())],
            configs: vec![aes().xml()],
            uses: "x",
            args: key_arg(),
            expected: vec![
                "error: the value of `pw` in `",
                "s.yaml` is an unquoted `![...]`, which YAML reads as a tag: write it in double quotes",
            ],
        },
        Bad {
            name: "a number in a secure YAML file",
            files: vec![("s.yaml", b"port: 8081\n".to_vec())],
            configs: vec![aes().xml()],
            uses: "x",
            args: key_arg(),
            expected: vec![
                "YAML configuration properties only supports string values, make sure to wrap the value with \" so you force the value to be an string. Offending property is port in `",
            ],
        },
        Bad {
            name: "missing secure file",
            files: vec![],
            configs: vec![SecureConfig { file: "missing.yaml", ..aes() }.xml()],
            uses: "x",
            args: key_arg(),
            expected: vec!["error: file `missing.yaml` not found", "looked in"],
        },
        Bad {
            name: "wrong extension",
            files: vec![("s.txt", good.clone().into_bytes())],
            configs: vec![SecureConfig { file: "s.txt", ..aes() }.xml()],
            uses: "x",
            args: key_arg(),
            expected: vec!["s.txt must end with yaml or properties extension"],
        },
        Bad {
            name: "key placeholder without a value",
            files: vec![("s.yaml", good.clone().into_bytes())],
            configs: vec![SecureConfig { key: "${no.such.key}", ..aes() }.xml()],
            uses: "x",
            args: vec![],
            expected: vec![
                "error: Couldn't find configuration property value for key ${no.such.key}",
            ],
        },
        Bad {
            name: "file name from another properties file",
            files: vec![
                ("s.yaml", good.clone().into_bytes()),
                ("env.yaml", b"env: \"s\"\n".to_vec()),
            ],
            configs: vec![
                r#"<configuration-properties file="env.yaml"/>"#.to_owned(),
                SecureConfig { file: "${env}.yaml", ..aes() }.xml(),
            ],
            uses: "x",
            args: key_arg(),
            expected: vec!["error: Couldn't find configuration property value for key ${env}"],
        },
        Bad {
            name: "key from another properties file",
            files: vec![
                ("s.yaml", good.clone().into_bytes()),
                ("keys.yaml", b"the.key: \"MyEncryptionKey1\"\n".to_vec()),
            ],
            configs: vec![
                r#"<configuration-properties file="keys.yaml"/>"#.to_owned(),
                SecureConfig { key: "${the.key}", ..aes() }.xml(),
            ],
            uses: "x",
            args: vec![],
            expected: vec!["error: Couldn't find configuration property value for key ${the.key}"],
        },
        Bad {
            name: "unknown secure property",
            files: vec![("s.yaml", good.clone().into_bytes())],
            configs: vec![aes().xml()],
            uses: "${secure::db.password}",
            args: key_arg(),
            expected: vec![
                "error: Couldn't find configuration property value for key ${secure::db.password}",
            ],
        },
        Bad {
            name: "secure value without the prefix",
            files: vec![("s.yaml", good.clone().into_bytes())],
            configs: vec![aes().xml()],
            uses: "${db.pw}",
            args: key_arg(),
            expected: vec!["error: Couldn't find configuration property value for key ${db.pw}"],
        },
        Bad {
            name: "no default-value syntax",
            files: vec![("s.yaml", good.clone().into_bytes())],
            configs: vec![aes().xml()],
            uses: "${secure::db.pw2:fallback}",
            args: key_arg(),
            expected: vec![
                "error: Couldn't find configuration property value for key ${secure::db.pw2:fallback}",
            ],
        },
        Bad {
            name: "missing file attribute",
            files: vec![],
            configs: vec![aes().xml().replace("file=\"s.yaml\"", "")],
            uses: "x",
            args: key_arg(),
            expected: vec![
                "error: missing required attribute `file` on `secure-properties:config`",
            ],
        },
    ];

    // `flowrun run` loads the same way and stops before serving anything.
    project.write("s.yaml", good.as_bytes());
    let app = project.app(&[aes().xml()], &[("v", "${secure::db.pw}")]);
    let output = project.run(&["run", &app, "-Dk=MyEncryptionKey2"], &[]);
    let stderr = expect_exit(&output, 2);
    assert!(stderr.contains("cannot decrypt `db.pw` in `"), "{stderr}");
    assert_clean(&output, &[SECRET, "MyEncryptionKey2"]);

    let mut failures = Vec::new();
    for case in &cases {
        if let Err(failure) = check_bad(&project, case) {
            failures.push(format!("{}: {failure}", case.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

fn check_bad(project: &Project, case: &Bad) -> Result<(), String> {
    let case_dir = project.dir.0.join(case.name.replace(|c: char| !c.is_ascii_alphanumeric(), "-"));
    std::fs::create_dir_all(&case_dir).map_err(|err| err.to_string())?;
    for (name, bytes) in &case.files {
        std::fs::write(case_dir.join(name), bytes).map_err(|err| err.to_string())?;
    }
    let app = case_dir.join("app.xml");
    std::fs::write(&app, app_xml("", &case.configs, &[("v", case.uses)]))
        .map_err(|err| err.to_string())?;
    let mut args = vec!["validate".to_owned(), app.to_string_lossy().into_owned()];
    args.extend(case.args.iter().cloned());
    let output =
        flowrun().current_dir(&case_dir).args(&args).output().map_err(|err| err.to_string())?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.code() != Some(2) {
        return Err(format!("exit {:?}, not 2:\n{stderr}", output.status.code()));
    }
    if !stderr.contains("error: the app did not load: 1 error\n") {
        return Err(format!("not exactly one error:\n{stderr}"));
    }
    for expected in &case.expected {
        if !stderr.contains(expected) {
            return Err(format!("no `{expected}` in:\n{stderr}"));
        }
    }
    let key = case.args.iter().find_map(|arg| arg.strip_prefix("-Dk=")).unwrap_or(KEY);
    for forbidden in [SECRET, key, KEY, "panicked"] {
        if stderr.contains(forbidden) || String::from_utf8_lossy(&output.stdout).contains(forbidden)
        {
            return Err(format!("the output shows `{forbidden}`:\n{stderr}"));
        }
    }
    Ok(())
}

/// One `<secure-properties:config>`.
#[derive(Clone, Copy)]
struct SecureConfig {
    name: &'static str,
    file: &'static str,
    key: &'static str,
    algorithm: &'static str,
    mode: &'static str,
    file_level: bool,
}

impl SecureConfig {
    fn new(algorithm: &'static str, mode: &'static str) -> SecureConfig {
        SecureConfig { name: "S", file: "s.yaml", key: "${k}", algorithm, mode, file_level: false }
    }

    fn xml(&self) -> String {
        self.xml_with("")
    }

    fn random_iv(&self) -> String {
        self.xml_with(r#" useRandomIVs="true""#)
    }

    fn xml_with(&self, extra: &str) -> String {
        let SecureConfig { name, file, key, algorithm, mode, file_level } = self;
        format!(
            r#"<secure-properties:config name="{name}" file="{file}" key="{key}" fileLevelEncryption="{file_level}">
    <secure-properties:encrypt algorithm="{algorithm}" mode="{mode}"{extra}/>
  </secure-properties:config>"#
        )
    }
}

/// An app with secure configs and one flow `f` that sets a variable per placeholder.
fn app_xml(globals: &str, configs: &[String], vars: &[(&str, &str)]) -> String {
    let steps: String = vars
        .iter()
        .map(|(name, value)| {
            format!("\n    <set-variable variableName=\"{name}\" value=\"{value}\"/>")
        })
        .collect();
    format!(
        r#"<mule xmlns="http://www.mulesoft.org/schema/mule/core"
      xmlns:secure-properties="http://www.mulesoft.org/schema/mule/secure-properties">
  {globals}
  {}
  <flow name="f">{steps}
  </flow>
</mule>
"#,
        configs.join("\n  ")
    )
}

/// `![Base64]` for a value, as MuleSoft's tool writes it (fixed IV).
fn value(algorithm: Algorithm, mode: Mode, key: &str, plaintext: &str) -> String {
    crypto::encrypt_value(algorithm, mode, key.as_bytes(), false, plaintext)
        .expect("valid test key")
}

fn encrypted_yaml(algorithm: Algorithm, mode: Mode, key: &str, pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(name, plain)| format!("{name}: \"{}\"\n", value(algorithm, mode, key, plain)))
        .collect()
}

/// A folder for one test's files, where `flowrun` runs.
struct Project {
    dir: TempDir,
}

impl Project {
    fn new(tag: &str) -> Project {
        Project { dir: TempDir::new(tag) }
    }

    fn write(&self, name: &str, bytes: &[u8]) {
        std::fs::write(self.dir.0.join(name), bytes).expect("write a test file");
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.0.join(name)).expect("read a test file")
    }

    fn app(&self, configs: &[String], vars: &[(&str, &str)]) -> String {
        self.app_with("", configs, vars)
    }

    fn app_with(&self, globals: &str, configs: &[String], vars: &[(&str, &str)]) -> String {
        self.write("app.xml", app_xml(globals, configs, vars).as_bytes());
        "app.xml".to_owned()
    }

    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut command = flowrun();
        command.current_dir(&self.dir.0).args(args).env_remove("FLOWRUN_SECURE_KEY");
        for (name, value) in env {
            command.env(name, value);
        }
        command.output().expect("run the flowrun binary")
    }

    /// Runs a command that must succeed; returns its stdout.
    fn ok(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        let output = self.run(args, env);
        expect_exit(&output, 0);
        String::from_utf8(output.stdout).expect("UTF-8 stdout")
    }

    fn call(&self, app: &str, args: &[String]) -> serde_json::Value {
        self.call_env(app, args, &[])
    }

    /// `flowrun call APP --flow f ARGS`; returns the variables.
    fn call_env(&self, app: &str, args: &[String], env: &[(&str, &str)]) -> serde_json::Value {
        let mut all = vec!["call", app, "--flow", "f"];
        all.extend(args.iter().map(String::as_str));
        let output = self.run(&all, env);
        expect_exit(&output, 0);
        vars_of(&output)
    }
}

fn vars_of(output: &Output) -> serde_json::Value {
    let message: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("`flowrun call` prints JSON");
    message["vars"].clone()
}

/// Asserts the exit code and returns stderr.
fn expect_exit(output: &Output, code: i32) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(code), "stderr:\n{stderr}");
    stderr
}

/// Neither stdout nor stderr shows any of `secrets`.
fn assert_clean(output: &Output, secrets: &[&str]) {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    for secret in secrets {
        assert!(!text.contains(secret), "the output shows `{secret}`:\n{text}");
    }
}

#[test]
fn logs_mask_secrets_written_as_json_the_key_and_secure_overrides() {
    let project = Project::new("secure-cli-masking");
    let password = r#"pa"ss\wörd/1"#;
    let secure = encrypted_yaml(Algorithm::Aes, Mode::Cbc, KEY, &[("pw", password)]);
    project.write("s.yaml", secure.as_bytes());
    let app = format!(
        r##"<mule xmlns="http://www.mulesoft.org/schema/mule/core"
      xmlns:secure-properties="http://www.mulesoft.org/schema/mule/secure-properties">
  {}
  <flow name="f">
    <logger message="#[write({{pw: p('secure::pw')}}, 'application/json')]"/>
    <logger message="key ${{k}}"/>
    <logger message="override ${{secure::other}}"/>
    <set-variable variableName="length" value="#[sizeOf(p('secure::pw'))]"/>
  </flow>
</mule>
"##,
        SecureConfig::new("AES", "CBC").xml()
    );
    project.write("app.xml", app.as_bytes());
    let args =
        ["call", "app.xml", "--flow", "f", &format!("-Dk={KEY}"), "-Dsecure::other=OverridePW1"];
    let output = project.run(&args, &[]);
    let stderr = expect_exit(&output, 0);
    // `p('secure::name')` reads the secure value, as Mule documents.
    assert_eq!(vars_of(&output)["length"], password.chars().count());
    assert!(stderr.contains(r#""pw": "****""#), "{stderr}");
    assert!(stderr.contains("key ****"), "{stderr}");
    assert!(stderr.contains("override ****"), "{stderr}");
    let escaped = r#"pa\"ss\\wörd/1"#;
    for secret in [password, escaped, KEY, "OverridePW1"] {
        assert!(!stderr.contains(secret), "the log shows `{secret}`:\n{stderr}");
    }
}
