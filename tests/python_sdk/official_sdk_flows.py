"""The official Python SDK (flittpayments 3.0.0), unchanged, against the sandbox: every call it
has, in every protocol and encoding it offers for that call (1.0 JSON, 1.0 form, 2.0 JSON).

    python3 official_sdk_flows.py http://127.0.0.1:PORT

Exit 0: every flow completed; 1: a flow failed; 3: the SDK is not importable (skip).

Only the base URL is changed. The SDK builds `https://pay.flitt.com/api/...` and, for the
Reports API (`Payment.reports`), `https://portal.flitt.com/...` itself, and takes a transport
(`Api(transport=...)`): the transport below is the SDK's own `SyncTransport` (requests) with
those two origins rewritten to the sandbox's http URL, which also records each exchange (what
was sent, what came back) so the checks can see the wire. Nothing else of the SDK is touched.
"""
import datetime
import sys
import uuid

try:
    from flittpayments import Api, Checkout, Order, Payment, Pcidss, helpers
    from flittpayments.transport import SyncTransport
    from peer import (APPROVE, APPROVE_3DS, CREDIT_KEY, DECLINE, MERCHANT_ID, SECRET_KEY, Failed,
                      acs, check, check_callbacks, order_of, refused_in_one, run)
    import peer
except ImportError as e:
    print("flittpayments or requests is not importable: %s" % e)
    sys.exit(3)

REPORTS_APP_ID = "1019"
REPORTS_KEY = "test"
IBAN = "GE29NB0000000101904917"

MODES = [("1.0 json", "1.0", "json"), ("1.0 form", "1.0", "form"), ("2.0", "2.0", "json")]


ORIGINS = ("https://pay.flitt.com/", "https://portal.flitt.com/")


class ToSandbox(SyncTransport):
    """The SDK's own transport, sending to the sandbox instead of Flitt's two origins (the
    base URL), and recording each exchange."""

    def __init__(self, sandbox, wire):
        SyncTransport.__init__(self)
        self.sandbox = sandbox
        self.wire = wire

    def request(self, method, url, data=None, headers=None, timeout=None):
        origin = next((o for o in ORIGINS if url.startswith(o)), None)
        if origin is None:
            raise Failed("the SDK called %s" % url)
        url = self.sandbox + "/" + url[len(origin):]
        response = SyncTransport.request(self, method, url, data=data, headers=headers, timeout=timeout)
        self.wire.append({"url": url, "headers": dict(headers or {}), "body": data,
                          "status": response.status_code, "reply": response.text})
        return response


WIRE = []


def make_api(url, protocol, request_type, secret=SECRET_KEY):
    return Api(merchant_id=MERCHANT_ID, secret_key=secret, api_protocol=protocol,
               request_type=request_type, transport=ToSandbox(url, WIRE))


def check_signed(label, api, reply, key=SECRET_KEY):
    """The reply's signature, by the SDK's own helpers (`peer.check_signed`)."""
    peer.check_signed(label, helpers, WIRE, api.api_protocol, reply, key)


def flows_in(url, hooks, name, protocol, request_type):
    tag = lambda s: "[%s] %s" % (name, s)
    hook = lambda s: "%s/%s/%s" % (hooks, name.replace(" ", "_").replace(".", "_"), s)
    api = make_api(url, protocol, request_type)
    credit = make_api(url, protocol, request_type, CREDIT_KEY)
    checkout, order, pci = Checkout(api=api), Order(api=api), Pcidss(api=api)
    payment, payout = Payment(api=api), Payment(api=credit)
    v2 = protocol == "2.0"

    # The hosted checkout: a URL, a token, card verification (amount 0 and more), Open Banking
    # and installments.
    r = order_of(api, checkout.url({"currency": "GEL", "amount": 10000, "order_desc": "python sdk"}))
    check(tag("checkout.url: checkout_url"), r["checkout_url"].startswith(url + "/sandbox/checkout/"), True)
    r = order_of(api, checkout.token({"currency": "GEL", "amount": 10000}))
    check(tag("checkout.token: a token"), len(r.get("token", "")) > 0, True)
    for amount in (0, 100):
        r = order_of(api, checkout.verification({"currency": "GEL", "amount": amount}))
        check(tag("checkout.verification (amount %d): checkout_url" % amount), r["checkout_url"].startswith(url), True)
    r = order_of(api, checkout.open_banking({"currency": "GEL", "amount": 1000, "payment_method": "x"}))
    check(tag("checkout.open_banking: checkout_url"), r["checkout_url"].startswith(url), True)
    r = order_of(api, checkout.installments({"currency": "GEL", "amount": 5000}))
    check(tag("checkout.installments: checkout_url"), r["checkout_url"].startswith(url), True)

    # A subscription, and its stop: 2.0 only (the SDK raises before sending in 1.0).
    sub = str(uuid.uuid4())
    start = datetime.date.today().isoformat()
    if v2:
        r = order_of(api, checkout.subscription({
            "order_id": sub, "currency": "GEL", "amount": 1000,
            "recurring_data": {"start_time": start, "amount": 1000, "every": 1, "period": "month",
                               "readonly": "n", "state": "y"}}))
        check(tag("checkout.subscription: checkout_url"), r["checkout_url"].startswith(url), True)
        r = order_of(api, checkout.subscription_stop(sub))
        check(tag("checkout.subscription_stop: status"), r["status"], "disabled")
    else:
        refused_in_one(tag("checkout.subscription"), lambda: checkout.subscription({"currency": "GEL", "amount": 1}))
        refused_in_one(tag("checkout.subscription_stop"), lambda: checkout.subscription_stop(sub))

    # A direct card payment on hold with a saved card: status, capture, refunds, receipt.
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
    if v2:
        # capture_full reads actual_amount from the status reply, which in 2.0 is the envelope
        # (data undecoded): it would capture 0, against Flitt too.
        r = order_of(api, order.capture({"order_id": held, "amount": 5000, "currency": "GEL"}))
    else:
        r = order_of(api, order.capture_full({"order_id": held, "currency": "GEL"}))
    check(tag("order.capture%s: capture_status" % ("" if v2 else "_full")), r["capture_status"], "captured")
    r = order_of(api, order.reverse({"order_id": held, "amount": 1000, "currency": "GEL"}))
    check(tag("order.reverse (part): reverse_status"), r["reverse_status"], "approved")
    check_signed(tag("order.reverse"), api, r)
    r = order_of(api, order.fiscal_data({"order_id": held}))
    check(tag("order.fiscal_data: response_status"), r["response_status"], "success")
    check(tag("order.fiscal_data: a receipt"), len(r["fiscalisation_data"]) > 0, True)
    # reverse_full reads additional_info.capture_amount (major units, as Flitt documents it) as
    # minor units on a captured hold and asks for a negative amount (FACTS.md 6.2 #18), so the
    # rest of the hold is refunded by amount; reverse_full runs on a plain purchase below.
    r = order_of(api, order.reverse({"order_id": held, "amount": 4000, "currency": "GEL"}))
    check(tag("order.reverse (the rest): reverse_status"), r["reverse_status"], "approved")
    check(tag("status after refunds"), order_of(api, order.status({"order_id": held}))["order_status"], "reversed")

    # A plain purchase, refunded whole by reverse_full (1.0: it reads the status reply, which
    # in 2.0 is the undecoded envelope).
    plain = str(uuid.uuid4())
    r = order_of(api, pci.step_one({"order_id": plain, "currency": "GEL", "amount": 800, "order_desc": "plain",
                                    "card_number": APPROVE, "cvv2": "123", "expiry_date": "1230"}))
    check(tag("pcidss.step_one (purchase): order_status"), r["order_status"], "approved")
    if not v2:
        r = order.reverse_full({"order_id": plain, "currency": "GEL"})
        check(tag("order.reverse_full: reversal_amount"), (r["reverse_status"], r["reversal_amount"]), ("approved", "800"))

    # A split of a captured payment: 2.0 only (the SDK raises before sending in 1.0).
    to_split = str(uuid.uuid4())
    order_of(api, pci.step_one({"order_id": to_split, "currency": "GEL", "amount": 1000, "order_desc": "to split",
                                "card_number": APPROVE, "cvv2": "123", "expiry_date": "1230"}))
    receivers = [{"type": "merchant", "requisites": {"amount": 500, "merchant_id": 600001}},
                 {"type": "merchant", "requisites": {"amount": 500, "merchant_id": 700001}}]
    settlement = {"operation_id": to_split, "amount": 1000, "currency": "GEL", "order_desc": "split",
                  "receiver": receivers}
    if v2:
        r = order_of(api, order.settlement(settlement))
        check(tag("order.settlement: parent_order_id"), r["parent_order_id"], to_split)
        check_signed(tag("order.settlement"), api, r)
    else:
        refused_in_one(tag("order.settlement"), lambda: order.settlement(settlement))

    # A repeat payment by the saved card.
    r = order_of(api, payment.recurring({"currency": "GEL", "amount": 700, "order_desc": "again", "rectoken": rectoken}))
    check(tag("payment.recurring: order_status"), r["order_status"], "approved")
    check_signed(tag("payment.recurring"), api, r)

    # 3-D Secure: step one answers a challenge, the ACS page authenticates, step two pays.
    three_ds = str(uuid.uuid4())
    r = order_of(api, pci.step_one({"order_id": three_ds, "currency": "GEL", "amount": 900, "order_desc": "3ds",
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

    # Payouts, by an Api built with the credit key: to a card, to the saved card, to an IBAN.
    r = order_of(credit, payout.p2pcredit({"currency": "GEL", "amount": 300, "receiver_card_number": APPROVE,
                                           "server_callback_url": hook("payout")}))
    check(tag("payment.p2pcredit (card number): order_status"), r["order_status"], "approved")
    check_signed(tag("payment.p2pcredit"), credit, r, CREDIT_KEY)
    r = order_of(credit, payout.p2pcredit({"currency": "GEL", "amount": 300, "receiver_rectoken": rectoken}))
    check(tag("payment.p2pcredit (saved card): order_status"), r["order_status"], "approved")
    r = order_of(credit, payout.ibancredit({"currency": "GEL", "amount": 300, "receiver_iban": IBAN}))
    check(tag("payment.ibancredit: order_status"), (r["order_status"], r["receiver_iban"]), ("approved", IBAN))
    check_signed(tag("payment.ibancredit"), credit, r, CREDIT_KEY)

    # The server callbacks, by the SDK's own helpers.
    check_callbacks(tag, helpers, protocol, hooks, hook,
                    (("held", SECRET_KEY), ("three_ds", SECRET_KEY), ("payout", CREDIT_KEY)))
    return held


def company_reports(api, order_id):
    """The Reports API: `Payment.reports`, which is `CompanyReports.get` on portal.flitt.com
    (a token, then the report)."""
    r = Payment(api=api).reports({"application_id": REPORTS_APP_ID, "key": REPORTS_KEY, "report_id": 745,
                     "merchant_id": MERCHANT_ID, "on_page": 10, "page": 1,
                     "filters": [{"s": "order_id", "m": "=", "v": order_id}]})
    check("payment.reports (CompanyReports.get, report 745): one row", r.get("rows_count"), 1)
    row = dict(zip(r["fields"], r["data"][0]))
    check("payment.reports (CompanyReports.get, report 745): the order", row.get("order_id"), order_id)


def main(url):
    def flows(hooks):
        held = None
        for name, protocol, request_type in MODES:
            held = flows_in(url, hooks, name, protocol, request_type)
        company_reports(make_api(url, "1.0", "json"), held)
        check("the Reports API went to portal.flitt.com's paths",
              [w["url"][len(url):] for w in WIRE[-2:]],
              ["/authorizer/token/application/get", "/api/extend/company/report/"])
        bad = ["%s %s" % (w["url"], w["status"]) for w in WIRE if w["status"] != 200]
        check("every exchange answered HTTP 200", bad, [])
        types = sorted({w["headers"].get("Content-Type") for w in WIRE})
        check("Content-Types sent", types, ["application/json", "application/json; charset=utf-8",
                                            "application/x-www-form-urlencoded; charset=utf-8"])
    run(flows, WIRE)


if __name__ == "__main__":
    main(sys.argv[1])
