//! Amounts for people: Flitt's `amount` is in the currency's minor units ("1020 (GEL) means
//! 10 lari and 20 tetri", FACTS §2), so showing it needs the currency's exponent.
//!
//! The exponents are ISO 4217's ("List One: currency, fund and precious metal codes",
//! published by SIX Group as the ISO 4217 maintenance agency, the edition of 1 January 2024):
//! every code not in [`EXPONENTS`] has 2 minor digits, as do codes the list does not know.

/// The currencies whose minor unit is not a hundredth, with their number of minor digits
/// (ISO 4217 List One; see the module docs). Sorted by code.
pub const EXPONENTS: &[(&str, u32)] = &[
    ("BHD", 3),
    ("BIF", 0),
    ("CLF", 4),
    ("CLP", 0),
    ("DJF", 0),
    ("GNF", 0),
    ("IQD", 3),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KMF", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("LYD", 3),
    ("OMR", 3),
    ("PYG", 0),
    ("RWF", 0),
    ("TND", 3),
    ("UGX", 0),
    ("UYI", 0),
    ("UYW", 4),
    ("VND", 0),
    ("VUV", 0),
    ("XAF", 0),
    ("XOF", 0),
    ("XPF", 0),
];

/// How many minor digits `currency` has: 0 for JPY, 3 for KWD, 2 for GEL, USD and any code
/// not in [`EXPONENTS`].
pub fn minor_digits(currency: &str) -> u32 {
    EXPONENTS
        .binary_search_by(|(code, _)| code.cmp(&currency))
        .map_or(2, |i| EXPONENTS[i].1)
}

/// An amount in minor units as its currency writes it, without the code: `1020` GEL is
/// `10.20`, `1020` JPY is `1020`, `1020` KWD is `1.020`.
pub fn format_minor(amount: u64, currency: &str) -> String {
    let digits = minor_digits(currency);
    if digits == 0 {
        return amount.to_string();
    }
    let unit = 10u64.pow(digits);
    format!(
        "{}.{:0width$}",
        amount / unit,
        amount % unit,
        width = digits as usize
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_for_the_binary_search() {
        assert!(EXPONENTS.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn amounts_take_their_currency_s_minor_digits() {
        assert_eq!(format_minor(1020, "GEL"), "10.20");
        assert_eq!(format_minor(1250, "GEL"), "12.50");
        assert_eq!(format_minor(5, "USD"), "0.05");
        assert_eq!(format_minor(0, "EUR"), "0.00");
        assert_eq!(format_minor(1020, "JPY"), "1020");
        assert_eq!(format_minor(1020, "KWD"), "1.020");
        assert_eq!(format_minor(12_345, "CLF"), "1.2345");
        assert_eq!(format_minor(1020, "???"), "10.20");
        assert_eq!(
            format_minor(u64::MAX, "GEL"),
            "184467440737095516.15",
            "no overflow"
        );
    }
}
