//! A JSON object's top-level fields read once: each key and raw value as a span of the text,
//! in key byte order, each key once (a key given twice keeps its last value, as a map would).
//! Protocol 1.0 bodies are verified over these values as received, and a verified callback
//! keeps them to decode from.
//!
//! A field is 20 bytes of offsets, so a callback's fields fit one small allocation; the rare
//! key or string with escapes has its decoded text on the side.

use super::scan;
use super::v1::{Scalar, check, excluded};
use super::{SecretKey, Signer, VerifyError};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// Where a piece of the text lies.
#[derive(Clone, Copy, Debug)]
pub(super) struct Span {
    pub(super) start: u32,
    pub(super) end: u32,
}

/// A [`Span::start`] marking a key held decoded: its `end` is the index in `decoded`.
pub(super) const DECODED_KEY: u32 = u32::MAX;

/// One field.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RawField {
    pub(super) key: Span,
    /// The raw JSON text of the value.
    pub(super) value: Span,
    /// What reading and verification saw of the value: [`UNKNOWN`], [`PLAIN`],
    /// [`PLAIN_BAR`], or `DECODED + i` for a string with escapes whose decoded text is
    /// `decoded[i]`.
    pub(super) seen: u32,
}

/// Not a string without escapes (a number, `null`, a boolean, a nested value), or a string
/// with escapes not decoded yet.
pub(super) const UNKNOWN: u32 = 0;
/// A string without escapes or `|`: its text is the raw text between the quotes.
pub(super) const PLAIN: u32 = 1;
/// A string without escapes that holds a `|`.
pub(super) const PLAIN_BAR: u32 = 2;
/// The first mark of a string held decoded.
const DECODED: u32 = 3;

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
        if let Some(inner) = Self::wrapped(text) {
            return Ok(inner);
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

    /// The inner object of a text written plainly as `{"response": {…}}`, read in one pass;
    /// `None` for any other text (which [`Self::parse`] then reads in general).
    fn wrapped(text: &'a str) -> Option<Self> {
        // Whitespace, then `token`: where the token ends.
        let token = |at: usize, token: &str| {
            let at = scan::skip_whitespace(text, at);
            text.get(at..)?
                .starts_with(token)
                .then_some(at + token.len())
        };
        let at = token(0, "{")?;
        let at = token(at, "\"response\"")?;
        let at = token(at, ":")?;
        let (object, end) = Self::read(text, at).ok()?;
        let end = token(end, "}")?;
        (scan::skip_whitespace(text, end) == text.len()).then_some(object)
    }

    /// One JSON object's fields, sorted.
    fn object(text: &'a str) -> Result<Self, scan::Invalid> {
        let (object, end) = Self::read(text, 0)?;
        if scan::skip_whitespace(text, end) == text.len() {
            Ok(object)
        } else {
            Err(scan::Invalid)
        }
    }

    /// The fields of the object at `at` in `text`, sorted, and where the object ends.
    fn read(text: &'a str, at: usize) -> Result<(Self, usize), scan::Invalid> {
        let mut decoded = Vec::new();
        let (fields, end) = scan::object(text, at, &mut decoded)?;
        let mut object = Self {
            text,
            fields,
            decoded,
        };
        object.sort();
        Ok((object, end))
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
                Some(last) if self.key(last) == self.key(f) => {
                    last.value = f.value;
                    last.seen = f.seen;
                }
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
        self.fields.iter().all(|f| {
            // A string without escapes always reads (the scan saw all of it).
            if matches!(f.seen, PLAIN | PLAIN_BAR) {
                return true;
            }
            Scalar::reads(self.raw(f))
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
            PLAIN | PLAIN_BAR => Some(self.text(inner(f.value))),
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
            match f.seen {
                // Most values: a string without escapes, signed as it lies in the body.
                PLAIN => {
                    signer.push(self.text(inner(f.value)));
                    continue;
                }
                PLAIN_BAR => return Err(VerifyError::Separator(name.to_owned())),
                _ => {}
            }
            let raw = self.raw(&f);
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

/// The span between a string's quotes.
fn inner(quoted: Span) -> Span {
    Span {
        start: quoted.start.saturating_add(1),
        end: quoted.end.saturating_sub(1),
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

    /// The reference reading: serde_json's, of the fields in key order, each once with its
    /// last value, unwrapping a lone `response` as [`RawFields::parse`] does; `None` where it
    /// refuses the text.
    fn reference(text: &str) -> Option<Vec<(String, String)>> {
        use serde::de::{Deserializer, MapAccess, Visitor};
        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = Vec<(String, &'de serde_json::value::RawValue)>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut fields = Vec::new();
                while let Some(k) = map.next_key::<String>()? {
                    fields.push((k, map.next_value()?));
                }
                Ok(fields)
            }
        }
        let object = |text: &str| {
            let mut de = serde_json::Deserializer::from_str(text);
            let fields = (&mut de).deserialize_map(Fields).ok()?;
            de.end().ok()?;
            let map: std::collections::BTreeMap<String, String> = fields
                .into_iter()
                .map(|(k, v)| (k, v.get().to_owned()))
                .collect();
            Some(map.into_iter().collect::<Vec<_>>())
        };
        let outer = object(text)?;
        match outer.as_slice() {
            [(k, v)] if k == "response" => object(v),
            _ => Some(outer),
        }
    }

    /// A JSON value's text, of the kinds a gateway sends and some it should not.
    fn json_value() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z0-9 |é\\\"/\u{1}\u{7f}]{0,12}"
                .prop_map(|s| serde_json::Value::String(s).to_string()),
            r#""([a-c|]|\\[nt"\\/bfr]|\\u00[0-9a-fA-F]{2}|\\ud83d\\ude00|\\ud800){0,6}""#,
            r#"-?(0|[1-9][0-9]{0,3})(\.[0-9]{1,3})?([eE][+-]?[0-9]{1,3})?"#,
            Just("1e999".to_owned()),
            Just("true".to_owned()),
            Just("false".to_owned()),
            Just("null".to_owned()),
            Just(r#"{"a":[1,{"b":"\"}"}],"c":{}}"#.to_owned()),
            Just("[ ]".to_owned()),
        ]
    }

    /// A JSON object's text, flat or wrapped in `response`, with whitespace here and there.
    fn json_object() -> impl Strategy<Value = String> {
        let ws = prop::sample::select(vec!["", "", " ", "\n\t ", "\r"]);
        let field = (
            "[a-c_é|]{0,6}|\\u0061[a-c]{0,2}|[a-c]\\\"",
            ws.clone(),
            json_value(),
            ws.clone(),
        )
            .prop_map(|(k, w1, v, w2)| format!("{w1}\"{k}\"{w2}:{w1}{v}{w2}"));
        (prop::collection::vec(field, 0..8), ws, any::<bool>()).prop_map(|(fields, w, wrap)| {
            let flat = format!("{w}{{{}}}{w}", fields.join(","));
            if wrap {
                format!("{w}{{{w}\"response\"{w}:{flat}}}{w}")
            } else {
                flat
            }
        })
    }

    /// The fields [`RawFields::parse`] reads, with each one's text as a string without
    /// escapes (for others, `None`).
    fn read(text: &str) -> Option<Vec<(String, String, Option<String>)>> {
        let fields = RawFields::parse(text).ok()?;
        Some(
            fields
                .fields()
                .iter()
                .map(|f| {
                    let (k, raw) = (fields.key(f), fields.raw(f));
                    (
                        k.to_owned(),
                        raw.to_owned(),
                        fields.str_of(f).map(str::to_owned),
                    )
                })
                .collect(),
        )
    }

    /// [`reference`], each string value without escapes with its text.
    fn expected(text: &str) -> Option<Vec<(String, String, Option<String>)>> {
        let plain = |raw: &str| {
            let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
            (!inner.contains('\\')).then(|| inner.to_owned())
        };
        reference(text).map(|fields| {
            fields
                .into_iter()
                .map(|(k, raw)| {
                    let text = plain(&raw);
                    (k, raw, text)
                })
                .collect()
        })
    }

    #[test]
    fn the_reading_is_serde_jsons_on_examples() {
        for text in [
            "{}",
            " { } ",
            r#"{"a":1,}"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":-}"#,
            r#"{"a":"\x"}"#,
            r#"{"a":"\u12"}"#,
            "{\"a\":\"\u{1}\"}",
            r#"{"a":tru}"#,
            r#"{"a":true1}"#,
            r#"{"a":"b"}x"#,
            r#"{"response":{"a":"b"}}"#,
            r#"{"response":{"a":"b"},"response":{"c":1}}"#,
            r#"{"respons\u0065":{"a":"b"}}"#,
            r#"{"response":"b"}"#,
            r#"{"response":{"a":"b"}"#,
            r#"{"response":{"a":"b"}} }"#,
            r#"{"\ud800":1}"#,
            r#"{"a":[1,2}"#,
            r#"{"a":"x","a":1}"#,
            r#"{"a":1,"a":"x"}"#,
            r#"{"a":"x|y","a":"x"}"#,
        ] {
            assert_eq!(read(text), expected(text), "{text}");
        }
        // Deeply nested values: read as serde_json reads them, without a stack overflow.
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(read(&deep), expected(&deep));
        let deep = format!("{{\"a\":{}", "{\"a\":".repeat(100_000));
        assert_eq!(read(&deep), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Every object reads as serde_json reads it, and so does every text made from one by
        /// cutting it, or by putting a byte in or taking one out.
        #[test]
        fn the_reading_is_serde_jsons(
            text in json_object(),
            cut in any::<prop::sample::Index>(),
            put in prop::sample::select(vec![
                "", "\"", "\\", ",", ":", "{", "}", "[", "]", " ", "0", "-", ".", "e", "\u{1}", "u", "|", "é",
            ]),
            take in any::<bool>(),
        ) {
            prop_assert_eq!(read(&text), expected(&text), "{}", text);
            let at = cut.index(text.len() + 1);
            if text.is_char_boundary(at) {
                let mut changed = format!("{}{put}{}", &text[..at], &text[at..]);
                if take {
                    if let Some((i, _)) = changed[at..].char_indices().nth(put.chars().count()) {
                        changed.remove(at + i);
                    }
                }
                prop_assert_eq!(read(&changed), expected(&changed), "{}", changed);
                prop_assert_eq!(read(&text[..at]), expected(&text[..at]), "{}", &text[..at]);
            }
        }

        /// Short texts over JSON's own characters, mostly not JSON, read as serde_json reads
        /// them too.
        #[test]
        fn texts_of_json_characters_read_as_serde_jsons(
            text in "[{}\\[\\]\":, \\t0-9aeElnrstu+.|\\\\-]{0,24}",
        ) {
            prop_assert_eq!(read(&text), expected(&text), "{}", text);
        }
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
