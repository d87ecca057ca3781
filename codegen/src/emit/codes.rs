//! `ResponseCode`: the gateway's response codes as an open enum.

use crate::ir::Code;
use crate::naming::camel;
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

/// The `ResponseCode` enum and its impls.
pub fn response_codes(codes: &[Code]) -> TokenStream {
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
        let kind = format_ident!("{}", c.kind.variant());
        quote!(Self::#v => (#n, #name, #message, ::flitt::request::CodeKind::#kind),)
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
            fn info(self) -> (u32, &'static str, &'static str, ::flitt::request::CodeKind) {
                match self {
                    #(#to)*
                    Self::Unknown(code) => (
                        code,
                        "unknown",
                        "Unknown response code",
                        ::flitt::request::CodeKind::Error,
                    ),
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
            /// What the code says about the payment (the spec's `kind`); an unknown code is an
            /// error.
            pub fn kind(self) -> ::flitt::request::CodeKind {
                self.info().3
            }
            /// Whether it is a payment refusal (a decline) rather than a rejected request.
            pub fn is_decline(self) -> bool {
                self.kind() == ::flitt::request::CodeKind::Decline
            }
        }
        impl ::std::fmt::Display for ResponseCode {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::write!(f, "{} {} ({})", self.code(), self.name(), self.message())
            }
        }
    }
}
