//! Mule's secure configuration properties: the cipher and the `flowrun secure` command.
//!
//! - [`crypto`] encrypts and decrypts values exactly as Mule's Secure Configuration Properties
//!   module and MuleSoft's Secure Properties Tool do (AES, Blowfish, DES, DESede, RC2 in CBC,
//!   CFB, ECB or OFB), plus flowrun's authenticated AES-GCM mode;
//! - [`encoding`] turns ciphertext into `![Base64]` text and back, with the strict decoder of
//!   MuleSoft's tool and the lenient one of the runtime;
//! - the property provider behind `<secure-properties:config>` decrypts a file's values when
//!   the app loads and keeps them in the app's secret store; a one-pass reader takes the
//!   common shapes of secure files, so 10,000 values load in well under 50 ms;
//! - [`tool`] is the command line that matches MuleSoft's tool byte for byte.
//!
//! ```
//! use flowrun_plugins::secure_properties::crypto::{self, Algorithm, Mode};
//!
//! let value = crypto::encrypt_value(Algorithm::Aes, Mode::Cbc, b"MyEncryptionKey1", false, "pw")
//!     .unwrap();
//! let inner = crypto::unwrap_encrypted(&value).unwrap();
//! let secret = crypto::decrypt_value(Algorithm::Aes, Mode::Cbc, b"MyEncryptionKey1", false, inner)
//!     .unwrap();
//! assert_eq!(secret.expose(), "pw");
//! ```

pub mod crypto;
pub mod encoding;
mod file_warnings;
mod provider;
mod simple_file;
pub mod tool;

use flowrun_engine::plugin::{Kind, Registry};

/// Adds `secure-properties:config` to a registry.
pub fn register(registry: &mut Registry) {
    registry.add(Kind::PropertyProvider(Box::new(provider::SecurePropertiesKind)));
}
