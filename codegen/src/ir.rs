//! The checked, resolved spec the emitters work from.
//!
//! Everything here has passed every rule of `spec/README.md`: settings are enums, types are
//! parsed, references resolve, and each fact has one named field. The emitters match on these
//! types and never re-read the spec's spelling of a setting.

use crate::types::{Format, WireType};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The checked, resolved spec.
#[derive(Debug, Default)]
pub struct Spec {
    /// Enums by spec name.
    pub enums: BTreeMap<String, Enum>,
    /// Response codes, by code.
    pub codes: Vec<Code>,
    /// Nested objects by spec name.
    pub objects: BTreeMap<String, Struct>,
    /// Responses by spec name.
    pub responses: BTreeMap<String, Struct>,
    /// Endpoints by spec name.
    pub endpoints: BTreeMap<String, Endpoint>,
    /// Reports by id.
    pub reports: BTreeMap<u32, Report>,
    /// The operators of every filter family, in [`FilterFamily::ALL`] order.
    pub filter_operators: Vec<(FilterFamily, Vec<String>)>,
    /// Every file read, for `cargo:rerun-if-changed`.
    pub inputs: Vec<PathBuf>,
}

/// Declares a setting of the spec: a closed set of values, each with its spelling in the spec
/// and a variant of the same name in `flitt::request` (or wherever the emitter puts it).
macro_rules! setting {
    (
        $(#[$meta:meta])*
        $name:ident { $($(#[$vmeta:meta])* $variant:ident = $spelling:literal,)+ }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        // Not every setting uses every helper (a response code's kind is never a variant).
        #[allow(dead_code)]
        impl $name {
            /// Every value, in the order the error message lists them.
            pub const ALL: &'static [Self] = &[$(Self::$variant,)+];

            /// How the spec writes it.
            pub fn spelling(self) -> &'static str {
                match self {
                    $(Self::$variant => $spelling,)+
                }
            }

            /// The name of the generated code's variant for it.
            pub fn variant(self) -> &'static str {
                match self {
                    $(Self::$variant => stringify!($variant),)+
                }
            }

            /// Reads the spec's spelling.
            pub fn parse(spelling: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.spelling() == spelling)
            }

            /// Every spelling, comma-separated, for error messages.
            pub fn spellings() -> String {
                Self::ALL
                    .iter()
                    .map(|v| v.spelling())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        }
    };
}

setting! {
    /// The host an endpoint lives on (`flitt::request::Host`).
    Host {
        /// The payment API.
        Pay = "pay",
        /// The merchant portal (Reports API).
        Portal = "portal",
    }
}

setting! {
    /// The protocol an endpoint speaks (`flitt::request::Protocol`).
    Protocol {
        /// Flat values, signed value by value.
        V1 = "1.0",
        /// A signed base64 JSON envelope; the only one that carries nested values.
        V2 = "2.0",
        /// Either; the client picks.
        Either = "either",
    }
}

setting! {
    /// The key that signs an endpoint's requests (`flitt::request::SigningKey`).
    SigningKey {
        /// The merchant's payment key.
        Merchant = "merchant",
        /// The payout key.
        Credit = "credit",
        /// The Reports API application key.
        ReportsApp = "reports_app",
        /// A Reports API token.
        ReportsToken = "reports_token",
    }
}

setting! {
    /// What sending a request does (`flitt::request::Effect`).
    Effect {
        /// Reads only.
        Read = "read",
        /// Changes state, moves no money.
        Write = "write",
        /// Moves money.
        Money = "money",
    }
}

setting! {
    /// The shape of a response body (`flitt::request::ResponseShape`).
    ResponseShape {
        /// One object.
        Flat = "flat",
        /// A list of objects.
        Array = "array",
        /// A protocol 2.0 envelope.
        Envelope = "envelope",
    }
}

setting! {
    /// The filter family of a report field (`flitt::request::FilterFamily`).
    FilterFamily {
        /// Floating-point numbers.
        Float = "float",
        /// Integers.
        Int = "int",
        /// Date-times.
        Date = "date",
        /// Text.
        Text = "text",
        /// Booleans.
        Bool = "bool",
        /// One of a set of values.
        Select = "select",
        /// Arrays.
        Array = "array",
        /// Date ranges.
        Daterange = "daterange",
    }
}

setting! {
    /// Whether a response code is a payment refusal or a rejected request.
    CodeKind {
        /// A decline: the payment was refused.
        Decline = "decline",
        /// An error: the request was rejected.
        Error = "error",
        /// Neither: the payment waits for something outside the gateway (a receipt paid by
        /// bank transfer).
        Pending = "pending",
        /// The gateway itself does not know whether the payment went through (a timeout
        /// towards the acquirer): only a status lookup tells.
        OutcomeUnknown = "outcome_unknown",
    }
}

/// A checked enum.
#[derive(Debug)]
pub struct Enum {
    /// The spec name (`order_status`).
    pub name: String,
    /// One line of documentation.
    pub doc: String,
    /// Where the values come from.
    pub source: String,
    /// The values, in spec order.
    pub values: Vec<EnumValue>,
}

/// One value of a checked enum.
#[derive(Debug)]
pub struct EnumValue {
    /// As written on the wire.
    pub wire: String,
    /// The Rust variant name (`UpperCamelCase`).
    pub variant: String,
    /// One line of documentation.
    pub doc: String,
}

/// A checked response code.
#[derive(Debug)]
pub struct Code {
    /// The number.
    pub code: u32,
    /// The snake_case name.
    pub name: String,
    /// Flitt's message.
    pub message: String,
    /// Decline or error.
    pub kind: CodeKind,
}

/// Whether a struct is sent (an object inside a request) or received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Sent inside a request: typed builder, validation.
    Request,
    /// Received: lenient decoding, every field optional.
    Response,
}

/// Which folder a struct comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StructKind {
    /// `objects/<name>.toml`: a nested object.
    Object,
    /// `responses/<name>.toml`: the reply of an endpoint.
    Response,
}

impl StructKind {
    /// The table name (`object`, `response`), used in keys and messages.
    pub fn spelling(self) -> &'static str {
        match self {
            Self::Object => "object",
            Self::Response => "response",
        }
    }

    /// Appended to the camel-case name to name the generated type.
    pub fn type_suffix(self) -> &'static str {
        match self {
            Self::Object => "",
            Self::Response => "Response",
        }
    }
}

/// A checked object or response.
#[derive(Debug)]
pub struct Struct {
    /// The spec name.
    pub name: String,
    /// Object or response.
    pub kind: StructKind,
    /// One line of documentation.
    pub doc: String,
    /// Where it comes from.
    pub source: String,
    /// The fields, included ones first.
    pub fields: Vec<Item>,
    /// Sent or received.
    pub direction: Direction,
}

/// A checked parameter or field.
#[derive(Debug, Clone)]
pub struct Item {
    /// The wire name.
    pub name: String,
    /// The wire type.
    pub ty: WireType,
    /// Required by this SDK.
    pub required: bool,
    /// Whether the gateway itself rejects the request without it (`required` minus
    /// `gateway_optional`).
    pub gateway_required: bool,
    /// A generated `order_id`.
    pub generated: bool,
    /// Filled in by the client (`merchant_id`, `signature`).
    pub client_supplied: bool,
    /// A fixed value, always sent.
    pub value: Option<String>,
    /// Redacted in `Debug`, errors and logs.
    pub sensitive: bool,
    /// An extra rule on a string.
    pub format: Option<Format>,
    /// The smallest allowed number.
    pub min: Option<u64>,
    /// The largest allowed number.
    pub max: Option<u64>,
    /// The gateway's default, for the documentation.
    pub default: Option<String>,
    /// One line of documentation.
    pub doc: String,
    /// Where it comes from.
    pub source: String,
}

impl Item {
    /// Whether the generated struct has a field for it.
    pub fn is_struct_field(&self) -> bool {
        !self.client_supplied && self.value.is_none()
    }

    /// Whether the generated field is an `Option` (neither required nor generated).
    pub fn is_optional(&self) -> bool {
        !self.required && !self.generated
    }
}

/// A checked endpoint.
#[derive(Debug)]
pub struct Endpoint {
    /// The spec name.
    pub name: String,
    /// The URL path (`/api/status/order_id`).
    pub path: String,
    /// The host.
    pub host: Host,
    /// The protocol.
    pub protocol: Protocol,
    /// The signing key.
    pub signing_key: SigningKey,
    /// What sending it does.
    pub effect: Effect,
    /// The spec name of the response.
    pub response: String,
    /// The shape of the response body.
    pub response_shape: ResponseShape,
    /// Whether the reply carries a signature to verify.
    pub response_signed: bool,
    /// The fields a success reply may carry without a signature (a 3-D Secure challenge).
    pub unsigned_fields: Vec<String>,
    /// The amount parameter the `receiver` list's amounts must add up to (a split).
    pub split_total: Option<String>,
    /// One line of documentation.
    pub doc: String,
    /// Where it comes from.
    pub source: String,
    /// Included groups' params, then its own.
    pub params: Vec<Item>,
}

impl Endpoint {
    /// Whether its protocol 1.0 wire values include formatted text (see
    /// [`WireType::wire_text_is_formatted`]), so `visit_wire` needs a text buffer.
    pub fn formats_wire_text(&self) -> bool {
        self.params
            .iter()
            .any(|p| p.is_struct_field() && p.ty.wire_text_is_formatted())
    }
}

/// A checked report.
#[derive(Debug)]
pub struct Report {
    /// The report id.
    pub id: u32,
    /// The snake_case name (the generated module's name).
    pub name: String,
    /// One line of documentation.
    pub doc: String,
    /// Sets of fields of which a query must filter on at least one set.
    pub mandatory_filters: Vec<Vec<String>>,
    /// The columns.
    pub fields: Vec<ReportField>,
}

/// One column of a report.
#[derive(Debug)]
pub struct ReportField {
    /// The field name used in filters and replies.
    pub name: String,
    /// Which filter operators it takes, and its Rust type.
    pub family: FilterFamily,
    /// The documented wire type.
    pub wire: String,
    /// One line of documentation.
    pub doc: String,
}
