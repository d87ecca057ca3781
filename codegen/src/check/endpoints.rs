//! `api/<name>.toml`: endpoints, with their groups' params resolved.

use super::{doc, format, parse_type, range, type_refs, wire_name};
use crate::error::{SpecError, err};
use crate::ir::{Effect, Endpoint, Host, Item, Protocol, ResponseShape, SigningKey, Spec, Struct};
use crate::load::Files;
use crate::model;
use crate::types::WireType;
use std::collections::BTreeSet;

/// Reads one setting of `[endpoint]` (`host`, `protocol`, …) by its spelling.
fn setting<T>(
    file: &str,
    key: &str,
    value: &str,
    parse: fn(&str) -> Option<T>,
    spellings: fn() -> String,
) -> Result<T, SpecError> {
    parse(value).ok_or_else(|| {
        err(
            file,
            format!("endpoint.{key}"),
            format!("`{value}` must be one of {}", spellings()),
        )
    })
}

/// Checks an endpoint: its settings, path and response, then its params (the included
/// groups' first; an own param of the same name replaces the group's).
pub fn check(
    file: &str,
    f: &model::EndpointFile,
    groups: &Files<model::GroupFile>,
    spec: &Spec,
) -> Result<Endpoint, SpecError> {
    let h = &f.endpoint;
    doc(file, "endpoint", &h.doc, &h.source)?;
    let host = setting(file, "host", &h.host, Host::parse, Host::spellings)?;
    let protocol = setting(
        file,
        "protocol",
        &h.protocol,
        Protocol::parse,
        Protocol::spellings,
    )?;
    let signing_key = setting(
        file,
        "signing_key",
        &h.signing_key,
        SigningKey::parse,
        SigningKey::spellings,
    )?;
    let effect = setting(file, "effect", &h.effect, Effect::parse, Effect::spellings)?;
    let response_shape = setting(
        file,
        "response_shape",
        &h.response_shape,
        ResponseShape::parse,
        ResponseShape::spellings,
    )?;
    if !h.path.starts_with('/') || h.path.contains(char::is_whitespace) {
        return Err(err(
            file,
            "endpoint.path",
            "must start with `/` and contain no spaces",
        ));
    }
    let Some(response) = spec.responses.get(&h.response) else {
        return Err(err(
            file,
            "endpoint.response",
            format!("unknown response `{}`", h.response),
        ));
    };
    if response_shape == ResponseShape::Envelope && protocol != Protocol::V2 {
        return Err(err(
            file,
            "endpoint.response_shape",
            "an envelope response needs protocol \"2.0\"",
        ));
    }
    unsigned_fields(file, h, response)?;

    let mut params: Vec<(String, &model::Param)> = Vec::new();
    for (i, g) in h.include.iter().enumerate() {
        let Some((_, gf)) = groups.get(g) else {
            return Err(err(
                file,
                format!("endpoint.include[{i}]"),
                format!("unknown group `{g}`"),
            ));
        };
        for (j, p) in gf.param.iter().enumerate() {
            params.push((format!("include[{i}]→{g}.param[{j}]"), p));
        }
    }
    // An endpoint's own param of the same name replaces the group's; its own names are unique.
    let mut own = BTreeSet::new();
    for (j, p) in f.param.iter().enumerate() {
        if !own.insert(p.name.as_str()) {
            return Err(err(
                file,
                format!("param[{j}].name"),
                format!("duplicate param `{}`", p.name),
            ));
        }
        params.retain(|(_, q)| q.name != p.name);
        params.push((format!("param[{j}]"), p));
    }

    let params: Vec<Item> = params
        .into_iter()
        .map(|(key, p)| param(file, &key, p, protocol, spec))
        .collect::<Result<_, _>>()?;
    split_total(file, h.split_total.as_deref(), &params, spec)?;
    Ok(Endpoint {
        name: h.name.clone(),
        path: h.path.clone(),
        host,
        protocol,
        signing_key,
        effect,
        response: h.response.clone(),
        response_shape,
        response_signed: h.response_signed,
        unsigned_fields: h.unsigned_fields.clone(),
        split_total: h.split_total.clone(),
        doc: h.doc.clone(),
        source: h.source.clone(),
        params,
    })
}

/// Checks one param of an endpoint speaking `protocol`.
fn param(
    file: &str,
    key: &str,
    p: &model::Param,
    protocol: Protocol,
    spec: &Spec,
) -> Result<Item, SpecError> {
    doc(file, key, &p.doc, &p.source)?;
    wire_name(file, &format!("{key}.name"), &p.name)?;
    let tkey = format!("{key}.type");
    let ty = parse_type(file, &tkey, &p.ty)?;
    ty.check_request(&p.name)
        .map_err(|rule| err(file, &tkey, rule))?;
    type_refs(file, &tkey, &ty, spec)?;
    if ty.is_nested() && protocol != Protocol::V2 {
        return Err(err(
            file,
            &tkey,
            format!(
                "nested type `{}` needs protocol \"2.0\": protocol 1.0 signs flat values only",
                p.ty
            ),
        ));
    }
    if p.gateway_optional && !p.required {
        return Err(err(
            file,
            format!("{key}.gateway_optional"),
            "`gateway_optional` marks a param this SDK requires; it needs `required = true`",
        ));
    }
    if p.value.is_some() && p.required {
        return Err(err(
            file,
            format!("{key}.value"),
            "a fixed `value` is always sent; do not also mark it `required`",
        ));
    }
    if p.generated && !matches!(ty, WireType::OrderId) {
        return Err(err(
            file,
            format!("{key}.generated"),
            "only an `order_id` can be generated",
        ));
    }
    let client_supplied = match p.supplied_by.as_deref() {
        None => false,
        Some("client") => true,
        Some(other) => {
            return Err(err(
                file,
                format!("{key}.supplied_by"),
                format!("`{other}` must be \"client\""),
            ));
        }
    };
    if client_supplied && p.value.is_some() {
        return Err(err(
            file,
            format!("{key}.value"),
            "a client-supplied param cannot have a fixed value",
        ));
    }
    let format = format(file, key, p.format.as_deref(), &ty)?;
    range(file, key, p.min, p.max, &ty)?;
    Ok(Item {
        name: p.name.clone(),
        ty,
        required: p.required,
        gateway_required: p.required && !p.gateway_optional,
        generated: p.generated,
        client_supplied,
        value: p.value.clone(),
        sensitive: p.sensitive,
        format,
        min: p.min,
        max: p.max,
        default: p.default.clone(),
        doc: p.doc.clone(),
        source: p.source.clone(),
    })
}

/// `unsigned_fields` narrows `response_signed`: only a signed endpoint can list them, and
/// each must be a field of its response.
fn unsigned_fields(
    file: &str,
    h: &model::EndpointHead,
    response: &Struct,
) -> Result<(), SpecError> {
    for (i, name) in h.unsigned_fields.iter().enumerate() {
        let key = format!("endpoint.unsigned_fields[{i}]");
        if !h.response_signed {
            return Err(err(
                file,
                key,
                "only an endpoint with `response_signed = true` can list unsigned fields",
            ));
        }
        if !response.fields.iter().any(|f| &f.name == name) {
            return Err(err(
                file,
                key,
                format!("`{name}` is not a field of response `{}`", h.response),
            ));
        }
    }
    Ok(())
}

/// `split_total` names a required `amount` parameter that the amounts of a required
/// `receiver` list (`list(object(receiver))`, whose `requisites` carry a required `amount`)
/// must add up to: the generated `validate()` checks the sum.
fn split_total(
    file: &str,
    total: Option<&str>,
    params: &[Item],
    spec: &Spec,
) -> Result<(), SpecError> {
    let Some(total) = total else {
        return Ok(());
    };
    let key = "endpoint.split_total";
    let named = params.iter().find(|p| p.name == total);
    if !named.is_some_and(|p| p.ty == WireType::Amount && p.required) {
        return Err(err(
            file,
            key,
            format!("`{total}` must be a required parameter of type amount"),
        ));
    }
    let receiver = params.iter().find(|p| p.name == "receiver");
    let receives =
        receiver.is_some_and(|p| p.required && p.ty == WireType::List("receiver".into()));
    let requisites_amount = spec
        .objects
        .get("receiver")
        .and_then(|o| o.fields.iter().find(|f| f.name == "requisites"))
        .filter(|f| f.required && f.ty == WireType::Object("receiver_requisites".into()))
        .and_then(|_| spec.objects.get("receiver_requisites"))
        .and_then(|o| o.fields.iter().find(|f| f.name == "amount"))
        .is_some_and(|f| f.required && f.ty == WireType::Amount);
    if !receives || !requisites_amount {
        return Err(err(
            file,
            key,
            "needs a required `receiver` of type list(receiver) whose requisites carry a required amount",
        ));
    }
    Ok(())
}
