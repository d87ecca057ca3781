//! The protocol 1.0 signer: SHA-1 over `key|v1|v2|…`, fed value by value, and the hex of
//! the digest.

use super::{SecretKey, Signature};
use std::fmt;

/// The protocol 1.0 signer: push values in key order; empty values are skipped. No sort, no
/// joined string, no allocation — the generated requests feed it straight from their fields.
///
/// ```
/// use flitt::signature::{SecretKey, Signer};
/// let mut s = Signer::new(&SecretKey::new("test"));
/// for v in ["start", "1549901", "test_subscription11"] {
///     s.push(v);
/// }
/// assert_eq!(s.finish().as_str(), "a7adf395dae783a4676abbafe7f2479b2f6cfbca");
/// ```
#[derive(Clone)]
pub struct Signer {
    // SHA-1 driven through the `sha1` crate's compression function over a stack buffer of
    // several blocks: values are short, and a hasher's per-`update` bookkeeping cost more
    // than gathering them here and hashing the blocks in one pass at the end.
    state: [u32; 5],
    buf: [u8; BUF],
    filled: usize,
    hashed: u64,
}

/// Bytes gathered before hashing: four blocks, more than a typical request's pre-hash text.
const BUF: usize = 256;

const SHA1_INIT: [u32; 5] = [
    0x6745_2301,
    0xEFCD_AB89,
    0x98BA_DCFE,
    0x1032_5476,
    0xC3D2_E1F0,
];

impl Signer {
    /// A signer for `key`.
    #[inline]
    pub fn new(key: &SecretKey) -> Self {
        let mut signer = Self::unkeyed();
        signer.write(key.bytes());
        signer
    }

    /// A signer before its key. With [`write_key`](Self::write_key) after binding it, this
    /// spares the hot path a move of the whole buffer that [`new`](Self::new) may cost.
    #[inline]
    pub(crate) fn unkeyed() -> Self {
        Self {
            state: SHA1_INIT,
            buf: [0; BUF],
            filled: 0,
            hashed: 0,
        }
    }

    /// Writes the key; call once, first.
    #[inline]
    pub(crate) fn write_key(&mut self, key: &SecretKey) {
        self.write(key.bytes());
    }

    /// Hashes the whole blocks among the first `len` gathered bytes.
    #[inline]
    fn compress(&mut self, len: usize) {
        for block in self.buf[..len].chunks_exact(64) {
            let block = sha1::digest::generic_array::GenericArray::from_slice(block);
            sha1::compress(&mut self.state, std::slice::from_ref(block));
        }
    }

    #[inline]
    pub(super) fn write(&mut self, bytes: &[u8]) {
        let end = self.filled + bytes.len();
        if end < BUF {
            copy_short(&mut self.buf[self.filled..end], bytes);
            self.filled = end;
        } else {
            self.write_spilling(bytes);
        }
    }

    #[cold]
    fn write_spilling(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let n = (BUF - self.filled).min(bytes.len());
            self.buf[self.filled..self.filled + n].copy_from_slice(&bytes[..n]);
            self.filled += n;
            bytes = &bytes[n..];
            if self.filled == BUF {
                self.compress(BUF);
                self.hashed += BUF as u64;
                self.filled = 0;
            }
        }
    }

    /// Adds the next value (in key order); an empty value adds nothing.
    #[inline(always)]
    pub fn push(&mut self, value: &str) {
        let bytes = value.as_bytes();
        let start = self.filled;
        // `start < BUF` always, so the subtraction cannot wrap.
        if bytes.len() < BUF - 1 - start {
            if !bytes.is_empty() {
                self.buf[start] = b'|';
                let end = start + 1 + bytes.len();
                copy_short(&mut self.buf[start + 1..end], bytes);
                self.filled = end;
            }
        } else {
            self.push_spilling(bytes);
        }
    }

    /// Adds an integer value: its decimal text, as [`push`](Self::push) would add it.
    #[inline(always)]
    pub fn push_int(&mut self, n: u64) {
        // Below 10^8 the digits are worked out in a register and stored with one move:
        // digits written to memory by a formatter and read back at once by the copy stalled
        // on store forwarding, the largest single cost of signing outside the hash
        // (`perf annotate`).
        let start = self.filled;
        match u32::try_from(n) {
            Ok(n) if n < 100_000_000 && start + 9 < BUF => {
                let len = n.checked_ilog10().unwrap_or(0) as usize + 1;
                // The eight digits, leading zeros shifted out: the first digit lowest.
                let digits = eight_digits(n) >> (8 * (8 - len));
                self.buf[start] = b'|';
                self.buf[start + 1..start + 9].copy_from_slice(&digits.to_le_bytes());
                self.filled = start + 1 + len;
            }
            _ => self.push(itoa::Buffer::new().format(n)),
        }
    }

    #[cold]
    #[inline(never)]
    fn push_spilling(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        self.write_spilling(b"|");
        self.write_spilling(bytes);
    }

    /// The signature.
    #[inline]
    pub fn finish(mut self) -> Signature {
        self.finish_in_place()
    }

    /// The signature, computed in place (no move of the buffer); the signer is spent.
    #[inline]
    pub(crate) fn finish_in_place(&mut self) -> Signature {
        let bits = (self.hashed + self.filled as u64).wrapping_mul(8);
        if self.filled + 9 > BUF {
            // No room for the padding: hash the whole blocks and keep the tail.
            let whole = self.filled / 64 * 64;
            self.compress(whole);
            self.buf.copy_within(whole..self.filled, 0);
            self.filled -= whole;
        }
        let end = (self.filled + 9).div_ceil(64) * 64;
        self.buf[self.filled] = 0x80;
        self.buf[self.filled + 1..end - 8].fill(0);
        self.buf[end - 8..end].copy_from_slice(&bits.to_be_bytes());
        self.compress(end);
        Signature::from_state(self.state)
    }
}

/// The ASCII digits of `n` (below 10^8) with leading zeros, as eight bytes in memory order
/// (the first digit in the lowest byte): the halves split in 32-bit lanes, then pairs in
/// 16-bit lanes, then digits in bytes, each division by a multiply and shift that is exact
/// below the lane's bound (x/100 = x·10486 >> 20 for x < 10^4; x/10 = x·103 >> 10 for x < 100).
#[inline(always)]
fn eight_digits(n: u32) -> u64 {
    let halves = u64::from(n / 10_000) | (u64::from(n % 10_000) << 32);
    let hundreds = ((halves * 10_486) >> 20) & 0x0000_007F_0000_007F;
    let pairs = hundreds | ((halves - hundreds * 100) << 16);
    let tens = ((pairs * 103) >> 10) & 0x000F_000F_000F_000F;
    let digits = tens | ((pairs - tens * 10) << 8);
    digits + 0x3030_3030_3030_3030
}

/// `dst.copy_from_slice(src)` for the short values signed, in fixed-size moves: the first
/// chunks of 16 bytes and the last 16 (or 8, 4, 2, 1) overlapping, where a call to `memcpy`
/// for each value cost more than the copy itself.
#[inline(always)]
fn copy_short(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    if n >= 16 {
        let mut at = 0;
        while at + 16 < n {
            dst[at..at + 16].copy_from_slice(&src[at..at + 16]);
            at += 16;
        }
        dst[n - 16..n].copy_from_slice(&src[n - 16..n]);
    } else if n >= 8 {
        dst[..8].copy_from_slice(&src[..8]);
        dst[n - 8..n].copy_from_slice(&src[n - 8..n]);
    } else if n >= 4 {
        dst[..4].copy_from_slice(&src[..4]);
        dst[n - 4..n].copy_from_slice(&src[n - 4..n]);
    } else if n >= 2 {
        dst[..2].copy_from_slice(&src[..2]);
        dst[n - 2..n].copy_from_slice(&src[n - 2..n]);
    } else if n == 1 {
        dst[0] = src[0];
    }
}

/// The eight lowercase hex digits of `word` as the bytes of a `u64`, most significant first
/// when written big-endian. Branch- and table-free: each nibble is spread into its own byte,
/// then `'0'` is added, plus `'a' - '0' - 10` where the nibble is 10 or more.
#[inline(always)]
pub(super) fn hex_word(word: u32) -> u64 {
    let mut x = u64::from(word);
    x = ((x & 0xFFFF_0000) << 16) | (x & 0xFFFF);
    x = ((x & 0x0000_FF00_0000_FF00) << 8) | (x & 0x0000_00FF_0000_00FF);
    x = ((x & 0x00F0_00F0_00F0_00F0) << 4) | (x & 0x000F_000F_000F_000F);
    // 1 in each byte whose nibble is 10..=15.
    let letters = ((x + 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101;
    x + 0x3030_3030_3030_3030 + letters * (b'a' - b'0' - 10) as u64
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signer([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha1::{Digest, Sha1};

    /// The SHA-1 of `key|v1|v2|…` over the non-empty `values`, joined by hand.
    fn joined(key: &str, values: &[&str]) -> Signature {
        let mut joined = key.to_owned();
        for v in values.iter().filter(|v| !v.is_empty()) {
            joined = joined + "|" + v;
        }
        Signature::from_digest(&Sha1::digest(joined.as_bytes()))
    }

    /// `values` signed by a [`Signer`] with `key`, and [`joined`].
    fn signed_and_joined(key: &str, values: &[&str]) -> (Signature, Signature) {
        let mut s = Signer::new(&SecretKey::new(key));
        for v in values {
            s.push(v);
        }
        (s.finish(), joined(key, values))
    }

    #[test]
    fn values_of_every_length_are_signed_as_joined() {
        let value: String = ('a'..='z').cycle().take(300).collect();
        for n in 1..value.len() {
            let (signed, joined) = signed_and_joined("test", &[&value[..n], &value[n / 2..n]]);
            assert_eq!(signed, joined, "length {n}");
        }
    }

    #[test]
    fn an_empty_value_adds_nothing_wherever_the_buffer_stands() {
        let value: String = ('a'..='z').cycle().take(600).collect();
        for n in 0..value.len() {
            let (signed, joined) = signed_and_joined("k", &[&value[..n], "", "z"]);
            assert_eq!(signed, joined, "after {n} bytes");
        }
    }

    /// The two divisions by multiply and shift, over their whole domains.
    #[test]
    fn the_lane_divisions_are_exact() {
        for x in 0..10_000u64 {
            assert_eq!((x * 10_486) >> 20, x / 100, "{x}");
        }
        for x in 0..100u64 {
            assert_eq!((x * 103) >> 10, x / 10, "{x}");
        }
    }

    #[test]
    fn eight_digits_are_the_decimal_text_with_leading_zeros() {
        for n in (0..100_000_000)
            .step_by(9_973)
            .chain([0, 9, 10, 99_999_999])
        {
            assert_eq!(
                eight_digits(n).to_le_bytes(),
                *format!("{n:08}").as_bytes(),
                "{n}"
            );
        }
    }

    /// Every digit count, at and around each power of ten, after every prefix length (the
    /// buffer's edge included): an integer is signed as its decimal text.
    #[test]
    fn integers_are_signed_as_their_text_wherever_the_buffer_stands() {
        let mut numbers = vec![0, u64::MAX];
        let mut p = 1u64;
        for _ in 0..20 {
            numbers.extend([p - 1, p, p.saturating_add(1), p.saturating_mul(9)]);
            p = p.saturating_mul(10);
        }
        let prefix: String = ('a'..='z').cycle().take(300).collect();
        for n in numbers {
            for at in 0..prefix.len() {
                let mut s = Signer::new(&SecretKey::new("k"));
                s.push(&prefix[..at]);
                s.push_int(n);
                s.push("z");
                let expected = joined("k", &[&prefix[..at], &n.to_string(), "z"]);
                assert_eq!(s.finish(), expected, "{n} after {at} bytes");
            }
        }
    }
}
