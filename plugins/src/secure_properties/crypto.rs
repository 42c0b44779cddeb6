//! The cipher of Mule's secure configuration properties, byte for byte: key bytes, IV rule,
//! padding and modes. The Base64 and `![...]` helpers of [`crate::secure_properties::encoding`]
//! are re-exported here, so one import covers a whole encrypt or decrypt.
//!
//! This sits under both the `flowrun secure` command ([`crate::secure_properties::tool`]) and the
//! runtime's `${secure::name}` lookups. It follows section 0 of the secure-properties spec, which
//! copies Mule's `JCEEncrypter`:
//!
//! - the key bytes are the key string's UTF-8 bytes, with no hashing, padding or truncation;
//! - the transformation is `<ALG>/<MODE>/PKCS5Padding`, so every mode pads, CFB and OFB included,
//!   and CFB/OFB feed back a whole block (CFB128/OFB128 for AES, CFB64/OFB64 for the others);
//! - ECB has no IV; otherwise the IV is the first block of the key bytes, zero-filled when the key
//!   is shorter, or, with `use_random_iv`, a random block written in front of the ciphertext.
//!
//! [`Mode::Gcm`] is a flowrun extension that Mule cannot read: AES-GCM with a random 12-byte
//! nonce in front of the ciphertext and the 16-byte tag after it. Unlike the Mule modes it detects
//! a wrong key or a changed value instead of returning garbage.
//!
//! Errors never contain the key or any plaintext. Where users compare our messages with Mule's
//! (key sizes, padding, Base64), the [`Error`] text is Mule's or the JDK's, verbatim, capital
//! letter and trailing period included; that is the one place we depart from lowercase messages.
//!
//! ```
//! use flowrun_plugins::secure_properties::crypto::{self, Algorithm, Mode};
//!
//! let key = b"mulesoft";
//! let ciphertext =
//!     crypto::encrypt(Algorithm::Blowfish, Mode::Cbc, key, false, b"Max the mule").unwrap();
//! assert_eq!(crypto::encode_base64(&ciphertext), "En8lII21ZHrdIaINw0+mSA==");
//! let plaintext = crypto::decrypt(Algorithm::Blowfish, Mode::Cbc, key, false, &ciphertext).unwrap();
//! assert_eq!(plaintext.as_slice(), b"Max the mule");
//! ```

use std::fmt;
use std::str::FromStr;

use aes::{Aes128, Aes192, Aes256};
use aes_gcm::aead::consts::U12;
use aes_gcm::aead::rand_core::RngCore;
use aes_gcm::aead::{Aead, OsRng};
use aes_gcm::{AesGcm, KeyInit};
use blowfish::Blowfish;
use cipher::{Block, BlockCipher, BlockDecryptMut, BlockEncryptMut, BlockSizeUser, InnerIvInit};
use des::{Des, TdesEde3};
use rc2::Rc2;
use zeroize::Zeroizing;

use flowrun_engine::secret::Secret;

use crate::secure_properties::encoding;
pub use crate::secure_properties::encoding::{
    decode_base64_lenient, decode_base64_strict, decode_base64_strict_str, encode_base64,
    is_encrypted, unwrap_encrypted, wrap_encrypted,
};

/// The algorithm names of Mule's `EncryptionAlgorithm` enum, spelled (and matched) exactly as
/// Mule spells them.
///
/// Only AES, Blowfish, DES, DESede and RC2 work: they are the ones a plain JDK provides. The
/// others parse, so configuration errors name them properly, and then fail with
/// [`Error::UnsupportedAlgorithm`], as they fail in Mule without a BouncyCastle provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs, reason = "each variant is the Mule algorithm of the same name")]
pub enum Algorithm {
    Aes,
    Blowfish,
    Des,
    DesEde,
    Rc2,
    Camellia,
    Cast5,
    Cast6,
    Noekeon,
    Rijndael,
    Seed,
    Serpent,
    Skipjack,
    Tea,
    Twofish,
    Xtea,
    Rc5,
    Rc6,
    Rsa,
}

/// A block cipher mode: Mule's `EncryptionMode` names (case-sensitive), plus flowrun's `GCM`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs, reason = "each variant is the Mule mode of the same name")]
pub enum Mode {
    Cbc,
    Cfb,
    Ecb,
    Ofb,
    /// AES-GCM, a flowrun extension that Mule cannot read (see the module docs).
    Gcm,
}

/// Why encryption, decryption or decoding failed. No variant carries key or plaintext bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[allow(missing_docs, reason = "each variant's message, Mule's or the JDK's words, documents it")]
pub enum Error {
    #[error("unknown algorithm `{0}`: expected one of {names}", names = Algorithm::NAMES.join(", "))]
    UnknownAlgorithm(String),
    #[error("unknown mode `{0}`: expected CBC, CFB, ECB, OFB or GCM")]
    UnknownMode(String),
    #[error(
        "algorithm `{0}` is not supported: it needs a JCE provider that a plain JDK lacks; \
         use AES, Blowfish, DES, DESede or RC2"
    )]
    UnsupportedAlgorithm(Algorithm),
    #[error("mode `GCM` is a flowrun extension that works only with AES, not with `{0}`")]
    GcmNeedsAes(Algorithm),
    /// Mule's start-up check, which counts the key's Java chars (UTF-16 units).
    #[error(
        "You need to increment your key size. The minimum allowed key size is: {min}, \
         but your key size is: {actual}"
    )]
    KeyTooShort { min: usize, actual: usize },
    /// The JDK's `SecretKeySpec` refuses an empty key.
    #[error("Empty key")]
    EmptyKey,
    #[error("Invalid AES key length: {0} bytes")]
    InvalidAesKeyLength(usize),
    #[error("Key too long (> 448 bits)")]
    BlowfishKeyTooLong,
    /// DES needs exactly 8 bytes and DESede exactly 24.
    #[error("Wrong key size")]
    WrongKeySize,
    #[error("RC2 key length must be between 40 and 1024 bit")]
    Rc2KeyLength,
    /// What a wrong key, mode or IV setting usually gives.
    #[error(
        "Given final block not properly padded. Such issues can arise if a bad key is used \
         during decryption."
    )]
    BadPadding,
    #[error("Input length must be multiple of {0} when decrypting with padded cipher")]
    InputLengthNotMultiple(usize),
    /// A random-IV value shorter than the IV; Mule reports only its generic message here.
    #[error("Could not encrypt or decrypt the data.")]
    MissingIv,
    #[error("GCM value is too short: it needs a 12-byte nonce and a 16-byte tag")]
    GcmTooShort,
    #[error("GCM authentication failed: the value was changed, or the key is wrong")]
    GcmAuthentication,
    /// Base64 that the JDK or Mule would refuse.
    #[error(transparent)]
    Base64(#[from] encoding::Error),
}

/// The result type of this module.
pub type Result<T> = std::result::Result<T, Error>;

impl Algorithm {
    /// Every name, in the order of Mule's enum.
    pub const NAMES: [&'static str; 19] = [
        "AES", "Blowfish", "DES", "DESede", "Camellia", "CAST5", "CAST6", "Noekeon", "Rijndael",
        "SEED", "Serpent", "Skipjack", "TEA", "Twofish", "XTEA", "RC2", "RC5", "RC6", "RSA",
    ];

    const ALL: [Algorithm; 19] = [
        Algorithm::Aes,
        Algorithm::Blowfish,
        Algorithm::Des,
        Algorithm::DesEde,
        Algorithm::Camellia,
        Algorithm::Cast5,
        Algorithm::Cast6,
        Algorithm::Noekeon,
        Algorithm::Rijndael,
        Algorithm::Seed,
        Algorithm::Serpent,
        Algorithm::Skipjack,
        Algorithm::Tea,
        Algorithm::Twofish,
        Algorithm::Xtea,
        Algorithm::Rc2,
        Algorithm::Rc5,
        Algorithm::Rc6,
        Algorithm::Rsa,
    ];

    /// Parses a name exactly as Mule's `Enum.valueOf` does: case-sensitive, no aliases.
    pub fn from_name(name: &str) -> Option<Algorithm> {
        let idx = Algorithm::NAMES.iter().position(|candidate| *candidate == name)?;
        Some(Algorithm::ALL[idx])
    }

    /// The name as Mule spells it.
    pub fn name(self) -> &'static str {
        let idx = Algorithm::ALL.iter().position(|candidate| *candidate == self);
        Algorithm::NAMES[idx.expect("every algorithm is in ALL")]
    }

    /// The minimum key length, in Java chars, of Mule's start-up check.
    pub fn min_key_chars(self) -> usize {
        match self {
            Algorithm::Blowfish
            | Algorithm::Cast5
            | Algorithm::Cast6
            | Algorithm::Rc2
            | Algorithm::Rc5
            | Algorithm::Rc6 => 1,
            Algorithm::Des | Algorithm::Twofish => 8,
            _ => 16,
        }
    }

    /// True for the algorithms flowrun can run.
    pub fn is_supported(self) -> bool {
        matches!(
            self,
            Algorithm::Aes
                | Algorithm::Blowfish
                | Algorithm::Des
                | Algorithm::DesEde
                | Algorithm::Rc2
        )
    }

    /// The cipher's block size in bytes (16 for AES, 8 for the other supported ones).
    pub fn block_size(self) -> usize {
        if self == Algorithm::Aes { 16 } else { 8 }
    }
}

impl FromStr for Algorithm {
    type Err = Error;

    fn from_str(name: &str) -> Result<Algorithm> {
        Algorithm::from_name(name).ok_or_else(|| Error::UnknownAlgorithm(name.to_owned()))
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Mode {
    /// Parses a mode name, case-sensitive like Mule's enum (`cbc` is not a mode).
    pub fn from_name(name: &str) -> Option<Mode> {
        match name {
            "CBC" => Some(Mode::Cbc),
            "CFB" => Some(Mode::Cfb),
            "ECB" => Some(Mode::Ecb),
            "OFB" => Some(Mode::Ofb),
            "GCM" => Some(Mode::Gcm),
            _ => None,
        }
    }

    /// The name as Mule spells it.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Cbc => "CBC",
            Mode::Cfb => "CFB",
            Mode::Ecb => "ECB",
            Mode::Ofb => "OFB",
            Mode::Gcm => "GCM",
        }
    }
}

impl FromStr for Mode {
    type Err = Error;

    fn from_str(name: &str) -> Result<Mode> {
        Mode::from_name(name).ok_or_else(|| Error::UnknownMode(name.to_owned()))
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Encrypts `plaintext` exactly as Mule's `JCEEncrypter` does.
///
/// With `use_random_iv` the output is a random IV followed by the ciphertext; ECB ignores the
/// flag, as Mule does. [`Mode::Gcm`] always uses a random nonce.
///
/// # Errors
///
/// An unsupported algorithm, or a key the JDK would refuse (see [`check_key`]).
pub fn encrypt(
    algorithm: Algorithm,
    mode: Mode,
    key: &[u8],
    use_random_iv: bool,
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    let engine = Engine::new(algorithm, mode, key)?;
    let block_size = algorithm.block_size();

    match mode {
        Mode::Gcm => gcm_seal(key, &random_bytes(GCM_NONCE_LEN), plaintext),
        Mode::Ecb => Ok(engine.encrypt(&[], plaintext)),
        _ if use_random_iv => {
            let iv = random_bytes(block_size);
            let mut output = iv.clone();
            output.extend(engine.encrypt(&iv, plaintext));
            Ok(output)
        }
        _ => Ok(engine.encrypt(&iv_from_key(key, block_size), plaintext)),
    }
}

/// Encrypts like [`encrypt`] with `use_random_iv`, but with a caller-chosen IV (or GCM nonce)
/// instead of a random one, so tests and oracles can reproduce the output. The result is `iv`
/// followed by the ciphertext; for ECB it is the ciphertext alone.
///
/// # Errors
///
/// As [`encrypt`]; an `iv` of the wrong length gives [`Error::MissingIv`].
pub fn encrypt_with_iv(
    algorithm: Algorithm,
    mode: Mode,
    key: &[u8],
    iv: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    let engine = Engine::new(algorithm, mode, key)?;
    let iv_len = if mode == Mode::Gcm { GCM_NONCE_LEN } else { algorithm.block_size() };
    if mode != Mode::Ecb && iv.len() != iv_len {
        return Err(Error::MissingIv);
    }

    match mode {
        Mode::Gcm => gcm_seal(key, iv, plaintext),
        Mode::Ecb => Ok(engine.encrypt(&[], plaintext)),
        _ => {
            let mut output = iv.to_vec();
            output.extend(engine.encrypt(iv, plaintext));
            Ok(output)
        }
    }
}

/// Decrypts what [`encrypt`] (or Mule) produced with the same settings.
///
/// Like the JDK, an empty ciphertext decrypts to nothing. A mismatched `use_random_iv` can
/// succeed with wrong output (a block dropped or a garbage block added), exactly as in Mule.
///
/// # Errors
///
/// As [`encrypt`], plus [`Error::BadPadding`] (usually a wrong key), a length that is not a
/// multiple of the block size, or, for GCM, a failed authentication.
pub fn decrypt(
    algorithm: Algorithm,
    mode: Mode,
    key: &[u8],
    use_random_iv: bool,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    Decrypter::new(algorithm, mode, key, use_random_iv)?.decrypt(ciphertext)
}

/// A cipher keyed once for many values with the same settings, as in a secure properties
/// file. Keying Blowfish costs as much as encrypting about 4 KB, so a file of many values
/// loads several times faster with one `Decrypter` than with [`decrypt`] per value.
pub struct Decrypter {
    algorithm: Algorithm,
    mode: Mode,
    use_random_iv: bool,
    key: Zeroizing<Vec<u8>>,
    engine: Engine,
}

impl Decrypter {
    /// Checks the settings and the key and keys the cipher.
    ///
    /// # Errors
    ///
    /// As [`encrypt`]: an unsupported algorithm or a key the JDK would refuse.
    pub fn new(
        algorithm: Algorithm,
        mode: Mode,
        key: &[u8],
        use_random_iv: bool,
    ) -> Result<Decrypter> {
        let engine = Engine::new(algorithm, mode, key)?;
        let key = Zeroizing::new(key.to_vec());
        Ok(Decrypter { algorithm, mode, use_random_iv, key, engine })
    }

    /// Decrypts one value, exactly as [`decrypt`] does.
    ///
    /// # Errors
    ///
    /// As [`decrypt`].
    pub fn decrypt(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let block_size = self.algorithm.block_size();
        let engine = &self.engine;

        match self.mode {
            Mode::Gcm => gcm_open(&self.key, ciphertext),
            Mode::Ecb => engine.decrypt(&[], ciphertext),
            _ if self.use_random_iv => {
                if ciphertext.len() < block_size {
                    return Err(Error::MissingIv);
                }
                let (iv, rest) = ciphertext.split_at(block_size);
                engine.decrypt(iv, rest)
            }
            _ => engine.decrypt(&iv_from_key(&self.key, block_size), ciphertext),
        }
    }

    /// Decrypts the Base64 text inside `![...]`, exactly as [`decrypt_value`] does.
    ///
    /// # Errors
    ///
    /// As [`decrypt_value`].
    pub fn decrypt_value(&self, base64_text: &str) -> Result<Secret> {
        let ciphertext = decode_base64_lenient(base64_text)?;
        let plaintext = self.decrypt(&ciphertext)?;
        Ok(Secret::new(into_text(plaintext)))
    }
}

/// Decrypted bytes as text, like Java's `new String(bytes)` with UTF-8: invalid sequences
/// become U+FFFD. Valid text (nearly always) takes over the buffer without a copy.
fn into_text(mut plaintext: Zeroizing<Vec<u8>>) -> String {
    match String::from_utf8(std::mem::take(&mut *plaintext)) {
        Ok(text) => text,
        Err(err) => {
            let bytes = Zeroizing::new(err.into_bytes());
            String::from_utf8_lossy(&bytes).into_owned()
        }
    }
}

/// The key checks the JDK makes when the cipher starts, with the JDK's messages: AES takes
/// 16, 24 or 32 bytes, Blowfish 1 to 56, DES 8, DESede 24 and RC2 5 to 128.
///
/// # Errors
///
/// The JDK's complaint about the key's length, or [`Error::UnsupportedAlgorithm`].
pub fn check_key(algorithm: Algorithm, key: &[u8]) -> Result<()> {
    let n_bytes = key.len();
    if n_bytes == 0 {
        return Err(Error::EmptyKey);
    }

    match algorithm {
        Algorithm::Aes if ![16, 24, 32].contains(&n_bytes) => {
            Err(Error::InvalidAesKeyLength(n_bytes))
        }
        Algorithm::Blowfish if n_bytes > 56 => Err(Error::BlowfishKeyTooLong),
        Algorithm::Des if n_bytes != 8 => Err(Error::WrongKeySize),
        Algorithm::DesEde if n_bytes != 24 => Err(Error::WrongKeySize),
        Algorithm::Rc2 if !(5..=128).contains(&n_bytes) => Err(Error::Rc2KeyLength),
        _ if !algorithm.is_supported() => Err(Error::UnsupportedAlgorithm(algorithm)),
        _ => Ok(()),
    }
}

/// Mule's start-up key check (`validateKeyLength`), which runs before any JDK check and
/// counts Java chars (UTF-16 units), not bytes: `äöü€12345` is 9 chars but 14 bytes.
///
/// Only the runtime makes this check; MuleSoft's tool goes straight to the JDK rules.
///
/// # Errors
///
/// [`Error::KeyTooShort`] with the minimum and the actual length.
pub fn check_min_key_size(algorithm: Algorithm, key: &str) -> Result<()> {
    let n_chars = key.encode_utf16().count();
    let min = algorithm.min_key_chars();
    if n_chars < min {
        return Err(Error::KeyTooShort { min, actual: n_chars });
    }
    Ok(())
}

/// Both key checks in Mule's order: first the runtime's minimum length in chars
/// ([`check_min_key_size`]), then the JDK's byte-length rule ([`check_key`]). Call it once when
/// a secure properties configuration starts, so a bad key fails early and with Mule's message.
///
/// # Errors
///
/// The first check that fails.
pub fn validate_key(algorithm: Algorithm, key: &str) -> Result<()> {
    check_min_key_size(algorithm, key)?;
    check_key(algorithm, key.as_bytes())
}

/// Encrypts a property value and wraps it as `![Base64]`, ready for a secure properties file.
///
/// # Errors
///
/// As [`encrypt`].
pub fn encrypt_value(
    algorithm: Algorithm,
    mode: Mode,
    key: &[u8],
    use_random_iv: bool,
    plaintext: &str,
) -> Result<String> {
    let ciphertext = encrypt(algorithm, mode, key, use_random_iv, plaintext.as_bytes())?;
    Ok(wrap_encrypted(&encode_base64(&ciphertext)))
}

/// Decrypts the Base64 text found inside `![...]` the way the runtime does: lenient Base64
/// ([`decode_base64_lenient`]), then the bytes read as UTF-8 with U+FFFD for invalid sequences.
///
/// # Errors
///
/// A bad Base64 character, or any error of [`decrypt`].
pub fn decrypt_value(
    algorithm: Algorithm,
    mode: Mode,
    key: &[u8],
    use_random_iv: bool,
    base64_text: &str,
) -> Result<Secret> {
    // Mule decodes the Base64 before it keys the cipher, so bad Base64 is reported first.
    let ciphertext = decode_base64_lenient(base64_text)?;
    let plaintext = decrypt(algorithm, mode, key, use_random_iv, &ciphertext)?;
    Ok(Secret::new(into_text(plaintext)))
}

/// A keyed cipher and the chaining mode to run it in. The chaining modes borrow the cipher,
/// so one keyed cipher serves every value of a file.
struct Engine {
    keyed: Keyed,
    chain: Chain,
}

/// One initialised block cipher.
enum Keyed {
    Aes128(Aes128),
    Aes192(Aes192),
    Aes256(Aes256),
    /// Boxed: Blowfish's S-boxes make it four times larger than the others.
    Blowfish(Box<Blowfish>),
    Des(Des),
    DesEde(TdesEde3),
    Rc2(Rc2),
    /// GCM keys its own cipher per call.
    Gcm,
}

/// The chaining modes that share the padded block machinery.
#[derive(Clone, Copy)]
enum Chain {
    Ecb,
    Cbc,
    Cfb,
    Ofb,
}

#[derive(Clone, Copy, PartialEq)]
enum Direction {
    Encrypt,
    Decrypt,
}

const GCM_NONCE_LEN: usize = 12;
const GCM_TAG_LEN: usize = 16;

/// Runs `$body` with `$cipher` bound to a reference to the concrete cipher inside a [`Keyed`].
macro_rules! with_cipher {
    ($keyed:expr, $cipher:ident => $body:expr) => {
        match $keyed {
            Keyed::Aes128($cipher) => $body,
            Keyed::Aes192($cipher) => $body,
            Keyed::Aes256($cipher) => $body,
            Keyed::Blowfish(boxed) => {
                let $cipher = &**boxed;
                $body
            }
            Keyed::Des($cipher) => $body,
            Keyed::DesEde($cipher) => $body,
            Keyed::Rc2($cipher) => $body,
            Keyed::Gcm => unreachable!("GCM values never reach the block chaining code"),
        }
    };
}

impl Engine {
    /// Checks the algorithm, mode and key in the order the JDK does, then keys the cipher.
    fn new(algorithm: Algorithm, mode: Mode, key: &[u8]) -> Result<Engine> {
        if key.is_empty() {
            return Err(Error::EmptyKey);
        }
        if !algorithm.is_supported() {
            return Err(Error::UnsupportedAlgorithm(algorithm));
        }
        if mode == Mode::Gcm && algorithm != Algorithm::Aes {
            return Err(Error::GcmNeedsAes(algorithm));
        }
        check_key(algorithm, key)?;

        let chain = match mode {
            Mode::Ecb => Chain::Ecb,
            Mode::Cfb => Chain::Cfb,
            Mode::Ofb => Chain::Ofb,
            Mode::Cbc | Mode::Gcm => Chain::Cbc,
        };
        let keyed = if mode == Mode::Gcm { Keyed::Gcm } else { Keyed::new(algorithm, key)? };
        Ok(Engine { keyed, chain })
    }

    fn encrypt(&self, iv: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let chain = self.chain;
        with_cipher!(&self.keyed, cipher => {
            let mut buffer = pad(plaintext, block_size_of(&cipher));
            run_chain(cipher, chain, iv, Direction::Encrypt, &mut buffer);
            buffer
        })
    }

    fn decrypt(&self, iv: &[u8], ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let chain = self.chain;
        with_cipher!(&self.keyed, cipher => {
            let block_size = block_size_of(&cipher);
            if !ciphertext.len().is_multiple_of(block_size) {
                return Err(Error::InputLengthNotMultiple(block_size));
            }
            let mut buffer = Zeroizing::new(ciphertext.to_vec());
            run_chain(cipher, chain, iv, Direction::Decrypt, &mut buffer);
            let n_plain = unpadded_len(&buffer, block_size)?;
            buffer.truncate(n_plain);
            Ok(buffer)
        })
    }
}

impl Keyed {
    /// Keys the cipher; [`check_key`] has already approved the key's length.
    fn new(algorithm: Algorithm, key: &[u8]) -> Result<Keyed> {
        let keyed = match algorithm {
            Algorithm::Aes => match key.len() {
                16 => Keyed::Aes128(Aes128::new_from_slice(key).map_err(|_| aes_length(key))?),
                24 => Keyed::Aes192(Aes192::new_from_slice(key).map_err(|_| aes_length(key))?),
                _ => Keyed::Aes256(Aes256::new_from_slice(key).map_err(|_| aes_length(key))?),
            },
            Algorithm::Blowfish => {
                // The JDK takes 1- to 3-byte Blowfish keys, the crate wants 4. The key schedule
                // cycles the key bytes, so repeating a short key gives the same subkeys. The IV
                // still comes from the original key bytes.
                let mut schedule_key = Zeroizing::new(key.to_vec());
                while schedule_key.len() < 4 {
                    schedule_key.extend_from_slice(key);
                }
                let cipher = Blowfish::new_from_slice(&schedule_key)
                    .map_err(|_| Error::BlowfishKeyTooLong)?;
                Keyed::Blowfish(Box::new(cipher))
            }
            Algorithm::Des => {
                Keyed::Des(Des::new_from_slice(key).map_err(|_| Error::WrongKeySize)?)
            }
            // Degenerate keys (K1 = K2 = K3) are accepted, as by the JDK.
            Algorithm::DesEde => {
                Keyed::DesEde(TdesEde3::new_from_slice(key).map_err(|_| Error::WrongKeySize)?)
            }
            // SunJCE, given a bare IV, uses the whole key length as RC2's effective key bits.
            Algorithm::Rc2 => Keyed::Rc2(Rc2::new_with_eff_key_len(key, key.len() * 8)),
            other => return Err(Error::UnsupportedAlgorithm(other)),
        };
        Ok(keyed)
    }
}

fn aes_length(key: &[u8]) -> Error {
    Error::InvalidAesKeyLength(key.len())
}

fn block_size_of<C: BlockSizeUser>(_cipher: &C) -> usize {
    C::block_size()
}

/// Runs one chaining mode over whole blocks, in place. `buffer` is a multiple of the block
/// size and `iv` is one block (ignored for ECB); both were checked by the callers.
fn run_chain<C>(cipher: C, chain: Chain, iv: &[u8], direction: Direction, buffer: &mut [u8])
where
    C: BlockCipher + BlockEncryptMut + BlockDecryptMut,
{
    let block_size = C::block_size();
    let blocks = buffer.chunks_exact_mut(block_size).map(Block::<C>::from_mut_slice);
    const IV_CHECKED: &str = "the IV is one block long";

    match (chain, direction) {
        (Chain::Ecb, Direction::Encrypt) => {
            let mut cipher = cipher;
            blocks.for_each(|block| cipher.encrypt_block_mut(block));
        }
        (Chain::Ecb, Direction::Decrypt) => {
            let mut cipher = cipher;
            blocks.for_each(|block| cipher.decrypt_block_mut(block));
        }
        (Chain::Cbc, Direction::Encrypt) => {
            let mut mode = cbc::Encryptor::inner_iv_slice_init(cipher, iv).expect(IV_CHECKED);
            blocks.for_each(|block| mode.encrypt_block_mut(block));
        }
        (Chain::Cbc, Direction::Decrypt) => {
            let mut mode = cbc::Decryptor::inner_iv_slice_init(cipher, iv).expect(IV_CHECKED);
            blocks.for_each(|block| mode.decrypt_block_mut(block));
        }
        (Chain::Cfb, Direction::Encrypt) => {
            let mut mode = cfb_mode::Encryptor::inner_iv_slice_init(cipher, iv).expect(IV_CHECKED);
            blocks.for_each(|block| mode.encrypt_block_mut(block));
        }
        (Chain::Cfb, Direction::Decrypt) => {
            let mut mode = cfb_mode::Decryptor::inner_iv_slice_init(cipher, iv).expect(IV_CHECKED);
            blocks.for_each(|block| mode.decrypt_block_mut(block));
        }
        // OFB is symmetric: both directions XOR the same key stream.
        (Chain::Ofb, _) => {
            let mut mode = ofb::OfbCore::inner_iv_slice_init(cipher, iv).expect(IV_CHECKED);
            blocks.for_each(|block| mode.encrypt_block_mut(block));
        }
    }
}

/// PKCS#5 padding: 1 to `block_size` bytes, each holding the padding length.
fn pad(data: &[u8], block_size: usize) -> Vec<u8> {
    let n_pad = block_size - data.len() % block_size;
    let mut buffer = Vec::with_capacity(data.len() + n_pad);
    buffer.extend_from_slice(data);
    buffer.resize(data.len() + n_pad, n_pad as u8);
    buffer
}

/// The length without PKCS#5 padding, checked as SunJCE checks it. Empty input is fine.
fn unpadded_len(buffer: &[u8], block_size: usize) -> Result<usize> {
    let Some(&last) = buffer.last() else {
        return Ok(0);
    };
    let n_pad = usize::from(last);
    if n_pad == 0 || n_pad > block_size || n_pad > buffer.len() {
        return Err(Error::BadPadding);
    }
    let start = buffer.len() - n_pad;
    if buffer[start..].iter().any(|&byte| byte != last) {
        return Err(Error::BadPadding);
    }
    Ok(start)
}

/// Mule's fixed IV: the first block of key bytes, zero-filled when the key is shorter.
fn iv_from_key(key: &[u8], block_size: usize) -> Zeroizing<Vec<u8>> {
    let mut iv = Zeroizing::new(vec![0u8; block_size]);
    let n_copied = key.len().min(block_size);
    iv[..n_copied].copy_from_slice(&key[..n_copied]);
    iv
}

fn random_bytes(len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    OsRng.fill_bytes(&mut bytes);
    bytes
}

fn gcm_seal(key: &[u8], nonce: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
    let sealed = match key.len() {
        16 => gcm_seal_with::<Aes128>(key, nonce, plaintext),
        24 => gcm_seal_with::<Aes192>(key, nonce, plaintext),
        _ => gcm_seal_with::<Aes256>(key, nonce, plaintext),
    };
    let mut output = nonce.to_vec();
    output.extend(sealed.map_err(|_| Error::GcmAuthentication)?);
    Ok(output)
}

fn gcm_seal_with<C>(key: &[u8], nonce: &[u8], plaintext: &[u8]) -> std::result::Result<Vec<u8>, ()>
where
    AesGcm<C, U12>: KeyInit + Aead,
{
    let aead = AesGcm::<C, U12>::new_from_slice(key).map_err(|_| ())?;
    aead.encrypt(nonce.into(), plaintext).map_err(|_| ())
}

fn gcm_open(key: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    if sealed.len() < GCM_NONCE_LEN + GCM_TAG_LEN {
        return Err(Error::GcmTooShort);
    }
    let (nonce, ciphertext) = sealed.split_at(GCM_NONCE_LEN);
    let opened = match key.len() {
        16 => gcm_open_with::<Aes128>(key, nonce, ciphertext),
        24 => gcm_open_with::<Aes192>(key, nonce, ciphertext),
        _ => gcm_open_with::<Aes256>(key, nonce, ciphertext),
    };
    opened.map(Zeroizing::new).map_err(|_| Error::GcmAuthentication)
}

fn gcm_open_with<C>(key: &[u8], nonce: &[u8], ciphertext: &[u8]) -> std::result::Result<Vec<u8>, ()>
where
    AesGcm<C, U12>: KeyInit + Aead,
{
    let aead = AesGcm::<C, U12>::new_from_slice(key).map_err(|_| ())?;
    aead.decrypt(nonce.into(), ciphertext).map_err(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The P4 plaintext: the docs' `example_in.yaml`, LF endings, final LF.
    const EXAMPLE_YAML: &str =
        "properties:\n  example1:\n    value: \"Muleman is here\"\n  example2: \"Max the mule\"\n";

    /// Encrypts with a fixed IV, compares the Base64, and decrypts back.
    fn check(algorithm: &str, mode: &str, key: &str, plaintext: &str, expected_base64: &str) {
        let algorithm: Algorithm = algorithm.parse().expect("test algorithm");
        let mode: Mode = mode.parse().expect("test mode");
        let key = key.as_bytes();
        let ciphertext =
            encrypt(algorithm, mode, key, false, plaintext.as_bytes()).expect("encrypt");
        assert_eq!(encode_base64(&ciphertext), expected_base64, "{algorithm}/{mode} {plaintext:?}");
        let decoded = decode_base64_strict(expected_base64.as_bytes()).expect("vector base64");
        let decrypted = decrypt(algorithm, mode, key, false, &decoded).expect("decrypt");
        assert_eq!(decrypted.as_slice(), plaintext.as_bytes());
    }

    fn decrypt_error(algorithm: Algorithm, mode: Mode, key: &str, base64_text: &str) -> String {
        let ciphertext = decode_base64_strict(base64_text.as_bytes()).expect("test base64");
        match decrypt(algorithm, mode, key.as_bytes(), false, &ciphertext) {
            Ok(_) => panic!("decrypting {base64_text} with a wrong setting succeeded"),
            Err(error) => error.to_string(),
        }
    }

    fn encrypt_error(algorithm: Algorithm, mode: Mode, key: &str) -> String {
        match encrypt(algorithm, mode, key.as_bytes(), false, b"x") {
            Ok(_) => panic!("{algorithm} accepted a {}-byte key", key.len()),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn public_vectors() {
        check(
            "Blowfish",
            "CBC",
            "mulesoft",
            "some value to encrypt",
            "8q5e1+jy0cND2iV2WPThahmz6XsDwB6Z",
        );
        check("Blowfish", "CBC", "mulesoft", "Muleman is here", "qCReIPK3jcqD7WR84ISSIQ==");
        check("Blowfish", "CBC", "mulesoft", "Max the mule", "En8lII21ZHrdIaINw0+mSA==");
        check(
            "Blowfish",
            "CBC",
            "mulesoft",
            EXAMPLE_YAML,
            "k/J1EHyxJagOcyQELoaqIDCzzKc1bLGJiHY2dv6jzuhtVpP1LTlgK3y8EH7OkK5iuuu8kik3P5dCDMixZXwn/\
             EV6xbUwLFKnEb4x1pUX6aopLP/KULm0pQ==",
        );
        check(
            "AES",
            "CBC",
            "MyEncryptionKey1",
            "bb458e566cba4e2ea5a826d27b46031a",
            "smzbg+aV2HbiC9Fv8KBsZpD5PlXiplsfhZ42RWNEbHhUeZ9ZIDftljUx6sYpuQ+b",
        );
        check("Blowfish", "CBC", "MyMuleSoftKey", "myUsernameLocal", "HbsuWJRjiubchmzQREGdsA==");
        check("Blowfish", "CBC", "MyMuleSoftKey", "myPasswordLocal", "zhoritn2db6Ud+9QuhyViQ==");
        check("Blowfish", "CBC", "MyMuleSoftKey", "myUsernameDev", "HbsuWJRjiuZZis+2oogkdQ==");
        check("Blowfish", "CBC", "MyMuleSoftKey", "myPasswordDev", "zhoritn2db6oII22158LPQ==");
    }

    #[test]
    fn empty_input_is_one_padding_block() {
        check("AES", "CBC", "1234567890123456", "", "BsV8no6a9yLYUT6rbu2PdA==");
        let empty = decrypt(Algorithm::Aes, Mode::Cbc, b"1234567890123456", false, &[]);
        assert_eq!(empty.expect("empty ciphertext").as_slice(), b"");
    }

    #[test]
    fn plaintext_is_utf8() {
        check("AES", "CBC", "1234567890123456", "äöü€", "j3NsA+ZmivQ/z5VLkcFHdw==");
    }

    #[test]
    fn wrong_key_reports_bad_padding() {
        let error = decrypt_error(
            Algorithm::Blowfish,
            Mode::Cbc,
            "notmulesoft",
            "En8lII21ZHrdIaINw0+mSA==",
        );
        assert_eq!(
            error,
            "Given final block not properly padded. Such issues can arise if a bad key is used \
             during decryption."
        );
        let error = decrypt_error(Algorithm::Aes, Mode::Cbc, "1234567890123456", "AAAAAAAA");
        assert_eq!(error, "Input length must be multiple of 16 when decrypting with padded cipher");
    }

    #[test]
    fn key_lengths_follow_the_jdk() {
        let cases = [
            (Algorithm::Aes, "123456789012345", "Invalid AES key length: 15 bytes"),
            (Algorithm::Aes, "12345678901234567", "Invalid AES key length: 17 bytes"),
            (Algorithm::Aes, "äöü€12345", "Invalid AES key length: 14 bytes"),
            (Algorithm::Blowfish, &"k".repeat(57), "Key too long (> 448 bits)"),
            (Algorithm::Des, "1234567", "Wrong key size"),
            (Algorithm::Des, "1234567890123456", "Wrong key size"),
            (Algorithm::DesEde, "1234567890123456", "Wrong key size"),
            (Algorithm::Rc2, "1234", "RC2 key length must be between 40 and 1024 bit"),
            (Algorithm::Rc2, &"k".repeat(129), "RC2 key length must be between 40 and 1024 bit"),
            (Algorithm::Aes, "", "Empty key"),
        ];
        for (algorithm, key, expected) in cases {
            assert_eq!(encrypt_error(algorithm, Mode::Cbc, key), expected, "{algorithm}");
        }
        for key in ["a", "abc", &"k".repeat(56)] {
            assert!(encrypt(Algorithm::Blowfish, Mode::Cbc, key.as_bytes(), false, b"x").is_ok());
        }
    }

    #[test]
    fn runtime_key_check_counts_chars() {
        let error = check_min_key_size(Algorithm::Aes, "äöü€12345").expect_err("9 chars");
        assert_eq!(
            error.to_string(),
            "You need to increment your key size. The minimum allowed key size is: 16, but your \
             key size is: 9"
        );
        assert!(check_min_key_size(Algorithm::Blowfish, "a").is_ok());

        // Mule's order: the char count first, then the JDK's byte rule.
        let too_short = validate_key(Algorithm::Aes, "short").map_err(|error| error.to_string());
        assert!(too_short.is_err_and(|message| message.starts_with("You need to increment")));
        let odd = validate_key(Algorithm::Aes, "12345678901234567");
        assert_eq!(odd, Err(Error::InvalidAesKeyLength(17)));
        // 16 bytes suit the JDK, but 11 chars fail Mule's start-up check.
        let non_ascii = validate_key(Algorithm::Aes, "äöü€1234567");
        assert_eq!(non_ascii, Err(Error::KeyTooShort { min: 16, actual: 11 }));
        assert_eq!(validate_key(Algorithm::Aes, "MyEncryptionKey1"), Ok(()));
        assert!(check_min_key_size(Algorithm::Des, "1234567").is_err());
    }

    #[test]
    fn blowfish_short_key_keeps_the_original_iv() {
        // The cipher sees `aaaa`, the IV is `a` and seven zero bytes.
        let short = encrypt(Algorithm::Blowfish, Mode::Cbc, b"a", false, b"value").expect("a");
        let expanded =
            encrypt_with_iv(Algorithm::Blowfish, Mode::Cbc, b"aaaa", b"a\0\0\0\0\0\0\0", b"value")
                .expect("aaaa");
        assert_eq!(short, expanded[8..]);
    }

    #[test]
    fn names_are_case_sensitive() {
        assert_eq!("DESede".parse::<Algorithm>(), Ok(Algorithm::DesEde));
        assert!("aes".parse::<Algorithm>().is_err());
        assert!("RCA".parse::<Algorithm>().is_err());
        assert!("cbc".parse::<Mode>().is_err());
        for name in Algorithm::NAMES {
            assert_eq!(Algorithm::from_name(name).map(Algorithm::name), Some(name));
        }
    }

    #[test]
    fn unsupported_algorithms_say_so() {
        let error = encrypt_error(Algorithm::Camellia, Mode::Cbc, "1234567890123456");
        assert!(error.starts_with("algorithm `Camellia` is not supported"), "{error}");
        let error = encrypt_error(Algorithm::Blowfish, Mode::Gcm, "1234567890123456");
        assert_eq!(
            error,
            "mode `GCM` is a flowrun extension that works only with AES, not with `Blowfish`"
        );
    }

    #[test]
    fn random_iv_round_trips_and_mismatch_behaves_like_mule() {
        let key = b"1234567890123456";
        let plaintext = b"verylongpassword123";
        let first = encrypt(Algorithm::Aes, Mode::Cbc, key, true, plaintext).expect("random");
        let second = encrypt(Algorithm::Aes, Mode::Cbc, key, true, plaintext).expect("random");
        assert_ne!(first, second);
        assert_eq!(first.len(), 16 + 32);
        let decrypted = decrypt(Algorithm::Aes, Mode::Cbc, key, true, &first).expect("decrypt");
        assert_eq!(decrypted.as_slice(), plaintext);

        // A fixed-IV value read with random IVs silently loses its first block.
        let fixed = encrypt(Algorithm::Aes, Mode::Cbc, key, false, plaintext).expect("fixed");
        let mangled = decrypt(Algorithm::Aes, Mode::Cbc, key, true, &fixed).expect("mismatch");
        assert_eq!(mangled.as_slice(), b"123");

        let short = decrypt(Algorithm::Aes, Mode::Cbc, key, true, &[1, 2, 3]);
        assert_eq!(short.map(|_| ()), Err(Error::MissingIv));
    }

    #[test]
    fn ecb_ignores_the_random_iv_flag() {
        let key = b"1234567890123456";
        let with_flag = encrypt(Algorithm::Aes, Mode::Ecb, key, true, b"value").expect("ecb");
        let without = encrypt(Algorithm::Aes, Mode::Ecb, key, false, b"value").expect("ecb");
        assert_eq!(with_flag, without);
    }

    #[test]
    fn gcm_round_trips_and_detects_tampering() {
        for key in
            ["1234567890123456", "123456789012345678901234", "12345678901234567890123456789012"]
        {
            let key = key.as_bytes();
            let sealed = encrypt(Algorithm::Aes, Mode::Gcm, key, false, b"secret").expect("seal");
            assert_eq!(sealed.len(), 12 + 6 + 16);
            let opened = decrypt(Algorithm::Aes, Mode::Gcm, key, false, &sealed).expect("open");
            assert_eq!(opened.as_slice(), b"secret");

            let mut tampered = sealed.clone();
            tampered[14] ^= 1;
            let error = decrypt(Algorithm::Aes, Mode::Gcm, key, false, &tampered).map(|_| ());
            assert_eq!(error, Err(Error::GcmAuthentication));
            let truncated =
                decrypt(Algorithm::Aes, Mode::Gcm, key, false, &sealed[..27]).map(|_| ());
            assert_eq!(truncated, Err(Error::GcmTooShort));
        }
        let sealed =
            encrypt(Algorithm::Aes, Mode::Gcm, b"1234567890123456", false, b"x").expect("seal");
        let wrong_key = decrypt(Algorithm::Aes, Mode::Gcm, b"6543210987654321", false, &sealed);
        assert_eq!(
            wrong_key.map(|_| ()).map_err(|error| error.to_string()),
            Err("GCM authentication failed: the value was changed, or the key is wrong".to_owned())
        );
    }

    #[test]
    fn values_wrap_and_decrypt() {
        let value =
            encrypt_value(Algorithm::Blowfish, Mode::Cbc, b"mulesoft", false, "Max the mule");
        assert_eq!(value.as_deref(), Ok("![En8lII21ZHrdIaINw0+mSA==]"));
        let secret = decrypt_value(
            Algorithm::Blowfish,
            Mode::Cbc,
            b"mulesoft",
            false,
            "En8lII21 ZHrdIaINw0+mSA",
        )
        .expect("lenient decrypt");
        assert_eq!(secret.expose(), "Max the mule");
    }

    #[test]
    fn keyed_ciphers_are_zeroed_when_dropped() {
        fn zeroed_on_drop<T: zeroize::ZeroizeOnDrop>() {}

        // The key schedule is as secret as the key; the crates' `zeroize` feature wipes it.
        zeroed_on_drop::<Aes128>();
        zeroed_on_drop::<Aes192>();
        zeroed_on_drop::<Aes256>();
        zeroed_on_drop::<Blowfish>();
        zeroed_on_drop::<Des>();
        zeroed_on_drop::<TdesEde3>();
        zeroed_on_drop::<Rc2>();
    }
}
