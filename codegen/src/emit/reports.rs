//! Reports API reports: the `REPORTS` table and one typed module per report.

use crate::ir::{FilterFamily, Report};
use crate::naming::field_ident as rust_field_ident;
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

/// The `REPORTS` table.
pub fn reports<'a>(reports: impl Iterator<Item = &'a Report>) -> TokenStream {
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

/// The `FILTER_OPERATORS` table.
pub fn filter_operators(table: &[(FilterFamily, Vec<String>)]) -> TokenStream {
    let rows = table.iter().map(|(family, ops)| {
        let variant = format_ident!("{}", family.variant());
        quote!((::flitt::request::FilterFamily::#variant, &[#(#ops),*]))
    });
    quote! {
        /// The operators each Reports API filter family takes (`report_filters.toml`), one
        /// row per family.
        pub const FILTER_OPERATORS: &[(::flitt::request::FilterFamily, &[&str])] = &[#(#rows),*];
    }
}

/// One typed module per report: a marker, a row, and a typed field per column.
pub fn report_modules<'a>(reports: impl Iterator<Item = &'a Report>) -> TokenStream {
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
