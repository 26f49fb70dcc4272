//! Sealing of secret fields at rest.
//!
//! Every secret is encrypted with XChaCha20-Poly1305 under the 32-byte master key, with a fresh random
//! 24-byte nonce per seal and the place it belongs to bound as associated data,
//! `cardhost/v1/<tree>/<record id>/<field name>`: a sealed value copied to another record or field does
//! not open. The stored text is `base64(nonce || ciphertext || tag)` (standard alphabet, padded).

use std::collections::BTreeMap;
use std::fmt;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::{alphabet, Engine as _};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use rand::rngs::OsRng;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::StoreError;

/// Length of the master key in bytes.
pub const KEY_LEN: usize = 32;
/// Length of the XChaCha20 nonce in bytes.
pub const NONCE_LEN: usize = 24;
const AAD_PREFIX: &str = "cardhost/v1";

/// The 32-byte master key. Its `Debug` never shows it, and it is wiped from memory on drop.
pub struct MasterKey {
    cipher: XChaCha20Poly1305,
    /// The key itself, kept only to derive subkeys from ([`MasterKey::derive`]).
    bytes: Zeroizing<[u8; KEY_LEN]>,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey([REDACTED])")
    }
}

impl MasterKey {
    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: &[u8; KEY_LEN]) -> MasterKey {
        MasterKey {
            cipher: XChaCha20Poly1305::new(Key::from_slice(bytes)),
            bytes: Zeroizing::new(*bytes),
        }
    }

    /// A key for another purpose, named by `label`: HKDF-SHA256 (RFC 5869)
    /// of the master key, with `cardhost/v1/subkey/<label>` as its info.
    /// Different labels give independent keys, and none reveals the master
    /// key.
    pub fn derive(&self, label: &str) -> Zeroizing<[u8; KEY_LEN]> {
        let hkdf = hkdf::Hkdf::<sha2::Sha256>::new(None, self.bytes.as_ref());
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        hkdf.expand(
            format!("{AAD_PREFIX}/subkey/{label}").as_bytes(),
            key.as_mut(),
        )
        .expect("32 bytes is a valid HKDF-SHA256 output length");
        key
    }

    /// Parses 64 hex characters or the base64 (standard or URL-safe, padding optional) of 32 bytes,
    /// ignoring surrounding whitespace. The error says what is wrong without repeating the value.
    pub fn parse(text: &str) -> Result<MasterKey, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("it is empty".into());
        }
        let bytes = match decode_hex(text) {
            Some(bytes) => bytes,
            None => decode_base64(text).ok_or_else(|| {
                format!("expected 64 hex characters or the base64 of 32 bytes, got {} characters that are neither", text.len())
            })?,
        };
        let key: &[u8; KEY_LEN] = bytes.as_slice().try_into().map_err(|_| {
            format!(
                "it decodes to {} bytes; a master key is {KEY_LEN} bytes (64 hex characters)",
                bytes.len()
            )
        })?;
        Ok(MasterKey::from_bytes(key))
    }

    /// A new random key and its hex form (for the key file).
    pub fn generate() -> (MasterKey, Zeroizing<String>) {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        OsRng.fill_bytes(bytes.as_mut());
        let hex = encode_hex(bytes.as_ref());
        (MasterKey::from_bytes(&bytes), hex)
    }
}

fn decode_hex(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    if text.len() != 2 * KEY_LEN || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = Zeroizing::new(Vec::with_capacity(KEY_LEN));
    for pair in text.as_bytes().chunks(2) {
        let pair = std::str::from_utf8(pair).ok()?;
        out.push(u8::from_str_radix(pair, 16).ok()?);
    }
    Some(out)
}

fn encode_hex(bytes: &[u8]) -> Zeroizing<String> {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = Zeroizing::new(String::with_capacity(bytes.len() * 2));
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    out
}

fn decode_base64(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    let config =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    [alphabet::STANDARD, alphabet::URL_SAFE]
        .iter()
        .find_map(|a| GeneralPurpose::new(a, config).decode(text).ok())
        .map(Zeroizing::new)
}

/// Why sealing or unsealing failed. Never carries key or plaintext material.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("the sealed value is not base64 of a nonce and a ciphertext")]
    Malformed,
    #[error("the sealed value does not open with this key at this place (wrong key, or moved from another record or field)")]
    Rejected,
    #[error("the value is too long to seal")]
    TooLong,
}

impl From<CryptoError> for StoreError {
    fn from(e: CryptoError) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}

/// Where a sealed value belongs: its tree, record id and field. This is the associated data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot<'a> {
    pub tree: &'a str,
    pub record: &'a str,
    pub field: &'a str,
}

impl<'a> Slot<'a> {
    pub fn new(tree: &'a str, record: &'a str, field: &'a str) -> Slot<'a> {
        Slot {
            tree,
            record,
            field,
        }
    }

    /// `cardhost/v1/<tree>/<record id>/<field name>`. Tree and field names never contain `/`, so the
    /// text is unambiguous even when a record id does.
    pub fn aad(&self) -> String {
        format!("{AAD_PREFIX}/{}/{}/{}", self.tree, self.record, self.field)
    }
}

/// A sealed value as stored: `base64(nonce || ciphertext || tag)`. Not a secret, but `Debug` only shows its size.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sealed(String);

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sealed({} chars)", self.0.len())
    }
}

impl Sealed {
    /// The stored text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A sealed value read back from storage; `None` if it is not UTF-8.
    pub fn from_stored(bytes: &[u8]) -> Option<Sealed> {
        std::str::from_utf8(bytes)
            .ok()
            .map(|s| Sealed(s.to_owned()))
    }
}

/// Encrypts `plaintext` for `slot` with a fresh random nonce.
pub fn seal(key: &MasterKey, slot: Slot<'_>, plaintext: &[u8]) -> Result<Sealed, CryptoError> {
    let mut nonce = [0u8; NONCE_LEN];
    OsRng.fill_bytes(&mut nonce);
    let aad = slot.aad();
    let payload = Payload {
        msg: plaintext,
        aad: aad.as_bytes(),
    };
    let ciphertext = key
        .cipher
        .encrypt(XNonce::from_slice(&nonce), payload)
        .map_err(|_| CryptoError::TooLong)?;
    let mut joined = nonce.to_vec();
    joined.extend_from_slice(&ciphertext);
    Ok(Sealed(STANDARD.encode(joined)))
}

/// Decrypts a value sealed for `slot`; fails if the key or the slot differ or the value was altered.
pub fn unseal(
    key: &MasterKey,
    slot: Slot<'_>,
    sealed: &Sealed,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let joined = STANDARD
        .decode(sealed.as_str())
        .map_err(|_| CryptoError::Malformed)?;
    if joined.len() < NONCE_LEN {
        return Err(CryptoError::Malformed);
    }
    let (nonce, ciphertext) = joined.split_at(NONCE_LEN);
    let aad = slot.aad();
    let payload = Payload {
        msg: ciphertext,
        aad: aad.as_bytes(),
    };
    key.cipher
        .decrypt(XNonce::from_slice(nonce), payload)
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::Rejected)
}

/// Seals a secret string.
pub fn seal_secret(
    key: &MasterKey,
    slot: Slot<'_>,
    secret: &SecretString,
) -> Result<Sealed, CryptoError> {
    seal(key, slot, secret.expose_secret().as_bytes())
}

/// Unseals a secret string, copying the plaintext only into the returned `SecretString`.
pub fn unseal_secret(
    key: &MasterKey,
    slot: Slot<'_>,
    sealed: &Sealed,
) -> Result<SecretString, CryptoError> {
    let plain = unseal(key, slot, sealed)?;
    let text = std::str::from_utf8(&plain).map_err(|_| CryptoError::Malformed)?;
    let mut exact = String::with_capacity(text.len());
    exact.push_str(text);
    Ok(SecretString::from(exact))
}

/// The `sealed` object of a stored record: field name -> sealed value.
pub type SealedFields = BTreeMap<String, Sealed>;

/// Seals and opens the secret fields of one record.
pub(crate) struct Sealer<'a> {
    pub key: &'a MasterKey,
    pub tree: &'a str,
    pub record: &'a str,
}

impl Sealer<'_> {
    /// Seals `value` into `fields[field]`, or removes the field when `value` is `None`.
    pub fn put(
        &self,
        fields: &mut SealedFields,
        field: &str,
        value: Option<&SecretString>,
    ) -> Result<(), StoreError> {
        match value {
            Some(secret) => {
                let sealed = seal_secret(self.key, self.slot(field), secret)?;
                fields.insert(field.to_owned(), sealed);
            }
            None => {
                fields.remove(field);
            }
        }
        Ok(())
    }

    /// Opens `fields[field]`, if present.
    pub fn open(
        &self,
        fields: &SealedFields,
        field: &str,
    ) -> Result<Option<SecretString>, StoreError> {
        let Some(sealed) = fields.get(field) else {
            return Ok(None);
        };
        unseal_secret(self.key, self.slot(field), sealed)
            .map(Some)
            .map_err(|e| {
                StoreError::Corrupt(format!(
                    "field '{field}' of {} record '{}': {e}",
                    self.tree, self.record
                ))
            })
    }

    fn slot<'s>(&'s self, field: &'s str) -> Slot<'s> {
        Slot::new(self.tree, self.record, field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> MasterKey {
        MasterKey::from_bytes(&[byte; KEY_LEN])
    }

    #[test]
    fn round_trip_and_fresh_nonces() {
        let k = key(1);
        let slot = Slot::new("connections", "id-1", "access_token");
        let a = seal(&k, slot, b"tok-123").unwrap();
        let b = seal(&k, slot, b"tok-123").unwrap();
        assert_ne!(a, b, "each seal uses a fresh nonce");
        assert_eq!(unseal(&k, slot, &a).unwrap().as_slice(), b"tok-123");
        assert_eq!(unseal(&k, slot, &b).unwrap().as_slice(), b"tok-123");
    }

    #[test]
    fn bound_to_record_field_and_key() {
        let k = key(1);
        let slot = Slot::new("connections", "id-1", "access_token");
        let sealed = seal(&k, slot, b"tok").unwrap();
        let elsewhere = [
            Slot::new("connections", "id-2", "access_token"),
            Slot::new("connections", "id-1", "refresh_token"),
            Slot::new("app_settings", "id-1", "access_token"),
        ];
        for other in elsewhere {
            assert_eq!(unseal(&k, other, &sealed), Err(CryptoError::Rejected));
        }
        assert_eq!(unseal(&key(2), slot, &sealed), Err(CryptoError::Rejected));
    }

    #[test]
    fn tampering_and_garbage_are_refused() {
        let k = key(1);
        let slot = Slot::new("t", "r", "f");
        let sealed = seal(&k, slot, b"tok").unwrap();
        let mut bytes = STANDARD.decode(sealed.as_str()).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let tampered = Sealed(STANDARD.encode(bytes));
        assert_eq!(unseal(&k, slot, &tampered), Err(CryptoError::Rejected));
        let garbage = Sealed("not base64!".into());
        assert_eq!(unseal(&k, slot, &garbage), Err(CryptoError::Malformed));
        let short = Sealed(STANDARD.encode([0u8; 10]));
        assert_eq!(unseal(&k, slot, &short), Err(CryptoError::Malformed));
    }

    #[test]
    fn parses_hex_and_base64_keys() {
        let slot = Slot::new("t", "r", "f");
        let sealed = seal(&key(0xab), slot, b"x").unwrap();
        let hex = "ab".repeat(32);
        let b64 = STANDARD.encode([0xabu8; 32]);
        let b64_url_nopad = b64
            .trim_end_matches('=')
            .replace('+', "-")
            .replace('/', "_");
        for text in [
            hex.clone(),
            hex.to_uppercase(),
            format!(" {b64}\n"),
            b64_url_nopad,
        ] {
            let parsed = MasterKey::parse(&text).unwrap();
            assert_eq!(unseal(&parsed, slot, &sealed).unwrap().as_slice(), b"x");
        }
    }

    #[test]
    fn refuses_malformed_keys_without_echoing_them() {
        let bad = [
            "",
            "   ",
            "zz",
            &"ab".repeat(31),
            &STANDARD.encode([1u8; 16]),
            "secret-looking-value!",
        ];
        for text in bad {
            let err = MasterKey::parse(text).expect_err("refused");
            if text.trim().len() > 3 {
                assert!(!err.contains(text.trim()), "error echoes the key: {err}");
            }
        }
    }

    #[test]
    fn derived_keys_depend_on_key_and_label() {
        let a = key(1).derive("card-cache");
        assert_eq!(a, key(1).derive("card-cache"));
        assert_ne!(a, key(1).derive("other"));
        assert_ne!(a, key(2).derive("card-cache"));
        assert_ne!(a.as_ref(), &[1u8; KEY_LEN]);
    }

    #[test]
    fn generated_keys_differ_and_round_trip_through_hex() {
        let (k1, hex1) = MasterKey::generate();
        let (_k2, hex2) = MasterKey::generate();
        assert_ne!(*hex1, *hex2);
        assert_eq!(hex1.len(), 64);
        let slot = Slot::new("t", "r", "f");
        let sealed = seal(&k1, slot, b"x").unwrap();
        let reparsed = MasterKey::parse(&hex1).unwrap();
        assert_eq!(unseal(&reparsed, slot, &sealed).unwrap().as_slice(), b"x");
        assert_eq!(format!("{k1:?}"), "MasterKey([REDACTED])");
    }
}
