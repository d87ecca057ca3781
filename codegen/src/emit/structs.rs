//! Objects and responses: request-side objects get a typed builder and validation, responses
//! decode leniently. Also the field-level pieces (types, docs, attributes) requests share.

use super::doc_lines;
use super::validate::validate_field;
use crate::ir::{Direction, Item, Struct};
use crate::naming::{camel, field_ident as rust_field_ident};
use crate::types::WireType;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// One object or response.
pub fn struct_def(s: &Struct) -> TokenStream {
    let name = format_ident!("{}{}", camel(&s.name), s.kind.type_suffix());
    let kind = s.kind.spelling();
    let doc = doc_lines(&[
        s.doc.clone(),
        String::new(),
        format!("Spec: `{kind}s/{}.toml`. Source: {}.", s.name, s.source),
    ]);
    match s.direction {
        Direction::Response => response_struct(s, &name, doc),
        Direction::Request => request_object(s, &name, doc),
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

/// The fields of a request or of a request-side object.
pub fn request_fields(items: &[Item]) -> Vec<TokenStream> {
    items
        .iter()
        .filter(|i| i.is_struct_field())
        .map(|f| {
            let ident = rust_field_ident(&f.name);
            let optional = f.is_optional();
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

fn request_object(s: &Struct, name: &syn::Ident, doc: TokenStream) -> TokenStream {
    let definition = request_struct(name, doc, &s.fields);
    let path = quote!(path);
    // Objects travel only in protocol 2.0, where `|` is harmless.
    let validations = s
        .fields
        .iter()
        .map(|f| validate_field(f, Some(&path), false));
    quote! {
        #definition
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

/// The Rust type of a request-side value (not wrapped in `Option`).
/// A request struct (an endpoint's or a nested object's): serialized, built with a typed
/// builder, described by a JSON schema.
pub(super) fn request_struct(name: &syn::Ident, doc: TokenStream, items: &[Item]) -> TokenStream {
    let fields = request_fields(items);
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
    }
}

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

/// The documentation of a field: its doc line, then its spec facts.
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
    let into = matches!(item.ty, WireType::Str(_) | WireType::List(_));
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
