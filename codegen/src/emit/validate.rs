//! `validate()` bodies: the spec's input rules, checked before any byte is sent.

use super::opt_u64;
use crate::ir::Item;
use crate::naming::{camel, field_ident as rust_field_ident};
use crate::types::WireType;
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

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
        WireType::Enum(e) => {
            // An `Unknown(..)` value decodes from replies but is not sent.
            let ty = format_ident!("{}", camel(e));
            out.push(quote!(#v::one_of(#value.as_str(), #ty::KNOWN)));
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

/// Statements validating one field of `self`; `path` is `None` at the top of a request, or the
/// expression holding the object's path.
pub fn validate_field(item: &Item, path: Option<&TokenStream>, flat: bool) -> TokenStream {
    let ident = rust_field_ident(&item.name);
    let name = &item.name;
    let optional = item.is_optional();
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
