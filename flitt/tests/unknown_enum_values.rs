//! An enum's `Unknown(..)` value decodes from replies, but a request holding one never reaches
//! the network: the generated `validate()` refuses it, naming the field and the values it
//! knows.

use flitt::api::{SubscriptionAction, SubscriptionRequest};
use flitt::request::ApiRequest;
use flitt::types::OrderId;
use flitt::validate::Rule;

fn subscription(action: SubscriptionAction) -> SubscriptionRequest {
    SubscriptionRequest::builder()
        .order_id(OrderId::new("o-1").unwrap())
        .action(action)
        .build()
}

#[test]
fn a_known_value_passes() {
    assert_eq!(subscription(SubscriptionAction::Stop).validate(), Ok(()));
}

#[test]
fn an_unknown_value_is_refused_before_sending() {
    let request = subscription(SubscriptionAction::Unknown("pause".into()));
    let e = request.validate().unwrap_err();
    assert_eq!(e.field, "action");
    assert_eq!(e.rule, Rule::OneOf(SubscriptionAction::KNOWN));
    assert_eq!(
        e.to_string(),
        "invalid parameter `action`: must be one of: stop, start"
    );
}
