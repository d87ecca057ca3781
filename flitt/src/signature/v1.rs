//! Protocol 1.0: signing parameters and verifying JSON and form bodies over their values as
//! received.

use super::raw::RawFields;
use super::{SecretKey, SignError, Signature, Signer, VerifyError};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;

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

pub(super) fn excluded(key: &str) -> bool {
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
        let value = match Scalar::of(raw.get()) {
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
pub(super) fn json_object(text: &str) -> Result<BTreeMap<Key<'_>, &RawValue>, SignError> {
    serde_json::from_str(text).map_err(|e| SignError::NotJsonObject(e.to_string()))
}

/// What a raw top-level JSON value is signed by.
pub(super) enum Scalar<'a> {
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
    pub(super) fn of(text: &'a str) -> Self {
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
            Some(_) if finite_number(text) => Self::Text(std::borrow::Cow::Borrowed(text)),
            Some(_) => Self::OutOfRange,
        }
    }

    /// Whether [`Self::of`] reads `text` (neither [`Self::Invalid`] nor [`Self::OutOfRange`]),
    /// deciding the common cases without decoding: a string escaped without `\u` (the
    /// scan checked every other escape, and only a lone surrogate fails) and a number.
    pub(super) fn reads(text: &'a str) -> bool {
        match text.as_bytes().first() {
            Some(b'"') if !text.contains("\\u") => true,
            Some(b'{' | b'[') => serde_json::from_str::<Value>(text).is_ok(),
            _ => !matches!(Self::of(text), Self::Invalid | Self::OutOfRange),
        }
    }
}

/// Whether serde_json reads a JSON number's text ("number out of range" otherwise). Without
/// an exponent, fewer than 300 characters stay below 10^300 (`f64::MAX` is about
/// 1.8 × 10^308), so only the rest are read by serde_json itself: near `f64::MAX` its
/// arithmetic (without `float_roundtrip`) overflows where `str::parse::<f64>` does not.
fn finite_number(text: &str) -> bool {
    let no_exponent = !text.bytes().any(|b| b == b'e' || b == b'E');
    (no_exponent && text.len() < 300) || serde_json::from_str::<Value>(text).is_ok()
}

pub(super) fn check(expected: Signature, received: &str) -> Result<(), VerifyError> {
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
    let text = std::str::from_utf8(body).map_err(|_| VerifyError::Malformed("not UTF-8"))?;
    RawFields::parse(text)?.verify(key)
}

/// A JSON object key, borrowed from the body unless it has escapes.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Key<'a>(pub(crate) std::borrow::Cow<'a, str>);

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

/// The text a raw JSON string is signed by: its contents, decoded only when escaped.
pub(crate) fn raw_string(raw: &str) -> Result<std::borrow::Cow<'_, str>, VerifyError> {
    let inner = raw
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or("");
    if inner.contains('\\') {
        // The common escapes decoded here; anything unusual (a lone surrogate) is left to
        // serde_json, which decides.
        unescape(inner)
            .map(Ok)
            .unwrap_or_else(|| serde_json::from_str::<String>(raw))
            .map(std::borrow::Cow::Owned)
            .map_err(|_| VerifyError::Malformed("a string value is invalid"))
    } else {
        Ok(std::borrow::Cow::Borrowed(inner))
    }
}

/// The contents of a JSON string (between its quotes, already scanned by serde_json) with
/// its escapes decoded, as serde_json decodes them; `None` for what this does not decode
/// (a lone or unpaired surrogate), never a wrong text.
pub(crate) fn unescape(inner: &str) -> Option<String> {
    let bytes = inner.as_bytes();
    let mut out = String::with_capacity(inner.len());
    // Runs without escapes are copied whole; a run ends only at a `\\` (ASCII), so each is
    // whole UTF-8.
    let (mut run, mut i) = (0, 0);
    while i < bytes.len() {
        i = to_backslash(bytes, i);
        if i >= bytes.len() {
            break;
        }
        out.push_str(inner.get(run..i)?);
        let mut next = i + 2;
        match *bytes.get(i + 1)? {
            b'"' => out.push('"'),
            b'\\' => out.push('\\'),
            b'/' => out.push('/'),
            b'b' => out.push('\u{8}'),
            b'f' => out.push('\u{c}'),
            b'n' => out.push('\n'),
            b'r' => out.push('\r'),
            b't' => out.push('\t'),
            b'u' => {
                let high = hex4(inner.get(i + 2..i + 6)?)?;
                next = i + 6;
                let code = if (0xD800..0xDC00).contains(&high) {
                    if inner.get(next..next + 2)? != "\\u" {
                        return None;
                    }
                    let low = hex4(inner.get(next + 2..next + 6)?)?;
                    if !(0xDC00..0xE000).contains(&low) {
                        return None;
                    }
                    next += 6;
                    0x1_0000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                } else {
                    high
                };
                // A lone low surrogate is no char: `None`.
                out.push(char::from_u32(code)?);
            }
            _ => return None,
        }
        run = next;
        i = next;
    }
    out.push_str(inner.get(run..)?);
    Some(out)
}

/// The index of the first `\\` in `bytes` from `i` (or its length), eight bytes at a time.
#[inline]
fn to_backslash(bytes: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word) ^ (ONES * u64::from(b'\\'));
        // The lowest set bit marks the first zero byte exactly (a borrow only ever marks
        // bytes above a zero one).
        let zero = w.wrapping_sub(ONES) & !w & HIGH;
        if zero != 0 {
            return i + (zero.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while bytes.get(i).is_some_and(|b| *b != b'\\') {
        i += 1;
    }
    i
}

/// Four hex digits.
fn hex4(text: &str) -> Option<u32> {
    if text.len() != 4 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(text, 16).ok()
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A JSON string literal of `units` (UTF-16 code units, surrogates lone or paired), each
    /// written plainly or escaped in one of the ways JSON allows.
    fn literal(units: &[(u16, u8)]) -> String {
        let mut out = String::from('"');
        for &(unit, how) in units {
            let plain =
                char::from_u32(u32::from(unit)).filter(|c| *c >= ' ' && *c != '"' && *c != '\\');
            match (how % 3, plain) {
                (0, Some(c)) => out.push(c),
                (1, _) if unit < 0x80 => match unit as u8 {
                    b'"' => out.push_str(r#"\""#),
                    b'\\' => out.push_str(r"\\"),
                    b'/' => out.push_str(r"\/"),
                    8 => out.push_str(r"\b"),
                    12 => out.push_str(r"\f"),
                    b'\n' => out.push_str(r"\n"),
                    b'\r' => out.push_str(r"\r"),
                    b'\t' => out.push_str(r"\t"),
                    _ => out.push_str(&format!("\\u{unit:04x}")),
                },
                _ => out.push_str(&format!("\\u{unit:04X}")),
            }
        }
        out.push('"');
        out
    }

    fn unit() -> impl Strategy<Value = u16> {
        prop_oneof![
            0u16..0x80,
            any::<u16>(),
            0xD800u16..0xE000,
            prop::sample::select(vec![
                b'"' as u16,
                b'\\' as u16,
                b'/' as u16,
                8,
                12,
                10,
                13,
                9,
                0x7c
            ]),
        ]
    }

    /// What `reads` decides without decoding is what decoding decides.
    fn reads_as_decoding_does(text: &str) -> Result<(), TestCaseError> {
        let decoded = !matches!(Scalar::of(text), Scalar::Invalid | Scalar::OutOfRange);
        prop_assert_eq!(Scalar::reads(text), decoded, "{}", text);
        Ok(())
    }

    #[test]
    fn numbers_read_where_serde_json_reads_them() {
        let long = format!("1{}", "0".repeat(298));
        let too_long = format!("1{}", "0".repeat(309));
        let fraction = format!("0.{}", "9".repeat(400));
        for (text, finite) in [
            ("0", true),
            ("-0.0", true),
            ("1549901", true),
            ("1e308", true),
            ("1.7976931348623157e308", true),
            // `str::parse::<f64>` reads this as `f64::MAX`; serde_json overflows.
            ("1.7976931348623158e308", false),
            ("1E309", false),
            ("-1e999", false),
            ("1.5e-999", true),
            (long.as_str(), true),
            (too_long.as_str(), false),
            (fraction.as_str(), true),
        ] {
            assert_eq!(finite_number(text), finite, "{text}");
            assert_eq!(
                serde_json::from_str::<Value>(text).is_ok(),
                finite,
                "serde_json on {text}"
            );
            reads_as_decoding_does(text).unwrap();
        }
    }

    proptest! {
        #[test]
        fn numbers_read_as_parsing_says(
            int in "-?(0|[1-9][0-9]{0,320})",
            frac in proptest::option::of("[0-9]{1,400}"),
            exp in proptest::option::of("[eE][+-]?[0-9]{1,4}"),
        ) {
            let text = format!("{int}{}{}", frac.map(|f| format!(".{f}")).unwrap_or_default(), exp.unwrap_or_default());
            prop_assert_eq!(finite_number(&text), serde_json::from_str::<Value>(&text).is_ok(), "{}", text);
        }

        #[test]
        fn strings_read_as_decoding_says(units in prop::collection::vec((unit(), any::<u8>()), 0..24)) {
            let text = literal(&units);
            prop_assume!(serde_json::from_str::<serde::de::IgnoredAny>(&text).is_ok());
            reads_as_decoding_does(&text)?;
        }

        #[test]
        fn strings_decode_as_serde_json_decodes_them(units in prop::collection::vec((unit(), any::<u8>()), 0..24)) {
            let text = literal(&units);
            // Only what serde_json scans as a string reaches raw_string.
            prop_assume!(serde_json::from_str::<serde::de::IgnoredAny>(&text).is_ok());
            let expected = serde_json::from_str::<String>(&text).ok();
            let got = raw_string(&text).ok().map(std::borrow::Cow::into_owned);
            prop_assert_eq!(&got, &expected, "{}", text);
        }
    }
}
