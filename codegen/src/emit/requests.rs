//! Requests: one struct per endpoint, with its `ApiRequest` impl (endpoint facts, validation,
//! protocol 1.0 wire values, order id).

use super::opt_u64;
use super::structs::{request_struct, schema_reference_request};
use super::validate::validate_field;
use crate::ir::{Endpoint, Item, Protocol, ResponseShape, Spec};
use crate::naming::{camel, field_ident as rust_field_ident};
use crate::types::WireType;
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

/// The visit of a present value named `wire`: an integer as a number, anything else as its
/// wire text (the formatted types, [`WireType::wire_text_is_formatted`], written into `buf`).
fn visit(item: &Item, value: &TokenStream, wire: &str) -> Option<TokenStream> {
    let number = match &item.ty {
        WireType::Int(_) => Some(quote!(*#value)),
        WireType::Amount => Some(quote!(#value.minor())),
        _ => None,
    };
    if let Some(number) = number {
        return Some(quote!(::flitt::request::VisitWire::int(visit, #wire, #number);));
    }
    let text = wire_text(item, value)?;
    Some(quote!(::flitt::request::VisitWire::value(visit, #wire, #text);))
}

/// The wire text of a present value that is not an integer, as an expression usable as
/// `&str`.
fn wire_text(item: &Item, value: &TokenStream) -> Option<TokenStream> {
    Some(match &item.ty {
        WireType::Str(_) if item.sensitive => quote!(#value.expose().as_str()),
        WireType::Str(_) => quote!(#value.as_str()),
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

/// The documentation of an endpoint's request struct, as lines.
fn endpoint_doc(e: &Endpoint) -> Vec<String> {
    vec![
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
    ]
}

/// The schema-only twin of an endpoint's request struct, for `tests/schemas.rs` (see
/// `structs::schema_reference_struct`).
pub fn schema_reference(e: &Endpoint) -> TokenStream {
    let name = format_ident!("{}Request", camel(&e.name));
    schema_reference_request(&name, &endpoint_doc(e), &e.params)
}

/// The request struct of an endpoint and its `ApiRequest` impl.
pub fn endpoint(e: &Endpoint, spec: &Spec) -> TokenStream {
    let camel_name = camel(&e.name);
    let name = format_ident!("{}Request", camel_name);
    let response_ident = format_ident!("{}Response", camel(&e.response));
    let response_ty = if e.response_shape == ResponseShape::Array {
        quote!(::std::vec::Vec<#response_ident>)
    } else {
        quote!(#response_ident)
    };
    let doc = endpoint_doc(e);
    let validations = e
        .params
        .iter()
        .filter(|i| i.is_struct_field())
        .map(|f| validate_field(f, None, e.protocol != Protocol::V2));

    // The flat (1.0) wire values, in key byte order.
    let mut flat: Vec<&Item> = e.params.iter().collect();
    flat.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    let visits: Vec<TokenStream> = flat
        .iter()
        .filter_map(|item| {
            let wire = &item.name;
            if item.client_supplied {
                return (item.name == "merchant_id").then(
                    || quote!(::flitt::request::VisitWire::value(visit, #wire, merchant_id);),
                );
            }
            if let Some(v) = &item.value {
                return Some(quote!(::flitt::request::VisitWire::value(visit, #wire, #v);));
            }
            let ident = rust_field_ident(&item.name);
            let optional = item.is_optional();
            let value = quote!(value);
            let call = visit(item, &value, wire)?;
            Some(if optional {
                quote! {
                    if let ::std::option::Option::Some(value) = &self.#ident {
                        #call
                    }
                }
            } else {
                quote! {
                    {
                        let value = &self.#ident;
                        #call
                    }
                }
            })
        })
        .collect();
    let buf = if e.formats_wire_text() {
        quote!(let mut buf = ::flitt::__private::wire::TextBuf::new();)
    } else {
        quote!()
    };
    let order_id = match e
        .params
        .iter()
        .find(|p| p.name == "order_id" && p.is_struct_field())
    {
        Some(p) if !p.is_optional() => {
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
    let (split_total, split_check) = match &e.split_total {
        Some(total) => {
            let ident = crate::naming::field_ident(total);
            (
                quote!(::std::option::Option::Some(#total)),
                quote! {
                    ::flitt::__private::validate::split_total(
                        self.receiver.iter().map(|r| r.requisites.amount.minor()),
                        self.#ident.minor(),
                    )
                    .map_err(|rule| ::flitt::validate::InvalidInput::new("receiver", rule))?;
                },
            )
        }
        None => (quote!(::std::option::Option::None), quote!()),
    };
    let creates_order = e.params.iter().any(|p| p.name == "order_id" && p.generated);
    let doc_text = &e.doc;
    let definition = request_struct(&name, &doc, &e.params);
    quote! {
        #definition
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
                split_total: #split_total,
                creates_order: #creates_order,
                params: &[#(#params),*],
            };
            fn validate(&self) -> ::std::result::Result<(), ::flitt::validate::InvalidInput> {
                #(#validations)*
                #split_check
                ::std::result::Result::Ok(())
            }
            fn visit_values<V: ::flitt::request::VisitWire>(&self, merchant_id: &str, visit: &mut V) {
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
