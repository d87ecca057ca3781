//! Emitting: turns the checked [`Spec`] into Rust tokens, one module per kind of output.
//!
//! Generated code names everything by absolute path (`::flitt::…`, `::std::…`), so the same
//! output compiles inside the `flitt` crate (which declares `extern crate self as flitt`) and in
//! a test crate that depends on `flitt`. Items come out in a fixed order (BTreeMap order), so the
//! output is deterministic.

mod codes;
mod enums;
mod reports;
mod requests;
mod structs;
mod validate;

use crate::ir::Spec;
use crate::naming::camel;
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

/// Emits the whole generated module.
pub fn file(spec: &Spec) -> TokenStream {
    let enums = spec.enums.values().map(enums::enum_def);
    let objects = spec.objects.values().map(structs::struct_def);
    let responses = spec.responses.values().map(structs::struct_def);
    let endpoints = spec.endpoints.values().map(|e| requests::endpoint(e, spec));
    let codes = codes::response_codes(&spec.codes);
    let reports = reports::reports(spec.reports.values());
    let report_modules = reports::report_modules(spec.reports.values());
    let filter_operators = reports::filter_operators(&spec.filter_operators);
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
        #filter_operators
        /// Every endpoint of the spec, in name order.
        pub const ENDPOINTS: &[::flitt::request::Endpoint] = &[#(#endpoint_list),*];
        /// Every wire name the spec marks `sensitive` (in a request, a response or a nested
        /// object), sorted: their values are redacted from errors and logs whatever reply
        /// they turn up in.
        pub const SENSITIVE_FIELDS: &[&str] = &[#(#sensitive),*];
    }
}

/// The schema-only twin of every generated struct (see `structs::schema_reference_struct`), for
/// `flitt/tests/schemas.rs`, with `TYPES`: per struct, its name, then the SDK's
/// `JsonSchema::json_schema`, the twin's, and the same two as `subschema_for`.
pub fn schema_reference(spec: &Spec) -> TokenStream {
    let structs = spec
        .objects
        .values()
        .chain(spec.responses.values())
        .map(structs::schema_reference_struct);
    let requests = spec.endpoints.values().map(requests::schema_reference);
    let names = spec
        .objects
        .values()
        .chain(spec.responses.values())
        .map(|s| format!("{}{}", camel(&s.name), s.kind.type_suffix()))
        .chain(
            spec.endpoints
                .values()
                .map(|e| format!("{}Request", camel(&e.name))),
        );
    let rows = names.map(|name| {
        let ident = format_ident!("{name}");
        let js = quote!(::flitt::__private::schemars::JsonSchema);
        quote! {
            (#name, [
                <::flitt::api::#ident as #js>::json_schema,
                <#ident as #js>::json_schema,
                ::flitt::__private::schema::sub::<::flitt::api::#ident>,
                ::flitt::__private::schema::sub::<#ident>,
            ])
        }
    });
    quote! {
        // Spec enums (their `JsonSchema` is hand-emitted, not derived) come from the SDK; the
        // structs defined here shadow the SDK's.
        #[allow(unused_imports)]
        use ::flitt::api::*;
        #(#structs)*
        #(#requests)*
        /// A way to get a schema from a generator.
        pub type SchemaFn = fn(&mut ::flitt::__private::schemars::SchemaGenerator) -> ::flitt::__private::schemars::Schema;
        /// Per struct: its name, then the SDK's `json_schema`, the twin's, the SDK's
        /// `subschema_for` and the twin's.
        pub const TYPES: &[(&str, [SchemaFn; 4])] = &[#(#rows),*];
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

/// `#[doc]` attributes, one per line.
pub fn doc_lines(lines: &[String]) -> TokenStream {
    let attrs = lines.iter().map(|l| {
        let l = format!(" {l}");
        quote!(#[doc = #l])
    });
    quote!(#(#attrs)*)
}

/// `Some(n)` or `None` as an `Option<u64>` expression.
pub fn opt_u64(v: Option<u64>) -> TokenStream {
    match v {
        Some(n) => {
            let n = Literal::u64_unsuffixed(n);
            quote!(::std::option::Option::Some(#n))
        }
        None => quote!(::std::option::Option::None),
    }
}
