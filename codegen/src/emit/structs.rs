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
    let mut doc = vec![
        s.doc.clone(),
        String::new(),
        format!("Spec: `{kind}s/{}.toml`. Source: {}.", s.name, s.source),
    ];
    match s.direction {
        Direction::Response => {
            doc.extend(LENIENT_DOC.map(String::from));
            response_struct(s, &name, &doc)
        }
        Direction::Request => request_object(s, &name, &doc),
    }
}

/// The last lines of a response's documentation.
const LENIENT_DOC: [&str; 3] = [
    "",
    "Decoded leniently: absent, `null` and `\"\"` are `None`, numbers may arrive as strings,",
    "and fields this version does not know are kept in `extra`.",
];

/// The schema-only twin of [`struct_def`] for `tests/schemas.rs`: the struct as it was before
/// the table of [`schema_impl`], with `#[derive(JsonSchema)]` and the same `serde` attributes
/// (plus `default` where the derive needs it to see that a field is optional), and nothing
/// else.
pub fn schema_reference_struct(s: &Struct) -> TokenStream {
    let name = format_ident!("{}{}", camel(&s.name), s.kind.type_suffix());
    let kind = s.kind.spelling();
    let mut doc = vec![
        s.doc.clone(),
        String::new(),
        format!("Spec: `{kind}s/{}.toml`. Source: {}.", s.name, s.source),
    ];
    match s.direction {
        Direction::Response => {
            doc.extend(LENIENT_DOC.map(String::from));
            let doc = doc_lines(&doc);
            let fields = s.fields.iter().map(response_field);
            quote! {
                #doc
                #[derive(::flitt::__private::schemars::JsonSchema)]
                #[schemars(crate = "::flitt::__private::schemars")]
                pub struct #name {
                    #(#fields)*
                    /// Fields the spec does not list, kept as received.
                    #[serde(flatten)]
                    pub extra: ::flitt::types::Extra,
                }
            }
        }
        Direction::Request => schema_reference_request(&name, &doc, &s.fields),
    }
}

/// The schema-only twin of [`request_struct`]: see [`schema_reference_struct`].
pub(super) fn schema_reference_request(
    name: &syn::Ident,
    doc: &[String],
    items: &[Item],
) -> TokenStream {
    let doc = doc_lines(doc);
    let fields = struct_fields(items).map(|f| {
        let RequestField {
            doc,
            wire,
            ident,
            ty,
            attrs,
            special,
            ..
        } = &f;
        let schema_with = special.as_ref().map(|base| {
            let schema = format!("::flitt::__private::wire::schema_{base}");
            // The derive cannot see that a function's schema stands for an `Option`, and would
            // list the field as required in schemas for deserializing; `default` tells it the
            // field may be absent, as it may.
            let default = f.item.is_optional().then(|| quote!(#[serde(default)]));
            quote!(#[schemars(schema_with = #schema)] #default)
        });
        quote! {
            #doc
            #[serde(rename = #wire)]
            #attrs
            #schema_with
            pub #ident: #ty,
        }
    });
    quote! {
        #doc
        #[derive(::flitt::__private::schemars::JsonSchema)]
        #[schemars(crate = "::flitt::__private::schemars")]
        pub struct #name {
            #(#fields)*
        }
    }
}

fn response_field(f: &Item) -> TokenStream {
    let ident = rust_field_ident(&f.name);
    let ty = response_type(f);
    let doc = doc_lines(&item_doc(f));
    let wire = &f.name;
    quote! {
        #doc
        #[serde(rename = #wire, default, deserialize_with = "::flitt::__private::wire::lenient", skip_serializing_if = "::std::option::Option::is_none")]
        pub #ident: ::std::option::Option<#ty>,
    }
}

fn response_struct(s: &Struct, name: &syn::Ident, doc: &[String]) -> TokenStream {
    let fields = s.fields.iter().map(response_field);
    let schema_fields: Vec<_> = s
        .fields
        .iter()
        .map(|f| {
            let ty = response_type(f);
            let schema = quote!(schema::sub::<::std::option::Option<#ty>>);
            schema_field(f, false, schema)
        })
        .collect();
    let schema = schema_impl(name, doc, &schema_fields);
    let doc = doc_lines(doc);
    quote! {
        #doc
        #[derive(Clone, Debug, Default, PartialEq, ::flitt::__private::serde::Serialize, ::flitt::__private::serde::Deserialize)]
        #[serde(crate = "::flitt::__private::serde")]
        #[non_exhaustive]
        pub struct #name {
            #(#fields)*
            /// Fields the spec does not list, kept as received.
            #[serde(flatten)]
            pub extra: ::flitt::types::Extra,
        }
        #schema
        impl ::flitt::__private::wire::Lenient for #name {
            fn from_json(value: ::flitt::__private::serde_json::Value) -> ::std::result::Result<::std::option::Option<Self>, ::std::string::String> {
                ::flitt::__private::wire::lenient_struct(value)
            }
        }
    }
}

/// `impl JsonSchema` for a generated struct: its properties as a table for
/// `flitt::__private::schema::object`, which builds what `#[derive(JsonSchema)]` would.
fn schema_impl(name: &syn::Ident, doc: &[String], fields: &[TokenStream]) -> TokenStream {
    let schema_name = name.to_string();
    let schema_id = format!("::{schema_name}");
    let (title, description) = title_and_description(doc);
    quote! {
        impl ::flitt::__private::schemars::JsonSchema for #name {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed(#schema_name)
            }
            fn schema_id() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed(::std::concat!(::std::module_path!(), #schema_id))
            }
            fn json_schema(generator: &mut ::flitt::__private::schemars::SchemaGenerator) -> ::flitt::__private::schemars::Schema {
                use ::flitt::__private::schema;
                schema::object(generator, #title, #description, &[#(#fields),*])
            }
        }
    }
}

/// One row of [`schema_impl`]'s table.
fn schema_field(item: &Item, required: bool, schema: TokenStream) -> TokenStream {
    let name = &item.name;
    let (title, description) = title_and_description(&item_doc(item));
    quote! {
        schema::Field { name: #name, required: #required, title: #title, description: #description, schema: #schema }
    }
}

/// The `title` and `description` schemars' derive takes from a doc comment (its lines, joined):
/// when the text starts with `#`, its first line (without the `#`s) is the title and the rest
/// the description; otherwise there is no title and all of it is the description.
fn title_and_description(doc: &[String]) -> (String, String) {
    let trim = |s: &str| s.trim_matches(|c: char| c.is_ascii_whitespace()).to_owned();
    let text = doc.join("\n");
    let text = trim(&text);
    if !text.starts_with('#') {
        return (String::new(), text);
    }
    let end = text.find('\n').unwrap_or(text.len());
    (
        trim(text[..end].trim_start_matches('#')),
        trim(&text[end..]),
    )
}

/// A field of a request or of a request-side object, in the pieces its definition, its
/// schema row and its schema-only twin are made of.
struct RequestField<'a> {
    item: &'a Item,
    doc: TokenStream,
    wire: String,
    ident: syn::Ident,
    /// The field's type, `Option` included.
    ty: TokenStream,
    /// `serde` attributes beyond the rename.
    attrs: TokenStream,
    /// The base name of the `wire` functions that write and describe it, for the types with a
    /// wire form of their own (`yes_no`, `date_dmy`, …).
    special: Option<String>,
}

/// The fields of a request struct: its items but those the client fills in or the spec fixes.
fn struct_fields(items: &[Item]) -> impl Iterator<Item = RequestField<'_>> {
    items.iter().filter(|i| i.is_struct_field()).map(|f| {
        let optional = f.is_optional();
        let base = request_type(f);
        let ty = if optional {
            quote!(::std::option::Option<#base>)
        } else {
            base
        };
        let special = match &f.ty {
            WireType::YesNo => Some("yes_no".to_owned()),
            WireType::Date(d) => Some(format!("date_{}", d.variant().to_ascii_lowercase())),
            _ => None,
        };
        RequestField {
            item: f,
            doc: doc_lines(&item_doc(f)),
            wire: f.name.clone(),
            ident: rust_field_ident(&f.name),
            ty,
            attrs: request_field_attrs(optional, special.as_deref()),
            special,
        }
    })
}

/// The fields of a request or of a request-side object.
fn request_fields(fields: &[RequestField]) -> Vec<TokenStream> {
    fields
        .iter()
        .map(|f| {
            let RequestField {
                item,
                doc,
                wire,
                ident,
                ty,
                attrs,
                ..
            } = f;
            let builder = builder_attr(item, item.is_optional());
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

/// The rows of a request struct's schema table.
fn request_schema_fields(fields: &[RequestField]) -> Vec<TokenStream> {
    fields
        .iter()
        .map(|f| {
            let optional = f.item.is_optional();
            let ty = &f.ty;
            let schema = match &f.special {
                Some(base) => {
                    let function = format_ident!("schema_{base}");
                    quote!(::flitt::__private::wire::#function)
                }
                None => quote!(schema::sub::<#ty>),
            };
            schema_field(f.item, !optional, schema)
        })
        .collect()
}

fn request_object(s: &Struct, name: &syn::Ident, doc: &[String]) -> TokenStream {
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

/// A request struct (an endpoint's or a nested object's): serialized, built with a typed
/// builder, described by a JSON schema.
pub(super) fn request_struct(name: &syn::Ident, doc: &[String], items: &[Item]) -> TokenStream {
    let fields: Vec<_> = struct_fields(items).collect();
    let schema = schema_impl(name, doc, &request_schema_fields(&fields));
    let fields = request_fields(&fields);
    let doc = doc_lines(doc);
    quote! {
        #doc
        #[derive(Clone, Debug, PartialEq, ::flitt::__private::serde::Serialize, ::flitt::__private::typed_builder::TypedBuilder)]
        #[serde(crate = "::flitt::__private::serde")]
        #[builder(crate_module_path = ::flitt::__private::typed_builder)]
        #[non_exhaustive]
        pub struct #name {
            #(#fields)*
        }
        #schema
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

/// The documentation of a field: its doc line, then its spec facts.
fn item_doc(item: &Item) -> Vec<String> {
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
    vec![item.doc.clone(), String::new(), spec_line]
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

/// `serde` attributes for a request-side field: skipped when `None`, written by a function of
/// `wire` when it has a wire form of its own (`special`).
fn request_field_attrs(optional: bool, special: Option<&str>) -> TokenStream {
    let skip = if optional {
        quote!(#[serde(skip_serializing_if = "::std::option::Option::is_none")])
    } else {
        quote!()
    };
    match special {
        Some(base) => {
            let suffix = if optional { "_opt" } else { "" };
            let ser = format!("::flitt::__private::wire::ser_{base}{suffix}");
            quote! {
                #skip
                #[serde(serialize_with = #ser)]
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
