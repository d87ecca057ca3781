"""The former official Python SDK (cloudipsp 1.0.4, Fondy's, Flitt's name before), unchanged,
against the sandbox: every call it has but `Order.atol_logs` (the logs of ATOL, a Russian
fiscal service, which Flitt's documents never name), in each of the SDK's modes the sandbox
speaks (1.0 JSON, 1.0 form, 2.0 JSON; not the SDK's XML, which the spec leaves out as legacy:
FACTS.md). The SDK itself sends `Order.transaction_list` as JSON in every mode, refuses
subscriptions and settlements in 1.0, and `Payment.reports` is called once, in 1.0 JSON. Its
paths end in a slash (`/api/checkout/url/`), as Fondy's documents wrote them.

    python3 cloudipsp_flows.py http://127.0.0.1:PORT

Exit 0: every flow completed; 1: a flow failed; 3: the SDK is not importable (skip).

Only the base URL is changed: the SDK builds `https://{api_domain}/api` and has no way to say
http, so `api.api_url` is set after the `Api` is built. The SDK sends with the `requests`
module it imported; that module is wrapped to record each exchange (what was sent, what came
back), so the checks can see the wire, above all a 2.0 reply's `data` as it came, which the
SDK decodes in place. Nothing else of the SDK is touched.
"""
import datetime
import sys
import uuid

try:
    import cloudipsp.api
    from cloudipsp import Api, Checkout, Order, Payment, Pcidss, helpers
    from peer import (APPROVE, APPROVE_3DS, CREDIT_KEY, DECLINE, MERCHANT_ID, SECRET_KEY, acs,
                      check, check_callbacks, order_of, refused_in_one, run)
    import peer
    import requests
except ImportError as e:
    print("cloudipsp or requests is not importable: %s" % e)
    sys.exit(3)

MODES = [("1.0 json", "1.0", "json"), ("1.0 form", "1.0", "form"), ("2.0", "2.0", "json")]


WIRE = []


class Recording(object):
    """`requests` as the SDK calls it (`requests.request`), recording each exchange."""

    def request(self, method, url, data=None, headers=None):
        response = requests.request(method, url, data=data, headers=headers)
        WIRE.append({"url": url, "headers": dict(headers or {}), "body": data,
                     "status": response.status_code, "reply": response.content.decode("utf-8")})
        return response


cloudipsp.api.requests = Recording()


def make_api(url, protocol, request_type, secret=SECRET_KEY):
    api = Api(merchant_id=MERCHANT_ID, secret_key=secret, api_protocol=protocol,
              request_type=request_type)
    api.api_url = url + "/api"
    return api


def check_signed(label, api, reply, key=SECRET_KEY):
    """The reply's signature, by the SDK's own helpers (`peer.check_signed`)."""
    peer.check_signed(label, helpers, WIRE, api.api_protocol, reply, key)


def flows_in(url, hooks, name, protocol, request_type):
    tag = lambda s: "[cloudipsp %s] %s" % (name, s)
    hook = lambda s: "%s/%s/%s" % (hooks, name.replace(" ", "_").replace(".", "_"), s)
    api = make_api(url, protocol, request_type)
    credit = make_api(url, protocol, request_type, CREDIT_KEY)
    checkout, order, pci = Checkout(api=api), Order(api=api), Pcidss(api=api)
    v2 = protocol == "2.0"

    # The hosted checkout: a URL, a token, card verification.
    r = order_of(api, checkout.url({"currency": "GEL", "amount": 10000}))
    check(tag("checkout.url: checkout_url"), r["checkout_url"].startswith(url + "/sandbox/checkout/"), True)
    r = order_of(api, checkout.token({"currency": "GEL", "amount": 10000}))
    check(tag("checkout.token: a token"), len(r.get("token", "")) > 0, True)
    r = order_of(api, checkout.verification({"currency": "GEL", "amount": 100}))
    check(tag("checkout.verification: checkout_url"), r["checkout_url"].startswith(url), True)

    # A subscription, and its stop: 2.0 only.
    sub = str(uuid.uuid4())
    if v2:
        r = order_of(api, checkout.subscription({
            "order_id": sub, "currency": "GEL", "amount": 1000,
            "recurring_data": {"start_time": datetime.date.today().isoformat(), "amount": 1000,
                               "every": 1, "period": "month", "readonly": "n", "state": "y"}}))
        check(tag("checkout.subscription: checkout_url"), r["checkout_url"].startswith(url), True)
        r = order_of(api, checkout.subscription_stop(sub))
        check(tag("checkout.subscription_stop: status"), r["status"], "disabled")
    else:
        refused_in_one(tag("checkout.subscription"), lambda: checkout.subscription({"currency": "GEL", "amount": 1}))
        refused_in_one(tag("checkout.subscription_stop"), lambda: checkout.subscription_stop(sub))

    # A direct card payment on hold with a saved card: status, capture, transactions, refunds.
    held = str(uuid.uuid4())
    r = order_of(api, pci.step_one({
        "order_id": held, "currency": "GEL", "amount": 5000, "order_desc": "hold",
        "card_number": APPROVE, "cvv2": "123", "expiry_date": "1230",
        "preauth": "Y", "required_rectoken": "Y", "server_callback_url": hook("held")}))
    check(tag("pcidss.step_one (no 3DS): order_status"), r["order_status"], "approved")
    check_signed(tag("pcidss.step_one"), api, r)
    status = order_of(api, order.status({"order_id": held}))
    check(tag("order.status: order_status"), status["order_status"], "approved")
    check_signed(tag("order.status"), api, status)
    rectoken = status["rectoken"]
    r = order_of(api, order.capture({"order_id": held, "amount": 5000, "currency": "GEL"}))
    check(tag("order.capture: capture_status"), r["capture_status"], "captured")
    r = order_of(api, order.reverse({"order_id": held, "amount": 1000, "currency": "GEL"}))
    check(tag("order.reverse (part): reverse_status"), r["reverse_status"], "approved")
    check_signed(tag("order.reverse"), api, r)
    r = order_of(api, order.reverse({"order_id": held, "amount": 4000, "currency": "GEL"}))
    check(tag("order.reverse (the rest): reverse_status"), r["reverse_status"], "approved")
    check(tag("status after refunds"), order_of(api, order.status({"order_id": held}))["order_status"], "reversed")
    # transaction_list switches the Api it is given to JSON for good ("only json allowed"),
    # so it gets an Api of its own; it goes as JSON whatever the mode, and as a 2.0 envelope
    # in 2.0. Its reply is a bare list, unsigned.
    listed = Order(api=make_api(url, protocol, request_type)).transaction_list({"order_id": held})
    types = sorted(t["tran_type"] for t in listed)
    check(tag("order.transaction_list: the hold, its capture, two refunds"), types,
          ["capture", "purchase", "reverse", "reverse"])

    # A split of a payment: 2.0 only.
    to_split = str(uuid.uuid4())
    order_of(api, pci.step_one({"order_id": to_split, "currency": "GEL", "amount": 1000, "order_desc": "to split",
                                "card_number": APPROVE, "cvv2": "123", "expiry_date": "1230"}))
    settlement = {"operation_id": to_split, "amount": 1000, "currency": "GEL", "order_desc": "split",
                  "receiver": [{"type": "merchant", "requisites": {"amount": 500, "merchant_id": 600001}},
                               {"type": "merchant", "requisites": {"amount": 500, "merchant_id": 700001}}]}
    if v2:
        r = order_of(api, order.settlement(settlement))
        check(tag("order.settlement: parent_order_id"), r["parent_order_id"], to_split)
        check_signed(tag("order.settlement"), api, r)
    else:
        refused_in_one(tag("order.settlement"), lambda: order.settlement(settlement))

    # A repeat payment by the saved card.
    r = order_of(api, Payment(api=api).recurring({"currency": "GEL", "amount": 700, "rectoken": rectoken}))
    check(tag("payment.recurring: order_status"), r["order_status"], "approved")
    check_signed(tag("payment.recurring"), api, r)

    # 3-D Secure: step one answers a challenge, the ACS page authenticates, step two pays.
    three_ds = str(uuid.uuid4())
    r = order_of(api, pci.step_one({"order_id": three_ds, "currency": "GEL", "amount": 900,
                                    "card_number": APPROVE_3DS, "cvv2": "123", "expiry_date": "1230",
                                    "server_callback_url": hook("three_ds")}))
    check(tag("pcidss.step_one (3DS): acs_url"), r["acs_url"], url + "/sandbox/acs")
    pares, md = acs(r["acs_url"], r["pareq"], r["md"])
    r = order_of(api, pci.step_two({"order_id": three_ds, "pares": pares, "md": md}))
    check(tag("pcidss.step_two: order_status"), r["order_status"], "approved")
    check_signed(tag("pcidss.step_two"), api, r)
    r = order_of(api, pci.step_one({"currency": "GEL", "amount": 900, "card_number": DECLINE, "cvv2": "123",
                                    "expiry_date": "1230"}))
    check(tag("pcidss.step_one (declined card): order_status"), r["order_status"], "declined")

    # A payout to a card, by an Api built with the credit key.
    r = order_of(credit, Payment(api=credit).p2pcredit({
        "currency": "GEL", "amount": 300, "receiver_card_number": APPROVE,
        "server_callback_url": hook("payout")}))
    check(tag("payment.p2pcredit: order_status"), r["order_status"], "approved")
    check_signed(tag("payment.p2pcredit"), credit, r, CREDIT_KEY)

    # The server callbacks, by the SDK's own helpers.
    check_callbacks(tag, helpers, protocol, hooks, hook,
                    (("held", SECRET_KEY), ("three_ds", SECRET_KEY), ("payout", CREDIT_KEY)))


def legacy_reports(url):
    """`Payment.reports`: the transactions of a date range (`/api/reports/`), 1.0 JSON."""
    api = make_api(url, "1.0", "json")
    now = datetime.datetime.now()
    fmt = "%d.%m.%Y %H:%M:%S"
    r = Payment(api=api).reports({"date_from": (now - datetime.timedelta(days=1)).strftime(fmt),
                                  "date_to": (now + datetime.timedelta(days=1)).strftime(fmt)})
    check("[cloudipsp] payment.reports: some transactions", isinstance(r, list) and len(r) > 0, True)


def main(url):
    def flows(hooks):
        for name, protocol, request_type in MODES:
            flows_in(url, hooks, name, protocol, request_type)
        legacy_reports(url)
        bad = ["%s %s" % (w["url"], w["status"]) for w in WIRE if w["status"] != 200]
        check("every exchange answered HTTP 200", bad, [])
        types = sorted({w["headers"].get("Content-Type") for w in WIRE})
        check("Content-Types sent", types, ["application/json; charset=utf-8",
                                            "application/x-www-form-urlencoded; charset=utf-8"])
    run(flows, WIRE)


if __name__ == "__main__":
    main(sys.argv[1])
