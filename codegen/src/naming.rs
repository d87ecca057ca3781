//! Spec names to Rust names.

/// `snake_case` or free text (`p2p credit`) to `UpperCamelCase`.
pub fn camel(s: &str) -> String {
    s.split(['_', ' ', '-', '/', '.'])
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut cs = p.chars();
            match cs.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + cs.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// A wire name as a Rust field name: raw (`r#type`) when it is a keyword.
pub fn field_ident(name: &str) -> syn::Ident {
    if syn::parse_str::<syn::Ident>(name).is_ok() {
        quote::format_ident!("{}", name)
    } else {
        syn::Ident::new_raw(name, proc_macro2::Span::call_site())
    }
}
