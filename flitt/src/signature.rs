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

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use secrecy::{ExposeSecret, SecretString};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use sha1::{Digest, Sha1};
use std::collections::BTreeMap;
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

/// The protocol 1.0 signer: push values in key order; empty values are skipped. No sort, no
/// joined string, no allocation — the generated requests feed it straight from their fields.
///
/// ```
/// use flitt::signature::{SecretKey, Signer};
/// let mut s = Signer::new(&SecretKey::new("test"));
/// for v in ["start", "1549901", "test_subscription11"] {
///     s.push(v);
/// }
/// assert_eq!(s.finish().as_str(), "a7adf395dae783a4676abbafe7f2479b2f6cfbca");
/// ```
#[derive(Clone)]
pub struct Signer {
    // SHA-1 driven through the `sha1` crate's compression function over a stack buffer of
    // several blocks: values are short, and a hasher's per-`update` bookkeeping cost more
    // than gathering them here and hashing the blocks in one pass at the end.
    state: [u32; 5],
    buf: [u8; BUF],
    filled: usize,
    hashed: u64,
}

/// Bytes gathered before hashing: four blocks, more than a typical request's pre-hash text.
const BUF: usize = 256;

const SHA1_INIT: [u32; 5] = [
    0x6745_2301,
    0xEFCD_AB89,
    0x98BA_DCFE,
    0x1032_5476,
    0xC3D2_E1F0,
];

impl Signer {
    /// A signer for `key`.
    #[inline]
    pub fn new(key: &SecretKey) -> Self {
        let mut signer = Self::unkeyed();
        signer.write(key.bytes());
        signer
    }

    /// A signer before its key. With [`write_key`](Self::write_key) after binding it, this
    /// spares the hot path a move of the whole buffer that [`new`](Self::new) may cost.
    #[inline]
    pub(crate) fn unkeyed() -> Self {
        Self {
            state: SHA1_INIT,
            buf: [0; BUF],
            filled: 0,
            hashed: 0,
        }
    }

    /// Writes the key; call once, first.
    #[inline]
    pub(crate) fn write_key(&mut self, key: &SecretKey) {
        self.write(key.bytes());
    }

    /// Hashes the whole blocks among the first `len` gathered bytes.
    fn compress(&mut self, len: usize) {
        for block in self.buf[..len].chunks_exact(64) {
            let block = sha1::digest::generic_array::GenericArray::from_slice(block);
            sha1::compress(&mut self.state, std::slice::from_ref(block));
        }
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let end = self.filled + bytes.len();
        if end < BUF {
            self.buf[self.filled..end].copy_from_slice(bytes);
            self.filled = end;
        } else {
            self.write_spilling(bytes);
        }
    }

    #[cold]
    fn write_spilling(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let n = (BUF - self.filled).min(bytes.len());
            self.buf[self.filled..self.filled + n].copy_from_slice(&bytes[..n]);
            self.filled += n;
            bytes = &bytes[n..];
            if self.filled == BUF {
                self.compress(BUF);
                self.hashed += BUF as u64;
                self.filled = 0;
            }
        }
    }

    /// Adds the next value (in key order); an empty value adds nothing.
    #[inline]
    pub fn push(&mut self, value: &str) {
        let bytes = value.as_bytes();
        if bytes.is_empty() {
            return;
        }
        let start = self.filled;
        let end = start + 1 + bytes.len();
        if end < BUF {
            // One slice, so one bounds check; the separator as a plain store.
            let (separator, value) = self.buf[start..end].split_at_mut(1);
            separator[0] = b'|';
            value.copy_from_slice(bytes);
            self.filled = end;
        } else {
            self.write_spilling(b"|");
            self.write_spilling(bytes);
        }
    }

    /// The signature.
    #[inline]
    pub fn finish(mut self) -> Signature {
        self.finish_in_place()
    }

    /// The signature, computed in place (no move of the buffer); the signer is spent.
    #[inline]
    pub(crate) fn finish_in_place(&mut self) -> Signature {
        let bits = (self.hashed + self.filled as u64).wrapping_mul(8);
        if self.filled + 9 > BUF {
            // No room for the padding: hash the whole blocks and keep the tail.
            let whole = self.filled / 64 * 64;
            self.compress(whole);
            self.buf.copy_within(whole..self.filled, 0);
            self.filled -= whole;
        }
        let end = (self.filled + 9).div_ceil(64) * 64;
        self.buf[self.filled] = 0x80;
        self.buf[self.filled + 1..end - 8].fill(0);
        self.buf[end - 8..end].copy_from_slice(&bits.to_be_bytes());
        self.compress(end);
        Signature::from_state(self.state)
    }
}

/// The eight lowercase hex digits of `word` as the bytes of a `u64`, most significant first
/// when written big-endian. Branch- and table-free: each nibble is spread into its own byte,
/// then `'0'` is added, plus `'a' - '0' - 10` where the nibble is 10 or more.
#[inline(always)]
fn hex_word(word: u32) -> u64 {
    let mut x = u64::from(word);
    x = ((x & 0xFFFF_0000) << 16) | (x & 0xFFFF);
    x = ((x & 0x0000_FF00_0000_FF00) << 8) | (x & 0x0000_00FF_0000_00FF);
    x = ((x & 0x00F0_00F0_00F0_00F0) << 4) | (x & 0x000F_000F_000F_000F);
    // 1 in each byte whose nibble is 10..=15.
    let letters = ((x + 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101;
    x + 0x3030_3030_3030_3030 + letters * (b'a' - b'0' - 10) as u64
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signer([redacted])")
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
    #[error("parameter `{0}` cannot be part of a 1.0 signature")]
    UnsupportedValue(String),
    /// A signed value contains `|`, the 1.0 separator: the body could have been made from a
    /// differently split one that the gateway signed, so it is refused (see the module docs).
    #[error("malformed body: parameter `{0}` contains `|`, which makes a 1.0 signature ambiguous")]
    Separator(String),
}

/// The text a top-level JSON value is signed by, or `None` when it contributes nothing.
fn value_text<'a>(key: &str, v: &'a Value) -> Result<Option<std::borrow::Cow<'a, str>>, SignError> {
    Ok(match v {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(std::borrow::Cow::Borrowed(s.as_str())),
        Value::Number(n) => Some(std::borrow::Cow::Owned(n.to_string())),
        Value::Bool(_) => return Err(SignError::Boolean(key.to_owned())),
        Value::Array(_) | Value::Object(_) => return Err(SignError::Nested(key.to_owned())),
    })
}

fn excluded(key: &str) -> bool {
    key == "signature" || key == "response_signature_string"
}

/// Signs a raw JSON object of request parameters (protocol 1.0).
///
/// Booleans are refused: the server's text for them is not documented (it appears to be
/// Python's `True`/`False`), and every Flitt flag is sent as `"Y"`/`"N"`.
///
/// Numbers are signed by serde_json's text of the parsed [`Value`], which is not always the
/// text they were written in (`10.10` parses to `10.1`, `1E2` to `100.0`, integers above
/// 2^64 to floats). To sign parameters exactly as they will be sent, sign their JSON text with
/// [`sign_v1_json`].
///
/// # Errors
/// [`SignError`] naming the parameter for a nested value, a boolean, or a value with `|`.
pub fn sign_v1(key: &SecretKey, params: &Map<String, Value>) -> Result<Signature, SignError> {
    let sorted: BTreeMap<&str, &Value> = params.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let mut signer = Signer::new(key);
    for (k, v) in sorted {
        if excluded(k) {
            continue;
        }
        if let Some(text) = value_text(k, v)? {
            if text.contains('|') {
                return Err(SignError::Separator(k.to_owned()));
            }
            signer.push(&text);
        }
    }
    Ok(signer.finish())
}

/// Signs a JSON object of request parameters given as text (protocol 1.0), every value as it
/// is written: numbers by their exact JSON text (`10.10`, `1E2`, `-0` and a 30-digit integer
/// stay as written), strings decoded. These are the texts [`verify_v1_json`] verifies over,
/// so a body made of these parameters plus this signature verifies. Otherwise as
/// [`sign_v1`]: `null` and `""` contribute nothing; booleans, nested values and `|` are
/// refused, and so is a number beyond the range of `f64` (`1e999`), which verification
/// refuses too. A key given twice counts once, with its last value, as in verification.
///
/// ```
/// use flitt::signature::{SecretKey, sign_v1_json, verify_v1_json};
/// let key = SecretKey::new("test");
/// let sig = sign_v1_json(&key, r#"{"amount":10.10,"order_id":"o-1"}"#)?;
/// let body = format!(r#"{{"amount":10.10,"order_id":"o-1","signature":"{sig}"}}"#);
/// verify_v1_json(&key, body.as_bytes())?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`SignError::NotJsonObject`] when `params` is not a JSON object; otherwise as [`sign_v1`].
pub fn sign_v1_json(key: &SecretKey, params: &str) -> Result<Signature, SignError> {
    let fields = json_object(params)?;
    let mut signer = Signer::new(key);
    for (k, raw) in &fields {
        if excluded(&k.0) {
            continue;
        }
        let value = match Scalar::of(raw) {
            Scalar::Absent => continue,
            Scalar::Text(text) => text,
            Scalar::Bool(_) => return Err(SignError::Boolean(k.0.to_string())),
            Scalar::Nested => return Err(SignError::Nested(k.0.to_string())),
            Scalar::Invalid => {
                return Err(SignError::NotJsonObject(format!(
                    "parameter `{}` is not a valid string",
                    k.0
                )));
            }
            Scalar::OutOfRange => return Err(SignError::OutOfRange(k.0.to_string())),
        };
        if value.contains('|') {
            return Err(SignError::Separator(k.0.to_string()));
        }
        signer.push(&value);
    }
    Ok(signer.finish())
}

/// A JSON object given as text, its values raw, its keys in byte order.
fn json_object(text: &str) -> Result<BTreeMap<Key<'_>, &RawValue>, SignError> {
    serde_json::from_str(text).map_err(|e| SignError::NotJsonObject(e.to_string()))
}

/// What a raw top-level JSON value is signed by.
enum Scalar<'a> {
    /// `null` or `""`: nothing.
    Absent,
    /// A string (decoded) or a number (its exact text).
    Text(std::borrow::Cow<'a, str>),
    /// A boolean.
    Bool(bool),
    /// An object or a list.
    Nested,
    /// A string serde_json scanned but cannot decode (a lone surrogate escape).
    Invalid,
    /// A number beyond the range of `f64` (`1e999`): valid JSON text, but no JSON reader here
    /// (nor serde_json's [`Value`]) can decode it.
    OutOfRange,
}

impl<'a> Scalar<'a> {
    /// Classifies a raw value that serde_json has already checked is valid JSON.
    fn of(raw: &'a RawValue) -> Self {
        let text = raw.get();
        match text.as_bytes().first() {
            Some(b'"') => match raw_string(text) {
                Ok(s) if s.is_empty() => Self::Absent,
                Ok(s) => Self::Text(s),
                Err(_) => Self::Invalid,
            },
            Some(b'{' | b'[') => Self::Nested,
            Some(b'n') | None => Self::Absent,
            Some(b't') => Self::Bool(true),
            Some(b'f') => Self::Bool(false),
            // A number: JSON number text is always Rust float text, and an f64 overflows to
            // infinity exactly where serde_json reports "number out of range".
            Some(_) if text.parse::<f64>().is_ok_and(f64::is_finite) => {
                Self::Text(std::borrow::Cow::Borrowed(text))
            }
            Some(_) => Self::OutOfRange,
        }
    }
}

fn check(expected: Signature, received: &str) -> Result<(), VerifyError> {
    let received = Signature::parse(received).map_err(|_| VerifyError::Mismatch)?;
    if expected == received {
        Ok(())
    } else {
        Err(VerifyError::Mismatch)
    }
}

/// Verifies a flat JSON object, or one wrapped in `{"response": …}`, over its values as
/// received: numbers by their exact JSON text (`0.0` stays `0.0`), strings decoded (so
/// `additional_info` is signed as the JSON string it came as). Nothing is re-serialized.
///
/// # Errors
/// [`VerifyError`]; never a panic, whatever the bytes. An absent or empty `signature` is
/// [`VerifyError::MissingSignature`]; a signed value containing `|` is
/// [`VerifyError::Separator`] (see the module docs).
pub fn verify_v1_json(key: &SecretKey, body: &[u8]) -> Result<(), VerifyError> {
    let fields = raw_object(body)?;
    verify_raw_fields(key, &fields)
}

/// A JSON object key, borrowed from the body unless it has escapes.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Key<'a>(std::borrow::Cow<'a, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

impl std::borrow::Borrow<str> for Key<'_> {
    fn borrow(&self) -> &str {
        &self.0
    }
}

/// The top-level fields of a body as raw JSON (borrowed), unwrapping `{"response": {…}}`.
/// Keys come out in byte order, the order they are signed in.
fn raw_object(body: &[u8]) -> Result<BTreeMap<Key<'_>, &RawValue>, VerifyError> {
    let text = std::str::from_utf8(body).map_err(|_| VerifyError::Malformed("not UTF-8"))?;
    let outer: BTreeMap<Key<'_>, &RawValue> =
        serde_json::from_str(text).map_err(|_| VerifyError::Malformed("not a JSON object"))?;
    if outer.len() == 1 {
        if let Some(inner) = outer.get("response") {
            return serde_json::from_str(inner.get())
                .map_err(|_| VerifyError::Malformed("`response` is not a JSON object"));
        }
    }
    Ok(outer)
}

/// The text a raw JSON string is signed by: its contents, decoded only when escaped.
fn raw_string(raw: &str) -> Result<std::borrow::Cow<'_, str>, VerifyError> {
    let inner = &raw[1..raw.len().saturating_sub(1).max(1)];
    if inner.contains('\\') {
        serde_json::from_str::<String>(raw)
            .map(std::borrow::Cow::Owned)
            .map_err(|_| VerifyError::Malformed("a string value is invalid"))
    } else {
        Ok(std::borrow::Cow::Borrowed(inner))
    }
}

fn verify_raw_fields(
    key: &SecretKey,
    fields: &BTreeMap<Key<'_>, &RawValue>,
) -> Result<(), VerifyError> {
    let received = fields
        .get("signature")
        .ok_or(VerifyError::MissingSignature)?;
    if !received.get().starts_with('"') {
        return Err(VerifyError::Malformed("the signature is not a string"));
    }
    let received = raw_string(received.get())?;
    if received.is_empty() {
        return Err(VerifyError::MissingSignature);
    }
    let mut signer = Signer::new(key);
    for (k, raw) in fields {
        if excluded(&k.0) {
            continue;
        }
        match Scalar::of(raw) {
            Scalar::Absent => {}
            // A string decoded, a number by its exact text.
            Scalar::Text(value) => {
                if value.contains('|') {
                    return Err(VerifyError::Separator(k.0.to_string()));
                }
                signer.push(&value);
            }
            // Python's str() of a boolean, as the server appears to sign them.
            Scalar::Bool(true) => signer.push("True"),
            Scalar::Bool(false) => signer.push("False"),
            Scalar::Nested => return Err(VerifyError::UnsupportedValue(k.0.to_string())),
            Scalar::Invalid => return Err(VerifyError::Malformed("a string value is invalid")),
            Scalar::OutOfRange => return Err(VerifyError::Malformed("a number is out of range")),
        }
    }
    check(signer.finish(), &received)
}

/// Verifies an `application/x-www-form-urlencoded` body.
///
/// # Errors
/// [`VerifyError`]; never a panic. As for [`verify_v1_json`], an empty `signature` is
/// [`VerifyError::MissingSignature`] and a signed value containing `|` is
/// [`VerifyError::Separator`].
pub fn verify_v1_form(key: &SecretKey, body: &[u8]) -> Result<(), VerifyError> {
    let fields: BTreeMap<String, String> = form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if fields.is_empty() {
        return Err(VerifyError::Malformed("an empty form"));
    }
    let received = fields
        .get("signature")
        .filter(|s| !s.is_empty())
        .ok_or(VerifyError::MissingSignature)?;
    let mut signer = Signer::new(key);
    for (k, v) in &fields {
        if excluded(k) {
            continue;
        }
        if v.contains('|') {
            return Err(VerifyError::Separator(k.clone()));
        }
        signer.push(v);
    }
    check(signer.finish(), received)
}

/// A protocol 2.0 envelope: wrap it as `{"request": envelope}` to send it.
#[derive(Clone, serde::Serialize)]
pub struct Envelope {
    /// Always `"2.0"`.
    pub version: &'static str,
    /// base64 of `{"order": {…}}`.
    pub data: String,
    /// `sha1(secret|data)`.
    pub signature: String,
}

impl fmt::Debug for Envelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `data` carries card numbers in direct payments: never shown.
        f.debug_struct("Envelope")
            .field("version", &self.version)
            .field("data", &"[redacted]")
            .field("signature", &self.signature)
            .finish()
    }
}

/// Builds a protocol 2.0 envelope around `order` (a JSON object of parameters, including
/// `merchant_id`).
///
/// # Errors
/// [`SignError::NotAnObject`] when `order` is not an object.
pub fn envelope_v2(key: &SecretKey, order: &Value) -> Result<Envelope, SignError> {
    if !order.is_object() {
        return Err(SignError::NotAnObject);
    }
    let data = B64.encode(serde_json::json!({ "order": order }).to_string());
    Ok(Envelope {
        version: "2.0",
        signature: sign_data(key, &data).as_str().to_owned(),
        data,
    })
}

/// Builds a protocol 2.0 envelope around an order given as JSON text (a JSON object of
/// parameters, including `merchant_id`), keeping every number's exact text in `data`
/// (`10.10`, `1E2`, a 30-digit integer), which [`envelope_v2`] cannot: its [`Value`] has
/// already rewritten them. `data` is base64 of compact `{"order":{…}}` with keys in byte
/// order at every level; strings keep their escapes as written.
///
/// ```
/// use flitt::signature::{SecretKey, envelope_v2_json, verify_v2};
/// let key = SecretKey::new("test");
/// let env = envelope_v2_json(&key, r#"{"merchant_id":1549901,"amount":123456789012345678901234567890}"#)?;
/// verify_v2(&key, &env.data, &env.signature)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`SignError::NotJsonObject`] when `order` is not a JSON object, or holds a number a JSON
/// reader cannot decode (beyond the range of `f64`, such as `1e999`).
pub fn envelope_v2_json(key: &SecretKey, order: &str) -> Result<Envelope, SignError> {
    let fields = json_object(order)?;
    let mut json = String::with_capacity(order.len() + 12);
    json.push_str("{\"order\":");
    write_compact_object(&fields, &mut json)?;
    json.push('}');
    // A reader decodes `data` into values, as verify_v2 does: refuse what it cannot hold (a
    // number beyond f64, such as 1e999), so that what is signed here also verifies there.
    serde_json::from_str::<Value>(&json).map_err(|e| SignError::NotJsonObject(e.to_string()))?;
    let data = B64.encode(json);
    Ok(Envelope {
        version: "2.0",
        signature: sign_data(key, &data).as_str().to_owned(),
        data,
    })
}

/// Writes an object compactly, keys in byte order, scalars by their exact text.
fn write_compact_object(
    fields: &BTreeMap<Key<'_>, &RawValue>,
    out: &mut String,
) -> Result<(), SignError> {
    out.push('{');
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let key =
            serde_json::to_string(&*k.0).map_err(|e| SignError::NotJsonObject(e.to_string()))?;
        out.push_str(&key);
        out.push(':');
        write_compact(v, out)?;
    }
    out.push('}');
    Ok(())
}

/// Writes a raw value compactly. Nesting is bounded by serde_json's recursion limit, which
/// the outer parse has already enforced.
fn write_compact(raw: &RawValue, out: &mut String) -> Result<(), SignError> {
    let text = raw.get();
    let bad = |e: serde_json::Error| SignError::NotJsonObject(e.to_string());
    match text.as_bytes().first() {
        Some(b'{') => write_compact_object(&serde_json::from_str(text).map_err(bad)?, out),
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(text).map_err(bad)?;
            out.push('[');
            for (i, item) in items.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_compact(item, out)?;
            }
            out.push(']');
            Ok(())
        }
        _ => {
            out.push_str(text);
            Ok(())
        }
    }
}

fn sign_data(key: &SecretKey, data: &str) -> Signature {
    let mut hasher = Sha1::new();
    hasher.update(key.bytes());
    hasher.update(b"|");
    hasher.update(data.as_bytes());
    Signature::from_digest(&hasher.finalize())
}

/// Verifies a 2.0 `data` string exactly as received, then decodes it.
///
/// # Errors
/// [`VerifyError::Mismatch`], or [`VerifyError::Malformed`] when `data` is not base64 JSON.
pub fn verify_v2(key: &SecretKey, data: &str, signature: &str) -> Result<Value, VerifyError> {
    if signature.is_empty() {
        return Err(VerifyError::MissingSignature);
    }
    check(sign_data(key, data), signature)?;
    let bytes = B64
        .decode(data.trim())
        .map_err(|_| VerifyError::Malformed("2.0 data is not base64"))?;
    serde_json::from_slice(&bytes).map_err(|_| VerifyError::Malformed("2.0 data is not JSON"))
}

/// The Reports API token signature: lowercase hex sha512 of `key|application_id|date`.
pub fn reports_token_signature(key: &SecretKey, application_id: &str, date: &str) -> String {
    use sha2::Sha512;
    let mut hasher = Sha512::new();
    hasher.update(key.bytes());
    hasher.update(b"|");
    hasher.update(application_id.as_bytes());
    hasher.update(b"|");
    hasher.update(date.as_bytes());
    hasher
        .finalize()
        .iter()
        .flat_map(|b| {
            [
                HEX[usize::from(b >> 4)] as char,
                HEX[usize::from(b & 15)] as char,
            ]
        })
        .collect()
}

/// Which protocol a verified body used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyProtocol {
    /// Flat JSON, `{"response": …}`, or a form.
    V1,
    /// A 2.0 envelope.
    V2,
}

/// A body whose signature verified, with its fields.
#[derive(Clone, Debug)]
pub struct VerifiedBody {
    /// The verified fields (for 2.0, the decoded `order`), without the test-mode
    /// `response_signature_string`, which repeats every signed value.
    pub fields: Map<String, Value>,
    /// The protocol.
    pub protocol: BodyProtocol,
}

/// Verifies a reply or callback body of any shape: a 2.0 envelope (wrapped in `"response"` or
/// not), flat JSON, `{"response": …}`, or a form. `content_type` helps tell a form from JSON.
///
/// # Errors
/// [`VerifyError`]; never a panic, whatever the bytes.
pub fn verify_body(
    key: &SecretKey,
    body: &[u8],
    content_type: Option<&str>,
) -> Result<VerifiedBody, VerifyError> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    let is_form = content_type.is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
        || first.is_some_and(|b| *b != b'{');
    if is_form {
        verify_v1_form(key, body)?;
        let fields = form_urlencoded::parse(body)
            .filter(|(k, _)| k != "response_signature_string")
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect();
        return Ok(VerifiedBody {
            fields,
            protocol: BodyProtocol::V1,
        });
    }
    let raw = raw_object(body)?;
    let is_v2 =
        raw.get("version").is_some_and(|v| v.get() == "\"2.0\"") && raw.contains_key("data");
    if is_v2 {
        let text = |k: &str| -> Result<String, VerifyError> {
            raw.get(k)
                .map(|v| serde_json::from_str::<String>(v.get()))
                .transpose()
                .map_err(|_| VerifyError::Malformed("a 2.0 field is not a string"))
                .map(Option::unwrap_or_default)
        };
        let decoded = verify_v2(key, &text("data")?, &text("signature")?)?;
        let fields = match decoded {
            Value::Object(mut outer) => match outer.remove("order") {
                Some(Value::Object(order)) => order,
                Some(_) => return Err(VerifyError::Malformed("2.0 `order` is not an object")),
                None => outer,
            },
            _ => return Err(VerifyError::Malformed("2.0 data is not an object")),
        };
        return Ok(VerifiedBody {
            fields,
            protocol: BodyProtocol::V2,
        });
    }
    verify_raw_fields(key, &raw)?;
    let mut fields = Map::new();
    // The test-mode pre-hash echo carries every signed value (tokens, card data): dropped.
    for (k, v) in raw
        .into_iter()
        .filter(|(k, _)| k.0 != "response_signature_string")
    {
        let value: Value = serde_json::from_str(v.get())
            .map_err(|_| VerifyError::Malformed("a value is invalid"))?;
        fields.insert(k.0.into_owned(), value);
    }
    Ok(VerifiedBody {
        fields,
        protocol: BodyProtocol::V1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
