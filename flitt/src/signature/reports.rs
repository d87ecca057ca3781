//! The Reports API's token request signature.

use super::{HEX, SecretKey};
use sha2::Digest as _;

/// The Reports API token signature: lowercase hex sha512 of `key|application_id|date`.
pub fn reports_token_signature(key: &SecretKey, application_id: &str, date: &str) -> String {
    use sha2::Sha512;
    let mut hasher = Sha512::new();
    hasher.update(key.bytes());
    hasher.update(b"|");
    hasher.update(application_id.as_bytes());
    hasher.update(b"|");
    hasher.update(date.as_bytes());
    hasher
        .finalize()
        .iter()
        .flat_map(|b| {
            [
                HEX[usize::from(b >> 4)] as char,
                HEX[usize::from(b & 15)] as char,
            ]
        })
        .collect()
}
