//! What every generated request knows about itself: its endpoint, how it is signed, which
//! response it gets, and how its values go on the wire.
//!
//! The generated types in [`crate::api`] implement [`ApiRequest`], so one `send` serves every
//! endpoint and the caller never picks a protocol or a signing key.

use crate::signature::{SecretKey, Signature, Signer};
use crate::types::{DateFormat, OrderId};
use crate::validate::{Format, InvalidInput, Rule};

/// The host an endpoint lives on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Host {
    /// The payment API, `https://pay.flitt.com`.
    Pay,
    /// The merchant portal (Reports API), `https://portal.flitt.com`.
    Portal,
}

/// What a response code says about a payment (`response_codes.toml`'s `kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CodeKind {
    /// The payment was refused (issuer, acquirer, antifraud).
    Decline,
    /// The request was rejected; nothing happened.
    Error,
    /// The payment waits for something outside the gateway (a receipt paid by bank transfer).
    Pending,
    /// The gateway does not know whether the payment went through (a timeout towards the
    /// acquirer): a state-changing request answered with it is settled by a status lookup.
    OutcomeUnknown,
}

/// The protocol an endpoint speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// Flat parameters, signed value by value.
    V1,
    /// A base64 JSON envelope signed as a whole (needed for nested values).
    V2,
    /// Either; sent as 1.0 unless asked otherwise.
    Either,
}

/// The key that signs an endpoint's requests and verifies its responses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SigningKey {
    /// The merchant's payment key.
    Merchant,
    /// The payout ("credit") key: `p2pcredit`, `ibancredit`.
    Credit,
    /// The Reports API application key (token request).
    ReportsApp,
    /// A Reports API token, sent as `Authorization: Token …`.
    ReportsToken,
}

/// What sending a request does, which decides the retry policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Effect {
    /// Reads only: safe to retry.
    Read,
    /// Changes state but moves no money.
    Write,
    /// Moves money: never retried blindly; an ambiguous outcome is resolved by a status lookup.
    Money,
}

/// The shape of a response body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResponseShape {
    /// One object.
    Flat,
    /// A list of objects.
    Array,
    /// A protocol 2.0 envelope holding `{"order": {…}}`.
    Envelope,
}

/// The kind of value a parameter takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// Text of at most this many characters.
    Text {
        /// The limit.
        max_chars: u32,
    },
    /// A non-negative integer of at most this many digits.
    Integer {
        /// The limit.
        max_digits: u32,
    },
    /// An amount in minor units.
    Amount,
    /// A currency code.
    Currency,
    /// An order id.
    OrderId,
    /// `Y` or `N`.
    YesNo,
    /// A date in this format.
    Date(DateFormat),
    /// One of these values.
    Enum(&'static [&'static str]),
    /// An object or list (protocol 2.0 only).
    Nested,
}

/// One parameter of an endpoint, from the spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParamInfo {
    /// Wire name.
    pub name: &'static str,
    /// One-line description.
    pub doc: &'static str,
    /// Kind of value.
    pub kind: ParamKind,
    /// Whether this SDK requires it (a required builder field).
    pub required: bool,
    /// Whether the gateway itself rejects the request without it. Differs from
    /// [`required`](Self::required) where the SDK is stricter than the gateway, such as
    /// `reverse_id` on refunds.
    pub gateway_required: bool,
    /// Filled in by the client (`merchant_id`, `signature`, `version`).
    pub client_supplied: bool,
    /// A fixed value always sent.
    pub fixed: Option<&'static str>,
    /// Redacted in logs.
    pub sensitive: bool,
    /// Extra format rule on text.
    pub format: Option<Format>,
    /// Inclusive minimum.
    pub min: Option<u64>,
    /// Inclusive maximum.
    pub max: Option<u64>,
}

/// An endpoint, from the spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// Spec name (`checkout_url`).
    pub name: &'static str,
    /// The path as Flitt documents it (`checkout/url`, `status/order_id`).
    pub call_path: &'static str,
    /// The HTTP path (`/api/checkout/url`).
    pub path: &'static str,
    /// One-line description.
    pub doc: &'static str,
    /// Host.
    pub host: Host,
    /// Protocol.
    pub protocol: Protocol,
    /// Signing key.
    pub signing_key: SigningKey,
    /// Effect, for the retry policy.
    pub effect: Effect,
    /// Response shape.
    pub response_shape: ResponseShape,
    /// Whether a success response carries a signature. When it does, a success reply
    /// without one is [`Error::Signature`](crate::Error::Signature), unless every field it
    /// carries is one of [`unsigned_fields`](Self::unsigned_fields).
    pub response_signed: bool,
    /// The fields a success reply of a signed endpoint may carry without a signature: the
    /// 3-D Secure challenge (`acs_url`, `pareq`, `md`), which says nothing about money.
    pub unsigned_fields: &'static [&'static str],
    /// The amount parameter the `receiver` list's amounts must add up to, for a split
    /// (`validate()` checks it before sending; the gateway answers 1120 otherwise).
    pub split_total: Option<&'static str>,
    /// Whether the request creates the order named by its `order_id` (so a status lookup of
    /// that id tells its outcome).
    pub creates_order: bool,
    /// Parameters, in spec order.
    pub params: &'static [ParamInfo],
}

/// The endpoint a request is for, found by its path (`/api/checkout/url`, `checkout/url`,
/// with or without a trailing `/`) or its spec name (`checkout_verification`), and by the
/// parameters it carries (`given` answers a parameter's value as text): the one lookup the CLI
/// and the sandbox share.
///
/// Several endpoints can share a path (`checkout/url` creates a plain order, a card
/// verification or a subscription). They differ by parameters the spec fixes (`verification
/// = Y`, `subscription = Y`) or has only for one of them (`recurring_data`), so among them the
/// one whose distinguishing parameters the request carries wins: a fixed parameter given with
/// another value rules an endpoint out, and with none given it is the endpoint without fixed
/// parameters.
///
/// ```
/// use flitt::request::find_endpoint;
/// let flag = |name: &str| (name == "verification").then_some("Y");
/// assert_eq!(find_endpoint("/api/checkout/url/", flag).map(|e| e.name), Some("checkout_verification"));
/// assert_eq!(find_endpoint("checkout/url", |_| None).map(|e| e.name), Some("checkout_url"));
/// assert_eq!(find_endpoint("status/order_id", |_| None).map(|e| e.name), Some("status"));
/// assert!(find_endpoint("/api/nowhere", |_| None).is_none());
/// ```
pub fn find_endpoint<'a>(
    path_or_name: &str,
    given: impl Fn(&str) -> Option<&'a str>,
) -> Option<&'static Endpoint> {
    let full = path_or_name.trim_end_matches('/');
    let wanted = full.strip_prefix("/api/").unwrap_or(full);
    let matching = || {
        crate::api::ENDPOINTS.iter().filter(|e| {
            e.call_path == wanted || e.name == wanted || e.path.trim_end_matches('/') == full
        })
    };
    // Most paths name one endpoint: found without collecting the candidates.
    let mut found = matching();
    let first = found.next()?;
    if found.next().is_none() {
        return Some(first);
    }
    let candidates: Vec<&'static Endpoint> = matching().collect();
    // A parameter that not every candidate has tells them apart.
    let shared = |name: &str| candidates.iter().all(|e| e.param(name).is_some());
    candidates
        .iter()
        .copied()
        .filter(|e| {
            e.params
                .iter()
                .all(|p| p.fixed.is_none_or(|f| given(p.name).is_none_or(|v| v == f)))
        })
        .max_by_key(|e| {
            // Fewer required parameters missing (a card payment without a wallet's scheme
            // id is not a wallet repeat payment).
            let missing = e
                .params
                .iter()
                .filter(|p| p.gateway_required && !p.client_supplied && p.fixed.is_none())
                .filter(|p| given(p.name).is_none())
                .count();
            let told = e
                .params
                .iter()
                .filter(|p| !shared(p.name) && given(p.name).is_some())
                .count();
            let fixed = e.params.iter().filter(|p| p.fixed.is_some()).count();
            // Fewest missing first; then more distinguishing parameters given; then the
            // plainest endpoint.
            (std::cmp::Reverse(missing), told, std::cmp::Reverse(fixed))
        })
}

impl Endpoint {
    /// The parameter called `name`.
    pub fn param(&self, name: &str) -> Option<&'static ParamInfo> {
        self.params.iter().find(|p| p.name == name)
    }

    /// Checks raw text parameters given by a caller (as a command line receives them) against
    /// the spec, before the client adds its own: unknown names, missing required ones, and
    /// each value's kind and rules.
    ///
    /// Client-supplied parameters (`merchant_id`, `signature`, `version`) are refused
    /// ([`Rule::ClientSupplied`]): the client fills them in, and a caller's copy would be
    /// signed and sent as given (a caller's `signature` would even be hashed into the
    /// signature). A gateway (the sandbox) receives them from its clients and checks the other
    /// parameters one by one with [`ParamInfo::validate_text`] instead.
    ///
    /// # Errors
    /// The first parameter that breaks a rule.
    pub fn validate_raw<'a>(
        &self,
        params: impl IntoIterator<Item = (&'a str, &'a str)> + Clone,
    ) -> Result<(), InvalidInput> {
        for (name, value) in params.clone() {
            let Some(info) = self.param(name) else {
                return Err(InvalidInput::new(name.to_owned(), Rule::Unknown));
            };
            if info.client_supplied {
                return Err(InvalidInput::new(info.name, Rule::ClientSupplied));
            }
            info.validate_text(value)
                .map_err(|rule| InvalidInput::new(info.name, rule))?;
        }
        for info in self.params {
            // Creating endpoints generate their order id when it is not given.
            let generated = self.creates_order && info.name == "order_id";
            if info.required
                && !info.client_supplied
                && info.fixed.is_none()
                && !generated
                && !params.clone().into_iter().any(|(n, _)| n == info.name)
            {
                return Err(InvalidInput::new(info.name, Rule::Required));
            }
        }
        Ok(())
    }
}

impl ParamInfo {
    /// Checks one value given as text.
    ///
    /// # Errors
    /// The rule broken.
    pub fn validate_text(&self, value: &str) -> Result<(), Rule> {
        use crate::validate as v;
        if let Some(fixed) = self.fixed {
            if value != fixed {
                return Err(Rule::Other(format!("must be `{fixed}`").into()));
            }
        }
        if self.required && !self.client_supplied {
            v::non_empty(value)?;
        }
        if value.contains('|') {
            return Err(Rule::Separator);
        }
        match self.kind {
            ParamKind::Text { max_chars } => {
                v::max_chars(value, max_chars)?;
                if let Some(f) = self.format {
                    if !value.is_empty() {
                        v::format(value, f)?;
                    }
                }
            }
            ParamKind::Integer { max_digits } => {
                // Too many digits for a u64 is too many for any spec'd integer.
                let n = v::whole_number(value)?.ok_or(Rule::MaxDigits(max_digits))?;
                v::max_digits(n, max_digits)?;
                v::range(n, self.min, self.max)?;
            }
            ParamKind::Amount => {
                let n = v::whole_number(value)?.unwrap_or(u64::MAX);
                crate::types::Amount::new(n).map_err(|e| e.rule)?;
                v::range(n, self.min, self.max)?;
            }
            ParamKind::Currency => {
                crate::types::Currency::new(value).map_err(|e| e.rule)?;
            }
            ParamKind::OrderId => {
                OrderId::new(value).map_err(|e| e.rule)?;
            }
            ParamKind::YesNo => {
                if value != "Y" && value != "N" {
                    return Err(Rule::OneOf(&["Y", "N"]));
                }
            }
            ParamKind::Date(format) => {
                if !crate::__private::wire::date_text_matches(value, format) {
                    return Err(Rule::Format(match format {
                        DateFormat::DmyHms => "a date as DD.MM.YYYY HH:MM:SS",
                        DateFormat::Dmy => "a date as DD.MM.YYYY",
                        DateFormat::Ymd => "a date as YYYY-MM-DD",
                        DateFormat::YmdHms => "a date as YYYY-MM-DD HH:MM:SS",
                    }));
                }
            }
            ParamKind::Enum(values) => {
                if !values.contains(&value) {
                    return Err(Rule::OneOf(values));
                }
            }
            ParamKind::Nested => return Err(Rule::Nested),
        }
        Ok(())
    }
}

/// What the generated requests hand each wire value to: any `FnMut(name, text)` closure
/// (through [`ApiRequest::visit_wire`]), or the protocol 1.0 [`Signer`], which takes the
/// values themselves.
pub trait VisitWire {
    /// The next value, `name` its wire name.
    fn value(&mut self, name: &'static str, text: &str);

    /// The next value, an integer (an amount in minor units, a count): its decimal text
    /// through [`value`](Self::value), unless the visitor takes the number itself.
    #[inline(always)]
    fn int(&mut self, name: &'static str, n: u64) {
        self.value(name, itoa::Buffer::new().format(n));
    }
}

impl<F: FnMut(&'static str, &str)> VisitWire for F {
    #[inline(always)]
    fn value(&mut self, name: &'static str, text: &str) {
        self(name, text);
    }
}

/// Signing's visitor is the signer itself, not a closure around it: LLVM left the closure a
/// function called at each of a request's two dozen visits, where the signer's `push` is
/// inlined into every one.
impl VisitWire for Signer {
    #[inline(always)]
    fn value(&mut self, _: &'static str, text: &str) {
        self.push(text);
    }

    #[inline(always)]
    fn int(&mut self, _: &'static str, n: u64) {
        self.push_int(n);
    }
}

/// A request the client can send. Implemented by every generated `…Request`.
pub trait ApiRequest: serde::Serialize {
    /// What a success decodes into.
    type Response: serde::de::DeserializeOwned;

    /// The endpoint, from the spec.
    const ENDPOINT: Endpoint;

    /// Checks every spec rule (length, range, format) of the values set.
    ///
    /// # Errors
    /// The first parameter that breaks a rule, by name.
    fn validate(&self) -> Result<(), InvalidInput>;

    /// Visits the flat (protocol 1.0) wire values in key byte order, the order they are signed
    /// in: `merchant_id` is `merchant_id`; absent optional values are skipped; nested values
    /// (protocol 2.0 only) are not visited.
    fn visit_wire<V: FnMut(&'static str, &str)>(&self, merchant_id: &str, visit: &mut V) {
        self.visit_values(merchant_id, visit);
    }

    /// [`visit_wire`](Self::visit_wire) for any [`VisitWire`], the generated code behind it.
    #[doc(hidden)]
    fn visit_values<V: VisitWire>(&self, merchant_id: &str, visit: &mut V);

    /// The request's order id, when it has one.
    fn order_id(&self) -> Option<&OrderId>;

    /// The protocol 1.0 signature of this request for `merchant_id`, computed straight from
    /// the typed values: no map, no sort, no joined string.
    fn sign_v1(&self, merchant_id: &str, key: &SecretKey) -> Signature {
        let mut signer = Signer::unkeyed();
        signer.write_key(key);
        self.visit_values(merchant_id, &mut signer);
        signer.finish_in_place()
    }

    /// The flat wire parameters as `(name, text)` pairs, in key order, without the signature.
    fn wire_params(&self, merchant_id: &str) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        self.visit_wire(merchant_id, &mut |name, value| {
            out.push((name, value.to_owned()))
        });
        out
    }
}

/// The filter family of a Reports API field: it decides which operators the field allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FilterFamily {
    /// `=`, `>`, `<`, `!=`, `isnull`, `notnull`.
    Float,
    /// As float, plus `any`.
    Int,
    /// `dateis`, `from`, `to`, `isnull`, `notnull`, `notdate`.
    Date,
    /// `=`, `!=`, `like`, `!like`, `start`, `empty`, `any`, `notnull`.
    Text,
    /// `istrue`.
    Bool,
    /// `=`, `!=`, `any`.
    Select,
    /// `in_array`.
    Array,
    /// `daterange`.
    Daterange,
}

impl FilterFamily {
    /// Every family.
    pub const ALL: [FilterFamily; 8] = [
        FilterFamily::Float,
        FilterFamily::Int,
        FilterFamily::Date,
        FilterFamily::Text,
        FilterFamily::Bool,
        FilterFamily::Select,
        FilterFamily::Array,
        FilterFamily::Daterange,
    ];

    /// Its name in the spec's report files (`float`, `int`, `date`, …).
    pub fn name(self) -> &'static str {
        match self {
            FilterFamily::Float => "float",
            FilterFamily::Int => "int",
            FilterFamily::Date => "date",
            FilterFamily::Text => "text",
            FilterFamily::Bool => "bool",
            FilterFamily::Select => "select",
            FilterFamily::Array => "array",
            FilterFamily::Daterange => "daterange",
        }
    }
}

/// A field of a Reports API report, from the spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReportFieldInfo {
    /// Field name.
    pub name: &'static str,
    /// Filter family.
    pub family: FilterFamily,
    /// The wire type as documented (`decimal(19,2)`).
    pub wire: &'static str,
    /// One-line description.
    pub doc: &'static str,
}

/// A Reports API report, from the spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReportInfo {
    /// Report id.
    pub id: u32,
    /// Spec name.
    pub name: &'static str,
    /// One-line description.
    pub doc: &'static str,
    /// Fields.
    pub fields: &'static [ReportFieldInfo],
    /// At least one of these sets of fields must be filtered on.
    pub mandatory_filters: &'static [&'static [&'static str]],
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(name: &str) -> &'static Endpoint {
        crate::api::ENDPOINTS
            .iter()
            .find(|e| e.name == name)
            .expect("a spec endpoint")
    }

    #[test]
    fn client_supplied_parameters_given_by_the_caller_are_refused() {
        let status = endpoint("status");
        for name in ["signature", "merchant_id", "version"] {
            assert!(status.param(name).is_some_and(|p| p.client_supplied));
            let value = if name == "merchant_id" {
                "1549901"
            } else {
                "abc"
            };
            let err = status
                .validate_raw([("order_id", "o-1"), (name, value)])
                .unwrap_err();
            assert_eq!(err, InvalidInput::new(name, Rule::ClientSupplied));
            assert!(err.to_string().contains(name), "{err}");
            assert!(err.to_string().contains("filled in by the client"), "{err}");
        }
        assert_eq!(status.validate_raw([("order_id", "o-1")]), Ok(()));
    }

    #[test]
    fn integers_and_amounts_are_plain_digits() {
        let capture = endpoint("capture");
        let with_amount = |amount: &'static str| {
            capture.validate_raw([("order_id", "o"), ("amount", amount), ("currency", "GEL")])
        };
        assert_eq!(with_amount("100"), Ok(()));
        for bad in [
            "+100", "-1", " 100", "100 ", "0100", "00", "1_000", "1e2", "١٠٠", "",
        ] {
            let err = with_amount(bad).unwrap_err();
            assert_eq!(err.field, "amount", "{bad:?}");
        }
        // A long run of digits is over the 12-digit limit, not "not a number".
        assert!(matches!(
            with_amount("99999999999999999999999999").unwrap_err().rule,
            Rule::Range { .. }
        ));
        let lifetime = endpoint("checkout_url").param("lifetime").unwrap();
        assert_eq!(lifetime.validate_text("3600"), Ok(()));
        for bad in ["+3600", "03600", "-0"] {
            assert!(lifetime.validate_text(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            lifetime.validate_text("1234567890123456789012345"),
            Err(Rule::MaxDigits(9))
        );
    }

    #[test]
    fn shared_paths_pick_the_endpoint_whose_required_parameters_are_given() {
        let pick = |params: &[(&str, &str)]| {
            let given = |name: &str| params.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
            find_endpoint("/api/3dsecure_step1/", given).map(|e| e.name)
        };
        let card = [("card_number", "4444555511116666"), ("expiry_date", "1230")];
        assert_eq!(pick(&card), Some("three_ds_step1"));
        let mut cvv = card.to_vec();
        cvv.push(("cvv2", "123"));
        assert_eq!(pick(&cvv), Some("three_ds_step1"));
        assert_eq!(pick(&[("container", "e30=")]), Some("wallet_container"));
        let mut decrypted = card.to_vec();
        decrypted.extend([("cavv", "AAA="), ("wallet", "applepay")]);
        assert_eq!(pick(&decrypted), Some("wallet_decrypted"));
        let mut repeat = card.to_vec();
        repeat.extend([("schemeid", "8850"), ("wallet", "googlepay")]);
        assert_eq!(pick(&repeat), Some("wallet_recurring"));
        let verify = |params: &[(&str, &str)]| {
            let given = |name: &str| params.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
            find_endpoint("checkout/url", given).map(|e| e.name)
        };
        assert_eq!(verify(&[("amount", "100")]), Some("checkout_url"));
        assert_eq!(
            verify(&[("amount", "0"), ("verification", "Y")]),
            Some("checkout_verification")
        );
    }
}
