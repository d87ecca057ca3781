//! Request bodies: one encoding for every request, typed or raw. Protocol 1.0 values go out
//! flat (JSON `{"request": …}` or a form) with their signature; protocol 2.0 as a signed
//! envelope, `merchant_id` a number whenever it is one.

use super::{BodyFormat, Client};
use crate::error::Error;
use crate::json_text::{write_key, write_str};
use crate::request::{ApiRequest, Endpoint, Protocol};
use crate::signature::{self, SecretKey};
use serde_json::{Map, Value};

impl Client {
    pub(super) fn flat_body(&self, pairs: &[(&str, &str)]) -> (&'static str, Vec<u8>) {
        match self.format {
            // A 1.0-only endpoint on a 2.0 client goes as 1.0 JSON.
            BodyFormat::Json | BodyFormat::V2 => {
                ("application/json; charset=utf-8", json_request(pairs))
            }
            BodyFormat::Form => {
                let mut ser = form_urlencoded::Serializer::new(String::new());
                ser.extend_pairs(pairs.iter());
                (
                    "application/x-www-form-urlencoded",
                    ser.finish().into_bytes(),
                )
            }
        }
    }

    pub(super) fn encode<R: ApiRequest>(
        &self,
        request: &R,
    ) -> Result<(&'static str, Vec<u8>), Error> {
        self.encode_with(request, &[])
    }

    /// Whether `endpoint` goes out as a 2.0 envelope: always for a 2.0 endpoint, and for one
    /// that takes either protocol when this client asks for 2.0.
    fn sends_v2(&self, endpoint: &Endpoint) -> bool {
        match endpoint.protocol {
            Protocol::V2 => true,
            Protocol::Either => self.format == BodyFormat::V2,
            Protocol::V1 => false,
        }
    }

    /// [`Client::encode`] with `extra` parameters besides the request's own, signed with them:
    /// in key order among the flat 1.0 values, or as strings in the 2.0 `order`. The caller
    /// has checked them ([`super::check_extra`]): none is a parameter of the endpoint.
    pub(super) fn encode_with<R: ApiRequest>(
        &self,
        request: &R,
        extra: &[(&str, &str)],
    ) -> Result<(&'static str, Vec<u8>), Error> {
        let endpoint = R::ENDPOINT;
        let key = self.key_for(&endpoint)?;
        let merchant_id = self.inner.merchant_id.as_str();
        if self.sends_v2(&endpoint) {
            let mut order = match serde_json::to_value(request) {
                Ok(Value::Object(map)) => map,
                _ => {
                    return Err(Error::Config(
                        "a 2.0 request must serialize to an object".into(),
                    ));
                }
            };
            for (name, value) in extra {
                order.insert((*name).to_owned(), Value::String((*value).to_owned()));
            }
            order.insert("merchant_id".into(), self.merchant_id_value());
            for p in endpoint.params {
                if let Some(fixed) = p.fixed {
                    order.insert(p.name.into(), Value::String(fixed.into()));
                }
            }
            return json_v2(key, order);
        }
        if extra.is_empty() {
            let signature = request.sign_v1(merchant_id, key);
            let params = request.wire_params(merchant_id);
            let pairs: Vec<(&str, &str)> = params
                .iter()
                .map(|(k, v)| (*k, v.as_str()))
                .chain([("signature", signature.as_str())])
                .collect();
            return Ok(self.flat_body(&pairs));
        }
        let mut params: Vec<(&str, String)> = request.wire_params(merchant_id);
        params.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        // Signed in key byte order, as the typed values are.
        params.sort_by(|a, b| a.0.cmp(b.0));
        let mut signer = signature::Signer::new(key);
        for (_, value) in &params {
            signer.push(value);
        }
        let signature = signer.finish();
        let pairs: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .chain([("signature", signature.as_str())])
            .collect();
        Ok(self.flat_body(&pairs))
    }

    /// A protocol 1.0 request's signed flat fields, for a form a browser posts: every wire
    /// value the signature covers (the empty ones, which signing skips, left out) in key order,
    /// then `signature`.
    pub(crate) fn signed_v1_fields<R: ApiRequest>(
        &self,
        request: &R,
    ) -> Result<Vec<(&'static str, String)>, Error> {
        let endpoint = R::ENDPOINT;
        if endpoint.protocol == Protocol::V2 {
            return Err(Error::Config(format!(
                "`{}` is a protocol 2.0 endpoint: it has no flat signed fields",
                endpoint.name
            )));
        }
        let key = self.key_for(&endpoint)?;
        let merchant_id = self.inner.merchant_id.as_str();
        let signature = request.sign_v1(merchant_id, key);
        let mut fields = request.wire_params(merchant_id);
        fields.retain(|(_, value)| !value.is_empty());
        fields.push(("signature", signature.as_str().to_owned()));
        Ok(fields)
    }

    /// Encodes raw text parameters (the CLI's): the same bodies as [`Client::encode`].
    pub(super) fn encode_raw(
        &self,
        endpoint: &Endpoint,
        mut params: std::collections::BTreeMap<String, String>,
    ) -> Result<(&'static str, Vec<u8>), Error> {
        let key = self.key_for(endpoint)?;
        if self.sends_v2(endpoint) {
            let mut order: Map<String, Value> = params
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect();
            order.insert("merchant_id".into(), self.merchant_id_value());
            return json_v2(key, order);
        }
        params.insert("merchant_id".into(), self.inner.merchant_id.clone());
        let mut signer = signature::Signer::new(key);
        for v in params.values() {
            signer.push(v);
        }
        let sig = signer.finish();
        let pairs: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .chain([("signature", sig.as_str())])
            .collect();
        Ok(self.flat_body(&pairs))
    }

    /// `merchant_id` as a 2.0 envelope carries it: a number when it is one.
    fn merchant_id_value(&self) -> Value {
        let id = self.inner.merchant_id.as_str();
        id.parse::<u64>()
            .map_or_else(|_| Value::String(id.to_owned()), Value::from)
    }
}

/// `{"request": {…}}` of `pairs`, the same bytes as serialising them collected into a JSON
/// object (keys in byte order, the last of a repeated key kept), written straight from them
/// without the map's two strings per field.
fn json_request(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut sorted = pairs.to_vec();
    // Stable: the values of a repeated key stay in their order, and the last is written.
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let size: usize = pairs.iter().map(|(k, v)| k.len() + v.len() + 6).sum();
    let mut out = Vec::with_capacity(size + 16);
    out.extend_from_slice(b"{\"request\":{");
    for (i, (key, value)) in sorted.iter().enumerate() {
        if sorted.get(i + 1).is_some_and(|(next, _)| next == key) {
            continue;
        }
        write_key(&mut out, key);
        write_str(&mut out, value);
    }
    out.extend_from_slice(b"}}");
    out
}

pub(super) fn map_with(
    map: std::collections::BTreeMap<&str, &str>,
    key: &str,
    value: &str,
) -> std::collections::BTreeMap<String, String> {
    let mut out: std::collections::BTreeMap<String, String> = map
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    out.insert(key.to_owned(), value.to_owned());
    out
}

fn json_v2(key: &SecretKey, order: Map<String, Value>) -> Result<(&'static str, Vec<u8>), Error> {
    let envelope = signature::envelope_v2(key, &Value::Object(order))
        .map_err(|e| Error::Config(format!("cannot build the 2.0 envelope: {e}")))?;
    let body = serde_json::json!({ "request": envelope });
    Ok((
        "application/json; charset=utf-8",
        body.to_string().into_bytes(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_request_is_its_fields_collected_into_an_object() {
        let mut rng = fastrand::Rng::with_seed(14);
        let keys = ["order_id", "merchant_id", "signature", "a", "b_\"q\"", "é"];
        let values = ["", "1549901", "x\ny", "\"\\", "日本"];
        for _ in 0..2000 {
            let pairs: Vec<(&str, &str)> = (0..rng.usize(0..8))
                .map(|_| {
                    (
                        keys[rng.usize(..keys.len())],
                        values[rng.usize(..values.len())],
                    )
                })
                .collect();
            let map: Map<String, Value> = pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
                .collect();
            let expected = serde_json::json!({ "request": map }).to_string();
            assert_eq!(String::from_utf8(json_request(&pairs)).unwrap(), expected);
        }
    }
}
