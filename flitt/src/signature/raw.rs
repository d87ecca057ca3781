//! A JSON object's top-level fields read once: each key and raw value as a span of the text,
//! in key byte order, each key once (a key given twice keeps its last value, as a map would).
//! Protocol 1.0 bodies are verified over these values as received, and a verified callback
//! keeps them to decode from.
//!
//! A field is 20 bytes of offsets, so a callback's fields fit one small allocation; the rare
//! key or string with escapes has its decoded text on the side.

use super::v1::{Key, Scalar, check, excluded};
use super::{SecretKey, Signer, VerifyError};
use serde::de::{DeserializeSeed, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;

/// Where a piece of the text lies.
#[derive(Clone, Copy, Debug)]
struct Span {
    start: u32,
    end: u32,
}

/// A [`Span::start`] marking a key held decoded: its `end` is the index in `decoded`.
const DECODED_KEY: u32 = u32::MAX;

/// One field.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RawField {
    key: Span,
    /// The raw JSON text of the value.
    value: Span,
    /// What verification saw of the value: [`UNKNOWN`], [`PLAIN`], or `DECODED + i` for a
    /// string with escapes whose decoded text is `decoded[i]`.
    seen: u32,
}

/// Not known to be a string (a number, `null`, a boolean, the signature, or not verified).
const UNKNOWN: u32 = 0;
/// A string without escapes: its text is the raw text between the quotes.
const PLAIN: u32 = 1;
/// The first mark of a string held decoded.
const DECODED: u32 = 2;

/// A JSON object's fields in key byte order, each once, over a text `T` (borrowed while
/// verifying, owned once kept).
#[derive(Clone)]
pub(crate) struct RawFields<T> {
    text: T,
    fields: Vec<RawField>,
    /// Keys and string values with escapes, decoded.
    decoded: Vec<Box<str>>,
}

/// The most fields an order is remembered for: a callback or reply has about 40, and a huge
/// object must not leave a huge vector behind in every thread that read one.
const REMEMBERED_FIELDS: usize = 256;

thread_local! {
    /// The places, as written, of the fields the last object sorted (without a key given
    /// twice) put first, second, and so on.
    static LAST_ORDER: std::cell::RefCell<Vec<u32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Where `part`, a slice of `whole`, lies in it. `whole` is shorter than `u32::MAX` bytes
/// (longer texts are refused first), so the offsets fit.
fn span(whole: &str, part: &str) -> Span {
    let start = (part.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize) as u32;
    Span {
        start,
        end: start.wrapping_add(part.len() as u32),
    }
}

/// `a < b` in byte order, by their first eight bytes when those differ.
fn less(a: &str, b: &str) -> bool {
    let word = |s: &str| {
        s.as_bytes()
            .get(..8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map(u64::from_be_bytes)
    };
    match (word(a), word(b)) {
        (Some(x), Some(y)) if x != y => x < y,
        _ => a.as_bytes() < b.as_bytes(),
    }
}

impl<'a> RawFields<&'a str> {
    /// The fields of a body: a JSON object, flat or wrapped in `{"response": {…}}` (then the
    /// inner object's), parsed once.
    ///
    /// # Errors
    /// [`VerifyError::Malformed`] for anything else; never a panic, whatever the text.
    pub(crate) fn parse(text: &'a str) -> Result<Self, VerifyError> {
        if u32::try_from(text.len()).is_err() {
            return Err(VerifyError::Malformed("the body is too large"));
        }
        let outer = Self::object(text).map_err(|_| VerifyError::Malformed("not a JSON object"))?;
        if let [only] = outer.fields.as_slice() {
            if outer.key(only) == "response" {
                let inner = text
                    .get(only.value.start as usize..only.value.end as usize)
                    .unwrap_or("");
                return Self::object(inner)
                    .map_err(|_| VerifyError::Malformed("`response` is not a JSON object"));
            }
        }
        Ok(outer)
    }

    /// One JSON object's fields, sorted.
    fn object(text: &'a str) -> Result<Self, serde_json::Error> {
        let mut decoded = Vec::new();
        let mut de = serde_json::Deserializer::from_str(text);
        let fields = Collect {
            text,
            decoded: &mut decoded,
        }
        .deserialize(&mut de)?;
        de.end()?;
        let mut object = Self {
            text,
            fields,
            decoded,
        };
        object.sort();
        Ok(object)
    }

    /// Puts the fields in key byte order, a key given twice once with its last value.
    fn sort(&mut self) {
        if self.in_order(0..self.fields.len()) {
            return;
        }
        // A gateway writes its fields in the same order every time: the order the last
        // object sorted into is tried first, and kept when it puts these keys in strictly
        // increasing order (then it is a permutation, and no key is given twice).
        let reused = LAST_ORDER.with_borrow(|last| {
            (last.len() == self.fields.len() && self.in_order(last.iter().map(|&i| i as usize)))
                .then(|| last.iter().map(|&i| self.fields[i as usize]).collect())
        });
        self.fields = match reused {
            Some(sorted) => sorted,
            None => self.sorted(),
        };
    }

    /// Whether the fields at `places` have strictly increasing keys (every place is in range).
    fn in_order(&self, places: impl Iterator<Item = usize>) -> bool {
        let mut previous: Option<&str> = None;
        for place in places {
            let Some(f) = self.fields.get(place) else {
                return false;
            };
            let key = self.key(f);
            if previous.is_some_and(|p| !less(p, key)) {
                return false;
            }
            previous = Some(key);
        }
        true
    }

    /// The fields sorted, and the order remembered for the next object when no key was given
    /// twice.
    fn sorted(&self) -> Vec<RawField> {
        // Sorted as plain numbers: each key's first 12 bytes (which tell nearly all parameter
        // names apart) above the place it was written. Keys alike in those bytes are then put
        // in order by their whole text; among equal keys the last written comes last.
        let mut order: Vec<u128> = self
            .fields
            .iter()
            .zip(0u32..)
            .map(|(f, i)| head(self.key(f)) | u128::from(i))
            .collect();
        order.sort_unstable();
        let field = |slot: u128| self.fields.get(slot as u32 as usize);
        let key = |slot: u128| field(slot).map_or("", |f| self.key(f));
        let mut start = 0;
        while start < order.len() {
            let run = order[start..]
                .iter()
                .take_while(|slot| *slot >> 32 == order[start] >> 32)
                .count();
            if run > 1 {
                // Stable: the places written stay in order among equal keys.
                order[start..start + run].sort_by(|a, b| key(*a).cmp(key(*b)));
            }
            start += run;
        }
        let mut sorted: Vec<RawField> = Vec::with_capacity(order.len());
        for &slot in &order {
            let Some(f) = field(slot) else { continue };
            match sorted.last_mut() {
                // A key given twice counts once, with its last value.
                Some(last) if self.key(last) == self.key(f) => last.value = f.value,
                _ => sorted.push(*f),
            }
        }
        if sorted.len() == order.len() && order.len() <= REMEMBERED_FIELDS {
            LAST_ORDER.with_borrow_mut(|last| {
                last.clear();
                last.extend(order.iter().map(|&slot| slot as u32));
            });
        }
        sorted
    }

    /// The same fields over an owned copy of the text.
    pub(crate) fn into_owned(self) -> RawFields<Box<str>> {
        RawFields {
            text: self.text.into(),
            fields: self.fields,
            decoded: self.decoded,
        }
    }
}

impl<T: AsRef<str>> RawFields<T> {
    fn text(&self, span: Span) -> &str {
        // Every span was taken from this very text, so it is always found.
        self.text
            .as_ref()
            .get(span.start as usize..span.end as usize)
            .unwrap_or("null")
    }

    /// A field's key, decoded.
    pub(crate) fn key(&self, f: &RawField) -> &str {
        if f.key.start == DECODED_KEY {
            self.decoded.get(f.key.end as usize).map_or("", |k| k)
        } else {
            self.text(f.key)
        }
    }

    /// A field's value as raw JSON text.
    pub(crate) fn raw(&self, f: &RawField) -> &str {
        self.text(f.value)
    }

    /// The fields in key order.
    pub(crate) fn fields(&self) -> &[RawField] {
        &self.fields
    }

    /// The keys and raw values in key order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|f| (self.key(f), self.raw(f)))
    }

    pub(crate) fn position(&self, key: &str) -> Option<usize> {
        self.fields.binary_search_by(|f| self.key(f).cmp(key)).ok()
    }

    /// The fields as a JSON map, each value read from its text (`null` for one that does not
    /// read; see [`Self::every_value_reads`]).
    pub(crate) fn to_map(&self) -> Map<String, Value> {
        self.iter()
            .map(|(k, raw)| {
                (
                    k.to_owned(),
                    serde_json::from_str(raw).unwrap_or(Value::Null),
                )
            })
            .collect()
    }

    /// Whether every value reads as JSON, as a map of them needs: valid JSON text can still
    /// hold a number beyond `f64` (`1e999`) or a lone surrogate escape. Verification refuses
    /// those too.
    pub(crate) fn every_value_reads(&self) -> bool {
        self.iter().all(|(_, raw)| match Scalar::of(raw) {
            Scalar::Invalid | Scalar::OutOfRange => false,
            Scalar::Nested => serde_json::from_str::<Value>(raw).is_ok(),
            Scalar::Absent | Scalar::Text(_) | Scalar::Bool(_) => true,
        })
    }

    /// The raw JSON text of `key`'s value.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.position(key).map(|i| self.raw(&self.fields[i]))
    }

    /// Drops a field.
    pub(crate) fn remove(&mut self, key: &str) {
        if let Some(i) = self.position(key) {
            self.fields.remove(i);
        }
    }

    /// A string field's text (decoded), borrowed; `None` for other values, and for a string
    /// with escapes that verification did not decode.
    pub(crate) fn str_of(&self, f: &RawField) -> Option<&str> {
        match f.seen {
            // Verification saw the quotes.
            PLAIN => Some(self.text(Span {
                start: f.value.start.saturating_add(1),
                end: f.value.end.saturating_sub(1),
            })),
            UNKNOWN => {
                let inner = self.raw(f).strip_prefix('"')?.strip_suffix('"')?;
                (!inner.contains('\\')).then_some(inner)
            }
            i => self.decoded.get((i - DECODED) as usize).map(|s| &**s),
        }
    }

    /// Verifies the fields over their values as received (see
    /// [`super::verify_v1_json`]), noting what it saw of each string, so that whoever keeps
    /// the fields need not look at them again.
    ///
    /// # Errors
    /// [`VerifyError`].
    pub(crate) fn verify(&mut self, key: &SecretKey) -> Result<(), VerifyError> {
        let received = self.get("signature").ok_or(VerifyError::MissingSignature)?;
        if !received.starts_with('"') {
            return Err(VerifyError::Malformed("the signature is not a string"));
        }
        let received = super::v1::raw_string(received)?.into_owned();
        if received.is_empty() {
            return Err(VerifyError::MissingSignature);
        }
        let mut signer = Signer::new(key);
        for i in 0..self.fields.len() {
            let f = self.fields[i];
            let name = self.key(&f);
            if excluded(name) {
                continue;
            }
            let raw = self.raw(&f);
            // Most values are strings without escapes: one look at their bytes for `\\` and
            // `|` (no branch per byte), and their text is signed as it lies in the body.
            if let Some(inner) = raw.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
                let (mut escaped, mut separator) = (false, false);
                for b in inner.bytes() {
                    escaped |= b == b'\\';
                    separator |= b == b'|';
                }
                if !escaped {
                    if separator {
                        return Err(VerifyError::Separator(name.to_owned()));
                    }
                    // An empty one adds nothing.
                    signer.push(inner);
                    self.fields[i].seen = PLAIN;
                    continue;
                }
            }
            match Scalar::of(raw) {
                Scalar::Absent => {}
                // A string decoded, a number by its exact text.
                Scalar::Text(value) => {
                    if value.contains('|') {
                        return Err(VerifyError::Separator(name.to_owned()));
                    }
                    signer.push(&value);
                    if let Cow::Owned(value) = value {
                        let mark = u32::try_from(self.decoded.len())
                            .map_or(UNKNOWN, |n| n.saturating_add(DECODED));
                        self.decoded.push(value.into_boxed_str());
                        self.fields[i].seen = mark;
                    }
                }
                // Python's str() of a boolean, as the server appears to sign them.
                Scalar::Bool(true) => signer.push("True"),
                Scalar::Bool(false) => signer.push("False"),
                Scalar::Nested => return Err(VerifyError::UnsupportedValue(name.to_owned())),
                Scalar::Invalid => return Err(VerifyError::Malformed("a string value is invalid")),
                Scalar::OutOfRange => {
                    return Err(VerifyError::Malformed("a number is out of range"));
                }
            }
        }
        check(signer.finish(), &received)
    }
}

/// A key's first 12 bytes, zero-padded, as the top 96 bits of a number: a smaller head means
/// a smaller key in byte order; equal heads say nothing.
fn head(key: &str) -> u128 {
    let mut bytes = [0u8; 16];
    let n = key.len().min(16);
    if let (Some(to), Some(from)) = (bytes.get_mut(..n), key.as_bytes().get(..n)) {
        to.copy_from_slice(from);
    }
    u128::from_be_bytes(bytes) & !u128::from(u32::MAX)
}

/// Reads a JSON object's entries, in the order written, as spans of `text`.
struct Collect<'a, 'd> {
    text: &'a str,
    decoded: &'d mut Vec<Box<str>>,
}

impl<'de> DeserializeSeed<'de> for Collect<'de, '_> {
    type Value = Vec<RawField>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Collect<'de, '_> {
    type Value = Vec<RawField>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<RawField>, A::Error> {
        // A callback carries about 40 fields: one small allocation for all of them.
        let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(48).min(256));
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let value: &'de RawValue = map.next_value()?;
            let key = match key {
                Cow::Borrowed(k) => span(self.text, k),
                Cow::Owned(k) => {
                    self.decoded.push(k.into_boxed_str());
                    Span {
                        start: DECODED_KEY,
                        end: u32::try_from(self.decoded.len() - 1).unwrap_or(u32::MAX),
                    }
                }
            };
            fields.push(RawField {
                key,
                value: span(self.text, value.get()),
                seen: UNKNOWN,
            });
        }
        Ok(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_field_is_twenty_bytes() {
        assert_eq!(std::mem::size_of::<RawField>(), 20);
    }

    /// `entries` as a JSON object, and the fields a map would hold, in key order.
    fn object_of(entries: &[(String, u32)]) -> (String, Vec<(String, String)>) {
        let mut expected = std::collections::BTreeMap::new();
        let mut text = String::from("{");
        for (k, v) in entries {
            expected.insert(k.clone(), v.to_string());
            text.push_str(&format!("{}:{v},", serde_json::Value::String(k.clone())));
        }
        let text = format!("{}}}", text.trim_end_matches(','));
        (text, expected.into_iter().collect())
    }

    fn parsed(text: &str) -> Vec<(String, String)> {
        let fields = RawFields::object(text).unwrap();
        fields
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    #[test]
    fn a_huge_object_is_sorted_but_its_order_not_remembered() {
        let entries: Vec<(String, u32)> =
            (0..1000).rev().map(|i| (format!("k{i:04}"), i)).collect();
        let (text, expected) = object_of(&entries);
        LAST_ORDER.with_borrow_mut(Vec::clear);
        assert_eq!(parsed(&text), expected);
        assert!(LAST_ORDER.with_borrow(Vec::is_empty));
        let (text, expected) = object_of(&entries[..40]);
        assert_eq!(parsed(&text), expected);
        assert_eq!(LAST_ORDER.with_borrow(Vec::len), 40);
    }

    proptest! {
        #[test]
        fn less_is_byte_order(a in "[a-c_é]{0,12}", b in "[a-c_é]{0,12}") {
            prop_assert_eq!(less(&a, &b), a.as_bytes() < b.as_bytes());
        }

        #[test]
        fn fields_come_in_byte_order_each_key_once_with_its_last_value(
            entries in prop::collection::vec(("[a-c_\u{0}é\"]{0,20}", 0u32..1000), 0..16)
        ) {
            let (text, expected) = object_of(&entries);
            prop_assert_eq!(parsed(&text), expected);
        }

        /// The order remembered from one object is only reused when it sorts the next: the
        /// same keys written in another order, a key given twice, or one key more or fewer
        /// sort as from scratch.
        #[test]
        fn a_remembered_order_never_misorders_the_next_object(
            entries in prop::collection::vec(("[a-d]{1,3}", 0u32..1000), 1..12),
            rotate in 0usize..12,
            twice in 0usize..12,
        ) {
            let (first, expected) = object_of(&entries);
            prop_assert_eq!(parsed(&first), expected);
            let mut rotated = entries.clone();
            rotated.rotate_left(rotate % entries.len());
            let (text, expected) = object_of(&rotated);
            prop_assert_eq!(parsed(&text), expected);
            let mut doubled = entries.clone();
            doubled.push((entries[twice % entries.len()].0.clone(), 7));
            let (text, expected) = object_of(&doubled);
            prop_assert_eq!(parsed(&text), expected);
            let (text, expected) = object_of(&entries[1..]);
            prop_assert_eq!(parsed(&text), expected);
            // As many fields as the remembered order, one key given twice.
            prop_assert_eq!(parsed(&first), object_of(&entries).1);
            let mut same_length = entries.clone();
            same_length[twice % entries.len()].0 = entries[0].0.clone();
            let (text, expected) = object_of(&same_length);
            prop_assert_eq!(parsed(&text), expected);
            // And again the first: likely through the remembered order.
            let (text, expected) = object_of(&entries);
            prop_assert_eq!(parsed(&text), expected);
        }
    }
}
