//! Wire types (`string(1024)`, `amount`, `enum(order_status)`, …) and string formats.

/// A parsed wire type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireType {
    /// `string(N)` or `string`.
    Str(Option<u32>),
    /// `integer(N)` or `integer`.
    Int(Option<u32>),
    /// Minor units.
    Amount,
    /// A decimal in major units, kept as text.
    Decimal,
    /// ISO 4217 letters.
    Currency,
    /// A merchant order id.
    OrderId,
    /// `Y`/`N`.
    YesNo,
    /// A JSON boolean (responses).
    Bool,
    /// A date or date-time in a fixed format.
    Date(DateFormat),
    /// A spec enum.
    Enum(String),
    /// A nested object.
    Object(String),
    /// A list of nested objects.
    List(String),
    /// A map of nested objects (responses).
    Map(String),
    /// JSON text kept as received.
    JsonString,
    /// Any JSON.
    Json,
}

/// The date formats the gateway uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

impl DateFormat {
    /// The spec's spelling.
    pub fn spelling(self) -> &'static str {
        match self {
            Self::DmyHms => "DD.MM.YYYY HH:MM:SS",
            Self::Dmy => "DD.MM.YYYY",
            Self::Ymd => "YYYY-MM-DD",
            Self::YmdHms => "YYYY-MM-DD HH:MM:SS",
        }
    }

    /// Whether the format has a time of day.
    pub fn has_time(self) -> bool {
        matches!(self, Self::DmyHms | Self::YmdHms)
    }

    /// The variant name of `flitt::types::DateFormat`.
    pub fn variant(self) -> &'static str {
        match self {
            Self::DmyHms => "DmyHms",
            Self::Dmy => "Dmy",
            Self::Ymd => "Ymd",
            Self::YmdHms => "YmdHms",
        }
    }
}

const DATE_FORMATS: [DateFormat; 4] = [
    DateFormat::DmyHms,
    DateFormat::Dmy,
    DateFormat::Ymd,
    DateFormat::YmdHms,
];

fn inner<'a>(s: &'a str, head: &str) -> Option<&'a str> {
    s.strip_prefix(head)?.strip_prefix('(')?.strip_suffix(')')
}

fn bound(s: &str, what: &str) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(0) => Err(format!("{what}(0): the bound must be at least 1")),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("{what}({s}): the bound must be a whole number")),
    }
}

impl WireType {
    /// Parses a spec type.
    ///
    /// # Errors
    /// A message naming the rule when the type is not one of the spec's.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        Ok(match s {
            "string" => Self::Str(None),
            "integer" => Self::Int(None),
            "amount" => Self::Amount,
            "decimal" => Self::Decimal,
            "currency" => Self::Currency,
            "order_id" => Self::OrderId,
            "yes_no" => Self::YesNo,
            "bool" => Self::Bool,
            "json_string" => Self::JsonString,
            "json" => Self::Json,
            _ => {
                if let Some(n) = inner(s, "string") {
                    Self::Str(Some(bound(n, "string")?))
                } else if let Some(n) = inner(s, "integer") {
                    let n = bound(n, "integer")?;
                    if n > 18 {
                        return Err(format!(
                            "integer({n}): at most 18 digits fit the generated integer type"
                        ));
                    }
                    Self::Int(Some(n))
                } else if let Some(f) = inner(s, "date") {
                    let format = DATE_FORMATS
                        .into_iter()
                        .find(|d| d.spelling() == f)
                        .ok_or_else(|| {
                            format!(
                                "unknown date format `{f}`; known: {}",
                                DATE_FORMATS.map(DateFormat::spelling).join(", ")
                            )
                        })?;
                    Self::Date(format)
                } else if let Some(e) = inner(s, "enum") {
                    Self::Enum(e.to_owned())
                } else if let Some(o) = inner(s, "object") {
                    Self::Object(o.to_owned())
                } else if let Some(o) = inner(s, "list").and_then(|l| inner(l, "object")) {
                    Self::List(o.to_owned())
                } else if let Some(o) = inner(s, "map").and_then(|l| inner(l, "object")) {
                    Self::Map(o.to_owned())
                } else {
                    return Err(format!("unknown type `{s}`"));
                }
            }
        })
    }

    /// The object this type refers to, if any.
    pub fn object_name(&self) -> Option<&str> {
        match self {
            Self::Object(o) | Self::List(o) | Self::Map(o) => Some(o),
            _ => None,
        }
    }

    /// Whether the value is not a flat scalar (only protocol 2.0 can carry it).
    pub fn is_nested(&self) -> bool {
        matches!(
            self,
            Self::Object(_) | Self::List(_) | Self::Map(_) | Self::Json
        )
    }

    /// Whether the protocol 1.0 wire text of a value of this type is formatted (a date) rather
    /// than borrowed from the value or visited as a number: the emitted code formats it into a
    /// `TextBuf`, which the request's `visit_wire` declares only when some field needs it.
    pub fn wire_text_is_formatted(&self) -> bool {
        matches!(self, Self::Date(_))
    }

    /// Checks the type may be sent in a request.
    ///
    /// # Errors
    /// The rule broken.
    pub fn check_request(&self, name: &str) -> Result<(), String> {
        match self {
            Self::Str(None) | Self::Int(None) => Err(format!(
                "`{name}`: request params need a bound, e.g. string(1024) or integer(12)"
            )),
            Self::Decimal | Self::Bool | Self::Map(_) | Self::JsonString => {
                Err(format!("`{name}`: this type is for responses only"))
            }
            _ => Ok(()),
        }
    }
}

/// An extra rule on a string value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Url,
    Email,
    Ip,
    Digits,
    Iban,
    ExpiryMmyy,
    CardNumber,
    Base64,
    Hex,
}

impl Format {
    /// Parses a spec format name.
    ///
    /// # Errors
    /// A message listing the known formats.
    pub fn parse(s: &str) -> Result<Self, String> {
        Ok(match s {
            "url" => Self::Url,
            "email" => Self::Email,
            "ip" => Self::Ip,
            "digits" => Self::Digits,
            "iban" => Self::Iban,
            "expiry_mmyy" => Self::ExpiryMmyy,
            "card_number" => Self::CardNumber,
            "base64" => Self::Base64,
            "hex" => Self::Hex,
            other => {
                return Err(format!(
                    "unknown format `{other}`; known: url, email, ip, digits, iban, expiry_mmyy, card_number, base64, hex"
                ));
            }
        })
    }

    /// The variant name of `flitt::validate::Format`.
    pub fn variant(self) -> &'static str {
        match self {
            Self::Url => "Url",
            Self::Email => "Email",
            Self::Ip => "Ip",
            Self::Digits => "Digits",
            Self::Iban => "Iban",
            Self::ExpiryMmyy => "ExpiryMmyy",
            Self::CardNumber => "CardNumber",
            Self::Base64 => "Base64",
            Self::Hex => "Hex",
        }
    }
}
