//! Base64 and the `![...]` wrapper of secure property values, decoded the two ways Mule does.
//!
//! Part of [`crate::secure_properties`]: the cipher in [`crate::secure_properties::crypto`]
//! works on bytes, and this module turns them into file text and back.
//!
//! Mule decodes with two different decoders, and users see both:
//!
//! - [`decode_base64_strict`] is `java.util.Base64.getDecoder()`, used by MuleSoft's tool and
//!   by file-level encryption: no whitespace, and the JDK's error messages;
//! - [`decode_base64_lenient`] is Mule's runtime decoder for `![...]` values
//!   (`org.mule.runtime.core.api.util.Base64`, iHarder 2.x): it skips whitespace and tolerates
//!   missing padding.
//!
//! Encoding is always standard Base64 with padding and no line breaks ([`encode_base64`]).
//! As in [`crate::secure_properties::crypto`], error texts are the JDK's and Mule's, verbatim.

use base64::Engine as _;

/// Why Base64 text could not be decoded, in the words of the decoder Mule uses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[allow(missing_docs, reason = "each variant's message, Mule's or the JDK's words, documents it")]
pub enum Error {
    /// `java.util.Base64` (strict) errors, with the JDK's text.
    #[error("Input byte[] should at least have 2 bytes for base64 bytes")]
    TooShort,
    #[error("Illegal base64 character {0}")]
    IllegalCharacter(String),
    #[error("Input byte array has wrong 4-byte ending unit")]
    WrongEndingUnit,
    #[error("Last unit does not have enough valid bits")]
    DanglingUnit,
    #[error("Input byte array has incorrect ending byte at {0}")]
    IncorrectEndingByte(usize),
    /// Mule's own lenient decoder (`org.mule.runtime.core.api.util.Base64`), with its text.
    #[error("Bad Base64 input character at {index}: {byte}(decimal)")]
    BadInputCharacter { index: usize, byte: i8 },
}

/// True when Mule treats the whole value as encrypted: it starts with `![` and ends with `]`.
/// A trailing space after `]` makes it plain text, as in Mule.
pub fn is_encrypted(value: &str) -> bool {
    value.starts_with("![") && value.ends_with(']')
}

/// The text inside `![...]`, or `None` when the value is not encrypted.
pub fn unwrap_encrypted(value: &str) -> Option<&str> {
    if !is_encrypted(value) {
        return None;
    }
    Some(&value[2..value.len() - 1])
}

/// Wraps Base64 text as an encrypted value: `![text]`.
pub fn wrap_encrypted(base64_text: &str) -> String {
    format!("![{base64_text}]")
}

/// Standard Base64 with `=` padding and no line breaks, as `java.util.Base64.getEncoder()`.
pub fn encode_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes like `java.util.Base64.getDecoder().decode(byte[])`, which the tool and file-level
/// encryption use: no whitespace, padding optional but checked when present, leftover bits
/// ignored. Errors carry the JDK's messages.
///
/// # Errors
///
/// Any character outside the alphabet, bad padding, or input after the padding.
pub fn decode_base64_strict(input: &[u8]) -> Result<Vec<u8>, Error> {
    if input.is_empty() {
        return Ok(Vec::new());
    }
    if input.len() < 2 {
        return Err(Error::TooShort);
    }

    let mut output = Vec::with_capacity(input.len() / 4 * 3 + 2);
    let mut bits: u32 = 0;
    let mut shift: i32 = 18;
    let mut pos = 0;
    while pos < input.len() {
        let byte = input[pos];
        pos += 1;
        let Some(sextet) = sextet_of(byte) else {
            if byte != b'=' {
                return Err(Error::IllegalCharacter(java_signed_hex(byte)));
            }
            // `xx=` must be followed by a second `=`; a lone `=` may not start a unit.
            let pair_missing = shift == 6 && (pos == input.len() || input[pos] != b'=');
            if pair_missing || shift == 18 {
                return Err(Error::WrongEndingUnit);
            }
            if shift == 6 {
                pos += 1;
            }
            break;
        };
        bits |= u32::from(sextet) << shift;
        shift -= 6;
        if shift < 0 {
            output.extend_from_slice(&[(bits >> 16) as u8, (bits >> 8) as u8, bits as u8]);
            shift = 18;
            bits = 0;
        }
    }

    match shift {
        6 => output.push((bits >> 16) as u8),
        0 => output.extend_from_slice(&[(bits >> 16) as u8, (bits >> 8) as u8]),
        12 => return Err(Error::DanglingUnit),
        _ => {}
    }
    if pos < input.len() {
        return Err(Error::IncorrectEndingByte(pos));
    }
    Ok(output)
}

/// [`decode_base64_strict`] for text, which Java first turns into ISO-8859-1 bytes (a char
/// outside Latin-1 becomes `?`).
///
/// # Errors
///
/// As [`decode_base64_strict`].
pub fn decode_base64_strict_str(text: &str) -> Result<Vec<u8>, Error> {
    let latin1: Vec<u8> =
        text.chars().map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?')).collect();
    decode_base64_strict(&latin1)
}

/// Decodes like Mule's runtime (`org.mule.runtime.core.api.util.Base64.decode`, iHarder 2.x)
/// does for `![...]` values: it skips space, tab, CR and LF, looks at the low 7 bits of each
/// UTF-8 byte only, stops at a `=` that completes a quartet and tolerates missing padding.
///
/// FIXME: Mule also gunzips the decoded bytes when they start with `1f 8b` and form a valid
/// gzip stream. A real ciphertext practically never does, so we skip it; a user who gzipped
/// ciphertext on purpose would get a padding error. The fix is a gzip check with `flate2`.
///
/// # Errors
///
/// [`Error::BadInputCharacter`] with Mule's byte index and signed byte value.
pub fn decode_base64_lenient(text: &str) -> Result<Vec<u8>, Error> {
    // Canonical Base64, which is what encoders write, decodes the same in every decoder; the
    // table-driven one is several times faster than the byte-by-byte loop below.
    if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(text) {
        return Ok(bytes);
    }
    let mut output = Vec::with_capacity(text.len() / 4 * 3 + 3);
    let mut quartet = [0u8; 4];
    let mut n_held = 0;
    for (byte_idx, &raw) in text.as_bytes().iter().enumerate() {
        let cropped = raw & 0x7f;
        let is_whitespace = matches!(cropped, b' ' | b'\t' | b'\r' | b'\n');
        let is_symbol = cropped == b'=' || sextet_of(cropped).is_some();
        if is_whitespace {
            continue;
        }
        if !is_symbol {
            return Err(Error::BadInputCharacter { index: byte_idx, byte: raw as i8 });
        }
        quartet[n_held] = cropped;
        n_held += 1;
        if n_held == 4 {
            decode_mule_quartet(&quartet, &mut output);
            n_held = 0;
            if cropped == b'=' {
                break;
            }
        }
    }

    if n_held > 0 {
        quartet[n_held..].fill(b'=');
        decode_mule_quartet(&quartet, &mut output);
    }
    Ok(output)
}

/// The 6-bit value of a standard Base64 letter.
fn sextet_of(byte: u8) -> Option<u8> {
    match byte {
        b'A'..=b'Z' => Some(byte - b'A'),
        b'a'..=b'z' => Some(byte - b'a' + 26),
        b'0'..=b'9' => Some(byte - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// `Integer.toString(byte, 16)` on a signed Java byte: 0xe9 prints as `-17`.
fn java_signed_hex(byte: u8) -> String {
    let signed = i32::from(byte as i8);
    if signed < 0 { format!("-{:x}", -signed) } else { format!("{signed:x}") }
}

/// iHarder's `decode4to3`, including what it does with misplaced `=` (its table value -1,
/// read as 0xff), so odd input decodes to the same odd bytes as in Mule.
fn decode_mule_quartet(quartet: &[u8; 4], output: &mut Vec<u8>) {
    let value = |byte: u8| u32::from(sextet_of(byte).unwrap_or(0xff));
    let bits = (value(quartet[0]) << 18) | (value(quartet[1]) << 12);
    if quartet[2] == b'=' {
        output.push((bits >> 16) as u8);
        return;
    }
    let bits = bits | (value(quartet[2]) << 6);
    if quartet[3] == b'=' {
        output.extend_from_slice(&[(bits >> 16) as u8, (bits >> 8) as u8]);
        return;
    }
    let bits = bits | value(quartet[3]);
    output.extend_from_slice(&[(bits >> 16) as u8, (bits >> 8) as u8, bits as u8]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_base64_matches_the_jdk() {
        assert_eq!(decode_base64_strict(b"QUJD"), Ok(b"ABC".to_vec()));
        assert_eq!(decode_base64_strict(b"QUI"), Ok(b"AB".to_vec()));
        assert_eq!(decode_base64_strict(b"QUI="), Ok(b"AB".to_vec()));
        assert_eq!(decode_base64_strict(b"QQ"), Ok(b"A".to_vec()));
        let error = |input: &[u8]| decode_base64_strict(input).expect_err("bad input").to_string();
        assert_eq!(error(b"QU JD"), "Illegal base64 character 20");
        assert_eq!(error(b"QUJD\n"), "Illegal base64 character a");
        assert_eq!(error(b"QUI=\n"), "Input byte array has incorrect ending byte at 4");
        assert_eq!(error(b"QUJD\xe9"), "Illegal base64 character -17");
        assert_eq!(error(b"Q"), "Input byte[] should at least have 2 bytes for base64 bytes");
        assert_eq!(error(b"QQ=A"), "Input byte array has wrong 4-byte ending unit");
        assert_eq!(error(b"QUJDQ"), "Last unit does not have enough valid bits");
        assert_eq!(decode_base64_strict_str("QUJ€"), Err(Error::IllegalCharacter("3f".into())));
    }

    #[test]
    fn lenient_base64_matches_mule() {
        assert_eq!(decode_base64_lenient("QU JD\r\n\tRA"), Ok(b"ABCD".to_vec()));
        assert_eq!(decode_base64_lenient("QUI="), Ok(b"AB".to_vec()));
        assert_eq!(decode_base64_lenient("QUI=garbage"), Ok(b"AB".to_vec()));
        assert_eq!(
            decode_base64_lenient("QUJD!").map_err(|error| error.to_string()),
            Err("Bad Base64 input character at 4: 33(decimal)".to_owned())
        );
        // Only the low 7 bits count: U+00C1 is c3 81, read as `C` and a bad byte 0x01.
        assert_eq!(
            decode_base64_lenient("QUJDÁ").map_err(|error| error.to_string()),
            Err("Bad Base64 input character at 5: -127(decimal)".to_owned())
        );
    }

    #[test]
    fn values_wrap() {
        assert!(is_encrypted("![abc]"));
        assert!(is_encrypted("![]"));
        assert!(!is_encrypted("![abc] "));
        assert!(!is_encrypted("abc"));
        assert_eq!(unwrap_encrypted("![abc]"), Some("abc"));
        assert_eq!(unwrap_encrypted("[abc]"), None);
        assert_eq!(wrap_encrypted("abc"), "![abc]");
    }
}
