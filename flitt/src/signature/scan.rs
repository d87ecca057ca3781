//! One pass over a JSON object's top-level fields, by hand: each key and value found as a
//! span of the text, the text checked to be JSON exactly where serde_json would refuse it.
//!
//! A callback is a flat object of short strings, so nearly all the work is finding where each
//! string ends. That is done eight bytes at a time, and the same look notes whether a string
//! holds an escape or a `|`, which verification needs, so no string is looked at twice.
//! Values nested in objects or arrays are rare: serde_json reads those.

use super::raw::{DECODED_KEY, PLAIN, PLAIN_BAR, RawField, Span, UNKNOWN};
use crate::json_text::to_special;
use serde_json::value::RawValue;

/// The text is not one JSON object.
#[derive(Debug)]
pub(super) struct Invalid;

/// Reads the object at the start of `text` (after any whitespace) to its end, returning the
/// fields in the order written, and where the object ends. Keys with escapes are decoded into
/// `decoded`. `text` is shorter than `u32::MAX` bytes.
pub(super) fn object(
    text: &str,
    at: usize,
    decoded: &mut Vec<Box<str>>,
) -> Result<(Vec<RawField>, usize), Invalid> {
    let mut s = Scanner {
        text,
        bytes: text.as_bytes(),
        pos: at,
    };
    s.skip_whitespace();
    s.expect(b'{')?;
    // A callback carries about 40 fields: one small allocation for all of them.
    let mut fields = Vec::with_capacity(48);
    s.skip_whitespace();
    if s.peek() == Some(b'}') {
        return Ok((fields, s.pos + 1));
    }
    loop {
        let key = s.string()?;
        let key = if key.escaped {
            // Rare: serde_json decodes it, and refuses what it refuses (a lone surrogate).
            let raw = text.get(key.start..key.end).ok_or(Invalid)?;
            let k: String = serde_json::from_str(raw).map_err(|_| Invalid)?;
            decoded.push(k.into_boxed_str());
            Span {
                start: DECODED_KEY,
                end: u32::try_from(decoded.len() - 1).map_err(|_| Invalid)?,
            }
        } else {
            span(key.start + 1, key.end - 1)
        };
        s.skip_whitespace();
        s.expect(b':')?;
        s.skip_whitespace();
        let start = s.pos;
        let seen = s.value()?;
        fields.push(RawField {
            key,
            value: span(start, s.pos),
            seen,
        });
        s.skip_whitespace();
        match s.next() {
            Some(b',') => s.skip_whitespace(),
            Some(b'}') => return Ok((fields, s.pos)),
            _ => return Err(Invalid),
        }
    }
}

/// Where the text after `at` stops being whitespace.
pub(super) fn skip_whitespace(text: &str, at: usize) -> usize {
    let bytes = text.as_bytes();
    let mut at = at;
    while bytes.get(at).is_some_and(|b| is_whitespace(*b)) {
        at += 1;
    }
    at
}

fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn span(start: usize, end: usize) -> Span {
    // The text is shorter than u32::MAX bytes (checked by the caller).
    Span {
        start: start as u32,
        end: end as u32,
    }
}

/// A string as found: `start..end` includes its quotes.
struct Str {
    start: usize,
    end: usize,
    escaped: bool,
    bar: bool,
}

struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek();
        self.pos += 1;
        b
    }

    fn expect(&mut self, b: u8) -> Result<(), Invalid> {
        if self.next() == Some(b) {
            Ok(())
        } else {
            Err(Invalid)
        }
    }

    fn skip_whitespace(&mut self) {
        self.pos = skip_whitespace(self.text, self.pos);
    }

    /// A value; what it is, for [`RawField::seen`].
    fn value(&mut self) -> Result<u32, Invalid> {
        match self.peek().ok_or(Invalid)? {
            b'"' => {
                let s = self.string()?;
                Ok(match (s.escaped, s.bar) {
                    (true, _) => UNKNOWN,
                    (false, false) => PLAIN,
                    (false, true) => PLAIN_BAR,
                })
            }
            b'{' | b'[' => {
                let rest = self.text.get(self.pos..).ok_or(Invalid)?;
                let mut values = serde_json::Deserializer::from_str(rest).into_iter::<&RawValue>();
                match values.next() {
                    Some(Ok(_)) => {
                        self.pos += values.byte_offset();
                        Ok(UNKNOWN)
                    }
                    _ => Err(Invalid),
                }
            }
            b't' => self.literal("true"),
            b'f' => self.literal("false"),
            b'n' => self.literal("null"),
            _ => self.number(),
        }
    }

    fn literal(&mut self, word: &str) -> Result<u32, Invalid> {
        if self.bytes.get(self.pos..self.pos + word.len()) == Some(word.as_bytes()) {
            self.pos += word.len();
            Ok(UNKNOWN)
        } else {
            Err(Invalid)
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    fn number(&mut self) -> Result<u32, Invalid> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.next() {
            Some(b'0') => {}
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(Invalid),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.some_digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            self.some_digits()?;
        }
        Ok(UNKNOWN)
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
    }

    fn some_digits(&mut self) -> Result<(), Invalid> {
        let start = self.pos;
        self.digits();
        if self.pos > start {
            Ok(())
        } else {
            Err(Invalid)
        }
    }

    /// A string starting here; its escapes checked as serde_json checks them when it skips a
    /// string (an escaped character it knows, or `u` and four hex digits).
    fn string(&mut self) -> Result<Str, Invalid> {
        let start = self.pos;
        self.expect(b'"')?;
        let (mut escaped, mut bar) = (false, false);
        loop {
            let (at, bar_before) = to_special(self.bytes, self.pos);
            bar |= bar_before;
            self.pos = at;
            match self.next() {
                Some(b'"') => {
                    return Ok(Str {
                        start,
                        end: self.pos,
                        escaped,
                        bar,
                    });
                }
                Some(b'\\') => {
                    escaped = true;
                    match self.next() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {}
                        Some(b'u') => {
                            let hex = self.bytes.get(self.pos..self.pos + 4).ok_or(Invalid)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return Err(Invalid);
                            }
                            self.pos += 4;
                        }
                        _ => return Err(Invalid),
                    }
                }
                // A control character, or the end of the text.
                _ => return Err(Invalid),
            }
        }
    }
}
