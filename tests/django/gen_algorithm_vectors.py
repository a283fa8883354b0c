#!/usr/bin/env python3
"""Generate vectors for the hashlib algorithms beyond SHA-1/SHA-2, from real Django.

    VENV/bin/python tests/django/gen_algorithm_vectors.py OUTDIR [--date YYYY-MM-DD]

Writes OUTDIR/algorithms-<major.minor>.json (Django 4.1 or newer) for md5, blake2b,
blake2s, sha3_224, sha3_256, sha3_384 and sha3_512: what Django's
Signer(algorithm=...), TimestampSigner(algorithm=...), sign_object and
salted_hmac(..., algorithm=...) return, and Django's own artifacts that take an
algorithm (PasswordResetTokenGenerator.algorithm; signed cookies and the messages
cookie through a SIGNING_BACKEND subclass that passes one). `signing.dumps` has no
algorithm argument (2.2 through 6.x); `TimestampSigner(salt="django.core.signing",
algorithm=...).sign_object` is what it would write, and is recorded instead.

Every expected value is what Django returned. time.time() is frozen per case, so
the cases are deterministic; the file also records the generation date (today in
UTC, or --date) and the Django and Python versions. It is json.dump(...,
indent=1, ensure_ascii=True) plus a newline. See tests/data/django/README.md.
"""

import argparse
import base64
import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import platform
import sys
import warnings
from unittest import mock

# The same keys as gen_vectors.py (copied: that file is not imported).
SECRET_KEY = "doc-example-secret-key-not-used-anywhere-else-0123456789"
FALLBACK_KEYS = [
    "fallback-one-retired-2024-Qw3rTy7uIoP1aSdFgHjKlZxCvBnM-0123456789",
    "fallback-two-retired-2023-\u00fcn\u00efc\u00f6d\u00e9-key-0p9o8i7u6y5t4r3e2w1q-zz",
]
# A non-UTF-8 bytes key, passed as Signer(key=...).
BYTES_KEY = b"\xff\x00" + bytes(range(1, 31)) + b"\xe9\x80signring"
T0 = 1600000000

ALGORITHMS = ["md5", "blake2b", "blake2s", "sha3_224", "sha3_256", "sha3_384", "sha3_512"]
DUMPS_SALT = "django.core.signing"

VALUES = [
    ("empty", ""),
    ("ascii", "hello"),
    ("unicode", "Zo\u00eb \u2603 \U0001d11e na\u00efve \u00e9t\u00e9"),
    ("contains the separator", "a:b:c:"),
    ("long", "".join("%d-\u00e9-" % i for i in range(150))),
]
SALTS = [None, "custom-salt", "s\u00e4lz\u2603"]
HMAC_SALTS = [
    "",
    "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash",
    "django.contrib.auth.tokens.PasswordResetTokenGenerator",
    "s\u00e4lz\u2603",
    "long-key-salt-" + "x" * 300,
]

import django  # noqa: E402
from django.conf import settings  # noqa: E402

V = django.VERSION[:2]


class ClockMisuse(BaseException):
    """time.time() was read in a case recorded with now = null."""


def _no_clock():
    raise ClockMisuse("time.time() read in a case recorded with now=null")


@contextlib.contextmanager
def clock(now):
    with mock.patch("time.time", _no_clock if now is None else (lambda: now)):
        yield


def err_name(exc):
    t = type(exc)
    if t.__module__ in ("builtins", "django.core.signing"):
        return t.__name__
    return "%s.%s" % (t.__module__, t.__qualname__)


def flip_one_bit(signed, sep, index):
    """`signed` with one bit of its signature's digest flipped (a different
    bit for each `index`), re-encoded as Django encodes signatures."""
    value, sig = signed.rsplit(sep, 1)
    digest = bytearray(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)))
    digest[index % len(digest)] ^= 1 << (index % 8)
    return value + sep + base64.urlsafe_b64encode(bytes(digest)).decode().rstrip("=")


# Signing backends that pass an algorithm, as a project would configure
# SIGNING_BACKEND to sign its cookies and messages with one.
def _backend(algorithm):
    from django.core.signing import TimestampSigner

    class Backend(TimestampSigner):
        def __init__(self, *args, **kwargs):
            kwargs["algorithm"] = algorithm
            super().__init__(*args, **kwargs)

    Backend.__name__ = Backend.__qualname__ = "TimestampSigner_" + algorithm
    Backend.__module__ = __name__
    return Backend


class Gen:
    def __init__(self):
        self.cases = []

    def add(self, case):
        self.cases.append(case)

    # ---------------------------------------------------------- signers
    def signer(self, cls, algorithm, key, salt, sep):
        from django.core import signing
        kw = {"algorithm": algorithm}
        if key is not None:
            kw["key"] = key
        if salt is not None:
            kw["salt"] = salt
        if sep is not None:
            kw["sep"] = sep
        return getattr(signing, cls)(**kw)

    def sign(self, cls, algorithm, value, salt=None, sep=None, key_index=0, bytes_key=False,
             now=None, note=""):
        from django.core.signing import BadSignature
        ring = [SECRET_KEY] + FALLBACK_KEYS
        key = BYTES_KEY if bytes_key else ring[key_index]
        with clock(now):
            signed = self.signer(cls, algorithm, key, salt, sep).sign(value)
            # Verified with the ring from settings (or the bytes key, which
            # keeps the settings fallbacks), as the reader would.
            reader = self.signer(cls, algorithm, BYTES_KEY if bytes_key else None, salt, sep)
            assert reader.unsign(signed) == value, "django cannot read its own value"
            tampered = flip_one_bit(signed, sep or ":", len(self.cases))
            assert tampered != signed
            try:
                reader.unsign(tampered)
                raise AssertionError("django accepted a flipped bit")
            except BadSignature as e:
                tampered_error = err_name(e)
        case = {
            "op": "sign", "signer": cls, "algorithm": algorithm, "salt": salt, "sep": sep,
            "value": value, "now": now, "signed_with": None if bytes_key else key_index,
        }
        if bytes_key:
            case["key_hex"] = BYTES_KEY.hex()
        case.update({"signed": signed, "tampered": tampered, "tampered_error": tampered_error})
        if note:
            case["note"] = note
        self.add(case)

    def sign_object(self, cls, algorithm, obj, compress, salt=None, now=None, note=""):
        with clock(now):
            s = self.signer(cls, algorithm, None, salt, None)
            signed = s.sign_object(obj, compress=compress)
            loaded = s.unsign_object(signed)
        assert loaded == obj
        case = {
            "op": "sign_object", "signer": cls, "algorithm": algorithm, "salt": salt,
            "compress": compress, "obj_json": json.dumps(obj), "now": now, "signed_with": 0,
            "signed": signed,
        }
        if note:
            case["note"] = note
        self.add(case)

    def salted_hmac(self, algorithm, key_salt, value, secret, note=""):
        from django.utils.crypto import salted_hmac
        with clock(None):
            mac = salted_hmac(key_salt, value, secret, algorithm=algorithm)
        assert mac.digest_size == hashlib.new(algorithm).digest_size
        case = {"op": "salted_hmac", "algorithm": algorithm, "key_salt": key_salt,
                "value": value}
        if isinstance(secret, bytes):
            case["secret_hex"] = secret.hex()
        else:
            case["secret"] = secret
        case["hexdigest"] = mac.hexdigest()
        if note:
            case["note"] = note
        self.add(case)

    # ---------------------------------------------------------- adapters
    def reset_token(self, algorithm, user, now):
        from django.contrib.auth.models import User
        from django.contrib.auth.tokens import PasswordResetTokenGenerator
        g = PasswordResetTokenGenerator()
        g.algorithm = algorithm
        u = User(id=user["pk"], password=user["password"], email=user["email"],
                 last_login=dt.datetime.fromisoformat(user["last_login"])
                 if user["last_login"] else None)
        with mock.patch.object(g, "_now", return_value=dt.datetime.fromisoformat(now)), \
                clock(None):
            token = g.make_token(u)
            assert g.check_token(u, token)
            ts, mac = token.split("-")
            bad = ts + "-" + mac[:-1] + ("0" if mac[-1] != "0" else "1")
            assert not g.check_token(u, bad)
        self.add({"op": "reset_token", "algorithm": algorithm, "user": user, "now": now,
                  "signed_with": 0, "token": token, "tampered": bad})

    @contextlib.contextmanager
    def backend(self, algorithm):
        from django.test import override_settings
        name = "TimestampSigner_" + algorithm
        globals()[name] = _backend(algorithm)
        with override_settings(SIGNING_BACKEND="%s.%s" % (__name__, name)):
            yield

    def cookie(self, algorithm, name, value, salt, now):
        from django.core.signing import BadSignature
        from django.http import HttpRequest, HttpResponse
        with self.backend(algorithm), clock(now):
            r = HttpResponse()
            r.set_signed_cookie(name, value, salt=salt)
            cookie_value = r.cookies[name].value
            req = HttpRequest()
            req.COOKIES[name] = cookie_value
            assert req.get_signed_cookie(name, salt=salt) == value
            tampered = flip_one_bit(cookie_value, ":", len(self.cases))
            req.COOKIES[name] = tampered
            try:
                req.get_signed_cookie(name, salt=salt)
                raise AssertionError("django accepted a flipped bit")
            except BadSignature:
                pass
        self.add({"op": "cookie_set", "algorithm": algorithm, "name": name, "salt": salt,
                  "value": value, "now": now, "signed_with": 0, "cookie_value": cookie_value,
                  "tampered": tampered})

    def messages(self, algorithm, messages, now):
        from django.contrib.messages.storage.base import Message
        from django.contrib.messages.storage.cookie import CookieStorage
        from django.http import HttpRequest
        with self.backend(algorithm), clock(now):
            storage = CookieStorage(HttpRequest())
            data = storage._encode([Message(m["level"], m["message"], m["extra_tags"])
                                    for m in messages])
            decoded = storage._decode(data)
            assert [(m.level, m.message) for m in decoded] == \
                [(m["level"], m["message"]) for m in messages]
            tampered = flip_one_bit(data, ":", len(self.cases))
            assert storage._decode(tampered) is None
        self.add({"op": "messages_encode", "algorithm": algorithm, "messages": messages,
                  "now": now, "signed_with": 0, "data": data, "tampered": tampered})

    # ---------------------------------------------------------- all
    def run(self):
        for alg in ALGORITHMS:
            for (what, value) in VALUES:
                for salt in SALTS:
                    self.sign("Signer", alg, value, salt=salt, note=what)
            self.sign("Signer", alg, "hello", key_index=1, note="signed with fallback 1")
            self.sign("Signer", alg, "hello", key_index=2, note="signed with fallback 2")
            self.sign("Signer", alg, "hello", bytes_key=True, note="non-UTF-8 bytes key")
            self.sign("Signer", alg, "a~b", sep="~", note="separator ~")
            for (what, value) in VALUES:
                self.sign("TimestampSigner", alg, value, now=T0, note=what)
            self.sign("TimestampSigner", alg, "hello", salt="custom-salt", now=T0 + 12345,
                      note="explicit salt")
            self.sign("TimestampSigner", alg, "hello", now=T0 + 0.75, note="fractional clock")
            self.sign("TimestampSigner", alg, "hello", key_index=1, now=T0,
                      note="signed with fallback 1")
            self.sign_object("TimestampSigner", alg, {"a": 1}, False, salt=DUMPS_SALT, now=T0,
                             note="what signing.dumps would write with this algorithm")
            self.sign_object("TimestampSigner", alg, list(range(30)), True, salt=DUMPS_SALT,
                             now=T0, note="compressed, as signing.dumps(compress=True)")
            self.sign_object("Signer", alg, {"k\u00e9y": ["v", 1.5, None, True]}, False,
                             salt="objects", note="Signer.sign_object")
            for key_salt in HMAC_SALTS:
                for (what, value) in VALUES[:3]:
                    self.salted_hmac(alg, key_salt, value, SECRET_KEY, note=what)
            self.salted_hmac(alg, "salt", VALUES[4][1], SECRET_KEY, note="long value")
            self.salted_hmac(alg, "salt", "hello", BYTES_KEY, note="non-UTF-8 bytes secret")
            self.salted_hmac(alg, "salt", "hello", "k" * 500, note="secret of 500 bytes")
            self.reset_token(alg, {"pk": 42, "password": "pbkdf2_sha256$600000$salt$hash",
                                   "last_login": "2026-01-02T03:04:05", "email": "zo\u00eb@example.com"},
                             "2026-03-04T05:06:07")
            self.reset_token(alg, {"pk": 7, "password": "!", "last_login": None, "email": ""},
                             "2026-03-04T05:06:07")
            self.cookie(alg, "name", "value", "", T0)
            self.cookie(alg, "prefs", "d\u00e9j\u00e0 vu", "cookie-salt", T0 + 99)
            self.messages(alg, [{"level": 20, "message": "Saved.", "extra_tags": None},
                                {"level": 40, "message": "Zo\u00eb \u2603", "extra_tags": "x y"}],
                          T0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir")
    ap.add_argument("--date", default=dt.datetime.now(dt.timezone.utc).date().isoformat(),
                    help="the generation date recorded in the file (default: today, UTC)")
    args = ap.parse_args()
    if V < (4, 1):
        ap.error("Django %s: the file assumes SECRET_KEY_FALLBACKS (4.1+)" % django.get_version())
    logging.disable(logging.CRITICAL)
    warnings.filterwarnings("ignore", category=RuntimeWarning, message=".*naive datetime")
    settings.configure(
        SECRET_KEY=SECRET_KEY,
        SECRET_KEY_FALLBACKS=list(FALLBACK_KEYS),
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth",
                        "django.contrib.messages"],
        USE_TZ=True,
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        LOGGING_CONFIG=None,
    )
    django.setup()

    g = Gen()
    g.run()
    doc = {
        "django": django.get_version(),
        "python": platform.python_version(),
        "generated": args.date,
        "generator": "tests/django/gen_algorithm_vectors.py",
        "hashlib": {a: {"digest_size": hashlib.new(a).digest_size,
                        "block_size": hashlib.new(a).block_size} for a in ALGORITHMS},
        "keys": {"current": SECRET_KEY, "fallbacks": list(FALLBACK_KEYS)},
        "cases": g.cases,
    }
    name = "algorithms-%d.%d.json" % V
    os.makedirs(args.outdir, exist_ok=True)
    path = os.path.join(args.outdir, name)
    with open(path, "w", encoding="ascii", newline="\n") as f:
        json.dump(doc, f, indent=1, ensure_ascii=True, sort_keys=False)
        f.write("\n")
    counts = {}
    for c in g.cases:
        counts[c["op"]] = counts.get(c["op"], 0) + 1
    print("%s: %d cases (%s)" % (path, len(g.cases),
                                 ", ".join("%s %d" % kv for kv in counts.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
