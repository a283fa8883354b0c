#!/usr/bin/env python3
"""Write the fuzz seed corpora into fuzz/corpus/<target>/ (git-ignored).

    python3 fuzz/seed_corpora.py [--out fuzz/corpus]

Plain python3, no Django. Seeds come from the committed Django vectors,
tests/data/django/django-*.json and, when present, adapters-*.json: every
case's inputs, signed values and data fields. The fuzz targets use the
vectors' key ring (SECRET_KEY + 2 fallbacks, fuzz/src/lib.rs), so those values
verify and the fuzzer starts past the signature check. The script also signs
the vectors' payloads the way Django does (salted_hmac, dumps, sessions, signed
cookies, messages, reset tokens, auth hashes: stdlib hmac/hashlib/zlib/base64)
so that every target gets validly signed seeds even before the adapter vectors
exist; it checks that signing against Django's worked examples first.

Each seed file is named by the SHA-1 of its content, so rerunning the script
is idempotent and adds nothing twice.
"""

import argparse
import base64
import datetime as dt
import glob
import hashlib
import hmac
import json
import os
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
VECTORS = os.path.join(ROOT, "tests", "data", "django")

TARGETS = [
    "unsign", "timestamp_unsign", "loads", "json", "session_decode", "auth_hash_verify",
    "reset_token_check", "signed_cookie_get", "messages_decode", "round_trip",
    "key_loader", "http_cookies",
]

# fuzz/src/lib.rs: the vectors' ring and clock.
SECRET_KEY = "doc-example-secret-key-not-used-anywhere-else-0123456789"
FALLBACKS = [
    "fallback-one-retired-2024-Qw3rTy7uIoP1aSdFgHjKlZxCvBnM-0123456789",
    "fallback-two-retired-2023-\u00fcn\u00efc\u00f6d\u00e9-key-0p9o8i7u6y5t4r3e2w1q-zz",
]
RING = [SECRET_KEY] + FALLBACKS
T0 = 1600000000

# The fixed user and password of the targets (fuzz_targets/*.rs).
PASSWORD = "pbkdf2_sha256$600000$salt$hash"
TOKEN_USER = {"pk": "42", "password": "argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
              "last_login": "2024-03-01 09:30:15", "email": ""}
TOKEN_NOW = dt.datetime(2024, 3, 2, 12, 0, 0)

AUTH_SALT = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"
TOKEN_SALT = "django.contrib.auth.tokens.PasswordResetTokenGenerator"
DB_SALT = "django.contrib.sessions.SessionStore"
LEGACY_DB_SALT = "django.contrib.sessionsSessionStore"
COOKIES_SESSION_SALT = "django.contrib.sessions.backends.signed_cookies"
MESSAGES_SALT = "django.contrib.messages"
DUMPS_SALT = "django.core.signing"


# ------------------------------------------------------------ Django's signing
def salted_hmac(key_salt, value, secret, algorithm="sha256"):
    key = hashlib.new(algorithm, (key_salt + secret).encode()).digest()
    value = value if isinstance(value, bytes) else value.encode()
    return hmac.new(key, value, algorithm)


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b62(n):
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    if n == 0:
        return "0"
    sign, n = ("-", -n) if n < 0 else ("", n)
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = digits[r] + out
    return sign + out


def sign(value, key, salt="django.core.signing.Signer", sep=":", algorithm="sha256"):
    return value + sep + b64u(salted_hmac(salt + "signer", value, key, algorithm).digest())


def sign_ts(value, key, salt="django.core.signing.TimestampSigner", now=T0, sep=":"):
    return sign("%s%s%s" % (value, sep, b62(int(now))), key, salt, sep)


def django_json(obj):
    return json.dumps(obj, separators=(",", ":")).encode("latin-1")


def payload(data, compress):
    if compress:
        packed = zlib.compress(data)
        if len(packed) < len(data) - 1:
            return "." + b64u(packed)
    return b64u(data)


def dumps(obj, key, salt=DUMPS_SALT, compress=False, now=T0):
    return sign_ts(payload(django_json(obj), compress), key, salt, now)


def legacy_session(obj, key):
    ser = django_json(obj)
    mac = salted_hmac(LEGACY_DB_SALT, ser, key, "sha1").hexdigest()
    return base64.b64encode(mac.encode() + b":" + ser).decode()


def cookie_key(key):
    return "django.http.cookies" + key


def cookie(value, key, name="name", salt="", v2=True, now=T0):
    signer_salt = "django.http.cookies.v2:%d:%s%s" % (len(salt), salt, name) if v2 else name + salt
    return sign_ts(value, cookie_key(key), signer_salt, now)


def messages_json(messages, not_finished=False, keep_empty_tags=True):
    out = []
    for level, text, tags in messages:
        m = ["__json_message", 0, level, text]
        if tags or keep_empty_tags:
            m.append(tags)
        out.append(m)
    if not_finished:
        out.append("__messagesnotfinished__")
    return out


def messages_signed(messages, key, **kw):
    return dumps(messages_json(messages, **kw), cookie_key(key), MESSAGES_SALT, compress=True)


def messages_legacy(messages, key):
    text = django_json(messages_json(messages, keep_empty_tags=False)).decode()
    return "%s$%s" % (salted_hmac(MESSAGES_SALT, text, key, "sha1").hexdigest(), text)


def auth_hash(password, key, algorithm="sha256"):
    return salted_hmac(AUTH_SALT, password, key, algorithm).hexdigest()


def b36(n):
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def reset_token(user, at, key, algorithm="sha256"):
    ts = int((at - dt.datetime(2001, 1, 1)).total_seconds())
    value = "%s%s%s%d%s" % (user["pk"], user["password"], user["last_login"] or "", ts, user["email"])
    return "%s-%s" % (b36(ts), salted_hmac(TOKEN_SALT, value, key, algorithm).hexdigest()[::2])


def self_check():
    """Django's worked examples (src/ docs, tests/data/django/README.md §13)."""
    assert sign("hello", SECRET_KEY) == "hello:esiZUAzOvXgS5j7ODtFQJLmMnwCZEmD2I0T5k40jYG8"
    assert dumps({"a": 1}, SECRET_KEY) == "eyJhIjoxfQ:1kHR5c:xqJlJyiwrrULZIShPCalrQd94qE-JNfsH6uex_ETIZo"
    assert dumps({"a": 1}, SECRET_KEY, DB_SALT, compress=True) == \
        "eyJhIjoxfQ:1kHR5c:J7IJ7Jd8RbJSZ0QqIeW5ddv6IGcddZoQuEUVxRvttuc"
    assert legacy_session({"a": 1}, SECRET_KEY) == \
        "YTNiMWFiYTNlNDU2YzgzZDJlNTkyYzFlM2ZkMGY3N2Q4YTM5ZmFiMjp7ImEiOjF9"
    assert cookie("value", SECRET_KEY) == "value:1kHR5c:2CC_8P5Qbfg5Dksx7fKuzqY_FN8Wk6quoyn0ksvr5FQ"
    assert cookie("value", SECRET_KEY, v2=False) == "value:1kHR5c:fboG88cLKccMVJsVafFLI6UQGtcNinhcbd3aQeMMAXc"
    assert messages_legacy([(20, "Hello", "")], SECRET_KEY) == \
        '1903358b75f9ba1276ea78ffc4d0bc7f24af595c$[["__json_message",0,20,"Hello"]]'
    assert auth_hash(PASSWORD, SECRET_KEY, "sha1") == "2e3dacf25bd0e7f75593d6218e9107d78bb040cc"


# ------------------------------------------------------------ corpus writing
class Corpus:
    def __init__(self, out):
        self.out = out
        self.seeds = {t: set() for t in TARGETS}

    def add(self, target, value):
        if value is None:
            return
        if isinstance(value, str):
            value = value.encode("utf-8", "surrogatepass")
        if len(value) > 65536:
            return
        self.seeds[target].add(value)

    def add_text(self, targets, value):
        for target in targets:
            self.add(target, value)

    def write(self):
        for target, seeds in self.seeds.items():
            path = os.path.join(self.out, target)
            os.makedirs(path, exist_ok=True)
            for seed in seeds:
                name = hashlib.sha1(seed).hexdigest()
                with open(os.path.join(path, name), "wb") as f:
                    f.write(seed)
            print("%-18s %5d seeds" % (target, len(seeds)))


def strip_signature(signed, sep=":"):
    """The signed message, and the payload before a timestamp."""
    if not isinstance(signed, str) or sep not in signed:
        return []
    message = signed.rsplit(sep, 1)[0]
    return [message] + ([message.rsplit(sep, 1)[0]] if sep in message else [])


def raw_payload(text):
    """What a loads payload decodes to (Python's lenient base64, zlib)."""
    if not isinstance(text, str):
        return []
    compressed = text.startswith(".")
    body = text[1:] if compressed else text
    try:
        raw = base64.urlsafe_b64decode(body.encode() + b"=" * (-len(body.encode()) % 4))
        return [zlib.decompress(raw)] if compressed else [raw]
    except Exception:  # noqa: BLE001 -- odd payloads are the point
        return []


SIGNING = ["unsign", "timestamp_unsign", "loads"]


def from_core_vectors(c, case):
    op = case["op"]
    if op in ("sign", "dumps"):
        signed = case["signed"]
        c.add_text(SIGNING, signed)
        for part in strip_signature(signed, case.get("sep") or ":"):
            c.add_text(SIGNING, part)
            for raw in raw_payload(part):
                c.add("json", raw)
        if op == "sign":
            c.add("round_trip", case["value"])
    if op in ("unsign", "loads"):
        text = case["input"]
        c.add_text(SIGNING, text)
        c.add_text(["session_decode", "signed_cookie_get", "messages_decode"], text)
        for part in strip_signature(text, case.get("sep") or ":"):
            c.add_text(SIGNING, part)
            for raw in raw_payload(part):
                c.add("json", raw)
        result = case.get("result") or {}
        if result.get("obj_json") is not None:
            c.add("json", result["obj_json"])
    if op in ("dumps", "json"):
        c.add("json", case["obj_json"])
        c.add("round_trip", case["obj_json"])
        if op == "json":
            c.add("json", case["django_json"])
        obj = json.loads(case["obj_json"])
        for i, key in enumerate(RING):
            for compress in (False, True):
                c.add("loads", dumps(obj, key, compress=compress))
                c.add("loads", sign(payload(django_json(obj), compress), key))
            if isinstance(obj, dict):
                c.add("session_decode", dumps(obj, key, DB_SALT, compress=True))
                c.add("session_decode", dumps(obj, key, COOKIES_SESSION_SALT, compress=True))
                c.add("session_decode", legacy_session(obj, key))
                c.add("session_decode", payload(django_json(obj), True) + ":" + b62(T0))
    if op == "b64_decode":
        c.add("loads", case["input"])
        if case.get("hex"):
            c.add("json", bytes.fromhex(case["hex"]))
    if op == "zlib_decompress" and case.get("hex_out"):
        c.add("json", bytes.fromhex(case["hex_out"]))
    if op in ("b62", "b62_decode"):
        text = case["text"]
        c.add("timestamp_unsign", "value:" + text)
        c.add("loads", "eyJhIjoxfQ:" + text)
    if op == "sep":
        c.add("unsign", "value" + case["sep"] + "signature")


def from_adapter_vectors(c, case):
    op = case["op"]
    for field in ("data", "cookie_value", "token", "stored_hash", "hash", "cookie_value"):
        value = case.get(field)
        if isinstance(value, str):
            target = {
                "session_encode": "session_decode", "session_decode": "session_decode",
                "cookie_set": "signed_cookie_get", "cookie_get": "signed_cookie_get",
                "messages_encode": "messages_decode", "messages_decode": "messages_decode",
                "messages_store": "messages_decode", "reset_token_make": "reset_token_check",
                "reset_token_check": "reset_token_check",
            }.get(op)
            if target:
                c.add(target, value)
                for part in strip_signature(value):
                    c.add(target, part)
            if op in ("auth_hash", "get_user"):
                c.add("auth_hash_verify", "%s\n%s" % (value, case.get("password", "")))
    if op in ("reset_token_make", "reset_token_check") and isinstance(case.get("token"), str):
        now = case.get("now")
        if isinstance(now, str):
            c.add("reset_token_check", "%s\n%s" % (now, case["token"]))
    if op == "session_encode" and case.get("session_json"):
        c.add("json", case["session_json"])
        c.add("round_trip", case["session_json"])


def generated(c):
    """Validly signed seeds for the Django artifacts, whatever vectors exist."""
    login = lambda i: {  # noqa: E731
        "_auth_user_id": "1",
        "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
        "_auth_user_hash": auth_hash(PASSWORD, RING[i]),
    }
    sessions = [{}, {"a": 1}, login(0), login(1), login(2), {"_auth_user_id": 1},
                {"_auth_user_id": "1", "_auth_user_hash": ""}, {"cart": [1, 2.5, None, True, "\u00e9"]}]
    for i, key in enumerate(RING):
        for s in sessions:
            c.add("session_decode", dumps(s, key, DB_SALT, compress=True))
            c.add("session_decode", dumps(s, key, DB_SALT, compress=False))
            c.add("session_decode", dumps(s, key, COOKIES_SESSION_SALT, compress=True))
            c.add("session_decode", legacy_session(s, key))
            for part in strip_signature(dumps(s, key, DB_SALT, compress=True)):
                c.add("session_decode", part)
        for password in (PASSWORD, "", "\u00e9\U0001F600", TOKEN_USER["password"]):
            for algorithm in ("sha256", "sha1"):
                c.add("auth_hash_verify", "%s\n%s" % (auth_hash(password, key, algorithm), password))
        for value in ("value", "", "a:b", "\u00e9", '"quoted"'):
            for v2 in (True, False):
                signed = cookie(value, key, v2=v2)
                c.add("signed_cookie_get", signed)
                c.add("signed_cookie_get", '"%s"' % signed.replace('"', '\\"'))
                c.add("signed_cookie_get", signed.rsplit(":", 1)[0])
        batches = [[(20, "Hello", "")], [(25, "Saved", "extra tags"), (40, "\u00e9rror", "")], []]
        for batch in batches:
            c.add("messages_decode", messages_signed(batch, key))
            c.add("messages_decode", messages_signed(batch, key, not_finished=True))
            raw = django_json(messages_json(batch)).decode()
            c.add("messages_decode", sign_ts(raw, cookie_key(key), MESSAGES_SALT))  # 3.1 raw JSON
            c.add("messages_decode", messages_legacy(batch, key))
            c.add("messages_decode", raw + ":" + b62(T0))
            c.add("messages_decode", payload(raw.encode(), True) + ":" + b62(T0))
        for delta in (dt.timedelta(0), dt.timedelta(hours=-1), dt.timedelta(days=-3),
                      dt.timedelta(days=-4), dt.timedelta(days=1)):
            at = TOKEN_NOW + delta
            token = reset_token(TOKEN_USER, at, key)
            c.add("reset_token_check", token)
            c.add("reset_token_check", "%s\n%s" % (at.isoformat(), token))
            c.add("reset_token_check", reset_token(TOKEN_USER, at, key, "sha1"))
        for value in ("hello", "", "a:b", "\u00e9\U0001F600", "x" * 300):
            c.add("unsign", sign(value, key))
            c.add("timestamp_unsign", sign_ts(value, key))
            c.add("timestamp_unsign", "%s:%s" % (value, b62(T0)))
    for when in ("2024-03-02", "2001-01-01T00:00:00", "2024-03-01 09:30:15.123456+05:30", "1999-12-31T23:59Z"):
        c.add("reset_token_check", when + "\n")


def cookie_crate(value, key_byte):
    """The cookie crate's SignedJar: base64(HMAC-SHA256(key.signing(), value)) + value,
    key.signing() being the first 32 bytes of `Key::from(&[key_byte; 64])`."""
    mac = hmac.new(bytes([key_byte]) * 32, value.encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode() + value


def http_seeds(c):
    """Cookie headers for fuzz_targets/http_cookies.rs (its layer: the vectors' ring,
    cookie keys 0x11 current and 0x22 fallback), each optionally followed by a
    newline and a Set-Cookie value for the transparent cookie `tid`."""
    for i, key in enumerate(RING):
        parts = [
            "sessionid=" + dumps({"a": 1, "cart": [1, 2]}, key, COOKIES_SESSION_SALT, compress=True),
            "messages=" + messages_signed([(20, "Hello", "")], key),
            "name=" + cookie("value", key, v2=(i != 2)),
            "sr=" + sign_ts("cart", key, "fuzz.sr"),
            "jar=" + cookie_crate("v", 0x11 if i == 0 else 0x22),
            "tid=" + cookie_crate("session-id", 0x22 if i else 0x11),
        ]
        c.add("http_cookies", "; ".join(parts))
        for part in parts:
            c.add("http_cookies", part)
            c.add("http_cookies", part + "\ntid=new-id; Path=/; HttpOnly")
        c.add("http_cookies", "; ".join(reversed(parts)) + "\ntid=; Max-Age=0")
    for odd in ["", ";;", "=;=", "a=\"q\\073\"", "sessionid=garbage", "jar=%FF%FE",
                "name=\"value:1kHR5c:x\"", "tid=" + "A" * 44, "\n", "\nnovalue",
                "\ntid=\"\"; Path=/", "\nother=1; tid=2"]:
        c.add("http_cookies", odd)


def duplicate_keys(c):
    """Objects with repeated keys: Python keeps each key's first place and last
    value. As JSON text for `json`, and signed as `dumps` would sign that text
    for `loads` (json.dumps never writes a duplicate, so the text is signed
    directly). Also lists of strings with escapes, the shape the secret-key
    reader of SECRET_KEY_FALLBACKS accepts."""
    many = ",".join('"k%d":%d' % (i, i) for i in range(100))
    texts = [
        '{"a":1,"b":2,"a":3}',
        '{"a":1,"a":2,"a":3}',
        '{"a":1,"b":{"x":1,"y":2,"x":3},"a":[{"c":1,"c":2}]}',
        '{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k3":"x","k0":null}',
        '{%s,"k0":-1}' % many,
        "{%s,%s}" % (many, many),
        r'{"\u00e9":1,"\u00E9":2,"' + "\u00e9" + '":3}',
        '{"a":1, "a" :2 ,"a":3}',
        '{"_auth_user_id":"1","_auth_user_hash":"x","_auth_user_id":"2"}',
        r'["a","\u00e9","\ud83d\ude00","\n\t\"\\\/","' + "\u00e9" + '"]',
        '[ "plain" , "" ]',
        "[]",
    ]
    for text in texts:
        c.add("json", text)
        raw = text.encode("latin-1")  # Django's loads reads the bytes as Latin-1
        for key in RING:
            for compress in (False, True):
                c.add("loads", sign_ts(payload(raw, compress), key, DUMPS_SALT))
    c.add("json", "[\"\u00e9-\u00fc-\U0001F600\"]")


def key_loader_seeds(c):
    """Keys files, ring configurations and SECRET_KEY_FALLBACKS lists."""
    k0, k1 = SECRET_KEY, FALLBACKS[0]
    for text in [
        k0 + "\n" + k1 + "\n",
        "# keys\r\n" + k0 + "\r\n\n#\n# previous key retired 2024-05\n" + k1,
        k0 + "\n   \n",
        k0 + "\n#previous\n",
        k0 + "\n" + k0 + "\n",
        "\n\n",
        json.dumps({"current": {"id": "k0", "secret": k0},
                    "fallbacks": [{"secret": k1, "not_after": 1800000000}],
                    "staged": [{"id": "next", "secret": FALLBACKS[1]}]}),
        json.dumps({"current": {"secret": "[redacted]"}}),
        json.dumps(FALLBACKS),
        json.dumps([k0, "", "\ud83d\ude00"]),
    ]:
        c.add("key_loader", text.encode("utf-8"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.join(HERE, "corpus"))
    args = parser.parse_args()
    self_check()
    c = Corpus(args.out)
    files = sorted(glob.glob(os.path.join(VECTORS, "*.json")))
    if not files:
        sys.exit("no vectors in %s" % VECTORS)
    for path in files:
        with open(path, encoding="utf-8") as f:
            vectors = json.load(f)
        adapters = os.path.basename(path).startswith("adapters-")
        for case in vectors["cases"]:
            (from_adapter_vectors if adapters else from_core_vectors)(c, case)
        print("read %s (%d cases)" % (os.path.relpath(path, ROOT), len(vectors["cases"])))
    generated(c)
    duplicate_keys(c)
    key_loader_seeds(c)
    http_seeds(c)
    c.write()


if __name__ == "__main__":
    main()
