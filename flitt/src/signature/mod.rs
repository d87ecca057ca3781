//! Signing and verification, exactly as the gateway does it.
//!
//! # Protocol 1.0
//!
//! `signature = lowercase_hex(sha1(secret|v1|v2|…))`: the values of the parameters ordered by
//! key in byte order, `signature` and `response_signature_string` left out, and absent or empty
//! values left out (zero is a value). Numbers are signed by their decimal text.
//!
//! Because an empty value contributes nothing, adding or removing empty parameters keeps a
//! signature valid: the scheme is malleable in that way, and an empty value must never carry
//! meaning.
//!
//! Values containing `|` would be ambiguous (`{"a":"x|y"}` and `{"a":"x","b":"y"}` sign
//! alike), so they are refused on both sides: signing refuses them ([`SignError::Separator`]),
//! and so does verification ([`VerifyError::Separator`]), or a genuine reply could be re-split
//! into another body carrying the same signature. The gateway refuses `|` in every request
//! value (error 1034), so a reply echoes none; the one field of a real reply known to hold
//! `|`, the test-mode `response_signature_string` (the pre-hash text itself), is not signed and
//! not checked. Should the gateway ever sign a value of its own containing `|`, that reply is
//! refused as malformed rather than trusted: failing closed is the safe side.
//!
//! # Protocol 2.0
//!
//! `{"version":"2.0","data":base64(json({"order":{…}})),"signature":sha1(secret|data)}`: the
//! signature covers the `data` string exactly as sent, so it is verified over the string as
//! received and only then decoded.
//!
//! # Keys
//!
//! The merchant's payment key signs everything but payouts; `p2pcredit` and `ibancredit` are
//! signed, and their replies verified, with the payout ("credit") key. Both are a [`SecretKey`].
//! The Reports API signs its token request with sha512 ([`reports_token_signature`]).
//!
//! Signatures are compared in constant time.
//!
//! ```
//! use flitt::signature::{SecretKey, sign_v1, verify_v1_json};
//!
//! let key = SecretKey::new("test");
//! let params = serde_json::json!({"order_id": "test_subscription11", "merchant_id": 1549901, "action": "start"});
//! let signature = sign_v1(&key, params.as_object().unwrap())?;
//! assert_eq!(signature.as_str(), "a7adf395dae783a4676abbafe7f2479b2f6cfbca");
//!
//! let body = format!(r#"{{"response":{{"order_id":"test_subscription11","merchant_id":1549901,"action":"start","signature":"{signature}"}}}}"#);
//! verify_v1_json(&key, body.as_bytes())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod body;
mod fields;
mod raw;
mod reports;
mod scan;
mod signer;
mod v1;
mod v2;

pub use body::{BodyProtocol, VerifiedBody, verify_body};
pub(crate) use body::{Verified, verify as verify_kept};
pub(crate) use fields::{SignedFields, decode_fields};
pub(crate) use raw::RawFields;
pub use reports::reports_token_signature;
pub use signer::Signer;
pub use v1::{sign_v1, sign_v1_json, verify_v1_form, verify_v1_json};
pub use v2::{Envelope, envelope_v2, envelope_v2_json, verify_v2};

use secrecy::{ExposeSecret, SecretString};
use signer::hex_word;
use std::fmt;
use subtle::ConstantTimeEq;

/// A signing key: the merchant's payment key or its payout ("credit") key. `Debug` never shows
/// it.
#[derive(Clone)]
pub struct SecretKey(SecretString);

impl SecretKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        Self(SecretString::from(key.into()))
    }

    fn bytes(&self) -> &[u8] {
        self.0.expose_secret().as_bytes()
    }

    /// The key's text, for masking it wherever a reply echoes it.
    pub(crate) fn expose_for_redaction(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey([redacted])")
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// A SHA-1 signature as 40 lowercase hex digits. Equality is constant-time.
#[derive(Clone, Copy)]
pub struct Signature([u8; 40]);

impl Signature {
    /// The signature of a 20-byte SHA-1 digest.
    fn from_digest(digest: &[u8]) -> Self {
        let mut state = [0u32; 5];
        for (word, bytes) in state.iter_mut().zip(digest.chunks_exact(4)) {
            *word = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        }
        Self::from_state(state)
    }

    /// The signature of a finished SHA-1 state, hex-encoded eight digits at a time.
    #[inline]
    fn from_state(state: [u32; 5]) -> Self {
        let mut out = [0u8; 40];
        for (digits, word) in out.chunks_exact_mut(8).zip(state) {
            digits.copy_from_slice(&hex_word(word).to_be_bytes());
        }
        Self(out)
    }

    /// The hex text.
    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits are stored.
        std::str::from_utf8(&self.0).unwrap_or("")
    }

    /// Parses a received signature: exactly 40 hex digits, any case.
    ///
    /// # Errors
    /// [`VerifyError::Malformed`].
    pub fn parse(text: &str) -> Result<Self, VerifyError> {
        let bytes = text.as_bytes();
        if bytes.len() != 40 || !bytes.iter().all(u8::is_ascii_hexdigit) {
            return Err(VerifyError::Malformed("the signature is not 40 hex digits"));
        }
        let mut out = [0u8; 40];
        for (o, b) in out.iter_mut().zip(bytes) {
            *o = b.to_ascii_lowercase();
        }
        Ok(Self(out))
    }
}

impl PartialEq for Signature {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for Signature {}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({})", self.as_str())
    }
}

impl std::str::FromStr for Signature {
    type Err = VerifyError;
    fn from_str(s: &str) -> Result<Self, VerifyError> {
        Self::parse(s)
    }
}

/// Why a set of parameters cannot be signed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// A nested object or list: protocol 1.0 signs flat values only.
    #[error("parameter `{0}` is nested: protocol 1.0 signs flat values only (use 2.0)")]
    Nested(String),
    /// A value containing `|`, the separator.
    #[error("parameter `{0}` contains `|`, which protocol 1.0 cannot sign")]
    Separator(String),
    /// A boolean: the gateway's text for it is not documented.
    #[error("parameter `{0}` is a boolean: send \"Y\"/\"N\" or a string")]
    Boolean(String),
    /// The 2.0 payload is not a JSON object.
    #[error("the 2.0 order must be a JSON object")]
    NotAnObject,
    /// Parameters given as JSON text are not a JSON object (the parser's reason, which names
    /// a line and column, never a value).
    #[error("the parameters are not a JSON object: {0}")]
    NotJsonObject(String),
    /// A number beyond the range of `f64` (`1e999`): a reader cannot decode it, so it is not
    /// signed ([`VerifyError::Malformed`] on the other side).
    #[error("parameter `{0}` is a number out of range")]
    OutOfRange(String),
}

/// Why a body does not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The body is not what a signed reply looks like.
    #[error("malformed body: {0}")]
    Malformed(&'static str),
    /// There is no signature to verify.
    #[error("the body has no signature")]
    MissingSignature,
    /// The signature does not match.
    #[error("the signature does not match")]
    Mismatch,
    /// A value that cannot be signed (a nested value in a 1.0 body).
    /// The name comes from the body, so it is shown quoted and escaped (no line breaks or
    /// control characters reach a log).
    #[error("parameter {0:?} cannot be part of a 1.0 signature")]
    UnsupportedValue(String),
    /// A signed value contains `|`, the 1.0 separator: the body could have been made from a
    /// differently split one that the gateway signed, so it is refused (see the module docs).
    /// The name is shown quoted and escaped.
    #[error("malformed body: parameter {0:?} contains `|`, which makes a 1.0 signature ambiguous")]
    Separator(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD as B64;
    use serde_json::{Value, json};
    use sha1::{Digest as _, Sha1};

    #[test]
    fn hex_word_is_lowercase_hex_for_every_nibble_in_every_place() {
        let mut words = vec![0, u32::MAX, 0x0123_4567, 0x89ab_cdef, 0xfedc_ba98];
        for place in 0..8 {
            words.extend((0..16u32).map(|nibble| nibble << (4 * place)));
        }
        // A spread of others (an odd multiplier walks all residues).
        words.extend((0..100_000u32).map(|i| i.wrapping_mul(0x9E37_79B9)));
        for w in words {
            let got = hex_word(w).to_be_bytes();
            assert_eq!(std::str::from_utf8(&got).unwrap(), format!("{w:08x}"));
        }
    }

    #[test]
    fn signature_parse_and_compare() {
        let a = Signature::parse("A7ADF395DAE783A4676ABBAFE7F2479B2F6CFBCA").unwrap();
        assert_eq!(a.as_str(), "a7adf395dae783a4676abbafe7f2479b2f6cfbca");
        assert!(Signature::parse("xyz").is_err());
        assert!(Signature::parse(&"g".repeat(40)).is_err());
    }

    #[test]
    fn refuses_what_cannot_be_signed() {
        let key = SecretKey::new("test");
        let m = |v: Value| v.as_object().unwrap().clone();
        assert_eq!(
            sign_v1(&key, &m(json!({"a": {"b": 1}}))),
            Err(SignError::Nested("a".into()))
        );
        assert_eq!(
            sign_v1(&key, &m(json!({"a": "x|y"}))),
            Err(SignError::Separator("a".into()))
        );
        assert_eq!(
            sign_v1(&key, &m(json!({"a": true}))),
            Err(SignError::Boolean("a".into()))
        );
    }

    #[test]
    fn the_block_driver_matches_sha1_at_every_length() {
        // Padding edge cases (lengths around 55, 56 and 64 bytes, and a full buffer) and
        // spilling past the buffer, written in pieces of uneven sizes.
        let data: Vec<u8> = (0..700u32).map(|i| (i * 7 + 3) as u8).collect();
        for len in 0..data.len() {
            let expected = Signature::from_digest(&Sha1::digest(&data[..len]));
            for piece_len in [1, 13, 100, 300] {
                let mut s = Signer::unkeyed();
                for piece in data[..len].chunks(piece_len) {
                    s.write(piece);
                }
                assert_eq!(s.finish(), expected, "length {len}, pieces of {piece_len}");
            }
        }
    }

    #[test]
    fn debug_hides_the_key() {
        assert!(!format!("{:?}", SecretKey::new("hunter2")).contains("hunter2"));
    }

    /// The 1.0 signature of `values` joined as the gateway would, `|` and all.
    fn joined(values: &[&str]) -> Signature {
        let mut s = Signer::new(&SecretKey::new("test"));
        for v in values {
            s.push(v);
        }
        s.finish()
    }

    #[test]
    fn verification_refuses_a_separator_in_a_signed_value() {
        let key = SecretKey::new("test");
        // {"a":"x|y"} and {"a":"x","b":"y"} have the same pre-hash text: only the second can
        // be what the gateway signed.
        let sig = joined(&["x", "y"]);
        let split = format!(r#"{{"a":"x","b":"y","signature":"{sig}"}}"#);
        assert_eq!(verify_v1_json(&key, split.as_bytes()), Ok(()));
        let merged = format!(r#"{{"a":"x|y","signature":"{sig}"}}"#);
        let err = verify_v1_json(&key, merged.as_bytes()).unwrap_err();
        assert_eq!(err, VerifyError::Separator("a".into()));
        assert!(err.to_string().starts_with("malformed body:"), "{err}");
        let escaped = format!(r#"{{"response":{{"a":"x|y","signature":"{sig}"}}}}"#);
        assert_eq!(
            verify_body(&key, escaped.as_bytes(), None).unwrap_err(),
            VerifyError::Separator("a".into())
        );
        let form = format!("a=x%7Cy&signature={sig}");
        assert_eq!(
            verify_v1_form(&key, form.as_bytes()),
            Err(VerifyError::Separator("a".into()))
        );
        assert_eq!(
            verify_body(&key, form.as_bytes(), None).unwrap_err(),
            VerifyError::Separator("a".into())
        );
        // The test-mode echo of the pre-hash text is not signed: its `|` are fine.
        let echo = format!(
            r#"{{"a":"x","b":"y","response_signature_string":"**|x|y","signature":"{sig}"}}"#
        );
        assert_eq!(verify_v1_json(&key, echo.as_bytes()), Ok(()));
        let form = format!("a=x&b=y&response_signature_string=%2A%7Cx%7Cy&signature={sig}");
        assert_eq!(verify_v1_form(&key, form.as_bytes()), Ok(()));
    }

    #[test]
    fn numbers_are_signed_and_carried_by_their_exact_text() {
        let key = SecretKey::new("test");
        for text in [
            "10.10",
            "1E2",
            "-0",
            "0",
            "18446744073709551616",
            "123456789012345678901234567890",
            "1.5e-7",
            "1e-999",
        ] {
            let params = format!(r#"{{"order_id":"o","amount":{text}}}"#);
            let sig = sign_v1_json(&key, &params).unwrap();
            assert_eq!(sig, joined(&[text, "o"]), "{text}");
            let body = format!(r#"{{"amount":{text},"order_id":"o","signature":"{sig}"}}"#);
            assert_eq!(verify_v1_json(&key, body.as_bytes()), Ok(()), "{text}");
            let env = envelope_v2_json(&key, &params).unwrap();
            let data = String::from_utf8(B64.decode(&env.data).unwrap()).unwrap();
            assert_eq!(
                data,
                format!(r#"{{"order":{{"amount":{text},"order_id":"o"}}}}"#)
            );
            assert!(verify_v2(&key, &env.data, &env.signature).is_ok(), "{text}");
        }
    }

    #[test]
    fn signing_text_refuses_what_sign_v1_refuses() {
        let key = SecretKey::new("test");
        let sign = |t: &str| sign_v1_json(&key, t);
        assert_eq!(sign(r#"{"a":{"b":1}}"#), Err(SignError::Nested("a".into())));
        assert_eq!(sign(r#"{"a":[1]}"#), Err(SignError::Nested("a".into())));
        assert_eq!(
            sign(r#"{"a":"x|y"}"#),
            Err(SignError::Separator("a".into()))
        );
        assert_eq!(
            sign(r#"{"a":"x\u007cy"}"#),
            Err(SignError::Separator("a".into()))
        );
        assert_eq!(sign(r#"{"a":true}"#), Err(SignError::Boolean("a".into())));
        // Beyond f64: no reader decodes it, so neither side takes it.
        assert_eq!(
            sign(r#"{"a":1e999}"#),
            Err(SignError::OutOfRange("a".into()))
        );
        let huge = format!(r#"{{"a":1{}}}"#, "0".repeat(400));
        assert_eq!(sign(&huge), Err(SignError::OutOfRange("a".into())));
        assert!(envelope_v2_json(&key, r#"{"a":[1e999]}"#).is_err());
        let body = format!(r#"{{"a":1e999,"signature":"{}"}}"#, joined(&["1e999"]));
        assert_eq!(
            verify_v1_json(&key, body.as_bytes()),
            Err(VerifyError::Malformed("a number is out of range"))
        );
        for bad in ["[1]", "1", "not json", "", r#"{"a":1"#, r#"{"a":"\ud800"}"#] {
            assert!(
                matches!(sign(bad), Err(SignError::NotJsonObject(_))),
                "{bad:?}"
            );
            assert!(
                matches!(
                    envelope_v2_json(&key, bad),
                    Err(SignError::NotJsonObject(_))
                ) || bad.contains("ud800")
            );
        }
        // Empty and null values count for nothing; signature fields are left out.
        assert_eq!(
            sign(r#"{"a":"x","b":"","c":null,"signature":"s","response_signature_string":"r"}"#),
            Ok(joined(&["x"]))
        );
        // 2.0 data is compact, keys sorted at every level, strings as written.
        let env = envelope_v2_json(
            &key,
            r#"{ "b" : [ 1.50 , {"y":1,"x":"\u00e9"} ], "a":null }"#,
        )
        .unwrap();
        let data = String::from_utf8(B64.decode(&env.data).unwrap()).unwrap();
        assert_eq!(
            data,
            r#"{"order":{"a":null,"b":[1.50,{"x":"\u00e9","y":1}]}}"#
        );
    }

    #[test]
    fn an_empty_signature_is_no_signature() {
        let key = SecretKey::new("test");
        for body in [
            &br#"{"a":"x","signature":""}"#[..],
            br#"{"response":{"a":"x","signature":""}}"#,
            b"a=x&signature=",
        ] {
            assert_eq!(
                verify_body(&key, body, None).unwrap_err(),
                VerifyError::MissingSignature,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        assert_eq!(
            verify_v1_json(&key, br#"{"a":"x","signature":""}"#),
            Err(VerifyError::MissingSignature)
        );
        assert_eq!(
            verify_v1_form(&key, b"a=x&signature="),
            Err(VerifyError::MissingSignature)
        );
    }

    #[test]
    fn v2_round_trip() {
        let key = SecretKey::new("test");
        let env = envelope_v2(&key, &json!({"order_id": "x", "merchant_id": 1})).unwrap();
        let decoded = verify_v2(&key, &env.data, &env.signature).unwrap();
        assert_eq!(decoded["order"]["order_id"], "x");
        assert_eq!(
            verify_v2(&SecretKey::new("other"), &env.data, &env.signature),
            Err(VerifyError::Mismatch)
        );
    }
}
