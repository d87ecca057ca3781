//! Turns the checked [`Spec`] into Rust tokens.
//!
//! Generated code names everything by absolute path (`::flitt::…`, `::std::…`), so the same
//! output compiles inside the `flitt` crate (which declares `extern crate self as flitt`) and in
//! a test crate that depends on `flitt`. Items come out in a fixed order (BTreeMap order), so the
//! output is deterministic.

use crate::ir::{
    Code, CodeKind, Direction, Endpoint, Enum, FilterFamily, Item, Protocol, Report, ResponseShape,
    Spec, Struct,
};
use crate::naming::{camel, field_ident as rust_field_ident};
use crate::types::WireType;
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

/// Emits the whole generated module.
pub fn spec(spec: &Spec) -> TokenStream {
    let enums = spec.enums.values().map(enum_def);
    let objects = spec.objects.values().map(|s| struct_def(s, spec));
    let responses = spec.responses.values().map(|s| struct_def(s, spec));
    let endpoints = spec.endpoints.values().map(|e| endpoint(e, spec));
    let codes = response_codes(&spec.codes);
    let reports = reports(spec.reports.values());
    let report_modules = report_modules(spec.reports.values());
    let endpoint_list = spec.endpoints.values().map(|e| {
        let ty = format_ident!("{}Request", camel(&e.name));
        quote!(<#ty as ::flitt::request::ApiRequest>::ENDPOINT)
    });
    let sensitive = sensitive_fields(spec);
    quote! {
        #(#enums)*
        #(#objects)*
        #(#responses)*
        #(#endpoints)*
        #codes
        #reports
        #report_modules
        /// Every endpoint of the spec, in name order.
        pub const ENDPOINTS: &[::flitt::request::Endpoint] = &[#(#endpoint_list),*];
        /// Every wire name the spec marks `sensitive` (in a request, a response or a nested
        /// object), sorted: their values are redacted from errors and logs whatever reply
        /// they turn up in.
        pub const SENSITIVE_FIELDS: &[&str] = &[#(#sensitive),*];
    }
}

/// The wire names marked `sensitive` anywhere in the spec, sorted and without repeats.
fn sensitive_fields(spec: &Spec) -> Vec<&str> {
    let params = spec.endpoints.values().flat_map(|e| e.params.iter());
    let fields = spec
        .objects
        .values()
        .chain(spec.responses.values())
        .flat_map(|s| s.fields.iter());
    let names: std::collections::BTreeSet<&str> = params
        .chain(fields)
        .filter(|i| i.sensitive)
        .map(|i| i.name.as_str())
        .collect();
    names.into_iter().collect()
}

fn doc_lines(lines: &[String]) -> TokenStream {
    let attrs = lines.iter().map(|l| {
        let l = format!(" {l}");
        quote!(#[doc = #l])
    });
    quote!(#(#attrs)*)
}

fn enum_def(e: &Enum) -> TokenStream {
    let name = format_ident!("{}", camel(&e.name));
    let doc = doc_lines(&[
        e.doc.clone(),
        String::new(),
        format!("Spec: `enum({})`. Source: {}.", e.name, e.source),
        String::new(),
        "Open: a value the gateway adds later decodes as `Unknown` instead of failing.".into(),
    ]);
    let variants = e.values.iter().map(|v| {
        let doc = doc_lines(std::slice::from_ref(&v.doc));
        let v = format_ident!("{}", v.variant);
        quote!(#doc #v,)
    });
    let wires: Vec<_> = e.values.iter().map(|v| v.wire.as_str()).collect();
    let to_str = e.values.iter().map(|v| {
        let wire = &v.wire;
        let v = format_ident!("{}", v.variant);
        quote!(Self::#v => #wire,)
    });
    let from_str = e.values.iter().map(|v| {
        let wire = &v.wire;
        let v = format_ident!("{}", v.variant);
        quote!(#wire => Self::#v,)
    });
    let schema_name = camel(&e.name);
    quote! {
        #doc
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum #name {
            #(#variants)*
            /// A value this version of the SDK does not know, kept as received.
            Unknown(::std::string::String),
        }
        impl #name {
            /// Every value this version of the SDK knows, as written on the wire.
            pub const KNOWN: &'static [&'static str] = &[#(#wires),*];
            /// The value as written on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #(#to_str)*
                    Self::Unknown(other) => other,
                }
            }
            /// Reads a wire value; unknown values become `Unknown`.
            pub fn from_wire(value: &str) -> Self {
                match value {
                    #(#from_str)*
                    other => Self::Unknown(::std::borrow::ToOwned::to_owned(other)),
                }
            }
        }
        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl ::flitt::__private::serde::Serialize for #name {
            fn serialize<S: ::flitt::__private::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
        impl<'de> ::flitt::__private::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::flitt::__private::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                ::flitt::__private::wire::deserialize_text(deserializer).map(|text| Self::from_wire(&text))
            }
        }
        impl ::flitt::__private::wire::Lenient for #name {
            fn from_json(value: ::flitt::__private::serde_json::Value) -> ::std::result::Result<::std::option::Option<Self>, ::std::string::String> {
                ::flitt::__private::wire::lenient_text(value).map(|text| text.map(|t| Self::from_wire(&t)))
            }
        }
        impl ::flitt::__private::schemars::JsonSchema for #name {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed(#schema_name)
            }
            fn json_schema(_: &mut ::flitt::__private::schemars::SchemaGenerator) -> ::flitt::__private::schemars::Schema {
                ::flitt::__private::wire::enum_schema(Self::KNOWN)
            }
        }
    }
}

/// The Rust type of a request-side value (not wrapped in `Option`).
fn request_type(item: &Item) -> TokenStream {
    match &item.ty {
        WireType::Str(_) if item.sensitive => {
            quote!(::flitt::types::Sensitive<::std::string::String>)
        }
        WireType::Str(_) => quote!(::std::string::String),
        WireType::Int(_) => quote!(u64),
        WireType::Amount => quote!(::flitt::types::Amount),
        WireType::Currency => quote!(::flitt::types::Currency),
        WireType::OrderId => quote!(::flitt::types::OrderId),
        WireType::YesNo | WireType::Bool => quote!(bool),
        WireType::Date(f) if f.has_time() => quote!(::flitt::types::DateTime),
        WireType::Date(_) => quote!(::flitt::types::Date),
        WireType::Enum(e) | WireType::Object(e) => {
            let t = format_ident!("{}", camel(e));
            quote!(#t)
        }
        WireType::List(o) => {
            let t = format_ident!("{}", camel(o));
            quote!(::std::vec::Vec<#t>)
        }
        WireType::Map(o) => {
            let t = format_ident!("{}", camel(o));
            quote!(::std::collections::BTreeMap<::std::string::String, #t>)
        }
        WireType::Decimal => quote!(::flitt::types::Decimal),
        WireType::JsonString => quote!(::flitt::types::JsonString),
        WireType::Json => quote!(::flitt::__private::serde_json::Value),
    }
}

/// The Rust type of a response-side value (not wrapped in `Option`).
fn response_type(item: &Item) -> TokenStream {
    match &item.ty {
        WireType::Int(_) => quote!(i64),
        WireType::Amount => quote!(u64),
        WireType::OrderId | WireType::Date(_) => {
            if item.sensitive {
                quote!(::flitt::types::Sensitive<::std::string::String>)
            } else {
                quote!(::std::string::String)
            }
        }
        _ => request_type(item),
    }
}

fn item_doc(item: &Item) -> TokenStream {
    let mut spec_line = format!("Wire: `{}`, `{}`", item.name, type_spelling(&item.ty));
    if item.required {
        spec_line.push_str(", required");
    }
    if let Some(f) = item.format {
        spec_line.push_str(&format!(", format {f:?}"));
    }
    if let Some(min) = item.min {
        spec_line.push_str(&format!(", min {min}"));
    }
    if let Some(max) = item.max {
        spec_line.push_str(&format!(", max {max}"));
    }
    if let Some(d) = &item.default {
        spec_line.push_str(&format!(", gateway default `{d}`"));
    }
    if item.sensitive {
        spec_line.push_str(", sensitive (redacted in `Debug`)");
    }
    spec_line.push_str(&format!(". Source: {}.", item.source));
    doc_lines(&[item.doc.clone(), String::new(), spec_line])
}

fn type_spelling(ty: &WireType) -> String {
    match ty {
        WireType::Str(Some(n)) => format!("string({n})"),
        WireType::Str(None) => "string".into(),
        WireType::Int(Some(n)) => format!("integer({n})"),
        WireType::Int(None) => "integer".into(),
        WireType::Amount => "amount".into(),
        WireType::Decimal => "decimal".into(),
        WireType::Currency => "currency".into(),
        WireType::OrderId => "order_id".into(),
        WireType::YesNo => "yes_no".into(),
        WireType::Bool => "bool".into(),
        WireType::Date(f) => format!("date({})", f.spelling()),
        WireType::Enum(e) => format!("enum({e})"),
        WireType::Object(o) => format!("object({o})"),
        WireType::List(o) => format!("list(object({o}))"),
        WireType::Map(o) => format!("map(object({o}))"),
        WireType::JsonString => "json_string".into(),
        WireType::Json => "json".into(),
    }
}

/// `serde` and `schemars` attributes for a request-side field with a special wire form.
fn request_field_attrs(item: &Item, optional: bool) -> TokenStream {
    let skip = if optional {
        quote!(#[serde(skip_serializing_if = "::std::option::Option::is_none")])
    } else {
        quote!()
    };
    let special = match &item.ty {
        WireType::YesNo => Some("yes_no".to_owned()),
        WireType::Date(f) => Some(format!("date_{}", f.variant().to_ascii_lowercase())),
        _ => None,
    };
    match special {
        Some(base) => {
            let suffix = if optional { "_opt" } else { "" };
            let ser = format!("::flitt::__private::wire::ser_{base}{suffix}");
            let schema = format!("::flitt::__private::wire::schema_{base}");
            quote! {
                #skip
                #[serde(serialize_with = #ser)]
                #[schemars(schema_with = #schema)]
            }
        }
        None => skip,
    }
}

fn builder_attr(item: &Item, optional: bool) -> TokenStream {
    let into = matches!(
        item.ty,
        WireType::Str(_) | WireType::List(_) | WireType::OrderId
    ) && !matches!(item.ty, WireType::OrderId);
    if item.generated {
        return quote!(#[builder(default = ::flitt::types::OrderId::generate())]);
    }
    match (optional, into) {
        (true, true) => quote!(#[builder(default, setter(strip_option, into))]),
        (true, false) => quote!(#[builder(default, setter(strip_option))]),
        (false, true) => quote!(#[builder(setter(into))]),
        (false, false) => quote!(),
    }
}

/// `Result<(), Rule>` checks for one request-side value, given an expression that is a `&T`.
/// `flat` is true for values signed by protocol 1.0, which cannot contain `|`.
fn checks(item: &Item, value: &TokenStream, flat: bool) -> Vec<TokenStream> {
    let v = quote!(::flitt::__private::validate);
    let mut out = Vec::new();
    match &item.ty {
        WireType::Str(Some(n)) => {
            let text = if item.sensitive {
                quote!(#value.expose().as_str())
            } else {
                quote!(#value.as_str())
            };
            let n = Literal::u32_unsuffixed(*n);
            if item.required {
                out.push(quote!(#v::non_empty(#text)));
            }
            out.push(quote!(#v::max_chars(#text, #n)));
            if flat {
                out.push(quote!(#v::no_separator(#text)));
            }
            if let Some(f) = item.format {
                let f = format_ident!("{}", f.variant());
                out.push(quote!(#v::format(#text, ::flitt::validate::Format::#f)));
            }
        }
        WireType::Int(Some(n)) => {
            let n = Literal::u32_unsuffixed(*n);
            out.push(quote!(#v::max_digits(*#value, #n)));
        }
        _ => {}
    }
    if item.min.is_some() || item.max.is_some() {
        let min = opt_u64(item.min);
        let max = opt_u64(item.max);
        let n = match item.ty {
            WireType::Amount => quote!(#value.minor()),
            _ => quote!(*#value),
        };
        out.push(quote!(#v::range(#n, #min, #max)));
    }
    out
}

fn opt_u64(v: Option<u64>) -> TokenStream {
    match v {
        Some(n) => {
            let n = Literal::u64_unsuffixed(n);
            quote!(::std::option::Option::Some(#n))
        }
        None => quote!(::std::option::Option::None),
    }
}

/// Statements validating one field of `self`; `path` is `None` at the top of a request, or the
/// expression holding the object's path.
fn validate_field(item: &Item, path: Option<&TokenStream>, flat: bool) -> TokenStream {
    let ident = rust_field_ident(&item.name);
    let name = &item.name;
    let optional = !item.required && !item.generated;
    let value = quote!(value);
    let wrap = |check: TokenStream| match path {
        None => quote! {
            #check.map_err(|rule| ::flitt::validate::InvalidInput::new(#name, rule))?;
        },
        Some(p) => quote! {
            #check.map_err(|rule| ::flitt::validate::InvalidInput::nested(#p, #name, rule))?;
        },
    };
    let mut body: Vec<TokenStream> = checks(item, &value, flat).into_iter().map(wrap).collect();
    let child_path = match path {
        None => quote!(#name),
        Some(p) => quote!(&::std::format!("{}.{}", #p, #name)),
    };
    match &item.ty {
        WireType::Object(_) => body.push(quote!(value.validate_at(#child_path)?;)),
        WireType::List(_) => {
            if item.required {
                let check = wrap(quote!(::flitt::__private::validate::non_empty_list(value)));
                body.push(check);
            }
            body.push(quote! {
                for (index, element) in value.iter().enumerate() {
                    element.validate_at(&::std::format!("{}[{}]", #child_path, index))?;
                }
            });
        }
        _ => {}
    }
    if body.is_empty() {
        return quote!();
    }
    if optional {
        quote! {
            if let ::std::option::Option::Some(value) = &self.#ident {
                #(#body)*
            }
        }
    } else {
        quote! {
            {
                let value = &self.#ident;
                #(#body)*
            }
        }
    }
}

fn struct_def(s: &Struct, spec: &Spec) -> TokenStream {
    let name = format_ident!("{}{}", camel(&s.name), s.kind.type_suffix());
    let kind = s.kind.spelling();
    let doc = doc_lines(&[
        s.doc.clone(),
        String::new(),
        format!("Spec: `{kind}s/{}.toml`. Source: {}.", s.name, s.source),
    ]);
    match s.direction {
        Direction::Response => response_struct(s, &name, doc),
        Direction::Request => request_object(s, &name, doc, spec),
    }
}

fn response_struct(s: &Struct, name: &syn::Ident, doc: TokenStream) -> TokenStream {
    let fields = s.fields.iter().map(|f| {
        let ident = rust_field_ident(&f.name);
        let ty = response_type(f);
        let doc = item_doc(f);
        let wire = &f.name;
        quote! {
            #doc
            #[serde(rename = #wire, default, deserialize_with = "::flitt::__private::wire::lenient", skip_serializing_if = "::std::option::Option::is_none")]
            pub #ident: ::std::option::Option<#ty>,
        }
    });
    quote! {
        #doc
        ///
        /// Decoded leniently: absent, `null` and `""` are `None`, numbers may arrive as strings,
        /// and fields this version does not know are kept in `extra`.
        #[derive(Clone, Debug, Default, PartialEq, ::flitt::__private::serde::Serialize, ::flitt::__private::serde::Deserialize, ::flitt::__private::schemars::JsonSchema)]
        #[serde(crate = "::flitt::__private::serde")]
        #[schemars(crate = "::flitt::__private::schemars")]
        #[non_exhaustive]
        pub struct #name {
            #(#fields)*
            /// Fields the spec does not list, kept as received.
            #[serde(flatten)]
            pub extra: ::flitt::types::Extra,
        }
        impl ::flitt::__private::wire::Lenient for #name {
            fn from_json(value: ::flitt::__private::serde_json::Value) -> ::std::result::Result<::std::option::Option<Self>, ::std::string::String> {
                ::flitt::__private::wire::lenient_struct(value)
            }
        }
    }
}

fn request_fields(items: &[Item]) -> Vec<TokenStream> {
    items
        .iter()
        .filter(|i| i.is_struct_field())
        .map(|f| {
            let ident = rust_field_ident(&f.name);
            let optional = !f.required && !f.generated;
            let base = request_type(f);
            let ty = if optional {
                quote!(::std::option::Option<#base>)
            } else {
                base
            };
            let doc = item_doc(f);
            let wire = &f.name;
            let attrs = request_field_attrs(f, optional);
            let builder = builder_attr(f, optional);
            quote! {
                #doc
                #[serde(rename = #wire)]
                #attrs
                #builder
                pub #ident: #ty,
            }
        })
        .collect()
}

fn request_object(s: &Struct, name: &syn::Ident, doc: TokenStream, _spec: &Spec) -> TokenStream {
    let fields = request_fields(&s.fields);
    let path = quote!(path);
    // Objects travel only in protocol 2.0, where `|` is harmless.
    let validations = s
        .fields
        .iter()
        .map(|f| validate_field(f, Some(&path), false));
    quote! {
        #doc
        #[derive(Clone, Debug, PartialEq, ::flitt::__private::serde::Serialize, ::flitt::__private::typed_builder::TypedBuilder, ::flitt::__private::schemars::JsonSchema)]
        #[serde(crate = "::flitt::__private::serde")]
        #[schemars(crate = "::flitt::__private::schemars")]
        #[builder(crate_module_path = ::flitt::__private::typed_builder)]
        #[non_exhaustive]
        pub struct #name {
            #(#fields)*
        }
        impl #name {
            /// Checks every spec rule; `path` names this object in the error (`recurring_data`).
            ///
            /// # Errors
            /// The first rule broken, naming the field by its full path.
            pub fn validate_at(&self, path: &str) -> ::std::result::Result<(), ::flitt::validate::InvalidInput> {
                let _ = path;
                #(#validations)*
                ::std::result::Result::Ok(())
            }
        }
    }
}

/// The wire text of a present value, as an expression usable as `&str`.
fn wire_text(item: &Item, value: &TokenStream) -> Option<TokenStream> {
    Some(match &item.ty {
        WireType::Str(_) if item.sensitive => quote!(#value.expose().as_str()),
        WireType::Str(_) => quote!(#value.as_str()),
        WireType::Int(_) => quote!(buf.int(*#value)),
        WireType::Amount => quote!(buf.int(#value.minor())),
        WireType::Currency | WireType::OrderId | WireType::Enum(_) => quote!(#value.as_str()),
        WireType::YesNo | WireType::Bool => {
            quote!(::flitt::__private::wire::yes_no_text(*#value))
        }
        WireType::Date(f) => {
            let f = format_ident!("{}", f.variant());
            quote!(buf.date(#value, ::flitt::types::DateFormat::#f))
        }
        _ => return None,
    })
}

fn endpoint(e: &Endpoint, spec: &Spec) -> TokenStream {
    let camel_name = camel(&e.name);
    let name = format_ident!("{}Request", camel_name);
    let response_ident = format_ident!("{}Response", camel(&e.response));
    let response_ty = if e.response_shape == ResponseShape::Array {
        quote!(::std::vec::Vec<#response_ident>)
    } else {
        quote!(#response_ident)
    };
    let doc = doc_lines(&[
        e.doc.clone(),
        String::new(),
        format!(
            "Spec: `api/{}.toml`: `POST {}` on the `{}` host, protocol {}, signed with the {} key; answers `{}` ({}), response {}. Source: {}.",
            e.name,
            e.path,
            e.host.spelling(),
            e.protocol.spelling(),
            e.signing_key.spelling().replace('_', " "),
            camel(&e.response) + "Response",
            e.response_shape.spelling(),
            if e.response_signed {
                "signed"
            } else {
                "not signed"
            },
            e.source
        ),
    ]);
    let fields = request_fields(&e.params);
    let validations = e
        .params
        .iter()
        .filter(|i| i.is_struct_field())
        .map(|f| validate_field(f, None, e.protocol != Protocol::V2));

    // The flat (1.0) wire values, in key byte order.
    let mut flat: Vec<&Item> = e.params.iter().collect();
    flat.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    let mut uses_buf = false;
    let visits: Vec<TokenStream> = flat
        .iter()
        .filter_map(|item| {
            let wire = &item.name;
            if item.client_supplied {
                return (item.name == "merchant_id").then(|| quote!(visit(#wire, merchant_id);));
            }
            if let Some(v) = &item.value {
                return Some(quote!(visit(#wire, #v);));
            }
            let ident = rust_field_ident(&item.name);
            let optional = !item.required && !item.generated;
            let value = quote!(value);
            let text = wire_text(item, &value)?;
            if text.to_string().contains("buf") {
                uses_buf = true;
            }
            Some(if optional {
                quote! {
                    if let ::std::option::Option::Some(value) = &self.#ident {
                        visit(#wire, #text);
                    }
                }
            } else {
                quote! {
                    {
                        let value = &self.#ident;
                        visit(#wire, #text);
                    }
                }
            })
        })
        .collect();
    let buf = if uses_buf {
        quote!(let mut buf = ::flitt::__private::wire::TextBuf::new();)
    } else {
        quote!()
    };
    let order_id = match e
        .params
        .iter()
        .find(|p| p.name == "order_id" && p.is_struct_field())
    {
        Some(p) if p.required || p.generated => {
            quote!(::std::option::Option::Some(&self.order_id))
        }
        Some(_) => quote!(self.order_id.as_ref()),
        None => quote!(::std::option::Option::None),
    };
    let params = e.params.iter().map(|p| param_info(p, spec));
    let call_path = e
        .path
        .trim_start_matches("/api/")
        .trim_start_matches('/')
        .trim_end_matches('/');
    let path = &e.path;
    let ep_name = &e.name;
    let host = format_ident!("{}", e.host.variant());
    let protocol = format_ident!("{}", e.protocol.variant());
    let key = format_ident!("{}", e.signing_key.variant());
    let effect = format_ident!("{}", e.effect.variant());
    let shape = format_ident!("{}", e.response_shape.variant());
    let signed = e.response_signed;
    let unsigned_fields = &e.unsigned_fields;
    let creates_order = e.params.iter().any(|p| p.name == "order_id" && p.generated);
    let doc_text = &e.doc;
    quote! {
        #doc
        #[derive(Clone, Debug, PartialEq, ::flitt::__private::serde::Serialize, ::flitt::__private::typed_builder::TypedBuilder, ::flitt::__private::schemars::JsonSchema)]
        #[serde(crate = "::flitt::__private::serde")]
        #[schemars(crate = "::flitt::__private::schemars")]
        #[builder(crate_module_path = ::flitt::__private::typed_builder)]
        #[non_exhaustive]
        pub struct #name {
            #(#fields)*
        }
        impl ::flitt::request::ApiRequest for #name {
            type Response = #response_ty;
            const ENDPOINT: ::flitt::request::Endpoint = ::flitt::request::Endpoint {
                name: #ep_name,
                call_path: #call_path,
                path: #path,
                doc: #doc_text,
                host: ::flitt::request::Host::#host,
                protocol: ::flitt::request::Protocol::#protocol,
                signing_key: ::flitt::request::SigningKey::#key,
                effect: ::flitt::request::Effect::#effect,
                response_shape: ::flitt::request::ResponseShape::#shape,
                response_signed: #signed,
                unsigned_fields: &[#(#unsigned_fields),*],
                creates_order: #creates_order,
                params: &[#(#params),*],
            };
            fn validate(&self) -> ::std::result::Result<(), ::flitt::validate::InvalidInput> {
                #(#validations)*
                ::std::result::Result::Ok(())
            }
            fn visit_wire<V: ::std::ops::FnMut(&'static str, &str)>(&self, merchant_id: &str, visit: &mut V) {
                let _ = merchant_id;
                #buf
                #(#visits)*
            }
            fn order_id(&self) -> ::std::option::Option<&::flitt::types::OrderId> {
                #order_id
            }
        }
    }
}

fn param_info(p: &Item, spec: &Spec) -> TokenStream {
    let name = &p.name;
    let required = p.required;
    let gateway_required = p.gateway_required;
    let client = p.client_supplied;
    let sensitive = p.sensitive;
    let fixed = match &p.value {
        Some(v) => quote!(::std::option::Option::Some(#v)),
        None => quote!(::std::option::Option::None),
    };
    let format = match p.format {
        Some(f) => {
            let f = format_ident!("{}", f.variant());
            quote!(::std::option::Option::Some(::flitt::validate::Format::#f))
        }
        None => quote!(::std::option::Option::None),
    };
    let min = opt_u64(p.min);
    let max = opt_u64(p.max);
    let pk = quote!(::flitt::request::ParamKind);
    let kind = match &p.ty {
        WireType::Str(n) => {
            let n = Literal::u32_unsuffixed(n.unwrap_or(u32::MAX));
            quote!(#pk::Text { max_chars: #n })
        }
        WireType::Int(n) => {
            let n = Literal::u32_unsuffixed(n.unwrap_or(18));
            quote!(#pk::Integer { max_digits: #n })
        }
        WireType::Amount => quote!(#pk::Amount),
        WireType::Currency => quote!(#pk::Currency),
        WireType::OrderId => quote!(#pk::OrderId),
        WireType::YesNo | WireType::Bool => quote!(#pk::YesNo),
        WireType::Date(f) => {
            let f = format_ident!("{}", f.variant());
            quote!(#pk::Date(::flitt::types::DateFormat::#f))
        }
        WireType::Enum(e) => {
            let values = spec.enums[e].values.iter().map(|v| v.wire.as_str());
            quote!(#pk::Enum(&[#(#values),*]))
        }
        _ => quote!(#pk::Nested),
    };
    let doc = &p.doc;
    quote! {
        ::flitt::request::ParamInfo {
            name: #name,
            doc: #doc,
            kind: #kind,
            required: #required,
            gateway_required: #gateway_required,
            client_supplied: #client,
            fixed: #fixed,
            sensitive: #sensitive,
            format: #format,
            min: #min,
            max: #max,
        }
    }
}

fn response_codes(codes: &[Code]) -> TokenStream {
    let variants = codes.iter().map(|c| {
        let v = format_ident!("{}", camel(&c.name));
        let doc = format!(" {}: {}.", c.code, c.message);
        quote!(#[doc = #doc] #v,)
    });
    let from = codes.iter().map(|c| {
        let v = format_ident!("{}", camel(&c.name));
        let n = Literal::u32_unsuffixed(c.code);
        quote!(#n => Self::#v,)
    });
    let to = codes.iter().map(|c| {
        let v = format_ident!("{}", camel(&c.name));
        let n = Literal::u32_unsuffixed(c.code);
        let name = &c.name;
        let message = &c.message;
        let decline = c.kind == CodeKind::Decline;
        quote!(Self::#v => (#n, #name, #message, #decline),)
    });
    quote! {
        /// A Flitt response code (`response_code` of a decline, `error_code` of an error).
        ///
        /// Spec: `response_codes.toml`. Open: a code this version does not know is `Unknown`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum ResponseCode {
            #(#variants)*
            /// A code this version of the SDK does not know.
            Unknown(u32),
        }
        impl ResponseCode {
            /// The code for a number.
            pub fn from_code(code: u32) -> Self {
                match code {
                    #(#from)*
                    other => Self::Unknown(other),
                }
            }
            fn info(self) -> (u32, &'static str, &'static str, bool) {
                match self {
                    #(#to)*
                    Self::Unknown(code) => (code, "unknown", "Unknown response code", false),
                }
            }
            /// The number.
            pub fn code(self) -> u32 {
                self.info().0
            }
            /// The spec's snake_case name (`invalid_signature`).
            pub fn name(self) -> &'static str {
                self.info().1
            }
            /// Flitt's message for it.
            pub fn message(self) -> &'static str {
                self.info().2
            }
            /// Whether it is a payment refusal (a decline) rather than a rejected request.
            pub fn is_decline(self) -> bool {
                self.info().3
            }
        }
        impl ::std::fmt::Display for ResponseCode {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::write!(f, "{} {} ({})", self.code(), self.name(), self.message())
            }
        }
    }
}

fn reports<'a>(reports: impl Iterator<Item = &'a Report>) -> TokenStream {
    let items = reports.map(|r| {
        let id = Literal::u32_unsuffixed(r.id);
        let name = &r.name;
        let doc = &r.doc;
        let fields = r.fields.iter().map(|f| {
            let (n, wire, doc) = (&f.name, &f.wire, &f.doc);
            let family = format_ident!("{}", f.family.variant());
            quote! {
                ::flitt::request::ReportFieldInfo {
                    name: #n,
                    family: ::flitt::request::FilterFamily::#family,
                    wire: #wire,
                    doc: #doc,
                }
            }
        });
        let mandatory = r.mandatory_filters.iter().map(|set| quote!(&[#(#set),*]));
        quote! {
            ::flitt::request::ReportInfo {
                id: #id,
                name: #name,
                doc: #doc,
                fields: &[#(#fields),*],
                mandatory_filters: &[#(#mandatory),*],
            }
        }
    });
    quote! {
        /// The Reports API reports of the spec (`reports/*.toml`), in id order.
        pub const REPORTS: &[::flitt::request::ReportInfo] = &[#(#items),*];
    }
}

/// One typed module per report: a marker, a row, and a typed field per column.
fn report_modules<'a>(reports: impl Iterator<Item = &'a Report>) -> TokenStream {
    let modules = reports.enumerate().map(|(index, r)| {
        let module = format_ident!("{}", r.name);
        let module_doc = format!(" Report {} (`{}`): {}", r.id, r.name, r.doc);
        let row_fields = r.fields.iter().map(|f| {
            let ident = rust_field_ident(&f.name);
            let ty = report_type(f.family);
            let doc = format!(
                " {} Wire: `{}`, filter family `{}`.",
                f.doc,
                f.wire,
                f.family.spelling()
            );
            quote!(#[doc = #doc] pub #ident: ::std::option::Option<#ty>,)
        });
        let arms = r.fields.iter().map(|f| {
            let name = &f.name;
            let ident = rust_field_ident(name);
            quote! {
                #name => {
                    row.#ident = ::flitt::__private::wire::Lenient::from_json(value)
                        .map_err(|e| ::std::format!("`{}`: {}", #name, e))?;
                }
            }
        });
        let field_fns = r.fields.iter().map(|f| {
            let name = &f.name;
            let ident = rust_field_ident(name);
            let fam = format_ident!("{}", f.family.variant());
            let doc = format!(" `{name}`: {}", f.doc);
            quote! {
                #[doc = #doc]
                pub const fn #ident() -> ::flitt::reports::Field<Report, ::flitt::reports::family::#fam> {
                    ::flitt::reports::Field::new(#name)
                }
            }
        });
        let index = Literal::usize_unsuffixed(index);
        quote! {
            #[doc = #module_doc]
            pub mod #module {
                /// The report, as a type: `client.page::<Report>(…)`.
                #[derive(Debug, Clone, Copy)]
                pub enum Report {}
                impl ::flitt::reports::Report for Report {
                    type Row = Row;
                    fn info() -> &'static ::flitt::request::ReportInfo {
                        &super::super::REPORTS[#index]
                    }
                }
                /// One row. Missing fields are `None`; fields the spec does not list are kept
                /// in `extra`.
                #[derive(Clone, Debug, Default, PartialEq)]
                #[non_exhaustive]
                pub struct Row {
                    #(#row_fields)*
                    /// Fields the spec does not list, kept as received.
                    pub extra: ::flitt::types::Extra,
                }
                impl ::flitt::reports::ReportRow for Row {
                    fn from_values(
                        fields: &[::std::string::String],
                        values: ::std::vec::Vec<::flitt::__private::serde_json::Value>,
                    ) -> ::std::result::Result<Self, ::std::string::String> {
                        let mut row = Self::default();
                        for (name, value) in fields.iter().zip(values) {
                            match name.as_str() {
                                #(#arms)*
                                other => {
                                    row.extra.insert(::std::borrow::ToOwned::to_owned(other), value);
                                }
                            }
                        }
                        ::std::result::Result::Ok(row)
                    }
                }
                #(#field_fns)*
            }
        }
    });
    quote! {
        /// The Reports API reports, typed: filters whose operators fit each field's type, and
        /// rows decoded by the `fields` list of each reply.
        pub mod reports {
            #(#modules)*
        }
    }
}

fn report_type(family: FilterFamily) -> TokenStream {
    match family {
        FilterFamily::Int => quote!(i64),
        FilterFamily::Float => quote!(::flitt::types::Decimal),
        FilterFamily::Date => quote!(::flitt::types::DateTime),
        FilterFamily::Bool => quote!(bool),
        FilterFamily::Array => quote!(::flitt::__private::serde_json::Value),
        FilterFamily::Text | FilterFamily::Select | FilterFamily::Daterange => {
            quote!(::std::string::String)
        }
    }
}
