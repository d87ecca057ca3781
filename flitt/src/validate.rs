//! Input rules from the spec, checked before any byte is sent.
//!
//! Every generated request has a `validate()` that runs these rules; its error,
//! [`InvalidInput`], names the parameter and the rule it breaks.

use std::borrow::Cow;
use std::fmt;

/// A request parameter that breaks a spec rule. Raised before any network I/O.
///
/// ```
/// use flitt::validate::{InvalidInput, Rule};
/// let e = InvalidInput::new("order_desc", Rule::MaxChars(1024));
/// assert_eq!(e.to_string(), "invalid parameter `order_desc`: longer than 1024 characters");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid parameter `{field}`: {rule}")]
pub struct InvalidInput {
    /// The parameter, by its wire name (`receiver[0].requisites.amount` inside objects).
    pub field: Cow<'static, str>,
    /// The rule it breaks.
    pub rule: Rule,
}

impl InvalidInput {
    /// An error for a top-level parameter.
    pub fn new(field: impl Into<Cow<'static, str>>, rule: Rule) -> Self {
        Self {
            field: field.into(),
            rule,
        }
    }

    /// An error for a field inside an object at `path`.
    pub fn nested(path: &str, field: &str, rule: Rule) -> Self {
        Self {
            field: Cow::Owned(format!("{path}.{field}")),
            rule,
        }
    }
}

/// A spec rule.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rule {
    /// The parameter is required and missing.
    Required,
    /// The parameter is present but empty.
    Empty,
    /// The text is longer than this many characters.
    MaxChars(u32),
    /// The number has more than this many digits.
    MaxDigits(u32),
    /// The number is outside this inclusive range.
    Range {
        /// The smallest allowed value.
        min: Option<u64>,
        /// The largest allowed value.
        max: Option<u64>,
    },
    /// The text does not have the expected form.
    Format(&'static str),
    /// The value contains `|`, the protocol 1.0 signature separator (Flitt error 1034).
    Separator,
    /// The value is not one of these.
    OneOf(&'static [&'static str]),
    /// The parameter is not part of this endpoint.
    Unknown,
    /// A nested value where only flat values are allowed (protocol 1.0).
    Nested,
    /// A parameter the client fills in itself (`merchant_id`, `signature`, `version`): given
    /// by the caller it would be signed and sent as given, and a caller's `signature` would be
    /// hashed into the signature it claims to be (Flitt error 1014).
    ClientSupplied,
    /// Another rule, described in words.
    Other(Cow<'static, str>),
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Required => f.write_str("required but missing"),
            Rule::Empty => f.write_str("must not be empty"),
            Rule::MaxChars(n) => write!(f, "longer than {n} characters"),
            Rule::MaxDigits(n) => write!(f, "more than {n} digits"),
            Rule::Range { min, max } => match (min, max) {
                (Some(lo), Some(hi)) => write!(f, "out of range {lo}..={hi}"),
                (Some(lo), None) => write!(f, "below the minimum {lo}"),
                (None, Some(hi)) => write!(f, "above the maximum {hi}"),
                (None, None) => f.write_str("out of range"),
            },
            Rule::Format(what) => write!(f, "must be {what}"),
            Rule::Separator => f.write_str("must not contain `|`"),
            Rule::OneOf(values) => write!(f, "must be one of: {}", values.join(", ")),
            Rule::Unknown => f.write_str("not a parameter of this endpoint"),
            Rule::Nested => f.write_str("nested values need protocol 2.0"),
            Rule::ClientSupplied => f.write_str("is filled in by the client: do not give it"),
            Rule::Other(text) => f.write_str(text),
        }
    }
}

/// An extra rule on a string value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// An absolute `http://` or `https://` URL.
    Url,
    /// An e-mail address (`local@domain`, no spaces).
    Email,
    /// An IPv4 or IPv6 address.
    Ip,
    /// ASCII digits only.
    Digits,
    /// An IBAN: 2 letters, 2 digits, 11 to 30 letters or digits.
    Iban,
    /// A card expiry as `MMYY`.
    ExpiryMmyy,
    /// A card number: 12 to 19 digits.
    CardNumber,
    /// Standard base64.
    Base64,
    /// Hexadecimal digits.
    Hex,
}

impl Format {
    /// What the rule requires, in words.
    pub fn describe(self) -> &'static str {
        match self {
            Format::Url => "an http(s) URL",
            Format::Email => "an e-mail address",
            Format::Ip => "an IP address",
            Format::Digits => "digits only",
            Format::Iban => "an IBAN",
            Format::ExpiryMmyy => "an expiry date as MMYY",
            Format::CardNumber => "a card number of 12 to 19 digits",
            Format::Base64 => "base64",
            Format::Hex => "hexadecimal",
        }
    }

    /// Whether `text` has this form.
    pub fn matches(self, text: &str) -> bool {
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        match self {
            Format::Url => {
                let rest = text
                    .strip_prefix("https://")
                    .or_else(|| text.strip_prefix("http://"));
                rest.is_some_and(|r| {
                    !r.is_empty()
                        && !r.starts_with('/')
                        && !text.contains(|c: char| c.is_whitespace() || c.is_control())
                })
            }
            Format::Email => match text.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                        && !domain.contains('@')
                        && !text.contains(char::is_whitespace)
                }
                None => false,
            },
            Format::Ip => text.parse::<std::net::IpAddr>().is_ok(),
            Format::Digits => digits(text),
            Format::Iban => {
                let b = text.as_bytes();
                (15..=34).contains(&b.len())
                    && b[..2].iter().all(u8::is_ascii_uppercase)
                    && b[2..4].iter().all(u8::is_ascii_digit)
                    && b[4..]
                        .iter()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            }
            Format::ExpiryMmyy => {
                text.len() == 4 && digits(text) && matches!(text[..2].parse::<u8>(), Ok(1..=12))
            }
            Format::CardNumber => digits(text) && (12..=19).contains(&text.len()),
            Format::Base64 => {
                !text.is_empty()
                    && text.len() % 4 == 0
                    && text
                        .trim_end_matches('=')
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
                    && text.len() - text.trim_end_matches('=').len() <= 2
            }
            Format::Hex => !text.is_empty() && text.bytes().all(|b| b.is_ascii_hexdigit()),
        }
    }
}

/// `Err(Empty)` for an empty string.
///
/// # Errors
/// [`Rule::Empty`].
pub fn non_empty(text: &str) -> Result<(), Rule> {
    if text.is_empty() {
        Err(Rule::Empty)
    } else {
        Ok(())
    }
}

/// The receivers' amounts of a split add up to the amount being split.
///
/// # Errors
/// [`Rule::Other`] naming both sums.
pub fn split_total(parts: impl Iterator<Item = u64>, total: u64) -> Result<(), Rule> {
    let mut parts = parts;
    let sum = parts.try_fold(0u64, |acc, part| acc.checked_add(part));
    if sum == Some(total) {
        return Ok(());
    }
    let shown = sum.map_or_else(|| "more than 2^64".to_owned(), |s| s.to_string());
    Err(Rule::Other(
        format!("the receivers' amounts add up to {shown}, not to the amount {total}").into(),
    ))
}

/// `Err(Empty)` for an empty list.
///
/// # Errors
/// [`Rule::Empty`].
pub fn non_empty_list<T>(list: &[T]) -> Result<(), Rule> {
    if list.is_empty() {
        Err(Rule::Empty)
    } else {
        Ok(())
    }
}

/// At most `max` characters (Unicode scalar values).
///
/// # Errors
/// [`Rule::MaxChars`].
pub fn max_chars(text: &str, max: u32) -> Result<(), Rule> {
    // Byte length bounds the char count from above: skip the count when it cannot exceed.
    if text.len() <= max as usize || text.chars().count() <= max as usize {
        Ok(())
    } else {
        Err(Rule::MaxChars(max))
    }
}

/// No `|`: protocol 1.0 joins values with it, and the gateway refuses it (1034).
///
/// # Errors
/// [`Rule::Separator`].
pub fn no_separator(text: &str) -> Result<(), Rule> {
    if text.contains('|') {
        Err(Rule::Separator)
    } else {
        Ok(())
    }
}

/// A whole number written the one way the typed requests write it: ASCII digits only (no
/// sign, no spaces, no exponent) and no leading zero except in `0` itself. `Ok(None)` when it
/// has that form but does not fit a `u64`.
///
/// Leading zeros are refused because a typed request (`u64`, [`Amount`](crate::types::Amount))
/// can never send them: a raw `0100` would be signed and sent as `0100`, and whether the
/// gateway reads it as 100, signs its reply over `100` or refuses it is not documented. A `+`
/// (which `str::parse` accepts) is refused for the same reason.
///
/// ```
/// use flitt::validate::whole_number;
/// assert_eq!(whole_number("100"), Ok(Some(100)));
/// assert_eq!(whole_number("0"), Ok(Some(0)));
/// assert!(whole_number("+100").is_err());
/// assert!(whole_number("0100").is_err());
/// assert_eq!(whole_number("99999999999999999999"), Ok(None));
/// ```
///
/// # Errors
/// [`Rule::Format`] when the text is not in that form.
pub fn whole_number(text: &str) -> Result<Option<u64>, Rule> {
    let bytes = text.as_bytes();
    let plain = !bytes.is_empty()
        && bytes.iter().all(u8::is_ascii_digit)
        && (bytes[0] != b'0' || bytes.len() == 1);
    if !plain {
        return Err(Rule::Format(
            "a whole number in plain digits (no sign, no leading zero)",
        ));
    }
    Ok(text.parse::<u64>().ok())
}

/// At most `max` decimal digits.
///
/// # Errors
/// [`Rule::MaxDigits`].
pub fn max_digits(value: u64, max: u32) -> Result<(), Rule> {
    let digits = value.checked_ilog10().map_or(1, |d| d + 1);
    if digits <= max {
        Ok(())
    } else {
        Err(Rule::MaxDigits(max))
    }
}

/// Within `min..=max`.
///
/// # Errors
/// [`Rule::Range`].
pub fn range(value: u64, min: Option<u64>, max: Option<u64>) -> Result<(), Rule> {
    let low = min.is_some_and(|m| value < m);
    let high = max.is_some_and(|m| value > m);
    if low || high {
        Err(Rule::Range { min, max })
    } else {
        Ok(())
    }
}

/// One of the `known` wire values: a generated enum's `Unknown(..)` value (one this SDK does
/// not know) is refused before it is sent, like any other value outside the spec.
///
/// ```
/// use flitt::validate::{Rule, one_of};
/// const KNOWN: &[&str] = &["stop", "start"];
/// assert_eq!(one_of("stop", KNOWN), Ok(()));
/// assert_eq!(one_of("pause", KNOWN), Err(Rule::OneOf(KNOWN)));
/// ```
///
/// # Errors
/// [`Rule::OneOf`] with the known values.
pub fn one_of(text: &str, known: &'static [&'static str]) -> Result<(), Rule> {
    if known.contains(&text) {
        Ok(())
    } else {
        Err(Rule::OneOf(known))
    }
}

/// Has the form `format`.
///
/// # Errors
/// [`Rule::Format`].
pub fn format(text: &str, format: Format) -> Result<(), Rule> {
    if format.matches(text) {
        Ok(())
    } else {
        Err(Rule::Format(format.describe()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_accept_and_reject() {
        let cases: &[(Format, &str, bool)] = &[
            (Format::Url, "https://shop.example/cb", true),
            (Format::Url, "ftp://x", false),
            (Format::Url, "https://", false),
            (Format::Url, "https://a b", false),
            (Format::Email, "a@b.co", true),
            (Format::Email, "a@b", false),
            (Format::Ip, "127.0.0.1", true),
            (Format::Ip, "::1", true),
            (Format::Ip, "1.2.3", false),
            (Format::Digits, "0123", true),
            (Format::Digits, "", false),
            (Format::Iban, "GE00TB0000000000000001", true),
            (Format::Iban, "ge00TB0000000000000001", false),
            (Format::ExpiryMmyy, "1229", true),
            (Format::ExpiryMmyy, "1329", false),
            (Format::CardNumber, "4444555511116666", true),
            (Format::CardNumber, "4444-5555", false),
            (Format::Base64, "eyJhIjoxfQ==", true),
            (Format::Base64, "abc", false),
            (Format::Hex, "00ff", true),
            (Format::Hex, "0g", false),
        ];
        for (f, text, ok) in cases {
            assert_eq!(f.matches(text), *ok, "{f:?} on {text:?}");
        }
    }

    #[test]
    fn lengths_and_ranges() {
        assert_eq!(max_chars("ééé", 3), Ok(()));
        assert_eq!(max_chars("éééé", 3), Err(Rule::MaxChars(3)));
        assert_eq!(max_digits(999_999_999, 9), Ok(()));
        assert_eq!(max_digits(1_000_000_000, 9), Err(Rule::MaxDigits(9)));
        assert_eq!(max_digits(0, 1), Ok(()));
        assert!(range(5, Some(10), Some(500)).is_err());
        assert!(range(10, Some(10), Some(500)).is_ok());
        assert!(range(501, Some(10), Some(500)).is_err());
    }
}
