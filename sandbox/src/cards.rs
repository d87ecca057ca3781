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

/// A test Apple Pay container (base64 of an Apple Pay token JSON whose
/// `transactionIdentifier` is `sandbox:approve`): the payment is approved.
pub const WALLET_CONTAINER_APPROVED: &str = "eyJ0b2tlbiI6eyJwYXltZW50TWV0aG9kIjp7Im5ldHdvcmsiOiJWaXNhIiwidHlwZSI6ImRlYml0IiwiZGlzcGxheU5hbWUiOiJWaXNhIDExMTEifSwidHJhbnNhY3Rpb25JZGVudGlmaWVyIjoic2FuZGJveDphcHByb3ZlIiwicGF5bWVudERhdGEiOnsidmVyc2lvbiI6IkVDX3YxIiwiZGF0YSI6InNhbmRib3giLCJzaWduYXR1cmUiOiJzYW5kYm94IiwiaGVhZGVyIjp7InB1YmxpY0tleUhhc2giOiJzYW5kYm94IiwiZXBoZW1lcmFsUHVibGljS2V5Ijoic2FuZGJveCIsInRyYW5zYWN0aW9uSWQiOiJzYW5kYm94OmFwcHJvdmUifX19fQ==";

/// A test Apple Pay container marked `sandbox:decline`: the payment is declined.
pub const WALLET_CONTAINER_DECLINED: &str = "eyJ0b2tlbiI6eyJwYXltZW50TWV0aG9kIjp7Im5ldHdvcmsiOiJWaXNhIiwidHlwZSI6ImRlYml0IiwiZGlzcGxheU5hbWUiOiJWaXNhIDExMTEifSwidHJhbnNhY3Rpb25JZGVudGlmaWVyIjoic2FuZGJveDpkZWNsaW5lIiwicGF5bWVudERhdGEiOnsidmVyc2lvbiI6IkVDX3YxIiwiZGF0YSI6InNhbmRib3giLCJzaWduYXR1cmUiOiJzYW5kYm94IiwiaGVhZGVyIjp7InB1YmxpY0tleUhhc2giOiJzYW5kYm94IiwiZXBoZW1lcmFsUHVibGljS2V5Ijoic2FuZGJveCIsInRyYW5zYWN0aW9uSWQiOiJzYW5kYm94OmRlY2xpbmUifX19fQ==";

/// A test Google Pay container (base64 of a `PaymentMethodToken` JSON whose `signedMessage` is
/// `sandbox:3ds`): the payment asks for 3-D Secure first, as Google Pay may in Georgia.
pub const WALLET_CONTAINER_THREE_DS: &str = "eyJwcm90b2NvbFZlcnNpb24iOiJFQ3YyIiwic2lnbmF0dXJlIjoic2FuZGJveCIsImludGVybWVkaWF0ZVNpZ25pbmdLZXkiOnsic2lnbmVkS2V5Ijoic2FuZGJveCIsInNpZ25hdHVyZXMiOlsic2FuZGJveCJdfSwic2lnbmVkTWVzc2FnZSI6InNhbmRib3g6M2RzIn0=";

/// The test card a wallet container pays with. The sandbox cannot decrypt a container, so it
/// reads one as the base64 of any JSON object and looks for a marker in it: `sandbox:decline`
/// declines, `sandbox:3ds` asks for 3-D Secure, anything else approves (as 4444555511116666,
/// 4444111155556666 and 4444555566661111 do). `None` when it is not base64 of a JSON object
/// (the gateway answers 1007).
pub fn wallet_container_card(container: &str) -> Option<TestCard> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(container.trim())
        .ok()?;
    let json: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    if !json.is_object() {
        return None;
    }
    let text = json.to_string();
    let number = if text.contains("sandbox:decline") {
        "4444111155556666"
    } else if text.contains("sandbox:3ds") {
        "4444555566661111"
    } else {
        "4444555511116666"
    };
    lookup(number)
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
    fn the_test_containers_pay_as_documented() {
        let card = |c| wallet_container_card(c).expect("a container");
        assert!(card(WALLET_CONTAINER_APPROVED).approves);
        assert!(!card(WALLET_CONTAINER_APPROVED).three_ds);
        assert!(!card(WALLET_CONTAINER_DECLINED).approves);
        assert!(card(WALLET_CONTAINER_THREE_DS).three_ds);
        assert!(wallet_container_card("not base64!").is_none());
        assert!(
            wallet_container_card("WzFd").is_none(),
            "[1] is not an object"
        );
    }

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
