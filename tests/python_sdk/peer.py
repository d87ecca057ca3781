"""What the Python SDK peers share: the sandbox's test credentials and cards, the checks, a
browser's visit to the ACS page, the merchant's callback endpoint, and the run's outcome as
`run_sdk_peer` (tests/src/lib.rs) reads it: exit 0 after "all flows completed", 1 on a failed
check. Nothing here is an SDK's: each script calls its own SDK's helpers, passed in.
"""
import base64
import http.server
import json
import re
import sys
import threading
import time

import requests

MERCHANT_ID = 1549901
SECRET_KEY = "test"
CREDIT_KEY = "testcredit"
APPROVE = "4444555511116666"
APPROVE_3DS = "4444555566661111"
DECLINE = "4444111155556666"


class Failed(Exception):
    pass


def check(label, got, want):
    print("%-70s %r" % (label, got))
    if got != want:
        raise Failed("%s: expected %r, got %r" % (label, want, got))


def order_of(api, reply):
    """A reply's order: as returned (1.0), or decoded from the 2.0 `data`, which both SDKs hand
    back as JSON text (flittpayments documents `json.loads(result['data'])['order']`)."""
    if api.api_protocol == "2.0" and "data" in reply:
        return json.loads(reply["data"])["order"]
    return reply


def refused_in_one(label, call):
    """`call`, a 2.0-only method, refused by the SDK before sending in 1.0."""
    try:
        call()
    except Exception as e:
        check(label + ": refused by the SDK in 1.0", str(e), "This method allowed only for v2.0")
        return
    raise Failed(label + " in 1.0 was sent")


def check_signed(label, helpers, wire, protocol, reply, key=SECRET_KEY):
    """The reply's signature verifies by the SDK's own `helpers`: `is_valid` for 1.0 (on a
    copy: it deletes the signature from the dict it is given); for 2.0 (where `is_valid` cannot
    run: it joins the key with a dict) `get_signature` over the envelope's `data` as it came on
    the wire, the last exchange in `wire`."""
    if protocol == "2.0":
        envelope = json.loads(wire[-1]["reply"])["response"]
        check(label + ": get_signature(2.0 data) matches",
              helpers.get_signature(key, envelope["data"], "2.0"), envelope["signature"])
    else:
        check(label + ": is_valid", helpers.is_valid(dict(reply), key, "1.0"), True)


def acs(acs_url, pareq, md):
    """Posts PaReq/MD/TermUrl to the ACS as a browser does and reads PaRes and MD back."""
    page = requests.post(acs_url, data={"PaReq": pareq, "MD": md, "TermUrl": "https://shop.example/3ds"}).text
    form = page.split("<form")[1]
    value = lambda name: re.search(r'name="%s" value="([^"]*)"' % name, form).group(1)
    return value("PaRes"), value("MD")


class Callbacks(http.server.BaseHTTPRequestHandler):
    """The merchant's server callback endpoint: records each callback the sandbox delivers."""
    received = []
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with Callbacks.lock:
            Callbacks.received.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"OK")

    def log_message(self, *args):
        pass


def callback_to(path):
    """The first callback to `path`, waiting at most about 10 s (200 steps of 50 ms)."""
    for _ in range(200):
        with Callbacks.lock:
            for p, body in Callbacks.received:
                if p == path:
                    return json.loads(body)
        time.sleep(0.05)
    raise Failed("no callback to %s" % path)


def check_callbacks(tag, helpers, protocol, hooks, hook, keys):
    """The server callbacks to `hook(which)` for each `(which, key)` in `keys`, by the SDK's
    own `helpers`: an order created in 1.0 is called back with its fields (`is_valid`,
    `is_approved`); one created in 2.0 with a 2.0 envelope, which `is_valid` cannot take (it
    joins the key with a dict): `get_signature` over its `data`, then the order decoded from
    it."""
    for which, key in keys:
        body = callback_to(hook(which)[len(hooks):])
        if protocol == "2.0":
            check(tag("callback %s: a 2.0 envelope" % which), sorted(body), ["data", "signature", "version"])
            check(tag("callback %s: get_signature(2.0 data) matches" % which),
                  helpers.get_signature(key, body["data"], "2.0"), body["signature"])
            order = json.loads(base64.b64decode(body["data"]))["order"]
            check(tag("callback %s: approved" % which), order.get("order_status"), "approved")
        else:
            check(tag("callback %s: is_valid" % which), helpers.is_valid(dict(body), key, "1.0"), True)
            check(tag("callback %s: is_approved" % which), helpers.is_approved(dict(body), key, "1.0"), True)


def run(flows, wire):
    """Runs `flows(hooks)`, `hooks` the URL of a callback endpoint up for the run, and exits as
    `run_sdk_peer` expects, showing the last exchange in `wire` on a failed check."""
    hooks_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Callbacks)
    threading.Thread(target=hooks_server.serve_forever, daemon=True).start()
    try:
        flows("http://127.0.0.1:%d" % hooks_server.server_address[1])
    except Exception as e:
        # A failed check, or the SDK's own error (it raises on a refusal or an HTTP error).
        print("FAILED: %s: %s" % (type(e).__name__, e))
        if wire:
            w = wire[-1]
            print("last exchange: %s %r\n  -> %s %s" % (w["url"], str(w["body"])[:400], w["status"], w["reply"][:400]))
        sys.exit(1)
    finally:
        hooks_server.shutdown()
    print("%d exchanges" % len(wire))
    print("all flows completed")
