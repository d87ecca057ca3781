//! Helpers the generated code calls: lenient decoding of gateway values, `Y`/`N` and date
//! serialization, a stack buffer for date text, and schema fragments.
//!
//! Not a public API: reached through `flitt::__private::wire` by generated code only.

use crate::types::{Date, DateFormat, DateTime, Decimal, JsonString, Sensitive, write_date};
use schemars::{Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serializer};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::LazyLock;
use time::format_description::{self, BorrowedFormatItem};

/// A value decoded leniently from whatever JSON the gateway sends for it.
///
/// `null` and `""` are absent; numbers may come as JSON numbers or numeric strings.
pub trait Lenient: Sized {
    /// Whether the type is a scalar read from text: then [`lenient`] gives it strings, numbers
    /// (by their JSON text) and booleans through [`from_text`](Self::from_text), with no
    /// [`Value`] built on the way. A type that keeps a value's JSON type (a list, an object,
    /// any JSON) leaves it `false`.
    const TEXT: bool = false;

    /// Decodes; `Ok(None)` is absent.
    ///
    /// # Errors
    /// A short description when the value cannot be this type.
    fn from_json(value: Value) -> Result<Option<Self>, String>;

    /// Decodes a scalar given as text: a string's contents, or a number's or a boolean's JSON
    /// text; `""` is absent. The same result as [`from_json`](Self::from_json) of the value.
    ///
    /// # Errors
    /// A short description when the text cannot be this type.
    fn from_text(text: &str) -> Result<Option<Self>, String> {
        Self::from_json(Value::String(text.to_owned()))
    }
}

/// `deserialize_with` for every response field.
///
/// Scalars of a [`Lenient::TEXT`] type decode straight from the text the deserializer hands
/// over (borrowed when it can); anything else goes through a [`Value`], as before.
///
/// # Errors
/// When the value is present and cannot be the field's type.
pub fn lenient<'de, D: Deserializer<'de>, T: Lenient>(d: D) -> Result<Option<T>, D::Error> {
    d.deserialize_any(LenientVisitor(std::marker::PhantomData))
}

/// The visitor behind [`lenient`].
struct LenientVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: Lenient> serde::de::Visitor<'de> for LenientVisitor<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Option<T>, E> {
        if T::TEXT {
            T::from_text(v)
        } else {
            T::from_json(Value::String(v.to_owned()))
        }
        .map_err(E::custom)
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Option<T>, E> {
        if T::TEXT {
            T::from_text(&v)
        } else {
            T::from_json(Value::String(v))
        }
        .map_err(E::custom)
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Option<T>, E> {
        if T::TEXT {
            T::from_text(itoa::Buffer::new().format(v))
        } else {
            T::from_json(Value::from(v))
        }
        .map_err(E::custom)
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Option<T>, E> {
        if T::TEXT {
            T::from_text(itoa::Buffer::new().format(v))
        } else {
            T::from_json(Value::from(v))
        }
        .map_err(E::custom)
    }

    // Rare on the wire: through a `Value`, whose number text is the one to keep.
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Option<T>, E> {
        T::from_json(Value::from(v)).map_err(E::custom)
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Option<T>, E> {
        T::from_json(Value::Bool(v)).map_err(E::custom)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Option<T>, E> {
        T::from_json(Value::Null).map_err(E::custom)
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Option<T>, E> {
        self.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Option<T>, A::Error> {
        let value = Value::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))?;
        T::from_json(value).map_err(serde::de::Error::custom)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Option<T>, A::Error> {
        let value = Value::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        T::from_json(value).map_err(serde::de::Error::custom)
    }
}

/// [`Lenient::from_json`] of a scalar type, through its [`Lenient::from_text`].
///
/// # Errors
/// For objects and arrays, and as `from_text`.
pub fn scalar_from_json<T: Lenient>(value: Value) -> Result<Option<T>, String> {
    match value {
        Value::String(s) => T::from_text(&s),
        Value::Number(n) => T::from_text(&n.to_string()),
        Value::Bool(b) => T::from_text(if b { "true" } else { "false" }),
        other => lenient_text(other).map(|_| None),
    }
}

/// The text of a scalar: strings as they are, numbers and booleans by their JSON text; `null`
/// and `""` are `None`.
///
/// # Errors
/// For objects and arrays.
pub fn lenient_text(value: Value) -> Result<Option<String>, String> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) if s.is_empty() => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        Value::Array(_) | Value::Object(_) => Err("expected a scalar, found a nested value".into()),
    }
}

/// Decodes a nested object or struct; `null` and `""` are absent.
///
/// # Errors
/// When the value does not decode as `T`.
pub fn lenient_struct<T: serde::de::DeserializeOwned>(value: Value) -> Result<Option<T>, String> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) if s.is_empty() => Ok(None),
        other => serde_json::from_value(other)
            .map(Some)
            .map_err(|e| e.to_string()),
    }
}

impl Lenient for String {
    const TEXT: bool = true;
    fn from_json(value: Value) -> Result<Option<Self>, String> {
        scalar_from_json(value)
    }
    fn from_text(text: &str) -> Result<Option<Self>, String> {
        Ok((!text.is_empty()).then(|| text.to_owned()))
    }
}

impl Lenient for Sensitive<String> {
    const TEXT: bool = true;
    fn from_json(value: Value) -> Result<Option<Self>, String> {
        // The value is never echoed in the error.
        scalar_from_json(value).map_err(|_: String| "expected a scalar".into())
    }
    fn from_text(text: &str) -> Result<Option<Self>, String> {
        Ok((!text.is_empty()).then(|| Sensitive::new(text.to_owned())))
    }
}

impl Lenient for i64 {
    const TEXT: bool = true;
    fn from_json(value: Value) -> Result<Option<Self>, String> {
        scalar_from_json(value)
    }
    fn from_text(t: &str) -> Result<Option<Self>, String> {
        if t.is_empty() {
            return Ok(None);
        }
        t.trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| format!("expected an integer, found {:?}", excerpt(t)))
    }
}

impl Lenient for u64 {
    const TEXT: bool = true;
    fn from_json(value: Value) -> Result<Option<Self>, String> {
        scalar_from_json(value)
    }
    fn from_text(t: &str) -> Result<Option<Self>, String> {
        if t.is_empty() {
            return Ok(None);
        }
        t.trim()
            .parse::<u64>()
            .map(Some)
            .map_err(|_| format!("expected a whole amount, found {:?}", excerpt(t)))
    }
}

impl Lenient for bool {
    const TEXT: bool = true;
    fn from_json(value: Value) -> Result<Option<Self>, String> {
        scalar_from_json(value)
    }
    fn from_text(text: &str) -> Result<Option<Self>, String> {
        match text {
            "" => Ok(None),
            "Y" | "y" | "true" | "True" | "1" => Ok(Some(true)),
            "N" | "n" | "false" | "False" | "0" => Ok(Some(false)),
            other => Err(format!(
                "expected Y/N or a boolean, found {:?}",
                excerpt(other)
            )),
        }
    }
}

impl Lenient for Decimal {
    const TEXT: bool = true;
    fn from_json(value: Value) -> Result<Option<Self>, String> {
        scalar_from_json(value)
    }
    fn from_text(t: &str) -> Result<Option<Self>, String> {
        if t.is_empty() {
            return Ok(None);
        }
        t.parse()
            .map(Some)
            .map_err(|_| format!("expected a decimal, found {:?}", excerpt(t)))
    }
}

impl Lenient for crate::types::Currency {
    const TEXT: bool = true;
    fn from_json(value: Value) -> Result<Option<Self>, String> {
        scalar_from_json(value)
    }
    fn from_text(t: &str) -> Result<Option<Self>, String> {
        if t.is_empty() {
            return Ok(None);
        }
        Self::new(t)
            .map(Some)
            .map_err(|_| format!("expected a currency code, found {:?}", excerpt(t)))
    }
}

impl Lenient for DateTime {
    const TEXT: bool = true;
    fn from_json(value: Value) -> Result<Option<Self>, String> {
        scalar_from_json(value)
    }
    /// `YYYY-MM-DD HH:MM:SS`, or a bare `YYYY-MM-DD` (midnight), as the Reports API sends them.
    fn from_text(text: &str) -> Result<Option<Self>, String> {
        if text.is_empty() {
            return Ok(None);
        }
        let parsed = parse_date_text(text, DateFormat::YmdHms)
            .or_else(|| parse_date_text(text, DateFormat::Ymd));
        match parsed {
            Some((date, time)) => {
                let (h, m, s) = time.unwrap_or((0, 0, 0));
                DateTime::new(date, h, m, s)
                    .map(Some)
                    .map_err(|e| e.to_string())
            }
            None => Err(format!("expected a date-time, found {:?}", excerpt(text))),
        }
    }
}

impl Lenient for JsonString {
    fn from_json(value: Value) -> Result<Option<Self>, String> {
        match value {
            Value::Null => Ok(None),
            Value::String(s) if s.is_empty() => Ok(None),
            Value::String(s) => Ok(Some(JsonString::new(s))),
            // Some SDKs say it can come as an object: keep its text.
            other => Ok(Some(JsonString::new(other.to_string()))),
        }
    }
}

impl Lenient for Value {
    fn from_json(value: Value) -> Result<Option<Self>, String> {
        Ok(match value {
            Value::Null => None,
            other => Some(other),
        })
    }
}

impl<T: Lenient> Lenient for Vec<T> {
    fn from_json(value: Value) -> Result<Option<Self>, String> {
        match value {
            Value::Null => Ok(None),
            Value::String(s) if s.is_empty() => Ok(None),
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    if let Some(v) = T::from_json(item)? {
                        out.push(v);
                    }
                }
                Ok(Some(out))
            }
            _ => Err("expected a list".into()),
        }
    }
}

impl<T: Lenient> Lenient for BTreeMap<String, T> {
    fn from_json(value: Value) -> Result<Option<Self>, String> {
        match value {
            Value::Null => Ok(None),
            Value::String(s) if s.is_empty() => Ok(None),
            Value::Object(map) => {
                let mut out = BTreeMap::new();
                for (k, v) in map {
                    if let Some(v) = T::from_json(v)? {
                        out.insert(k, v);
                    }
                }
                Ok(Some(out))
            }
            _ => Err("expected an object".into()),
        }
    }
}

fn excerpt(text: &str) -> String {
    text.chars().take(32).collect()
}

/// Deserializes a scalar as text (enums accept numbers: `eci` arrives as `5` or `"5"`).
///
/// # Errors
/// For nested values.
pub fn deserialize_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let value = Value::deserialize(d)?;
    lenient_text(value)
        .map(Option::unwrap_or_default)
        .map_err(serde::de::Error::custom)
}

/// The JSON schema of an enum: a string, one of the known values.
pub fn enum_schema(values: &[&str]) -> Schema {
    json_schema!({ "type": "string", "enum": values })
}

/// `Y` or `N`.
pub fn yes_no_text(value: bool) -> &'static str {
    if value { "Y" } else { "N" }
}

/// Serializes a `bool` as `Y`/`N`.
///
/// # Errors
/// The serializer's.
pub fn ser_yes_no<S: Serializer>(value: &bool, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(yes_no_text(*value))
}

/// Serializes an `Option<bool>` as `Y`/`N`.
///
/// # Errors
/// The serializer's.
pub fn ser_yes_no_opt<S: Serializer>(value: &Option<bool>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => ser_yes_no(v, s),
        None => s.serialize_none(),
    }
}

/// Schema of a `Y`/`N` flag.
pub fn schema_yes_no(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "string", "enum": ["Y", "N"] })
}

/// A time of day: `(hour, minute, second)`.
pub type TimeOfDay = (u8, u8, u8);

/// A date-like value.
pub trait DateParts {
    /// The date and, if any, the time of day.
    fn parts(&self) -> (Date, Option<TimeOfDay>);
}

impl DateParts for Date {
    fn parts(&self) -> (Date, Option<TimeOfDay>) {
        (*self, None)
    }
}

impl DateParts for DateTime {
    fn parts(&self) -> (Date, Option<TimeOfDay>) {
        (self.date(), Some(self.time()))
    }
}

/// A small stack buffer for the wire text of dates: no allocation while signing.
pub struct TextBuf {
    bytes: [u8; 24],
    len: usize,
}

impl std::fmt::Debug for TextBuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("TextBuf").field(&self.as_str()).finish()
    }
}

impl Default for TextBuf {
    fn default() -> Self {
        Self::new()
    }
}

impl TextBuf {
    /// An empty buffer.
    pub fn new() -> Self {
        Self {
            bytes: [0; 24],
            len: 0,
        }
    }

    fn as_str(&self) -> &str {
        // Only ASCII is ever written.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }

    /// The text of a date in `format`.
    pub fn date(&mut self, value: &impl DateParts, format: DateFormat) -> &str {
        let (date, time) = value.parts();
        self.len = 0;
        let _ = write_date(self, date, time, format);
        self.as_str()
    }
}

impl std::fmt::Write for TextBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        if end > self.bytes.len() {
            return Err(std::fmt::Error);
        }
        self.bytes[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Whether `text` is a valid date in `format`.
pub fn date_text_matches(text: &str, format: DateFormat) -> bool {
    parse_date_text(text, format).is_some()
}

/// Each of the gateway's date formats as a `time` format description (exactly two digits for
/// the day, month, hour, minute and second, four for the year) and the length of its text.
const FORMATS: [(DateFormat, &str, usize); 4] = [
    (
        DateFormat::DmyHms,
        "[day].[month].[year] [hour]:[minute]:[second]",
        19,
    ),
    (DateFormat::Dmy, "[day].[month].[year]", 10),
    (DateFormat::Ymd, "[year]-[month]-[day]", 10),
    (
        DateFormat::YmdHms,
        "[year]-[month]-[day] [hour]:[minute]:[second]",
        19,
    ),
];

/// [`FORMATS`]' descriptions, parsed once. Were one refused by `time`, it would be empty and
/// match no date (a test rules that out).
static DESCRIPTIONS: LazyLock<[Vec<BorrowedFormatItem<'static>>; 4]> = LazyLock::new(|| {
    FORMATS.map(|(_, text, _)| format_description::parse_borrowed::<2>(text).unwrap_or_default())
});

/// Parses date text in `format`.
pub fn parse_date_text(text: &str, format: DateFormat) -> Option<(Date, Option<TimeOfDay>)> {
    let (i, &(_, _, len)) = FORMATS.iter().enumerate().find(|(_, f)| f.0 == format)?;
    // `time` also takes a signed year (`+2026`), the wire does not: the length tells.
    if text.len() != len {
        return None;
    }
    let items = DESCRIPTIONS.get(i)?;
    let (date, hms) = match format {
        DateFormat::DmyHms | DateFormat::YmdHms => {
            let t = time::PrimitiveDateTime::parse(text, items).ok()?;
            (t.date(), Some((t.hour(), t.minute(), t.second())))
        }
        DateFormat::Dmy | DateFormat::Ymd => (time::Date::parse(text, items).ok()?, None),
    };
    // Years 1 to 9999, as `Date` takes them.
    let year = u16::try_from(date.year()).ok()?;
    Some((
        Date::new(year, u8::from(date.month()), date.day()).ok()?,
        hms,
    ))
}

macro_rules! date_serializers {
    ($($ser:ident, $ser_opt:ident, $schema:ident, $ty:ty, $format:ident, $pattern:literal;)*) => {$(
        /// Serializes a date in its wire format.
        ///
        /// # Errors
        /// The serializer's.
        pub fn $ser<S: Serializer>(value: &$ty, s: S) -> Result<S::Ok, S::Error> {
            let mut buf = TextBuf::new();
            s.serialize_str(buf.date(value, DateFormat::$format))
        }

        /// Serializes an optional date in its wire format.
        ///
        /// # Errors
        /// The serializer's.
        pub fn $ser_opt<S: Serializer>(value: &Option<$ty>, s: S) -> Result<S::Ok, S::Error> {
            match value {
                Some(v) => $ser(v, s),
                None => s.serialize_none(),
            }
        }

        /// Schema of a date in this wire format.
        pub fn $schema(_: &mut SchemaGenerator) -> Schema {
            json_schema!({ "type": "string", "pattern": $pattern })
        }
    )*};
}

date_serializers! {
    ser_date_dmyhms, ser_date_dmyhms_opt, schema_date_dmyhms, DateTime, DmyHms, "^\\d{2}\\.\\d{2}\\.\\d{4} \\d{2}:\\d{2}:\\d{2}$";
    ser_date_dmy, ser_date_dmy_opt, schema_date_dmy, Date, Dmy, "^\\d{2}\\.\\d{2}\\.\\d{4}$";
    ser_date_ymd, ser_date_ymd_opt, schema_date_ymd, Date, Ymd, "^\\d{4}-\\d{2}-\\d{2}$";
    ser_date_ymdhms, ser_date_ymdhms_opt, schema_date_ymdhms, DateTime, YmdHms, "^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}$";
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `lenient` straight from the deserializer gives what `from_json` of the parsed value
    /// gives (an error with the same message), for one type.
    fn same_as_value_path<T: Lenient + PartialEq + std::fmt::Debug>(json: &str) {
        let value: Value = serde_json::from_str(json).unwrap();
        let old = T::from_json(value);
        let new = lenient::<_, T>(&mut serde_json::Deserializer::from_str(json));
        match (old, new) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{json}"),
            (Err(a), Err(b)) => assert!(b.to_string().starts_with(&a), "{json}: {a} / {b}"),
            (a, b) => panic!("{json}: the value path gave {a:?}, the direct path {b:?}"),
        }
    }

    fn same_for_every_type(json: &str) {
        same_as_value_path::<String>(json);
        same_as_value_path::<i64>(json);
        same_as_value_path::<u64>(json);
        same_as_value_path::<bool>(json);
        same_as_value_path::<Decimal>(json);
        same_as_value_path::<crate::types::Currency>(json);
        same_as_value_path::<DateTime>(json);
        same_as_value_path::<JsonString>(json);
        same_as_value_path::<Value>(json);
        same_as_value_path::<Vec<String>>(json);
        same_as_value_path::<crate::api::OrderStatus>(json);
        let old = Sensitive::<String>::from_json(serde_json::from_str(json).unwrap());
        let new = lenient::<_, Sensitive<String>>(&mut serde_json::Deserializer::from_str(json));
        assert_eq!(
            old.map(|o| o.map(|s| s.expose().clone())).ok(),
            new.map(|o| o.map(|s| s.expose().clone())).ok(),
            "{json}"
        );
    }

    #[test]
    fn the_direct_path_decodes_as_the_value_path() {
        for json in [
            "null",
            r#""""#,
            r#""abc""#,
            r#""  42 ""#,
            "42",
            "-7",
            "18446744073709551615",
            "10.10",
            "0.0",
            "-0",
            "true",
            "false",
            r#""Y""#,
            r#""n""#,
            r#""1""#,
            r#""GEL""#,
            r#""gel""#,
            r#""2026-11-30 05:06:07""#,
            r#""2026-11-30""#,
            r#""approved""#,
            r#""some_new_status""#,
            r#""a\"b\u00e9""#,
            "[]",
            r#"["a",1,null]"#,
            r#"{"a":1}"#,
            "123456789012345678901234567890",
            r#""12.50""#,
        ] {
            same_for_every_type(json);
        }
    }

    proptest::proptest! {
        #[test]
        fn the_direct_path_decodes_as_the_value_path_for_any_scalar(
            text in "[ -~]{0,24}",
            int in proptest::prelude::any::<i64>(),
            uint in proptest::prelude::any::<u64>(),
            float in proptest::prelude::any::<f64>(),
        ) {
            same_for_every_type(&Value::String(text).to_string());
            same_for_every_type(&int.to_string());
            same_for_every_type(&uint.to_string());
            if float.is_finite() {
                same_for_every_type(&Value::from(float).to_string());
            }
        }
    }

    #[test]
    fn text_buf_writes_dates() {
        let mut b = TextBuf::new();
        let d = DateTime::new(Date::new(2026, 1, 2).unwrap(), 3, 4, 5).unwrap();
        assert_eq!(b.date(&d, DateFormat::DmyHms), "02.01.2026 03:04:05");
        assert_eq!(b.date(&d.date(), DateFormat::Ymd), "2026-01-02");
    }

    #[test]
    fn dates_parse_only_in_their_format() {
        assert!(date_text_matches("02.01.2026 03:04:05", DateFormat::DmyHms));
        assert!(!date_text_matches(
            "2026-01-02 03:04:05",
            DateFormat::DmyHms
        ));
        assert!(!date_text_matches(
            "31.02.2026 03:04:05",
            DateFormat::DmyHms
        ));
        assert!(!date_text_matches(
            "02.01.2026 24:00:00",
            DateFormat::DmyHms
        ));
        assert!(date_text_matches("2026-01-02", DateFormat::Ymd));
        assert!(!date_text_matches("2026-1-02", DateFormat::Ymd));
        assert_eq!(
            parse_date_text("2026-01-02 03:04:05", DateFormat::YmdHms),
            Some((Date::new(2026, 1, 2).unwrap(), Some((3, 4, 5))))
        );
        assert_eq!(
            parse_date_text("29.02.2028", DateFormat::Dmy),
            Some((Date::new(2028, 2, 29).unwrap(), None))
        );
        for (text, format) in [
            ("29.02.2026", DateFormat::Dmy),
            ("29.02.2100", DateFormat::Dmy),
            ("31.04.2026", DateFormat::Dmy),
            ("00.01.2026", DateFormat::Dmy),
            ("01.13.2026", DateFormat::Dmy),
            // Year 0 and signed or short years are not wire dates.
            ("0000-01-02", DateFormat::Ymd),
            ("+2026-01-02", DateFormat::Ymd),
            ("-2026-01-02", DateFormat::Ymd),
            ("+026-01-02", DateFormat::Ymd),
            ("2026-01-02 03:04:60", DateFormat::YmdHms),
            ("2026-01-02 03:60:00", DateFormat::YmdHms),
            ("2026-01-02T03:04:05", DateFormat::YmdHms),
            ("2026-01-02 03:04:05", DateFormat::Ymd),
            ("2026-01-02", DateFormat::YmdHms),
            (" 2026-01-02", DateFormat::Ymd),
            ("2026-01-0a", DateFormat::Ymd),
            ("2026-01-٠٢", DateFormat::Ymd),
            ("", DateFormat::Dmy),
        ] {
            assert_eq!(parse_date_text(text, format), None, "{text:?} {format:?}");
        }
    }

    #[test]
    fn every_format_parses_what_it_writes() {
        for (format, description, len) in FORMATS {
            let items = format_description::parse_borrowed::<2>(description);
            assert!(items.is_ok_and(|i| !i.is_empty()), "{description}");
            for (y, m, d, hms) in [
                (1, 1, 1, (0, 0, 0)),
                (2026, 2, 28, (23, 59, 59)),
                (9999, 12, 31, (9, 5, 0)),
            ] {
                let t = DateTime::new(Date::new(y, m, d).unwrap(), hms.0, hms.1, hms.2).unwrap();
                let mut b = TextBuf::new();
                let text = b.date(&t, format).to_owned();
                assert_eq!(text.len(), len, "{text}");
                let with_time = matches!(format, DateFormat::DmyHms | DateFormat::YmdHms);
                assert_eq!(
                    parse_date_text(&text, format),
                    Some((t.date(), with_time.then_some(hms))),
                    "{text}"
                );
            }
        }
    }

    #[test]
    fn lenient_scalars() {
        use serde_json::json;
        assert_eq!(i64::from_json(json!("")), Ok(None));
        assert_eq!(i64::from_json(json!(null)), Ok(None));
        assert_eq!(i64::from_json(json!("1000")), Ok(Some(1000)));
        assert_eq!(i64::from_json(json!(1000)), Ok(Some(1000)));
        assert!(i64::from_json(json!("abc")).is_err());
        assert!(i64::from_json(json!({"a": 1})).is_err());
        assert_eq!(bool::from_json(json!("Y")), Ok(Some(true)));
        assert_eq!(bool::from_json(json!(false)), Ok(Some(false)));
        assert_eq!(
            Decimal::from_json(json!(0.0)).unwrap().unwrap().as_str(),
            "0.0"
        );
        assert_eq!(
            JsonString::from_json(json!("{\"a\": 1}"))
                .unwrap()
                .unwrap()
                .as_str(),
            "{\"a\": 1}"
        );
    }
}
