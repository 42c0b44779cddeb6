//! The JDK oracle for the secure-properties cipher: every supported algorithm × mode × kind of
//! plaintext × fixed or random IV, checked against `javax.crypto` run the way Mule runs it.
//!
//! The test compiles `tests/jdk/SecureOracle.java` with `javac` into a temporary directory,
//! sends the whole table to one `java` process and compares each answer with ours:
//! ciphertexts with a fixed IV (or a given "random" IV) must be equal byte for byte, Java must
//! decrypt our random-IV output and we must decrypt Java's, and key-length, padding and length
//! errors must carry the JDK's messages. A JDK 17 or later is required; without one the test
//! fails and says how to install it.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use flowrun_plugins::secure_properties::crypto::{self, Algorithm, Mode};

const INSTALL_HINT: &str = "the secure-properties JDK oracle needs `javac` and `java` 17 or \
    later on PATH; install a JDK (Debian/Ubuntu: `apt-get install openjdk-17-jdk-headless`)";

/// One line for the oracle and what we expect it to answer.
struct Case {
    request: String,
    expected: Expected,
}

enum Expected {
    /// Java's answer must equal this line.
    Line(String),
    /// Java encrypted with a random IV; we must decrypt its answer to these bytes.
    DecryptsTo { algorithm: Algorithm, mode: Mode, key: Vec<u8>, plaintext: Vec<u8> },
}

#[test]
fn cipher_matches_the_jdk() {
    let mut cases = Vec::new();
    for algorithm in
        [Algorithm::Aes, Algorithm::Blowfish, Algorithm::Des, Algorithm::DesEde, Algorithm::Rc2]
    {
        for key in keys_for(algorithm) {
            for mode in [Mode::Cbc, Mode::Cfb, Mode::Ecb, Mode::Ofb] {
                for plaintext in plaintexts_for(algorithm) {
                    push_round_trip_cases(&mut cases, algorithm, mode, &key, &plaintext);
                }
            }
        }
    }
    push_error_cases(&mut cases);

    let answers = ask_oracle(&cases);
    let mut failures = Vec::new();
    for (case, answer) in cases.iter().zip(&answers) {
        if let Some(failure) = judge(case, answer) {
            failures.push(failure);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} oracle cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
    );
}

fn keys_for(algorithm: Algorithm) -> Vec<Vec<u8>> {
    let texts: Vec<String> = match algorithm {
        Algorithm::Aes => vec![
            "1234567890123456".into(),
            "MyEncryptionKey1".into(),
            "123456789012345678901234".into(),
            "12345678901234567890123456789012".into(),
            // 16 bytes of UTF-8 in 11 chars.
            "äöü€1234567".into(),
        ],
        Algorithm::Blowfish => vec![
            "a".into(),
            "ab".into(),
            "abc".into(),
            "mulesoft".into(),
            "MyMuleSoftKey".into(),
            "0123456789abcdef".repeat(4)[..56].to_owned(),
        ],
        Algorithm::Des => vec!["12345678".into(), "mulesoft".into()],
        // The second key is degenerate (K1 = K2 = K3), which the JDK accepts.
        Algorithm::DesEde => {
            vec!["123456789012345678901234".into(), "abcdefghabcdefghabcdefgh".into()]
        }
        _ => vec![
            "12345".into(),
            "mulesoft".into(),
            "1234567890123456".into(),
            "0123456789abcdef".repeat(8),
        ],
    };
    texts.into_iter().map(String::into_bytes).collect()
}

/// Empty, short, exactly one block, several blocks and non-ASCII text.
fn plaintexts_for(algorithm: Algorithm) -> Vec<Vec<u8>> {
    let block_size = algorithm.block_size();
    let long = "The mule carries secrets across the mountain pass. ";
    vec![
        Vec::new(),
        b"abc".to_vec(),
        b"0123456789abcdef"[..block_size].to_vec(),
        long.as_bytes()[..2 * block_size + 5].to_vec(),
        "äöü€ ключ 🔑 naïve".as_bytes().to_vec(),
    ]
}

fn push_round_trip_cases(
    cases: &mut Vec<Case>,
    algorithm: Algorithm,
    mode: Mode,
    key: &[u8],
    plaintext: &[u8],
) {
    let prefix = format!("{algorithm} {mode} {}", hex(key));
    let ours = |result: Result<Vec<u8>, crypto::Error>| answer_encrypt(result);

    // Fixed IV: identical ciphertext.
    let fixed = crypto::encrypt(algorithm, mode, key, false, plaintext);
    cases.push(Case {
        request: format!("ENC {prefix} 0 {}", hex(plaintext)),
        expected: Expected::Line(ours(fixed.clone())),
    });

    // Random IV given by us: identical IV ‖ ciphertext.
    let iv: Vec<u8> = (0..algorithm.block_size()).map(|idx| 0xa0 + idx as u8).collect();
    cases.push(Case {
        request: format!("ENC {prefix} 1 {} {}", hex(plaintext), hex(&iv)),
        expected: Expected::Line(ours(crypto::encrypt_with_iv(
            algorithm, mode, key, &iv, plaintext,
        ))),
    });

    // Our random IV, decrypted by Java.
    let random = crypto::encrypt(algorithm, mode, key, true, plaintext).expect("valid test key");
    cases.push(Case {
        request: format!("DEC {prefix} 1 {}", base64_arg(&random)),
        expected: Expected::Line(format!("OK {}", hex_or_empty(plaintext))),
    });

    // Java's random IV, decrypted by us.
    cases.push(Case {
        request: format!("ENC {prefix} 1 {}", hex(plaintext)),
        expected: Expected::DecryptsTo {
            algorithm,
            mode,
            key: key.to_vec(),
            plaintext: plaintext.to_vec(),
        },
    });

    // A fixed-IV value read with random IVs, and with a wrong key: same result or same error.
    let fixed = fixed.expect("valid test key");
    let mut wrong_key = key.to_vec();
    if let Some(last) = wrong_key.last_mut() {
        *last ^= 1;
    }
    for (use_random_iv, key) in [(true, key), (false, wrong_key.as_slice())] {
        let flag = u8::from(use_random_iv);
        let decrypted = crypto::decrypt(algorithm, mode, key, use_random_iv, &fixed);
        cases.push(Case {
            request: format!("DEC {algorithm} {mode} {} {flag} {}", hex(key), base64_arg(&fixed)),
            expected: Expected::Line(answer_decrypt(decrypted.map(|bytes| bytes.to_vec()))),
        });
    }
}

/// Wrong key lengths and ciphertext lengths, for the JDK's exact messages.
fn push_error_cases(cases: &mut Vec<Case>) {
    let key_cases: [(Algorithm, &[usize]); 5] = [
        (Algorithm::Aes, &[15, 17, 31, 33]),
        (Algorithm::Blowfish, &[57]),
        (Algorithm::Des, &[7, 9, 16]),
        (Algorithm::DesEde, &[16, 23, 25, 32]),
        (Algorithm::Rc2, &[4, 129]),
    ];
    for (algorithm, lengths) in key_cases {
        for &length in lengths {
            let key = vec![b'k'; length];
            let result = crypto::encrypt(algorithm, Mode::Cbc, &key, false, b"x");
            cases.push(Case {
                request: format!("ENC {algorithm} CBC {} 0 78", hex(&key)),
                expected: Expected::Line(answer_encrypt(result)),
            });
        }
    }
    let non_ascii_key = "äöü€12345".as_bytes();
    cases.push(Case {
        request: format!("ENC AES CBC {} 0 78", hex(non_ascii_key)),
        expected: Expected::Line(answer_encrypt(crypto::encrypt(
            Algorithm::Aes,
            Mode::Cbc,
            non_ascii_key,
            false,
            b"x",
        ))),
    });
    for (algorithm, ciphertext) in
        [(Algorithm::Aes, vec![7u8; 15]), (Algorithm::Blowfish, vec![7u8; 12])]
    {
        let key = keys_for(algorithm).swap_remove(0);
        let result = crypto::decrypt(algorithm, Mode::Cbc, &key, false, &ciphertext);
        cases.push(Case {
            request: format!("DEC {algorithm} CBC {} 0 {}", hex(&key), base64_arg(&ciphertext)),
            expected: Expected::Line(answer_decrypt(result.map(|bytes| bytes.to_vec()))),
        });
    }
}

fn judge(case: &Case, answer: &str) -> Option<String> {
    match &case.expected {
        Expected::Line(expected) if answer == expected => None,
        Expected::Line(expected) => {
            Some(format!("{}\n  java: {answer}\n  ours: {expected}", case.request))
        }
        Expected::DecryptsTo { algorithm, mode, key, plaintext } => {
            let Some(base64_text) = answer.strip_prefix("OK ") else {
                return Some(format!("{}\n  java failed: {answer}", case.request));
            };
            let decrypted = crypto::decode_base64_strict(base64_text.as_bytes())
                .map_err(crypto::Error::from)
                .and_then(|bytes| crypto::decrypt(*algorithm, *mode, key, true, &bytes));
            match decrypted {
                Ok(bytes) if bytes.as_slice() == plaintext.as_slice() => None,
                Ok(bytes) => Some(format!("{}\n  we decrypted {}", case.request, hex(&bytes))),
                Err(error) => Some(format!("{}\n  we failed: {error}", case.request)),
            }
        }
    }
}

/// Compiles the oracle and runs the whole table through one JVM.
fn ask_oracle(cases: &[Case]) -> Vec<String> {
    let requests: Vec<String> = cases.iter().map(|case| case.request.clone()).collect();
    oracle(&requests)
}

/// Compiles the oracle and sends it `requests` (one line each, see `SecureOracle.java`) in one
/// JVM; returns one answer per request.
pub fn oracle(requests: &[String]) -> Vec<String> {
    let class_dir = compile_oracle();
    let mut child = Command::new("java")
        .arg("-cp")
        .arg(&class_dir)
        .arg("SecureOracle")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot run `java` ({error}): {INSTALL_HINT}"));

    let mut input = String::new();
    for request in requests {
        input.push_str(request);
        input.push('\n');
    }
    let mut stdin = child.stdin.take().expect("piped stdin");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let stdout = child.stdout.take().expect("piped stdout");
    let answers: Vec<String> =
        BufReader::new(stdout).lines().map(|line| line.expect("oracle output")).collect();
    writer.join().expect("writer thread").expect("write to the oracle");
    let status = child.wait().expect("wait for the oracle");

    let _ = std::fs::remove_dir_all(&class_dir);
    assert!(status.success(), "the oracle exited with {status}");
    assert_eq!(answers.len(), requests.len(), "the oracle answered a different number of lines");
    answers
}

fn compile_oracle() -> PathBuf {
    // Tests run in parallel and each removes its own class directory when done.
    static N_COMPILED: AtomicUsize = AtomicUsize::new(0);
    let n_compiled = N_COMPILED.fetch_add(1, Ordering::Relaxed);
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/jdk/SecureOracle.java");
    let class_dir = std::env::temp_dir()
        .join(format!("flowrun-secure-oracle-{}-{n_compiled}", std::process::id()));
    std::fs::create_dir_all(&class_dir).expect("create the oracle's class directory");
    let output = Command::new("javac")
        .arg("-d")
        .arg(&class_dir)
        .arg(&source)
        .output()
        .unwrap_or_else(|error| panic!("cannot run `javac` ({error}): {INSTALL_HINT}"));
    assert!(
        output.status.success(),
        "javac failed on {}:\n{}",
        source.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    class_dir
}

/// Our answer in the oracle's format.
fn answer_encrypt(result: Result<Vec<u8>, crypto::Error>) -> String {
    match result {
        Ok(bytes) => format!("OK {}", crypto::encode_base64(&bytes)),
        Err(error) => format!("ERR {error}"),
    }
}

fn answer_decrypt(result: Result<Vec<u8>, crypto::Error>) -> String {
    match result {
        Ok(bytes) => format!("OK {}", hex_or_empty(&bytes)),
        Err(error) => format!("ERR {error}"),
    }
}

/// Hex for a request field: `-` stands for no bytes.
pub fn hex(bytes: &[u8]) -> String {
    if bytes.is_empty() { "-".to_owned() } else { hex_or_empty(bytes) }
}

pub fn hex_or_empty(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut text, byte| {
        let _ = write!(text, "{byte:02x}");
        text
    })
}

fn base64_arg(bytes: &[u8]) -> String {
    if bytes.is_empty() { "-".to_owned() } else { crypto::encode_base64(bytes) }
}
