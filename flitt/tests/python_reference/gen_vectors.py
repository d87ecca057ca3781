"""An independent reference for Flitt signatures, in plain Python (hashlib only).

Writes vectors.json: seeded random parameter maps with their protocol 1.0 signature and a
protocol 2.0 envelope made the way the Python SDKs make them (json.dumps, then base64). The
Rust test checks the SDK against every vector, and re-runs this script when python3 is present
to prove the committed file is what the script produces.

With the official SDK importable (`flittpayments`, e.g. PYTHONPATH=<unzipped wheel>), it also
records the official `helpers.get_signature` for the same maps under "official".

    python3 gen_vectors.py > vectors.json
"""
import base64
import hashlib
import json
import random
import string

SEED = 20261123
ALPHABET = string.ascii_letters + string.digits + " _-.:/@#%&=+?!,;()[]{}'\"\\" + "áéßøლქართული日本語🙂"


def sign_v1(secret, params):
    values = [secret]
    for key in sorted(params, key=lambda k: k.encode("utf-8")):
        if key in ("signature", "response_signature_string"):
            continue
        value = params[key]
        if value is None or value == "":
            continue
        values.append(str(value))
    return hashlib.sha1("|".join(values).encode("utf-8")).hexdigest()


def envelope_v2(secret, params):
    data = base64.b64encode(json.dumps({"order": params}).encode("utf-8")).decode("ascii")
    signature = hashlib.sha1((secret + "|" + data).encode("utf-8")).hexdigest()
    return data, signature


def random_params(rng):
    params = {}
    for _ in range(rng.randint(1, 12)):
        key = rng.choice(string.ascii_lowercase) + "".join(
            rng.choice(string.ascii_lowercase + string.digits + "_") for _ in range(rng.randint(0, 14))
        )
        kind = rng.random()
        if kind < 0.55:
            value = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 20)))
        elif kind < 0.9:
            value = rng.randint(0, 10 ** rng.randint(1, 12))
        else:
            value = ""
        params[key] = value
    return params


def main():
    rng = random.Random(SEED)
    try:
        from flittpayments import helpers as official
    except ImportError:
        official = None
    vectors = []
    for i in range(50):
        secret = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(rng.randint(1, 32)))
        params = random_params(rng)
        data, signature = envelope_v2(secret, params)
        entry = {
            "secret": secret,
            "params": params,
            "v1": sign_v1(secret, params),
            "v2_data": data,
            "v2_signature": signature,
        }
        if official is not None:
            entry["official"] = official.get_signature(secret, dict(params), "1.0")
        vectors.append(entry)
    print(json.dumps({"seed": SEED, "vectors": vectors}, indent=1, sort_keys=True, ensure_ascii=False))


if __name__ == "__main__":
    main()
