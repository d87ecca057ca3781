//! Flitt's published test cards: which approve, which decline, which ask for 3-D Secure.

/// What a test card does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TestCard {
    /// The card number.
    pub number: &'static str,
    /// The brand, as `card_type` reports it.
    pub brand: &'static str,
    /// Whether the card goes through 3-D Secure.
    pub three_ds: bool,
    /// Whether the payment is approved.
    pub approves: bool,
}

/// The test cards (FACTS.md §4; any expiry, any CVV).
pub const TEST_CARDS: &[TestCard] = &[
    card("4444555566661111", "VISA", true, true),
    card("4444111166665555", "VISA", true, false),
    card("4444555511116666", "VISA", false, true),
    card("4444111155556666", "VISA", false, false),
    card("5555666644441111", "MasterCard", true, true),
    card("6666444455551111", "MasterCard", true, true),
    card("4444555566669999", "VISA", true, true),
    card("4444666655559999", "VISA", true, true),
    card("4444999966665555", "VISA", true, false),
    card("4444666699995555", "VISA", true, false),
    card("2222555566663333", "MasterCard", true, false),
    card("4444777799991111", "VISA", false, true),
    card("9860010099998881", "Humo", true, true),
    card("8600202020202023", "UzCard", true, true),
    card("9860010088889992", "Humo", true, true),
];

const fn card(
    number: &'static str,
    brand: &'static str,
    three_ds: bool,
    approves: bool,
) -> TestCard {
    TestCard {
        number,
        brand,
        three_ds,
        approves,
    }
}

/// The test card with this number. Unknown numbers are not accepted: the sandbox answers
/// them with 1015 (invalid card number), as Flitt's test mode refuses real cards.
pub fn lookup(number: &str) -> Option<TestCard> {
    TEST_CARDS.iter().copied().find(|c| c.number == number)
}

/// `444455XXXXXX6666`.
pub fn mask(number: &str) -> String {
    if number.len() < 10 {
        return "X".repeat(number.len());
    }
    format!(
        "{}{}{}",
        &number[..6],
        "X".repeat(number.len() - 10),
        &number[number.len() - 4..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_like_flitt() {
        assert_eq!(mask("4444555511116666"), "444455XXXXXX6666");
    }

    #[test]
    fn known_cards() {
        assert!(lookup("4444555511116666").is_some_and(|c| c.approves && !c.three_ds));
        assert!(lookup("4444111155556666").is_some_and(|c| !c.approves && !c.three_ds));
        assert!(lookup("4444555566661111").is_some_and(|c| c.approves && c.three_ds));
        assert!(lookup("1234").is_none());
    }
}
