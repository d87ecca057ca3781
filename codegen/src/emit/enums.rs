//! The spec's enums: open enums with an `Unknown` catch-all and their wire conversions.

use super::doc_lines;
use crate::ir::Enum;
use crate::naming::camel;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// One enum and its impls.
pub fn enum_def(e: &Enum) -> TokenStream {
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
            const TEXT: bool = true;
            fn from_json(value: ::flitt::__private::serde_json::Value) -> ::std::result::Result<::std::option::Option<Self>, ::std::string::String> {
                ::flitt::__private::wire::scalar_from_json(value)
            }
            fn from_text(text: &str) -> ::std::result::Result<::std::option::Option<Self>, ::std::string::String> {
                ::std::result::Result::Ok((!text.is_empty()).then(|| Self::from_wire(text)))
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
