//! IBAN checks by ISO 13616: a registered country code, that country's length and the
//! ISO 7064 MOD 97-10 check digits.
//!
//! The sandbox takes an IBAN in its electronic format only, as the API carries it: upper-case
//! letters and digits, no spaces. The printed format (`GE29 NB00 …`) and lower-case letters
//! are refused, as `flitt`'s own `iban` format check refuses them before a request is sent.

/// The IBAN length of every country in the IBAN registry, by ISO 3166 alpha-2 code, sorted by
/// code for a binary search.
///
/// Source: the SWIFT IBAN Registry, the registration authority's list under ISO 13616-1
/// (<https://www.swift.com/standards/data-standards/iban-international-bank-account-number>),
/// release 102 (2026): 89 codes. Territories that use another country's code (Åland: FI,
/// Réunion: FR, Jersey: GB, …) are not listed separately, as the registry lists them under it.
const LENGTHS: [([u8; 2], usize); 89] = [
    (*b"AD", 24),
    (*b"AE", 23),
    (*b"AL", 28),
    (*b"AT", 20),
    (*b"AZ", 28),
    (*b"BA", 20),
    (*b"BE", 16),
    (*b"BG", 22),
    (*b"BH", 22),
    (*b"BI", 27),
    (*b"BR", 29),
    (*b"BY", 28),
    (*b"CH", 21),
    (*b"CR", 22),
    (*b"CY", 28),
    (*b"CZ", 24),
    (*b"DE", 22),
    (*b"DJ", 27),
    (*b"DK", 18),
    (*b"DO", 28),
    (*b"EE", 20),
    (*b"EG", 29),
    (*b"ES", 24),
    (*b"FI", 18),
    (*b"FK", 18),
    (*b"FO", 18),
    (*b"FR", 27),
    (*b"GB", 22),
    (*b"GE", 22),
    (*b"GI", 23),
    (*b"GL", 18),
    (*b"GR", 27),
    (*b"GT", 28),
    (*b"HN", 28),
    (*b"HR", 21),
    (*b"HU", 28),
    (*b"IE", 22),
    (*b"IL", 23),
    (*b"IQ", 23),
    (*b"IS", 26),
    (*b"IT", 27),
    (*b"JO", 30),
    (*b"KW", 30),
    (*b"KZ", 20),
    (*b"LB", 28),
    (*b"LC", 32),
    (*b"LI", 21),
    (*b"LT", 20),
    (*b"LU", 20),
    (*b"LV", 21),
    (*b"LY", 25),
    (*b"MC", 27),
    (*b"MD", 24),
    (*b"ME", 22),
    (*b"MK", 19),
    (*b"MN", 20),
    (*b"MR", 27),
    (*b"MT", 31),
    (*b"MU", 30),
    (*b"NI", 28),
    (*b"NL", 18),
    (*b"NO", 15),
    (*b"OM", 23),
    (*b"PK", 24),
    (*b"PL", 28),
    (*b"PS", 29),
    (*b"PT", 25),
    (*b"QA", 29),
    (*b"RO", 24),
    (*b"RS", 22),
    (*b"RU", 33),
    (*b"SA", 24),
    (*b"SC", 31),
    (*b"SD", 18),
    (*b"SE", 24),
    (*b"SI", 19),
    (*b"SK", 24),
    (*b"SM", 27),
    (*b"SO", 23),
    (*b"ST", 25),
    (*b"SV", 28),
    (*b"TL", 23),
    (*b"TN", 24),
    (*b"TR", 26),
    (*b"UA", 29),
    (*b"VA", 22),
    (*b"VG", 24),
    (*b"XK", 20),
    (*b"YE", 30),
];

/// The registered IBAN length for a country code, if the country is in the registry.
fn registered_length(country: [u8; 2]) -> Option<usize> {
    LENGTHS
        .binary_search_by(|(code, _)| code.cmp(&country))
        .ok()
        .map(|i| LENGTHS[i].1)
}

/// Whether `text` is a valid IBAN in electronic format: a registered country code, that
/// country's length, upper-case letters and digits only, check digits 02 to 98, and the whole
/// (country code and check digits moved to the end, letters as 10 to 35) ≡ 1 mod 97.
pub fn is_valid(text: &str) -> bool {
    let b = text.as_bytes();
    let (Some(&[c0, c1]), Some(&[d0, d1])) = (b.get(0..2), b.get(2..4)) else {
        return false;
    };
    let country = [c0, c1];
    if !country.iter().all(u8::is_ascii_uppercase)
        || !d0.is_ascii_digit()
        || !d1.is_ascii_digit()
        || registered_length(country) != Some(b.len())
        || !b[4..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        return false;
    }
    // MOD 97-10 leaves 1 for check digits c and c + 97 alike: only 02..=98 are ever issued.
    let check = (d0 - b'0') * 10 + (d1 - b'0');
    if !(2..=98).contains(&check) {
        return false;
    }
    let remainder = b[4..].iter().chain(&b[..4]).fold(0u32, |r, &c| {
        if c.is_ascii_digit() {
            (r * 10 + u32::from(c - b'0')) % 97
        } else {
            // A letter is two digits: A = 10 … Z = 35.
            (r * 100 + u32::from(c - b'A') + 10) % 97
        }
    });
    remainder == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_without_duplicates_and_lengths_are_in_range() {
        assert!(LENGTHS.windows(2).all(|w| w[0].0 < w[1].0));
        // ISO 13616: at most 34 characters; no registered country has fewer than 15.
        assert!(LENGTHS.iter().all(|&(_, len)| (15..=34).contains(&len)));
    }

    /// Valid IBANs in the registry's own examples' formats, several countries and lengths.
    const VALID: [&str; 10] = [
        "GE29NB0000000101904917",
        "DE89370400440532013000",
        "GB29NWBK60161331926819",
        "FR1420041010050500013M02606",
        "NO9386011117947",
        "NL91ABNA0417164300",
        "MT84MALT011000012345MTLCAST001S",
        "LC55HEMM000100010012001200023015",
        "RU0204452560040702810412345678901",
        "UA213223130000026007233566001",
    ];

    #[test]
    fn valid_ibans_of_several_countries_pass() {
        for iban in VALID {
            assert!(is_valid(iban), "{iban}");
        }
    }

    #[test]
    fn a_wrong_check_digit_or_a_changed_character_fails() {
        for iban in VALID {
            // Any other check digits in 02..=98 make the remainder other than 1.
            for check in (2..=98).map(|n| format!("{n:02}")) {
                if check != iban[2..4] {
                    let wrong = format!("{}{check}{}", &iban[..2], &iban[4..]);
                    assert!(!is_valid(&wrong), "{wrong}");
                }
            }
        }
        // One BBAN digit changed, and two adjacent digits swapped.
        assert!(!is_valid("GE29NB0000000101904918"));
        assert!(!is_valid("DE89370400440532031000"));
    }

    #[test]
    fn check_digits_outside_02_to_98_fail_even_when_congruent() {
        // 98 ≡ 01 and 02 ≡ 99 mod 97: valid IBANs with those digits, and their twins.
        let valid_98 = "GB98MIDL07009312345678";
        assert!(is_valid(valid_98));
        assert!(!is_valid("GB01MIDL07009312345678"));
        assert!(!is_valid("GB00MIDL07009312345678"));
    }

    #[test]
    fn a_wrong_length_for_the_country_fails() {
        // Georgia is 22 characters: one short, one long.
        assert!(!is_valid("GE29NB000000010190491"));
        assert!(!is_valid("GE29NB00000001019049170"));
        // A valid German IBAN's length (22) is not France's (27).
        assert!(!is_valid("FR89370400440532013000"));
    }

    #[test]
    fn an_unknown_country_fails() {
        // The German IBAN's digits under codes not in the registry.
        for code in ["XX", "US", "AA", "ZZ"] {
            assert!(!is_valid(&format!("{code}89370400440532013000")), "{code}");
        }
    }

    #[test]
    fn only_the_electronic_format_is_taken() {
        assert!(!is_valid("ge29nb0000000101904917"));
        assert!(!is_valid("GE29nb0000000101904917"));
        assert!(!is_valid("GE29 NB00 0000 0101 9049 17"));
        assert!(!is_valid(" GE29NB0000000101904917"));
        assert!(!is_valid("GE29NB000000010190491-"));
    }

    #[test]
    fn short_empty_and_non_ascii_text_fails_without_panicking() {
        for text in [
            "",
            "G",
            "GE",
            "GE2",
            "GE29",
            "ÄÖ29NB0000000101904917",
            "GE2٩NB00",
        ] {
            assert!(!is_valid(text), "{text:?}");
        }
    }
}
