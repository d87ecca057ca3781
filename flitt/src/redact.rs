//! Redaction of text that may hold secrets: gateway replies of any shape (JSON, truncated
//! JSON, form, HTML, plain text) and gateway messages, before any of it reaches an error, a
//! log line or a terminal.
//!
//! Three rules, applied in this order to whatever text comes in:
//!
//! 1. **Known secret values**: the sensitive values of the request being sent (card number,
//!    CVV, expiry, rectoken, PaRes, MD…) and the keys, wherever they appear as a whole token.
//! 2. **Sensitive keys**: the value after any spec field marked `sensitive`
//!    ([`crate::api::SENSITIVE_FIELDS`]) or a protocol field that carries secrets
//!    (`signature`, `response_signature_string`, the 2.0 `data`), written as JSON
//!    (`"cvv2": "123"`, also when the JSON is cut short), as a form (`cvv2=123&`), as text
//!    (`cvv2: 123`), or as a bare word holding a digit (`CVV2 735`). Keys match whatever
//!    their case (`PaRes`, `MD`).
//! 3. **Card-number-like digits**: a run of 12 or more digits, also when grouped by single
//!    spaces or dashes (`4444 5555 1111 6666`).
//!
//! Over-redaction is the safe failure: an order id of 12 digits is masked too.

use serde_json::Value;

/// What replaces a secret.
pub const MASK: &str = "[redacted]";

/// How many characters an error excerpt keeps.
const EXCERPT_CHARS: usize = 120;

/// How much of a body is looked at for an excerpt: the excerpt shows only its start, and a
/// secret that straddles this limit lies past what is shown.
const SCAN_BYTES: usize = 16 * 1024;

/// Fields that carry secrets at the protocol level, outside the spec's parameters.
const PROTOCOL_SECRETS: &[&str] = &["data", "response_signature_string", "signature"];

/// The shortest known secret value matched as a token (a CVV has 3 digits).
const MIN_SECRET_CHARS: usize = 3;

/// Whether the values of a field called `key` are redacted, whatever its case.
///
/// ```
/// assert!(flitt::redact::is_sensitive_key("PaRes"));
/// assert!(!flitt::redact::is_sensitive_key("order_id"));
/// ```
pub fn is_sensitive_key(key: &str) -> bool {
    is_sensitive_name(key.as_bytes())
}

/// [`is_sensitive_key`] over bytes. A name of a length no sensitive key has is none of them,
/// which is most words of most text: an order id's words are looked at without comparing.
fn is_sensitive_name(name: &[u8]) -> bool {
    if name.len() < 64 && KEY_LENGTHS & (1 << name.len()) == 0 {
        return false;
    }
    // Nor is a name whose first letter begins none of them (most of an order id's words).
    if name
        .first()
        .is_some_and(|b| b.is_ascii() && KEY_FIRST_BYTES & (1 << b.to_ascii_lowercase()) == 0)
    {
        return false;
    }
    let known = |list: &[&str]| list.iter().any(|k| k.as_bytes().eq_ignore_ascii_case(name));
    known(crate::api::SENSITIVE_FIELDS) || known(PROTOCOL_SECRETS)
}

/// The first bytes of the sensitive keys, lowercase, as bits (the keys are ASCII).
const KEY_FIRST_BYTES: u128 = {
    const fn firsts(list: &[&str]) -> u128 {
        let (mut bits, mut i) = (0u128, 0);
        while i < list.len() {
            let key = list[i].as_bytes();
            if !key.is_empty() && key[0] < 128 {
                bits |= 1 << key[0].to_ascii_lowercase();
            }
            i += 1;
        }
        bits
    }
    firsts(crate::api::SENSITIVE_FIELDS) | firsts(PROTOCOL_SECRETS)
};

/// The lengths of the sensitive keys, as bits (any of 64 or more bytes sets none: such a
/// name is always compared).
const KEY_LENGTHS: u64 = {
    const fn lengths(list: &[&str]) -> u64 {
        let (mut bits, mut i) = (0u64, 0);
        while i < list.len() {
            if list[i].len() < 64 {
                bits |= 1 << list[i].len();
            }
            i += 1;
        }
        bits
    }
    lengths(crate::api::SENSITIVE_FIELDS) | lengths(PROTOCOL_SECRETS)
};

/// The secret values one request puts on the wire, to be masked wherever a reply echoes them:
/// the signing keys, borrowed (never copied out of their zeroizing store), and the request's
/// own sensitive values.
#[derive(Clone, Default)]
pub(crate) struct Secrets<'k> {
    keys: [Option<&'k str>; 2],
    values: Vec<String>,
}

impl std::fmt::Debug for Secrets<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({} values)", self.values.len())
    }
}

impl<'k> Secrets<'k> {
    /// Masks with the keys `payment` and `credit` besides the rules.
    pub(crate) fn with_keys(payment: &'k str, credit: Option<&'k str>) -> Self {
        Self {
            keys: [Some(payment), credit],
            values: Vec::new(),
        }
    }

    /// Remembers `value` when it is long enough to be matched safely.
    pub(crate) fn add(&mut self, value: &str) {
        if long_enough(value) && !self.values.iter().any(|v| v == value) {
            self.values.push(value.to_owned());
        }
    }

    /// `text` with every rule applied.
    pub(crate) fn text(&self, text: &str) -> String {
        let text = self.mask_known(text);
        if !rules_apply(&text) {
            return text;
        }
        mask_card_numbers(&mask_keyed_values(&text))
    }

    /// A short excerpt of a body for an error: redacted, control characters blanked, cut to
    /// 120 characters.
    pub(crate) fn excerpt(&self, body: &[u8]) -> String {
        let head = &body[..body.len().min(SCAN_BYTES)];
        let text = String::from_utf8_lossy(head);
        // A whole JSON body is redacted by structure too (nested values under a secret key).
        let text = match serde_json::from_str::<Value>(&text) {
            Ok(mut v) => {
                redact_json(&mut v);
                v.to_string()
            }
            Err(_) => text.into_owned(),
        };
        let clean: String = self
            .text(&text)
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        if clean.chars().count() > EXCERPT_CHARS {
            clean.chars().take(EXCERPT_CHARS).collect::<String>() + "…"
        } else {
            clean
        }
    }

    fn mask_known(&self, text: &str) -> String {
        let keys = self.keys.iter().flatten().copied();
        let values = self.values.iter().map(String::as_str);
        let mut out = text.to_owned();
        for secret in keys.chain(values).filter(|s| long_enough(s)) {
            out = replace_tokens(&out, secret);
        }
        out
    }
}

fn long_enough(value: &str) -> bool {
    value.chars().count() >= MIN_SECRET_CHARS
}

/// `text` with the key and card-number rules applied (no request at hand, so no known
/// values): what this crate does to every error message on its way out.
///
/// ```
/// let shown = flitt::redact::text("declined: card 4444 5555 1111 6666, cvv2=123, rectoken: tok_1");
/// assert_eq!(shown, "declined: card [redacted], cvv2=[redacted], rectoken: [redacted]");
/// ```
pub fn text(text: &str) -> String {
    Secrets::default().text(text)
}

/// A JSON object shown by `Debug` with [`redact_json`] applied: for the `Debug` of verified
/// callbacks and bodies, whose fields carry card data and tokens.
pub(crate) struct RedactedFields<'a>(pub(crate) &'a serde_json::Map<String, Value>);

impl std::fmt::Debug for RedactedFields<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut shown = Value::Object(self.0.clone());
        redact_json(&mut shown);
        write!(f, "{shown}")
    }
}

/// Replaces the values of sensitive keys in a JSON tree, at any depth, and applies
/// [`text`] to every other string: for printing or logging a reply.
///
/// ```
/// let mut reply = serde_json::json!({"order_id": "o1", "rectoken": "tok_1", "note": "4444555511116666"});
/// flitt::redact::redact_json(&mut reply);
/// assert_eq!(reply, serde_json::json!({"order_id": "o1", "rectoken": "[redacted]", "note": "[redacted]"}));
/// ```
pub fn redact_json(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                if is_sensitive_key(k) {
                    *val = Value::String(MASK.into());
                } else {
                    redact_json(val);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_json),
        Value::String(s) => {
            let masked = text(s);
            if masked != *s {
                *s = masked;
            }
        }
        _ => {}
    }
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Every occurrence of `secret` in `text` that is not part of a longer word.
fn replace_tokens(text: &str, secret: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut prev: Option<char> = None;
    while let Some(at) = rest.find(secret) {
        let before = rest[..at].chars().next_back().or(prev);
        let after = rest[at + secret.len()..].chars().next();
        let whole = !before.is_some_and(is_word) && !after.is_some_and(is_word);
        out.push_str(&rest[..at]);
        if whole {
            out.push_str(MASK);
        } else {
            out.push_str(secret);
        }
        prev = secret.chars().next_back();
        rest = &rest[at + secret.len()..];
    }
    out.push_str(rest);
    out
}

/// Masks the value after each sensitive key: `"key": "v"`, `"key":{…}`, `key=v&`, `key: v`.
fn mask_keyed_values(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !is_word(chars[i]) || (i > 0 && is_word(chars[i - 1])) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && is_word(chars[i]) {
            i += 1;
        }
        let word: String = chars[start..i].iter().collect();
        out.push_str(&word);
        if !is_sensitive_key(&word) {
            continue;
        }
        // The separator: an optional closing quote, spaces, `:` or `=`, spaces.
        let mut j = i;
        if j < chars.len() && (chars[j] == '"' || chars[j] == '\'') {
            j += 1;
        }
        let spaced = j;
        while j < chars.len() && chars[j] == ' ' {
            j += 1;
        }
        if j >= chars.len() {
            continue;
        }
        if chars[j] != ':' && chars[j] != '=' {
            // `CVV2 735`, `token rtok9f8e`: a bare word after the key is its value when it
            // holds a digit (`the signature does not match` stays as it is).
            let end = value_end(&chars, j);
            if j > spaced && chars[j..end].iter().any(char::is_ascii_digit) {
                out.extend(&chars[i..j]);
                out.push_str(MASK);
                i = end;
            }
            continue;
        }
        j += 1;
        while j < chars.len() && chars[j] == ' ' {
            j += 1;
        }
        out.extend(&chars[i..j]);
        let end = value_end(&chars, j);
        let quoted = j < chars.len() && (chars[j] == '"' || chars[j] == '\'');
        if quoted {
            out.push(chars[j]);
            out.push_str(MASK);
            if end > j + 1 && end <= chars.len() && chars[end - 1] == chars[j] {
                out.push(chars[j]);
            }
        } else if end > j {
            out.push_str(MASK);
        }
        i = end;
    }
    out
}

/// Where the value starting at `start` ends (exclusive): a quoted string to its closing
/// quote, a JSON object or list to its closing bracket, anything else to a delimiter; the end
/// of the text when the value is cut short.
fn value_end(chars: &[char], start: usize) -> usize {
    let Some(&first) = chars.get(start) else {
        return start;
    };
    match first {
        '"' | '\'' => {
            let mut k = start + 1;
            while k < chars.len() {
                match chars[k] {
                    '\\' => k += 2,
                    c if c == first => return k + 1,
                    _ => k += 1,
                }
            }
            chars.len()
        }
        '{' | '[' => {
            let mut depth = 0usize;
            let mut in_string = false;
            let mut k = start;
            while k < chars.len() {
                let c = chars[k];
                if in_string {
                    match c {
                        '\\' => k += 1,
                        '"' => in_string = false,
                        _ => {}
                    }
                } else {
                    match c {
                        '"' => in_string = true,
                        '{' | '[' => depth += 1,
                        '}' | ']' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                return k + 1;
                            }
                        }
                        _ => {}
                    }
                }
                k += 1;
            }
            chars.len()
        }
        _ => chars[start..]
            .iter()
            .position(|c| {
                matches!(c, '&' | ',' | ';' | '}' | ']' | '<' | '"' | '\'') || c.is_whitespace()
            })
            .map_or(chars.len(), |n| start + n),
    }
}

/// Whether the key or the card-number rule could change `text`: it names a sensitive key
/// as a word, or holds a card-number-like run. Most text (an order id, a message) does
/// neither, and is then kept as it is without the two rules' per-character passes.
fn rules_apply(text: &str) -> bool {
    // Word characters are ASCII, so bytes split the same words as characters do.
    text.as_bytes()
        .split(|&b| !is_word(char::from(b)))
        .any(is_sensitive_name)
        || has_card_number(text)
}

/// Whether [`mask_card_numbers`] would mask anything in `text`. Digits and separators are
/// ASCII, so bytes stand for characters here.
fn has_card_number(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut digits = 0;
    for (k, b) in bytes.iter().enumerate() {
        if b.is_ascii_digit() {
            digits += 1;
            if digits >= 12 {
                return true;
            }
        } else if !((*b == b' ' || *b == b'-')
            && digits > 0
            && bytes.get(k + 1).is_some_and(u8::is_ascii_digit))
        {
            digits = 0;
        }
    }
    false
}

/// Masks runs of 12 or more digits, also grouped by single spaces or dashes.
fn mask_card_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // Extend over digits and single separators between digits.
        let start = i;
        let mut digits = 0;
        let mut end = i;
        let mut k = i;
        while k < chars.len() {
            if chars[k].is_ascii_digit() {
                digits += 1;
                k += 1;
                end = k;
            } else if (chars[k] == ' ' || chars[k] == '-')
                && chars.get(k + 1).is_some_and(char::is_ascii_digit)
            {
                k += 1;
            } else {
                break;
            }
        }
        if digits >= 12 {
            out.push_str(MASK);
        } else {
            out.extend(&chars[start..end]);
        }
        i = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CARD: &str = "4444555511116666";

    #[test]
    fn json_values_under_secret_keys_are_masked_at_any_depth_and_case() {
        let body = br#"{"response":{"rectoken":"tok123","PaRes":"p-a-r-e-s","card":{"cvv2":"735"},"note":"card 4444555511116666"}}"#;
        let e = Secrets::default().excerpt(body);
        for secret in ["tok123", "p-a-r-e-s", "735", CARD] {
            assert!(!e.contains(secret), "{secret} in {e}");
        }
        assert!(e.contains("\"note\":\"card [redacted]\""), "{e}");
    }

    #[test]
    fn truncated_json_form_html_and_text_are_masked() {
        let cases: [&str; 7] = [
            r#"{"response":{"order_id":"o1","rectoken":"tok123","cvv2":"73"#,
            r#"{"response":{"order_id":"o1","container":"eyJhbGciOi"#,
            "order_id=o1&rectoken=tok123&cvv2=735&masked_card=444455XXXXXX6666",
            "<html><body><p>cvv2: 735, rectoken = tok123</p></body></html>",
            "Card 4444 5555 1111 6666 declined; CVV2=735",
            "card 4444-5555-1111-6666 expiry_date:1230",
            "upstream failed (CVV2 735, token tok123)",
        ];
        for body in cases {
            let e = Secrets::default().excerpt(body.as_bytes());
            for secret in ["tok123", "735", "eyJhbGciOi", "1230", "5555", "73\""] {
                assert!(!e.contains(secret), "{secret} in {e} (from {body})");
            }
        }
    }

    #[test]
    fn known_secret_values_are_masked_as_whole_tokens() {
        let mut s = Secrets::default();
        s.add("735");
        s.add("tok-abc");
        s.add("12"); // too short to match safely: ignored
        assert_eq!(
            s.text("Invalid CVV 735 for token tok-abc"),
            "Invalid CVV [redacted] for token [redacted]"
        );
        // Inside a longer run it is not the secret (a timestamp's microseconds).
        assert_eq!(s.text("at 59.917356Z"), "at 59.917356Z");
        assert_eq!(s.text("a 12 b"), "a 12 b");
    }

    #[test]
    fn harmless_text_is_kept() {
        let html = b"<html><body>502 Bad Gateway</body></html>";
        assert_eq!(
            Secrets::default().excerpt(html),
            "<html><body>502 Bad Gateway</body></html>"
        );
        assert_eq!(
            text("order 12345 of 2026-11-29"),
            "order 12345 of 2026-11-29"
        );
        assert!(Secrets::default().excerpt(&[b'x'; 500]).chars().count() <= EXCERPT_CHARS + 1);
        // A key without a value, or a word that only contains a key, is left alone.
        assert_eq!(
            text("the signature does not match"),
            "the signature does not match"
        );
        assert_eq!(text("mds=1"), "mds=1");
    }

    #[test]
    fn the_length_check_lets_every_sensitive_key_through_in_any_case() {
        let lists = [crate::api::SENSITIVE_FIELDS, PROTOCOL_SECRETS];
        for key in lists.iter().flat_map(|l| l.iter()) {
            assert!(is_sensitive_key(key), "{key}");
            assert!(is_sensitive_key(&key.to_ascii_uppercase()), "{key}");
            // One byte more or less is another word.
            assert!(!is_sensitive_key(&format!("{key}s")), "{key}");
            assert!(!is_sensitive_key(&key[1..]), "{key}");
            // As a word of a text, it is masked.
            let shown = text(&format!("the {key}=abcdef"));
            assert_eq!(shown, format!("the {key}=[redacted]"));
        }
        // A word of a length no key has is never one, however long.
        for n in 0..200 {
            assert!(!is_sensitive_key(&"x".repeat(n)), "{n}");
        }
    }

    #[test]
    fn every_spec_secret_is_a_sensitive_key() {
        for key in [
            "card_number",
            "cvv2",
            "expiry_date",
            "rectoken",
            "pares",
            "md",
            "cavv",
            "container",
        ] {
            assert!(is_sensitive_key(key), "{key}");
        }
        assert!(!is_sensitive_key("order_id"));
    }

    proptest::proptest! {
        /// Text the rules are skipped for is text they would keep as it is.
        #[test]
        fn text_the_rules_skip_is_text_they_keep(
            t in "([0-9 \\-]{0,3}|[a-zA-Z_=:\"{}]{0,4}|cvv2|MD|pares|é|\u{0}){0,12}"
        ) {
            let masked = mask_card_numbers(&mask_keyed_values(&t));
            if !rules_apply(&t) {
                proptest::prop_assert_eq!(&masked, &t);
            }
            proptest::prop_assert_eq!(text(&t), masked);
        }
    }

    #[test]
    fn the_rules_are_skipped_only_for_text_without_keys_or_card_numbers() {
        for t in [
            "o-1",
            "667d0242-b75a-40fa-a6e3-7fa6d09dfead",
            "order 12345 of 2026-11-29",
        ] {
            assert!(!rules_apply(t), "{t}");
        }
        for t in [
            "4444 5555 1111 6666",
            "x-444455551111",
            "CVV2 735",
            "a md=1",
            "1 2 3 4 5 6 7 8 9 0 1 2",
        ] {
            assert!(rules_apply(t), "{t}");
        }
    }

    #[test]
    fn no_panic_on_awkward_text() {
        for t in [
            "\"",
            "cvv2",
            "cvv2=",
            "cvv2:\"",
            "cvv2:{",
            "rectoken:[\"a",
            "é\u{0}cvv2=é",
            "1 2 3 4 5 6 7 8 9 0 1 2",
        ] {
            let _ = text(t);
            let _ = Secrets::default().excerpt(t.as_bytes());
        }
        assert_eq!(text("1 2 3 4 5 6 7 8 9 0 1 2"), MASK);
    }
}
