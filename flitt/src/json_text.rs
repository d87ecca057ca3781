//! JSON string text, eight bytes at a time: finding the bytes a JSON string cannot hold as they
//! are (`"`, `\` and control characters), for the reader of callbacks and replies, and writing
//! strings with them escaped, for the request and reply bodies the client and the sandbox write.
//!
//! Not a public API: reached through `flitt::__private::json_text` by the sandbox only.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `w` below `n` (`n` ≤ 128). Only the lowest marked byte is
/// sure: a borrow can mark bytes above it too.
fn below(w: u64, n: u8) -> u64 {
    w.wrapping_sub(ONES * u64::from(n)) & !w & HIGH
}

/// The high bit of each byte of `w` equal to `b` (the lowest marked byte is sure, as above).
fn equal(w: u64, b: u8) -> u64 {
    below(w ^ (ONES * u64::from(b)), 1)
}

/// Whether `b` cannot stand as it is in a JSON string: a stop.
fn is_stop(b: u8) -> bool {
    b == b'"' || b == b'\\' || b < 0x20
}

/// The eight bytes at `at` as a little-endian word, when there are eight.
fn word_at(bytes: &[u8], at: usize) -> Option<u64> {
    let word = <[u8; 8]>::try_from(bytes.get(at..at.checked_add(8)?)?).ok()?;
    Some(u64::from_le_bytes(word))
}

/// The high bit of each stop byte of `w` (the lowest marked byte is sure).
fn stops(w: u64) -> u64 {
    equal(w, b'"') | equal(w, b'\\') | below(w, 0x20)
}

/// The place of the first stop at or after `at` (or the end), and whether a `|` comes before
/// it. Eight bytes at a time: a stop's lowest marked byte is sure, and a `|` marked below it
/// means a real one is there (a false mark lies above a true one).
pub(crate) fn to_special(bytes: &[u8], mut at: usize) -> (usize, bool) {
    let mut bar = false;
    while let Some(w) = word_at(bytes, at) {
        let stops = stops(w);
        let bars = equal(w, b'|');
        if stops != 0 {
            let first = stops.trailing_zeros() / 8;
            bar |= bars & ((1u64 << (first * 8)) - 1) != 0;
            return (at + first as usize, bar);
        }
        bar |= bars != 0;
        at += 8;
    }
    while let Some(&b) = bytes.get(at) {
        if is_stop(b) {
            break;
        }
        bar |= b == b'|';
        at += 1;
    }
    (at, bar)
}

/// The place of the first stop at or after `start` (or the end).
fn to_escape(bytes: &[u8], start: usize) -> usize {
    let mut at = start;
    while let Some(stops) = word_at(bytes, at).map(stops) {
        if stops != 0 {
            return at + (stops.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    if at == bytes.len() {
        return at;
    }
    // Fewer than eight bytes left: the last eight, overlapping bytes already found plain
    // (never bytes before `start`, which may be stops). Plain bytes mark nothing, so the
    // lowest mark is the first stop at or after `at`.
    if let Some(last) = bytes.len().checked_sub(8).filter(|&last| last >= start) {
        return match word_at(bytes, last).map(stops) {
            Some(stops) if stops != 0 => last + (stops.trailing_zeros() / 8) as usize,
            _ => bytes.len(),
        };
    }
    at + bytes[at..]
        .iter()
        .position(|&b| is_stop(b))
        .unwrap_or(bytes.len() - at)
}

/// Appends `"key":` to an object being written, after a comma unless `out` ends with the
/// object's `{`.
pub fn write_key(out: &mut Vec<u8>, key: &str) {
    if out.last() != Some(&b'{') {
        out.push(b',');
    }
    write_str(out, key);
    out.push(b':');
}

/// [`write_key`] for a key with nothing to escape (a field name of the spec): copied as it
/// is, without looking for escapes.
pub fn write_plain_key(out: &mut Vec<u8>, key: &str) {
    debug_assert!(!key.bytes().any(is_stop), "{key:?} has a byte to escape");
    if out.last() != Some(&b'{') {
        out.push(b',');
    }
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
}

/// Appends `s` as a JSON string: the same bytes as `serde_json::to_writer(out, s)` (`\"`,
/// `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, other control characters as `\u00xx`, everything else
/// as it is), with the runs between escapes copied whole.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut done = 0;
    loop {
        let at = to_escape(bytes, done);
        out.extend_from_slice(&bytes[done..at]);
        let Some(&b) = bytes.get(at) else { break };
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
        }
        done = at + 1;
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn special(b: u8) -> bool {
        b == b'"' || b == b'\\' || b < 0x20
    }

    proptest! {
        /// The word-at-a-time search finds what a byte-at-a-time one finds.
        #[test]
        fn to_special_is_the_byte_search(
            bytes in prop::collection::vec(
                prop::sample::select(vec![b'a', b'"', b'\\', b'|', 0x1f, 0x20, 0x7f, 0x80, 0xff, b'!', 0]),
                0..40,
            ),
            at in 0usize..40,
        ) {
            let at = at.min(bytes.len());
            let stop = bytes[at..].iter().position(|&b| special(b)).map_or(bytes.len(), |i| at + i);
            let bar = bytes[at..stop].contains(&b'|');
            prop_assert_eq!(to_special(&bytes, at), (stop, bar));
            prop_assert_eq!(to_escape(&bytes, at), stop);
        }

        /// Every string is written as serde_json writes it: every control character, quotes,
        /// backslashes, non-ASCII and `\u{7f}`, at every place in a word.
        #[test]
        fn strings_are_written_as_serde_json_writes_them(
            s in prop::collection::vec(
                prop_oneof![
                    4 => prop::char::range('\0', '\u{7f}'),
                    1 => prop::sample::select(vec!['"', '\\', '\n', '\u{8}', '\u{c}', '\r', '\t', '\u{1f}', 'é', '€', '\u{10348}']),
                ],
                0..70,
            ).prop_map(|c| c.into_iter().collect::<String>()),
            prefix in "[a-z]{0,3}",
        ) {
            let mut ours = prefix.clone().into_bytes();
            write_str(&mut ours, &s);
            let mut theirs = prefix.into_bytes();
            serde_json::to_writer(&mut theirs, &s).unwrap();
            prop_assert_eq!(String::from_utf8(ours).unwrap(), String::from_utf8(theirs).unwrap());
        }

        /// An object's keys, plain or not, are written as serde_json writes a map's.
        #[test]
        fn keys_are_written_as_serde_json_writes_them(
            keys in prop::collection::btree_set(
                prop_oneof![
                    3 => "[a-z_]{0,30}",
                    1 => prop::collection::vec(
                        prop::sample::select(vec!['a', '"', '\\', '\n', '\u{1f}', 'é', '_']),
                        0..12,
                    ).prop_map(|c| c.into_iter().collect::<String>()),
                ],
                1..6,
            ),
        ) {
            let mut ours = b"{".to_vec();
            for key in &keys {
                write_key(&mut ours, key);
                ours.extend_from_slice(b"1");
            }
            ours.push(b'}');
            let theirs: std::collections::BTreeMap<&String, u8> = keys.iter().map(|k| (k, 1)).collect();
            prop_assert_eq!(String::from_utf8(ours).unwrap(), serde_json::to_string(&theirs).unwrap());
        }

        /// A plain key is written as `write_key` writes it.
        #[test]
        fn plain_keys_are_written_as_any_key(keys in prop::collection::vec("[a-z_0-9]{0,30}", 1..6)) {
            let (mut plain, mut any) = (b"{".to_vec(), b"{".to_vec());
            for key in &keys {
                write_plain_key(&mut plain, key);
                write_key(&mut any, key);
            }
            prop_assert_eq!(plain, any);
        }
    }

    #[test]
    fn every_byte_below_128_is_written_as_serde_json_writes_it() {
        for b in 0..128u8 {
            let s = format!("ab{}cdefghij", char::from(b));
            let mut ours = Vec::new();
            write_str(&mut ours, &s);
            assert_eq!(ours, serde_json::to_vec(&s).unwrap(), "byte {b:#04x}");
        }
    }
}
