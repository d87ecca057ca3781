//! Validated value types used by the generated requests: amounts, currencies, order ids,
//! dates, decimals kept as text, and a redacting wrapper for sensitive values.
//!
//! Each type can only hold a valid value: construct it with `new` (or `FromStr`) and handle
//! the [`InvalidInput`] once, before any request is built.

use crate::validate::{InvalidInput, Rule};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

/// An amount in minor units (`1020` GEL is 10 lari 20 tetri): positive, at most 12 digits.
///
/// ```
/// use flitt::types::Amount;
/// let a = Amount::new(1020)?;
/// assert_eq!(a.minor(), 1020);
/// assert!(Amount::new(0).is_err());
/// # Ok::<(), flitt::validate::InvalidInput>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Amount(u64);

impl Amount {
    /// The largest amount the gateway accepts: 12 digits.
    pub const MAX: u64 = 999_999_999_999;

    /// An amount of `minor` minor units.
    ///
    /// # Errors
    /// [`Rule::Range`] when `minor` is 0 or has more than 12 digits.
    pub fn new(minor: u64) -> Result<Self, InvalidInput> {
        if minor == 0 || minor > Self::MAX {
            return Err(InvalidInput::new(
                "amount",
                Rule::Range {
                    min: Some(1),
                    max: Some(Self::MAX),
                },
            ));
        }
        Ok(Self(minor))
    }

    /// The amount in minor units.
    pub fn minor(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl TryFrom<u64> for Amount {
    type Error = InvalidInput;
    fn try_from(minor: u64) -> Result<Self, InvalidInput> {
        Self::new(minor)
    }
}

impl JsonSchema for Amount {
    fn schema_name() -> Cow<'static, str> {
        "Amount".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "integer",
            "minimum": 1,
            "maximum": Self::MAX,
            "description": "Amount in minor units"
        })
    }
}

/// An ISO 4217 currency code: exactly three uppercase ASCII letters.
///
/// ```
/// use flitt::types::Currency;
/// assert_eq!(Currency::GEL.as_str(), "GEL");
/// assert_eq!("USD".parse::<Currency>()?, Currency::USD);
/// assert_eq!(Currency::new("CHF")?.as_str(), "CHF");
/// assert!("usd".parse::<Currency>().is_err());
/// # Ok::<(), flitt::validate::InvalidInput>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency([u8; 3]);

/// Defines the named currencies: each a constant, and text [`Currency::as_str`] answers
/// without a UTF-8 check (that check was 74 of the ~480 instructions signing a checkout
/// request spent outside the hash, beyond what a raw hash of the same bytes spends).
macro_rules! named_currencies {
    ($($(#[$doc:meta])* $code:ident),* $(,)?) => {
        impl Currency {
            $(
                $(#[$doc])*
                pub const $code: Self = match stringify!($code).as_bytes() {
                    [a, b, c] => Self([*a, *b, *c]),
                    _ => panic!("a currency code is three letters"),
                };
            )*

            /// The code.
            #[inline]
            pub fn as_str(&self) -> &str {
                match *self {
                    $(Self::$code => stringify!($code),)*
                    // Only ASCII uppercase letters are ever stored.
                    Self(ref code) => std::str::from_utf8(code).unwrap_or("???"),
                }
            }
        }
    };
}

named_currencies! {
    /// Georgian lari.
    GEL,
    /// US dollar.
    USD,
    /// Euro.
    EUR,
    /// Armenian dram.
    AMD,
    /// Azerbaijani manat.
    AZN,
    /// Kazakhstani tenge.
    KZT,
    /// Moldovan leu.
    MDL,
    /// Uzbekistani som.
    UZS,
}

impl Currency {
    /// A currency from its code.
    ///
    /// # Errors
    /// [`Rule::Format`] unless `code` is three uppercase ASCII letters.
    pub fn new(code: &str) -> Result<Self, InvalidInput> {
        match code.as_bytes() {
            [a, b, c] if [a, b, c].iter().all(|x| x.is_ascii_uppercase()) => Ok(Self([*a, *b, *c])),
            _ => Err(InvalidInput::new(
                "currency",
                Rule::Format("three uppercase letters (ISO 4217)"),
            )),
        }
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Currency {
    type Err = InvalidInput;
    fn from_str(s: &str) -> Result<Self, InvalidInput> {
        Self::new(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::new(&text).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Currency {
    fn schema_name() -> Cow<'static, str> {
        "Currency".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "pattern": "^[A-Z]{3}$" })
    }
}

/// The merchant's order id: 1 to 1024 characters, no `|` (the signature separator).
///
/// Order ids are the key that ties a request to its outcome: keep the id of every money-moving
/// request, so that an unknown outcome can be resolved with a status lookup.
///
/// ```
/// use flitt::types::OrderId;
/// let id = OrderId::new("order-42")?;
/// assert_eq!(id.as_str(), "order-42");
/// assert!(OrderId::new("a|b").is_err());
/// assert_ne!(OrderId::generate(), OrderId::generate());
/// # Ok::<(), flitt::validate::InvalidInput>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct OrderId(String);

impl OrderId {
    /// The longest order id the gateway accepts.
    pub const MAX_CHARS: u32 = 1024;

    /// An order id from text.
    ///
    /// # Errors
    /// [`Rule::Empty`], [`Rule::MaxChars`] or [`Rule::Separator`].
    pub fn new(id: impl Into<String>) -> Result<Self, InvalidInput> {
        let id = id.into();
        let check = crate::validate::non_empty(&id)
            .and_then(|()| crate::validate::max_chars(&id, Self::MAX_CHARS));
        check.map_err(|rule| InvalidInput::new("order_id", rule))?;
        if id.contains('|') {
            return Err(InvalidInput::new("order_id", Rule::Separator));
        }
        Ok(Self(id))
    }

    /// A fresh random order id (a UUID v4, 36 characters).
    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for OrderId {
    type Err = InvalidInput;
    fn from_str(s: &str) -> Result<Self, InvalidInput> {
        Self::new(s)
    }
}

impl JsonSchema for OrderId {
    fn schema_name() -> Cow<'static, str> {
        "OrderId".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "minLength": 1, "maxLength": 1024, "pattern": "^[^|]+$" })
    }
}

/// The date formats the gateway uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateFormat {
    /// `DD.MM.YYYY HH:MM:SS`
    DmyHms,
    /// `DD.MM.YYYY`
    Dmy,
    /// `YYYY-MM-DD`
    Ymd,
    /// `YYYY-MM-DD HH:MM:SS`
    YmdHms,
}

/// A calendar date (proleptic Gregorian, years 1..=9999).
///
/// ```
/// use flitt::types::Date;
/// let d = Date::new(2026, 2, 28)?;
/// assert_eq!(d.to_string(), "2026-02-28");
/// assert!(Date::new(2026, 2, 29).is_err());
/// # Ok::<(), flitt::validate::InvalidInput>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// A date.
    ///
    /// # Errors
    /// [`Rule::Format`] when the day does not exist.
    pub fn new(year: u16, month: u8, day: u8) -> Result<Self, InvalidInput> {
        let exists = time::Month::try_from(month)
            .and_then(|m| time::Date::from_calendar_date(i32::from(year), m, day))
            .is_ok();
        if !(1..=9999).contains(&year) || !exists {
            return Err(InvalidInput::new(
                "date",
                Rule::Format("a valid calendar date"),
            ));
        }
        Ok(Self { year, month, day })
    }

    /// The year.
    pub fn year(self) -> u16 {
        self.year
    }
    /// The month, 1 to 12.
    pub fn month(self) -> u8 {
        self.month
    }
    /// The day of the month.
    pub fn day(self) -> u8 {
        self.day
    }
}

impl fmt::Display for Date {
    /// ISO 8601 (`YYYY-MM-DD`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl JsonSchema for Date {
    fn schema_name() -> Cow<'static, str> {
        "Date".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string" })
    }
}

/// A date and time of day (the gateway's local time; the API carries no zone).
///
/// ```
/// use flitt::types::{Date, DateTime};
/// let t = DateTime::new(Date::new(2026, 11, 23)?, 9, 5, 0)?;
/// assert_eq!(t.to_string(), "2026-11-23 09:05:00");
/// # Ok::<(), flitt::validate::InvalidInput>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime {
    date: Date,
    hour: u8,
    minute: u8,
    second: u8,
}

impl DateTime {
    /// A date and time.
    ///
    /// # Errors
    /// [`Rule::Format`] when the time of day does not exist.
    pub fn new(date: Date, hour: u8, minute: u8, second: u8) -> Result<Self, InvalidInput> {
        if time::Time::from_hms(hour, minute, second).is_err() {
            return Err(InvalidInput::new(
                "date",
                Rule::Format("a valid time of day"),
            ));
        }
        Ok(Self {
            date,
            hour,
            minute,
            second,
        })
    }

    /// The date.
    pub fn date(self) -> Date {
        self.date
    }

    /// `(hour, minute, second)`.
    pub fn time(self) -> (u8, u8, u8) {
        (self.hour, self.minute, self.second)
    }
}

impl fmt::Display for DateTime {
    /// `YYYY-MM-DD HH:MM:SS`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {:02}:{:02}:{:02}",
            self.date, self.hour, self.minute, self.second
        )
    }
}

impl JsonSchema for DateTime {
    fn schema_name() -> Cow<'static, str> {
        "DateTime".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string" })
    }
}

/// Writes a date in one of the gateway's formats.
pub(crate) fn write_date(
    out: &mut impl fmt::Write,
    date: Date,
    time: Option<(u8, u8, u8)>,
    format: DateFormat,
) -> fmt::Result {
    let (y, m, d) = (date.year, date.month, date.day);
    let (hh, mm, ss) = time.unwrap_or((0, 0, 0));
    match format {
        DateFormat::DmyHms => write!(out, "{d:02}.{m:02}.{y:04} {hh:02}:{mm:02}:{ss:02}"),
        DateFormat::Dmy => write!(out, "{d:02}.{m:02}.{y:04}"),
        DateFormat::Ymd => write!(out, "{y:04}-{m:02}-{d:02}"),
        DateFormat::YmdHms => write!(out, "{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}"),
    }
}

/// A decimal number in major units, kept as the exact text the gateway sent (`"630.00"`,
/// `0.0`), so nothing is lost to floating point.
///
/// ```
/// use flitt::types::Decimal;
/// let d: Decimal = "10.5".parse()?;
/// assert_eq!(d.as_str(), "10.5");
/// assert_eq!(d.to_minor(2), Some(1050));
/// # Ok::<(), flitt::validate::InvalidInput>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Decimal(String);

impl Decimal {
    /// The text as received.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value in minor units for a currency with `exponent` decimal places, when it is
    /// exact (`"10.5"` with exponent 2 is 1050; `"10.505"` is `None`).
    pub fn to_minor(&self, exponent: u32) -> Option<i64> {
        let (neg, digits) = match self.0.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, self.0.as_str()),
        };
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let frac = frac.trim_end_matches('0');
        if frac.len() > exponent as usize {
            return None;
        }
        let scale = 10i64.checked_pow(exponent)?;
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().ok()?
        };
        let frac_value: i64 = if frac.is_empty() {
            0
        } else {
            frac.parse::<i64>().ok()? * 10i64.pow(exponent - frac.len() as u32)
        };
        let v = whole.checked_mul(scale)?.checked_add(frac_value)?;
        Some(if neg { -v } else { v })
    }
}

impl FromStr for Decimal {
    type Err = InvalidInput;
    fn from_str(s: &str) -> Result<Self, InvalidInput> {
        let digits = s.strip_prefix('-').unwrap_or(s);
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let ok = !(whole.is_empty() && frac.is_empty())
            && whole.bytes().all(|b| b.is_ascii_digit())
            && frac.bytes().all(|b| b.is_ascii_digit());
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(InvalidInput::new(
                "decimal",
                Rule::Format("a decimal number"),
            ))
        }
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl JsonSchema for Decimal {
    fn schema_name() -> Cow<'static, str> {
        "Decimal".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": ["string", "number"] })
    }
}

/// JSON text kept exactly as received (`additional_info` arrives as a JSON-encoded string and is
/// signed as that string, so it is never re-serialized).
///
/// ```
/// use flitt::types::JsonString;
/// let info = JsonString::new(r#"{"client_fee": 0.0}"#);
/// let value: serde_json::Value = info.parse()?;
/// assert_eq!(value["client_fee"], 0.0);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct JsonString(String);

impl JsonString {
    /// Wraps JSON text.
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The text as received.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Parses the text.
    ///
    /// # Errors
    /// When the text is not JSON of the shape `T`.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.0)
    }
}

impl JsonSchema for JsonString {
    fn schema_name() -> Cow<'static, str> {
        "JsonString".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": ["string", "object"] })
    }
}

/// A sensitive value (card number, CVV, expiry, rectoken, PaReq, PaRes, MD): sent as is, but
/// `Debug` and `Display` print `[redacted]`. Call [`Sensitive::expose`] to read it.
///
/// ```
/// use flitt::types::Sensitive;
/// let card = Sensitive::from("4444555511116666");
/// assert_eq!(format!("{card:?}"), "[redacted]");
/// assert_eq!(card.expose(), "4444555511116666");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The value itself. Keep it out of logs.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// Unwraps the value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl Sensitive<String> {
    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<T> fmt::Display for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<String> for Sensitive<String> {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<&str> for Sensitive<String> {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

impl<T: JsonSchema> JsonSchema for Sensitive<T> {
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

/// The fields of a reply that the spec does not list, kept as received.
///
/// It reads like the map it wraps (`extra["brand_new"]`, `extra.get(…)`), but its `Debug`
/// redacts: a gateway may send a card number or a token under a name this version does not
/// know, and a logged response must not show it.
///
/// ```
/// use flitt::types::Extra;
/// let mut extra = Extra::default();
/// extra.insert("cvv2".into(), "123".into());
/// extra.insert("note".into(), "card 4444555511116666".into());
/// let shown = format!("{extra:?}");
/// assert!(!shown.contains("123") && !shown.contains("4444555511116666"), "{shown}");
/// assert_eq!(extra["cvv2"], "123");
/// ```
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Extra(std::collections::BTreeMap<String, serde_json::Value>);

impl std::ops::Deref for Extra {
    type Target = std::collections::BTreeMap<String, serde_json::Value>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Extra {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl fmt::Debug for Extra {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = serde_json::Value::Object(self.0.clone().into_iter().collect());
        crate::redact::redact_json(&mut shown);
        match shown {
            serde_json::Value::Object(map) => f.debug_map().entries(map.iter()).finish(),
            other => fmt::Debug::fmt(&other, f),
        }
    }
}

impl JsonSchema for Extra {
    fn schema_name() -> Cow<'static, str> {
        "Extra".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "object" })
    }
}
