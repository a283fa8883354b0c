#!/usr/bin/env python3
"""Generate Django signing test vectors by running the installed Django.

    DIR/django-4.2/bin/python tests/django/gen_vectors.py OUTDIR
    DIR/django-3.2/bin/python tests/django/gen_vectors.py OUTDIR --default-hashing-algorithm sha1

Writes OUTDIR/django-<major.minor>[-<alg>].json. The output is deterministic:
time.time() is frozen per case, nothing depends on the environment, and the
file is json.dump(..., indent=1, ensure_ascii=True) plus a newline. Every
expected value in the file is what Django (or, for the zlib/b64 facts, the
Python runtime Django relies on) actually returned; none is written by hand.
See tests/data/django/README.md for the schema.
"""

import argparse
import contextlib
import json
import os
import sys
import warnings
import zlib
from unittest import mock

SECRET_KEY = "doc-example-secret-key-not-used-anywhere-else-0123456789"
FALLBACK_KEYS = [
    "fallback-one-retired-2024-Qw3rTy7uIoP1aSdFgHjKlZxCvBnM-0123456789",
    "fallback-two-retired-2023-\u00fcn\u00efc\u00f6d\u00e9-key-0p9o8i7u6y5t4r3e2w1q-zz",
]
# A key in no ring: values it signs must be rejected.
OTHER_KEY = "unrelated-key-in-no-ring-at-all-9876543210-abcdefghijklmnop"
# A non-UTF-8 bytes key, used as an explicit current key (key_hex cases).
BYTES_KEY = b"\xff\x00" + bytes(range(1, 31)) + b"\xe9\x80signring"
T0 = 1600000000  # b62 "1kHR5c", the spec's worked-example clock

assert all(len(k) >= 50 for k in [SECRET_KEY, OTHER_KEY] + FALLBACK_KEYS)

import django  # noqa: E402
from django.conf import settings  # noqa: E402

V = django.VERSION[:2]
HAS_ALGORITHM = V >= (3, 1)       # Signer(algorithm=...)
HAS_DHA = (3, 1) <= V < (4, 0)    # DEFAULT_HASHING_ALGORITHM + legacy sha1 acceptance
HAS_FALLBACKS = V >= (4, 1)       # SECRET_KEY_FALLBACKS / fallback_keys=
HAS_SIGN_OBJECT = V >= (3, 2)     # Signer.sign_object / unsign_object
ALGORITHMS = ["sha1", "sha224", "sha256", "sha384", "sha512"]

TS_SALT = "django.core.signing.TimestampSigner"
DUMPS_SALT = "django.core.signing"

# §13 worked examples (SECRET_KEY above, time.time() = 1600000000).
SPEC_SHA1 = {
    "Signer().sign('hello')": "hello:MslH53VvvHxACk32ND0Vai0uqlg",
    "TimestampSigner().sign('hello')": "hello:1kHR5c:HtI3lYwtUJTmxQ_yWbokpstRyo8",
    "dumps({'a': 1})": "eyJhIjoxfQ:1kHR5c:frgKd-yXXtMfYh7Ab2oZH_q1FDk",
    "dumps(list(range(30)), compress=True)":
        ".eJwNy8kNACEQA8GE-oHNXMSCNv80lm9JdRfCbIKkaIaDHgoZbRQoUaFGgw5e-B3jjQMnLtx48Pl-gH4Pug"
        ":1kHR5c:cKTwSlvKIggEpiOWrvY7qaJao9g",
    "signed_cookies session {'a': 1}": "eyJhIjoxfQ:1kHR5c:LVDU2kdzJln2xWa7I3hQk3qheMw",
    "set_signed_cookie('name', 'value')": "value:1kHR5c:2iQBZWedAJUnhV-X3RHe_XK_q2s",
}
SPEC_SHA256 = {
    "Signer().sign('hello')": "hello:esiZUAzOvXgS5j7ODtFQJLmMnwCZEmD2I0T5k40jYG8",
    "TimestampSigner().sign('hello')": "hello:1kHR5c:aMRrzr6bANWDtXY3HAeWgJcobDJ8paHVWqpOfg1YO-Y",
    "dumps({'a': 1})": "eyJhIjoxfQ:1kHR5c:xqJlJyiwrrULZIShPCalrQd94qE-JNfsH6uex_ETIZo",
    "dumps(list(range(30)), compress=True)":
        ".eJwNy8kNACEQA8GE-oHNXMSCNv80lm9JdRfCbIKkaIaDHgoZbRQoUaFGgw5e-B3jjQMnLtx48Pl-gH4Pug"
        ":1kHR5c:4IChT3ItwVSY12l3FRYIY0Js3RuZr15ymJ0_ZSzOsRw",
    "db session {'a': 1}": "eyJhIjoxfQ:1kHR5c:J7IJ7Jd8RbJSZ0QqIeW5ddv6IGcddZoQuEUVxRvttuc",
    "signed_cookies session {'a': 1}":
        "eyJhIjoxfQ:1kHR5c:K0Rz4jmlZz-STty4JFwsxZzW6CLF-FS0r349TDSz5qA",
}
SPEC_COOKIE_SHA256_LEGACY_SALT = "value:1kHR5c:fboG88cLKccMVJsVafFLI6UQGtcNinhcbd3aQeMMAXc"
SPEC_COOKIE_SHA256_V2_SALT = "value:1kHR5c:2CC_8P5Qbfg5Dksx7fKuzqY_FN8Wk6quoyn0ksvr5FQ"


# odd payloads also checked through Signer.unsign_object (3.2+)
SIGN_OBJECT_PAYLOADS = {
    "b64 with == padding", "standard alphabet +/", "garbage ! inside, unpadded length 0 mod 4",
    "length 1 mod 4", "raw UTF-8 JSON (mojibake)", "Latin-1 byte in JSON", "empty payload",
    "compression marker only", "compressed", "compressed with trailing garbage",
    "compressed, truncated", "invalid zlib", "invalid JSON",
}


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
    if t.__module__ in ("builtins", "django.core.signing", "json.decoder"):
        return t.__name__
    return "%s.%s" % (t.__module__, t.__qualname__)


class Made:
    """A signed input and how it was produced (key index, algorithm)."""

    def __init__(self, text, alg, index):
        self.text, self.alg, self.index = text, alg, index


def session_like_dict():
    """A deterministic ~20 KB dict shaped like a busy session."""
    d = {
        "_auth_user_id": "4242",
        "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
        "_auth_user_hash": "9c1185a5c5e9fc54612808977ee8f548b2258d31f0a4f1b3e5c0d4e5c7c1e2f3",
        "_session_expiry": 1209600,
        "_messages": '[["__json_message", 0, 20, "Welcome back, Zo\u00eb!", ""]]',
        "prefs": {"lang": "fr", "tz": "Europe/Paris", "dark": True, "ratio": 0.75},
        "cart": [],
    }
    i = 0
    while len(json.dumps(d, separators=(",", ":"))) < 20000:
        d["cart"].append({
            "sku": "SKU-%05d" % i,
            "qty": i % 7 + 1,
            "price": (i * 137 % 10000) / 100,
            "title": "Item n\u00ba %d \u2013 \u00fcn\u00efc\u00f8d\u00e9 \U0001F600" % i,
            "tags": ["gift", "sale"] if i % 2 else [],
            "meta": None if i % 3 else {"id": i, "ok": i % 5 == 0},
        })
        i += 1
    return d


class Gen:
    def __init__(self, dha):
        from django.core import signing
        self.signing = signing
        self.dha = dha
        self.cases = []
        self.spec_failures = []
        self.spec_checked = 0

    # ------------------------------------------------------------ helpers
    def default_alg(self):
        if not HAS_ALGORITHM:
            return "sha1"
        if HAS_DHA:
            return settings.DEFAULT_HASHING_ALGORITHM
        return "sha256"

    def add(self, case, key_hex=None, note=None):
        if key_hex is not None:
            case["key_hex"] = key_hex
        if note:
            case["note"] = note
        self.cases.append(case)
        return case

    def make_signer(self, kind, salt=None, sep=None, algorithm=None, key=None,
                    fallback_keys=None):
        cls = {"Signer": self.signing.Signer,
               "TimestampSigner": self.signing.TimestampSigner}[kind]
        kw = {}
        if key is not None:
            kw["key"] = key
        if sep is not None:
            kw["sep"] = sep
        if salt is not None:
            kw["salt"] = salt
        if algorithm is not None:
            assert HAS_ALGORITHM, "algorithm= on Django %s" % django.get_version()
            kw["algorithm"] = algorithm
        if fallback_keys is not None and HAS_FALLBACKS:
            kw["fallback_keys"] = fallback_keys
        return cls(**kw)

    @staticmethod
    def key_for(index, key_hex=None):
        """Django key argument for ring index (None = settings.SECRET_KEY)."""
        if index == "other":
            return OTHER_KEY
        if index == 0:
            return bytes.fromhex(key_hex) if key_hex else None
        return FALLBACK_KEYS[index - 1]

    def spec(self, name, got):
        table = SPEC_SHA1 if self.default_alg() == "sha1" else SPEC_SHA256
        if name.startswith("set_signed_cookie") and self.default_alg() != "sha1":
            want = (SPEC_COOKIE_SHA256_V2_SALT if hasattr(self.signing, "_cookie_signer_salt")
                    else SPEC_COOKIE_SHA256_LEGACY_SALT)
        elif name in table:
            want = table[name]
        else:
            return
        self.spec_checked += 1
        if got != want:
            self.spec_failures.append((name, want, got))

    # ------------------------------------------------------------ case kinds
    def sign(self, kind, value, salt=None, sep=None, algorithm=None, now=None,
             key_index=0, key_hex=None, note=None, record=True):
        if kind == "Signer":
            now = None
        elif now is None:
            now = T0
        key = self.key_for(key_index, key_hex)
        with clock(now):
            signed = self.make_signer(kind, salt, sep, algorithm, key=key,
                                      fallback_keys=[]).sign(value)
        if record:
            assert key_index != "other"
            self.add({"op": "sign", "signer": kind, "salt": salt, "sep": sep,
                      "algorithm": algorithm, "value": value, "now": now,
                      "signed_with": key_index, "signed": signed}, key_hex, note)
        return Made(signed, algorithm or self.default_alg(),
                    None if key_index == "other" else key_index)

    def unsign(self, kind, inp, salt=None, sep=None, algorithm=None, max_age=None,
               now=None, made=None, key_hex=None, note=None, signed_with="auto"):
        if isinstance(inp, Made):
            made, inp = inp, inp.text
        if kind == "Signer":
            assert max_age is None
            now = None
        elif now is None:
            now = T0
        if signed_with == "auto":
            signed_with = made.index if made else None
        s = self.make_signer(kind, salt, sep, algorithm,
                             key=bytes.fromhex(key_hex) if key_hex else None)
        with clock(now):
            try:
                if kind == "Signer":
                    value = s.unsign(inp)
                else:
                    value = s.unsign(inp, max_age=max_age)
            except Exception as e:  # noqa: BLE001 - recording Django's verdict
                result = {"ok": False, "error": err_name(e)}
            else:
                if made is None or made.alg is None or signed_with is None:
                    raise RuntimeError("input with unknown origin verified: %r (%s)" % (inp, note))
                result = {"ok": True, "value": value, "algorithm": made.alg}
        return self.add({"op": "unsign", "signer": kind, "salt": salt, "sep": sep,
                         "algorithm": algorithm, "input": inp, "max_age": max_age,
                         "now": now, "signed_with": signed_with, "result": result},
                        key_hex, note)

    def dumps(self, kind, obj, salt=None, sep=None, algorithm=None, compress=False,
              now=None, key_index=0, key_hex=None, note=None, record=True):
        if kind == "Signer":
            now = None
        elif now is None:
            now = T0
        key = self.key_for(key_index, key_hex)
        with clock(now):
            if kind is None:
                assert sep is None and algorithm is None
                kw = {"compress": compress}
                if key is not None:
                    kw["key"] = key
                if salt is not None:
                    kw["salt"] = salt
                signed = self.signing.dumps(obj, **kw)
            else:
                assert HAS_SIGN_OBJECT
                signed = self.make_signer(kind, salt, sep, algorithm, key=key,
                                          fallback_keys=[]).sign_object(obj, compress=compress)
        if record:
            assert key_index != "other"
            self.add({"op": "dumps", "signer": kind, "salt": salt, "sep": sep,
                      "algorithm": algorithm, "compress": compress,
                      "obj_json": json.dumps(obj), "now": now,
                      "signed_with": key_index, "signed": signed}, key_hex, note)
        return Made(signed, algorithm or self.default_alg(),
                    None if key_index == "other" else key_index)

    def loads(self, kind, inp, salt=None, sep=None, algorithm=None, max_age=None,
              now=None, made=None, key_hex=None, note=None, signed_with="auto"):
        if isinstance(inp, Made):
            made, inp = inp, inp.text
        if kind == "Signer":
            assert max_age is None
            now = None
        elif now is None:
            now = T0
        if signed_with == "auto":
            signed_with = made.index if made else None
        key = bytes.fromhex(key_hex) if key_hex else None
        if kind is not None:
            assert HAS_SIGN_OBJECT
            s = self.make_signer(kind, salt, sep, algorithm, key=key)
        with clock(now):
            try:
                if kind is None:
                    assert sep is None and algorithm is None
                    kw = {"max_age": max_age}
                    if key is not None:
                        kw["key"] = key
                    if salt is not None:
                        kw["salt"] = salt
                    obj = self.signing.loads(inp, **kw)
                elif kind == "Signer":
                    obj = s.unsign_object(inp)
                else:
                    obj = s.unsign_object(inp, max_age=max_age)
            except Exception as e:  # noqa: BLE001
                result = {"ok": False, "error": err_name(e)}
            else:
                if made is None or made.alg is None or signed_with is None:
                    raise RuntimeError("input with unknown origin verified: %r (%s)" % (inp, note))
                result = {"ok": True, "obj_json": json.dumps(obj), "algorithm": made.alg}
        return self.add({"op": "loads", "signer": kind, "salt": salt, "sep": sep,
                         "algorithm": algorithm, "input": inp, "max_age": max_age,
                         "now": now, "signed_with": signed_with, "result": result},
                        key_hex, note)

    # ------------------------------------------------------------ groups
    def gen_spec_examples(self):
        s = self.sign("Signer", "hello", note="spec 13 worked example")
        self.spec("Signer().sign('hello')", s.text)
        s = self.sign("TimestampSigner", "hello", now=T0, note="spec 13 worked example")
        self.spec("TimestampSigner().sign('hello')", s.text)
        d = self.dumps(None, {"a": 1}, now=T0, note="spec 13 worked example")
        self.spec("dumps({'a': 1})", d.text)
        d = self.dumps(None, list(range(30)), compress=True, now=T0,
                       note="spec 13 worked example")
        self.spec("dumps(list(range(30)), compress=True)", d.text)
        d = self.dumps(None, {"a": 1}, salt="django.contrib.sessions.SessionStore",
                       compress=True, now=T0, note="db/file/cache session data (spec 7.2)")
        self.spec("db session {'a': 1}", d.text)
        d = self.dumps(None, {"a": 1}, salt="django.contrib.sessions.backends.signed_cookies",
                       compress=True, now=T0, note="signed_cookies session (spec 7.5)")
        self.spec("signed_cookies session {'a': 1}", d.text)
        # set_signed_cookie through a real HttpResponse.
        from django.http import HttpResponse
        with clock(T0):
            resp = HttpResponse()
            resp.set_signed_cookie("name", "value")
        got = resp.cookies["name"].value
        if hasattr(self.signing, "_cookie_signer_salt"):
            salt = self.signing._cookie_signer_salt("name", "")
        else:
            salt = "name"
        key_hex = (b"django.http.cookies" + SECRET_KEY.encode()).hex()
        s = self.sign("TimestampSigner", "value", salt=salt, now=T0, key_hex=key_hex,
                      note="set_signed_cookie('name', 'value'): cookie signer key")
        if s.text != got:
            self.spec_failures.append(("set_signed_cookie reproduced by TimestampSigner",
                                       got, s.text))
        self.spec("set_signed_cookie('name', 'value')", got)

    def gen_signers(self):
        values = ["hello", "", "h\u00e9llo w\u00f6rld", "\u4e2d\u6587\u5b57\u7b26",
                  "emoji \U0001F600", "a:b:c", "ends with sep:", ":", "slash/tilde~",
                  "-starts-with-dash", "--", "line\nbreak\ttab", "  spaced  ",
                  "x" * 300]
        salts = [None, "my.salt", "", "s\u00e4lz-\u00fc-\U0001F600"]
        seps = [":", "/", "~", "\u00e9", "a:"]
        algs = [None] + (ALGORITHMS if HAS_ALGORITHM else [])
        for kind in ["Signer", "TimestampSigner"]:
            for v in values:
                m = self.sign(kind, v)
                self.unsign(kind, m)
            for salt in salts[1:]:
                m = self.sign(kind, "hello", salt=salt)
                self.unsign(kind, m, salt=salt)
            # "" salt means the default salt, so default-signed values verify.
            m = self.sign(kind, "salt check")
            self.unsign(kind, m, salt="", note="explicit empty salt = default salt")
            self.unsign(kind, m, salt="my.salt", note="wrong salt")
            m = self.sign(kind, "salt check", salt="my.salt")
            self.unsign(kind, m, note="signed with salt, verified with default salt")
            for sep in seps:
                for v in ["hello", "h\u00e9llo%sv\u00e4lue%s" % (sep, sep), ""]:
                    m = self.sign(kind, v, sep=sep)
                    self.unsign(kind, m, sep=sep)
                m = self.sign(kind, "hello", sep=sep)
                self.unsign(kind, m, note="custom-sep value verified with default sep")
            for alg in algs[1:]:
                for v in ["hello", "\U0001F600 \u00e9"]:
                    m = self.sign(kind, v, algorithm=alg)
                    self.unsign(kind, m, algorithm=alg)
                m = self.sign(kind, "alg", algorithm=alg)
                # default-algorithm verifier: only matches if alg is the default
                # (or, on 3.1/3.2, sha1 via the legacy acceptance)
                self.unsign(kind, m, note="signed with %s, verified with default algorithm" % alg)
            if HAS_ALGORITHM:
                m = self.sign(kind, "\u00e9\u00e9:\u00e9", salt="s\u00e4lz-\u00fc-\U0001F600",
                              sep="\u00e9", algorithm="sha512")
                self.unsign(kind, m, salt="s\u00e4lz-\u00fc-\U0001F600", sep="\u00e9",
                            algorithm="sha512")
            # explicit bytes key (non-UTF-8)
            kh = BYTES_KEY.hex()
            m = self.sign(kind, "bytes key", key_hex=kh)
            self.unsign(kind, m, key_hex=kh)
            self.unsign(kind, m, signed_with=None,
                        note="bytes-key value verified with SECRET_KEY: key not in ring")
            m = self.sign(kind, "secret key")
            self.unsign(kind, m, key_hex=kh, signed_with=None,
                        note="SECRET_KEY value verified by Signer(key=bytes): SECRET_KEY not in ring")
            # a key in no ring
            m = self.sign(kind, "hello", key_index="other", record=False)
            self.unsign(kind, m, note="signed with a key in no ring")

    def gen_fallbacks(self):
        if not HAS_ALGORITHM:  # 2.2: no fallbacks, no algorithm
            return
        for kind in ["Signer", "TimestampSigner"]:
            for i in (1, 2):
                m = self.sign(kind, "rotated %d" % i, key_index=i)
                self.unsign(kind, m, note="fallback-signed")
                m = self.sign(kind, "rotated \u00e9 %d" % i, salt="my.salt", sep="/",
                              algorithm="sha512", key_index=i)
                self.unsign(kind, m, salt="my.salt", sep="/", algorithm="sha512",
                            note="fallback-signed, sha512")
                self.unsign(kind, m, salt="my.salt", sep="/",
                            note="fallback-signed sha512, default-algorithm verifier")
                m = self.sign(kind, "rotated sha1 %d" % i, algorithm="sha1", key_index=i)
                self.unsign(kind, m, note="fallback-signed with sha1, default verifier"
                            " (3.x legacy sha1 uses only the main key)")
                self.unsign(kind, m, algorithm="sha1", note="fallback-signed sha1, sha1 verifier")
            # explicit key keeps the settings fallbacks
            fb1 = FALLBACK_KEYS[0].encode().hex()
            m = self.sign(kind, "by fb2", key_index=2)
            self.unsign(kind, m, key_hex=fb1, note="Signer(key=fallback1) verifying a fallback2 value:"
                        " explicit key keeps SECRET_KEY_FALLBACKS")
            m = self.sign(kind, "by fb1", key_index=1)
            self.unsign(kind, m, key_hex=fb1, signed_with=0, note="Signer(key=fallback1)")
            m = self.sign(kind, "by current")
            self.unsign(kind, m, key_hex=fb1, signed_with=None,
                        note="Signer(key=fallback1) verifying a SECRET_KEY value: not in its ring")
            kh = BYTES_KEY.hex()
            m = self.sign(kind, "by fb1", key_index=1)
            self.unsign(kind, m, key_hex=kh, signed_with=1,
                        note="Signer(key=bytes) verifying a fallback1 value")

    def gen_legacy_sha1(self):
        if not HAS_ALGORITHM:
            return
        default = self.default_alg()
        for kind in ["Signer", "TimestampSigner"]:
            m = self.sign(kind, "legacy", algorithm="sha1")
            self.unsign(kind, m, note="sha1 value, default verifier (legacy acceptance on 3.1/3.2)")
            self.unsign(kind, m, algorithm="sha256", note="sha1 value, sha256 verifier")
            self.unsign(kind, m, algorithm="sha512", note="sha1 value, sha512 verifier")
            m = self.sign(kind, "modern", algorithm="sha256")
            self.unsign(kind, m, note="sha256 value, default verifier (default=%s)" % default)
            self.unsign(kind, m, algorithm="sha1", note="sha256 value, sha1 verifier")
            m = self.sign(kind, "legacy bytes key", algorithm="sha1", key_hex=BYTES_KEY.hex())
            self.unsign(kind, m, key_hex=BYTES_KEY.hex(), algorithm="sha384",
                        note="sha1 value with explicit key, sha384 verifier")
        if HAS_SIGN_OBJECT:
            m = self.dumps("TimestampSigner", {"legacy": True}, salt=DUMPS_SALT,
                           algorithm="sha1", note="dumps-format value made with sha1")
            self.loads(None, m, note="sha1 dumps value, signing.loads")
            m = self.dumps("TimestampSigner", {"modern": True}, salt=DUMPS_SALT,
                           algorithm="sha256", note="dumps-format value made with sha256")
            self.loads(None, m, note="sha256 dumps value, signing.loads (default=%s)" % default)
            m = self.dumps("TimestampSigner", {"a": 1}, salt=DUMPS_SALT,
                           algorithm="sha512")
            self.loads(None, m, note="sha512 dumps value, signing.loads")

    def tampered(self, text, sep):
        value, sig = text.rsplit(sep, 1)
        i = next(k for k, ch in enumerate(sig) if ch.isalpha())
        flipped = sig[:i] + sig[i].swapcase() + sig[i + 1:]
        c = sig[len(sig) // 2]
        changed = sig[:len(sig) // 2] + ("A" if c != "A" else "B") + sig[len(sig) // 2 + 1:]
        vchanged = (value[:-1] + ("x" if value[-1:] != "x" else "y")) if value else "x"
        return [
            ("signature char changed", value + sep + changed),
            ("signature case flipped", value + sep + flipped),
            ("char appended", text + "A"),
            ("char prepended", "A" + text),
            ("last char truncated", text[:-1]),
            ("separator dropped", value + sig),
            ("value changed", vchanged + sep + sig),
            ("signature with = padding", text + "="),
            ("trailing newline", text + "\n"),
            ("leading space", " " + text),
            ("signature only", sep + sig),
            ("value only", value),
            ("empty input", ""),
            ("signature doubled", text + sep + sig),
        ]

    def gen_tampered(self):
        for kind in ["Signer", "TimestampSigner"]:
            for sep, v in [(None, "hello"), ("/", "h\u00e9llo/world"), ("a:", "va:lue")]:
                m = self.sign(kind, v, sep=sep)
                for what, t in self.tampered(m.text, sep or ":"):
                    self.unsign(kind, t, sep=sep, note="tampered: " + what)
        m = self.dumps(None, {"a": [1, 2, 3]})
        for what, t in self.tampered(m.text, ":"):
            self.loads(None, t, note="tampered: " + what)
        m = self.dumps(None, list(range(30)), compress=True)
        for what, t in self.tampered(m.text, ":"):
            self.loads(None, t, note="tampered: " + what)
        self.loads(None, m.text[1:], note="tampered: compression marker dropped")
        if HAS_SIGN_OBJECT:
            m = self.dumps("Signer", {"a": 1})
            for what, t in self.tampered(m.text, ":"):
                self.loads("Signer", t, note="tampered: " + what)
        # a Signer value handed to a TimestampSigner and the reverse
        m = self.sign("Signer", "hello", salt="shared")
        self.unsign("TimestampSigner", m, salt="shared",
                    note="plain Signer value (no timestamp) given to TimestampSigner")
        m = self.sign("TimestampSigner", "hello", salt="shared")
        self.unsign("Signer", m, salt="shared",
                    note="TimestampSigner value given to plain Signer (same salt): returns value+sep+ts")
        m = self.sign("TimestampSigner", "hello")
        self.unsign("Signer", m, note="TimestampSigner value, plain Signer with its own default salt")

    def gen_expiry(self):
        ts = "TimestampSigner"
        m = self.sign(ts, "expiring", now=T0)
        self.unsign(ts, m, max_age=None, now=T0 + 10 ** 6, note="no max_age: never expires")
        self.unsign(ts, m, max_age=100, now=T0 + 100, note="age == max_age")
        self.unsign(ts, m, max_age=100, now=T0 + 100.5, note="age just over max_age")
        self.unsign(ts, m, max_age=100, now=T0 + 100.000001, note="age over by 1us")
        self.unsign(ts, m, max_age=100, now=T0 + 101)
        self.unsign(ts, m, max_age=99.5, now=T0 + 100, note="fractional max_age")
        self.unsign(ts, m, max_age=100.25, now=T0 + 100.25, note="fractional age == max_age")
        self.unsign(ts, m, max_age=0, now=T0, note="max_age 0, same instant")
        self.unsign(ts, m, max_age=0, now=T0 + 0.25, note="max_age 0, fractional now")
        self.unsign(ts, m, max_age=-1, now=T0, note="negative max_age")
        self.unsign(ts, m, max_age=10 ** 10, now=T0 + 10 ** 9)
        m = self.sign(ts, "signed late in the second", now=T0 + 0.75)
        self.unsign(ts, m, max_age=0, now=T0 + 0.75,
                    note="ts truncated to whole second: age 0.75 > max_age 0")
        self.unsign(ts, m, max_age=1, now=T0 + 1, note="age 1.0 == max_age 1")
        self.unsign(ts, m, max_age=1, now=T0 + 1.5)
        m = self.sign(ts, "future", now=T0 + 3600)
        self.unsign(ts, m, max_age=10, now=T0, note="future timestamp accepted")
        self.unsign(ts, m, max_age=0, now=T0, note="future timestamp, max_age 0")
        self.unsign(ts, m, max_age=-1, now=T0, note="future timestamp, negative max_age")
        self.unsign(ts, m, max_age=-3600, now=T0, note="age -3600 == max_age -3600")
        self.unsign(ts, m, max_age=-3601, now=T0, note="age -3600 > max_age -3601")
        m = self.sign(ts, "expiring", now=T0)
        bad = m.text[:-1] + ("A" if m.text[-1] != "A" else "B")
        self.unsign(ts, bad, max_age=10, now=T0 + 1000,
                    note="bad signature and expired: BadSignature wins")
        m = self.sign(ts, "custom sep expiry", sep="~", salt="x", now=T0)
        self.unsign(ts, m, sep="~", salt="x", max_age=5, now=T0 + 5)
        self.unsign(ts, m, sep="~", salt="x", max_age=5, now=T0 + 6)
        if HAS_ALGORITHM:
            m = self.sign(ts, "fallback expiry", key_index=1, now=T0)
            self.unsign(ts, m, max_age=60, now=T0 + 30, note="fallback-signed, fresh")
            self.unsign(ts, m, max_age=60, now=T0 + 61, note="fallback-signed, expired")
            m = self.sign(ts, "sha1 expiry", algorithm="sha1", now=T0)
            self.unsign(ts, m, max_age=60, now=T0 + 61, note="sha1-signed, expired")
            self.unsign(ts, m, max_age=60, now=T0 + 59, note="sha1-signed, fresh")
        # loads
        m = self.dumps(None, {"exp": True}, now=T0)
        self.loads(None, m, max_age=100, now=T0 + 100, note="age == max_age")
        self.loads(None, m, max_age=100, now=T0 + 100.5, note="age just over max_age")
        self.loads(None, m, max_age=0, now=T0 + 0.001, note="max_age 0, fractional now")
        self.loads(None, m, max_age=0, now=T0, note="max_age 0, same instant")
        self.loads(None, m, max_age=-1, now=T0, note="negative max_age")
        self.loads(None, m, max_age=None, now=T0 + 10 ** 8)
        bad = m.text[:-1] + ("A" if m.text[-1] != "A" else "B")
        self.loads(None, bad, max_age=10, now=T0 + 1000,
                   note="bad signature and expired: BadSignature wins")
        m = self.dumps(None, {"future": True}, now=T0 + 86400)
        self.loads(None, m, max_age=1, now=T0, note="future timestamp accepted")
        if HAS_SIGN_OBJECT:
            m = self.dumps("TimestampSigner", [1, 2], salt="obj", sep="/", now=T0)
            self.loads("TimestampSigner", m, salt="obj", sep="/", max_age=30, now=T0 + 30)
            self.loads("TimestampSigner", m, salt="obj", sep="/", max_age=30, now=T0 + 31)
        if HAS_ALGORITHM:
            m = self.dumps(None, {"fb": 2}, key_index=2, now=T0)
            self.loads(None, m, max_age=10, now=T0 + 5, note="fallback-signed, fresh")
            self.loads(None, m, max_age=10, now=T0 + 11, note="fallback-signed, expired")

    def gen_malformed_timestamps(self):
        ts = "TimestampSigner"
        inner = [
            ("value:!!", "timestamp not base62"),
            ("novalue", "no separator before the timestamp"),
            ("value:", "empty timestamp"),
            (":", "empty value and timestamp"),
            ("value:-", "timestamp '-'"),
            ("value:-1", "negative timestamp"),
            ("value:00001kHR5c", "leading zeros"),
            ("value:1kHR5c ", "trailing space"),
            ("value: 1kHR5c", "leading space"),
            ("value:\u00e9", "non-ASCII timestamp"),
            ("value:1.5", "dot in timestamp"),
            ("value:+1kHR5c", "plus sign"),
            ("value:--1", "double minus"),
            ("a:b:1kHR5c", "separator inside value"),
            ("value:zzzzzzzzzzzzzz", "huge timestamp"),
        ]
        for text, what in inner:
            m = self.sign("Signer", text, salt=TS_SALT, record=False)
            self.unsign(ts, m, note="valid signature, %s" % what)
            self.unsign(ts, m, max_age=100, now=T0, note="valid signature, %s, max_age" % what)
        m = self.sign("Signer", "value~!!", salt=TS_SALT, sep="~", record=False)
        self.unsign(ts, m, sep="~", note="valid signature, timestamp not base62, sep ~")
        m = self.sign("Signer", "value:1kHR5c", salt=TS_SALT, sep="~", record=False)
        self.unsign(ts, m, sep="~", note="valid signature, no inner ~ separator")
        # dumps/loads format
        for text, what in [("eyJhIjoxfQ:!!", "timestamp not base62"),
                           ("eyJhIjoxfQ", "no timestamp"),
                           ("eyJhIjoxfQ:", "empty timestamp"),
                           ("eyJhIjoxfQ:-", "timestamp '-'")]:
            m = self.sign("Signer", text, salt=DUMPS_SALT, record=False)
            self.loads(None, m, note="valid signature, %s" % what)
            self.loads(None, m, max_age=1, now=T0, note="valid signature, %s, max_age 1" % what)

    def objects(self):
        nan, inf = float("nan"), float("inf")
        return [
            ("small dict", {"a": 1}),
            ("string", "hello"),
            ("empty string", ""),
            ("zero", 0),
            ("negative int", -42),
            ("true", True),
            ("null", None),
            ("empty list", []),
            ("empty dict", {}),
            ("non-ASCII", {"\u00e9": "\u00fc", "\u4e2d": "\u6587", "emoji": "\U0001F600"}),
            ("range 30", list(range(30))),
            ("nested", {"list": [1, [2, [3, {"x": None}]]], "dict": {"a": {"b": {"c": []}}},
                        "bools": [True, False], "s": "v"}),
            ("floats", [1.5, 3.0, 1e16, 1e-05, 0.0001, -0.0, 1.2345678901234568e+17,
                        nan, inf, -inf, 1e22, 5e-324, 0.1, 1e15, 123456.789, 2.5e-7]),
            ("big ints", [2 ** 63, 2 ** 64, -(2 ** 63), 2 ** 63 - 1, 10 ** 30]),
            ("control chars", "\x00\x01\x07\x08\t\n\x0b\x0c\r\x1b\x1f\x7f\x80\x9f\xa0"
                              " \"quote\" \\back/slash <tag> & 'apos'"),
            ("U+007F alone", "\x7f"),
            ("special unicode", "\u2028\u2029\ufeff\uffff\U0010ffff"),
            ("non-string keys", {2: "int", True: "true", None: "none", 1.5: "float",
                                 False: "false", "s": "str"}),
            ("key order", {"z": 1, "a": 2, "m": 3}),
            ("separator chars", "a:b/c~d.e"),
        ]

    def gen_objects(self):
        objs = self.objects()
        for what, obj in objs:
            for compress in (False, True):
                m = self.dumps(None, obj, compress=compress, note=what)
                self.loads(None, m, note=what)
        for what, obj in objs:
            self.add({"op": "json", "obj_json": json.dumps(obj),
                      "django_json": self.signing.JSONSerializer().dumps(obj).decode("latin-1")},
                     note=what)
        for what, obj in [
            ("duplicate keys after key conversion", {1: "int one", "1": "string one"}),
            ("lone surrogate", "\ud800x"),
            ("float repr edge", [1e16 - 2, 9007199254740993, 0.30000000000000004, 1e-4, 9.999e-5]),
        ]:
            self.add({"op": "json", "obj_json": json.dumps(obj),
                      "django_json": self.signing.JSONSerializer().dumps(obj).decode("latin-1")},
                     note=what)

        # compression threshold: saves exactly 1 byte (not compressed) / exactly 2 (compressed)
        def find(saving):
            for n in range(1, 400):
                for obj in ("x" * n, [0] * n, "ab" * n):
                    data = self.signing.JSONSerializer().dumps(obj)
                    if len(data) - len(zlib.compress(data)) == saving:
                        return obj
            raise RuntimeError("no object saving %d bytes" % saving)
        for saving in (0, 1, 2, 3):
            obj = find(saving)
            m = self.dumps(None, obj, compress=True,
                           note="zlib saves exactly %d byte(s)" % saving)
            self.loads(None, m)
        big = session_like_dict()
        for compress in (False, True):
            m = self.dumps(None, big, salt="django.contrib.sessions.SessionStore",
                           compress=compress, note="~20 KB session-like dict")
            self.loads(None, m, salt="django.contrib.sessions.SessionStore")

        # salts for dumps
        for salt in ["", "my.salt", "s\u00e4lz-\u00fc-\U0001F600", TS_SALT]:
            m = self.dumps(None, {"salt": salt}, salt=salt)
            self.loads(None, m, salt=salt)
            self.loads(None, m, note="default dumps salt")
        m = self.dumps(None, {"salt": ""}, salt="")
        self.loads(None, m, salt=TS_SALT,
                   note="dumps(salt='') is TimestampSigner's default salt")
        m = self.dumps(None, {"k": "bytes"}, key_hex=BYTES_KEY.hex())
        self.loads(None, m, key_hex=BYTES_KEY.hex())
        self.loads(None, m, signed_with=None,
                   note="bytes-key value, SECRET_KEY verifier: key not in ring")

        if HAS_ALGORITHM:
            for i in (1, 2):
                m = self.dumps(None, {"fallback": i, "s": "\u00e9"}, compress=True, key_index=i)
                self.loads(None, m, note="fallback-signed dumps")

        if HAS_SIGN_OBJECT:
            for kind in ["Signer", "TimestampSigner"]:
                for what, obj in [("small dict", {"a": 1}), ("range 30", list(range(30))),
                                  ("non-ASCII", {"\u00e9": "\U0001F600"}),
                                  ("floats", [1.5, float("nan"), -0.0, 1e22])]:
                    for compress in (False, True):
                        m = self.dumps(kind, obj, compress=compress, note=what)
                        self.loads(kind, m)
                for salt, sep, alg in [("my.salt", None, None), (None, "/", None),
                                       (None, None, "sha512"), ("", "~", "sha1"),
                                       ("s\u00e4lz", "\u00e9", "sha384"), (None, "a:", None)]:
                    m = self.dumps(kind, {"x": [1, "\u00e9"]}, salt=salt, sep=sep,
                                   algorithm=alg, compress=True)
                    self.loads(kind, m, salt=salt, sep=sep, algorithm=alg)
                m = self.dumps(kind, {"fb": 1}, key_index=1)
                self.loads(kind, m, note="fallback-signed sign_object")
                m = self.dumps(kind, {"a": 1})
                self.loads(kind, m, salt="other", note="wrong salt")
            m = self.dumps("Signer", {"a": 1})
            self.loads(None, m, note="Signer.sign_object value given to signing.loads")
            m = self.dumps(None, {"a": 1})
            self.loads("Signer", m, salt=DUMPS_SALT,
                       note="dumps value given to Signer(salt='django.core.signing').unsign_object:"
                            " payload is 'b64:ts'")

    def gen_odd_payloads(self):
        """Validly signed dumps-format values whose payload is odd."""
        import base64

        def b64u(b):
            return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

        def std_alphabet_obj():
            for s in ["?>~", "\u00ff\u00fe", "~~~~", "???>>>", ">?>?"]:
                t = b64u(json.dumps(s).encode())
                if "-" in t or "_" in t:
                    return s
            raise RuntimeError("no payload with - or _")
        stdobj = std_alphabet_obj()
        stdpay = b64u(json.dumps(stdobj).encode())
        json_a = b'{"a":1}'        # 7 bytes: b64u has 10 chars (needs "==")
        json_q = b'[1,2,3,4]'      # 9 bytes: b64u has 12 chars (no padding)
        z = zlib.compress(json_a)
        zbig = zlib.compress(json.dumps(list(range(30)), separators=(",", ":")).encode())
        payloads = [
            ("b64 with == padding", b64u(json_a) + "=="),
            ("b64 with one =", b64u(b'{"a":12}') + "="),
            ("b64 with too much padding", b64u(json_a) + "===="),
            ("standard alphabet +/", stdpay.replace("-", "+").replace("_", "/")),
            ("url-safe alphabet (reference)", stdpay),
            ("garbage char ! inside (changes the padding count)",
             b64u(json_a)[:4] + "!" + b64u(json_a)[4:]),
            ("garbage chars making length 0 mod 4", b64u(json_a)[:4] + "!!" + b64u(json_a)[4:]),
            ("spaces and newline inside", b64u(json_a)[:3] + " \n" + b64u(json_a)[3:]),
            ("dot inside", b64u(json_a)[:4] + "." + b64u(json_a)[4:]),
            ("non-ASCII garbage inside", b64u(json_a)[:4] + "\u00e9" + b64u(json_a)[4:]),
            ("garbage ! inside, unpadded length 0 mod 4", b64u(json_q)[:4] + "!" + b64u(json_q)[4:]),
            ("garbage !!!! inside, unpadded length 0 mod 4",
             b64u(json_q)[:4] + "!!!!" + b64u(json_q)[4:]),
            ("space, tab, newline, $ inside, unpadded length 0 mod 4",
             b64u(json_q)[:2] + " \t\n$" + b64u(json_q)[2:]),
            ("dot inside, unpadded length 0 mod 4", b64u(json_q)[:4] + "." + b64u(json_q)[4:]),
            ("non-ASCII inside, unpadded length 0 mod 4",
             b64u(json_q)[:4] + "\u00e9" + b64u(json_q)[4:]),
            ("length 1 mod 4", b64u(json_q) + "A"),
            ("length 3 mod 4: extra char decodes to an extra byte", b64u(json_a) + "A"),
            ("= in the middle", b64u(b'{"a":1,"b":2}')[:4] + "=" + b64u(b'{"a":1,"b":2}')[4:]),
            ("== in the middle after a full quantum",
             b64u(b'[1]') + "==" + b64u(b'[2,3]')),
            ("padded quantum then more data", b64u(b'"') + "==" + b64u(b'"x"')),
            ("raw UTF-8 JSON (mojibake)", b64u('"\u00e9\U0001F600"'.encode("utf-8"))),
            ("Latin-1 byte in JSON", b64u(b'"\xe9\xff"')),
            ("JSON with whitespace", b64u(b' { "a" : [ 1 , 2 ] } \n')),
            ("JSON duplicate keys", b64u(b'{"a":1,"a":2}')),
            ("JSON NaN/Infinity", b64u(b'[NaN,Infinity,-Infinity]')),
            ("JSON 1e400", b64u(b'[1e400,-1e400]')),
            ("JSON big int and -0", b64u(b'[123456789012345678901234567890,-0,1E5,1.0e+2]')),
            ("JSON uppercase \\u escape", b64u(b'"\\u00E9\\u00e9"')),
            ("JSON lone surrogate escape", b64u(b'"\\ud800"')),
            ("JSON surrogate pair escape", b64u(b'"\\ud83d\\ude00"')),
            ("JSON raw control char in string", b64u(b'"a\x01b"')),
            ("JSON raw DEL in string", b64u(b'"a\x7fb"')),
            ("JSON top-level true", b64u(b'true')),
            ("JSON trailing comma", b64u(b'[1,2,]')),
            ("JSON single quotes", b64u(b"{'a':1}")),
            ("invalid JSON", b64u(b'{bad')),
            ("JSON trailing data", b64u(b'{"a":1}x')),
            ("JSON two values", b64u(b'1 2')),
            ("JSON nan lowercase", b64u(b'nan')),
            ("UTF-8 BOM then JSON", b64u(b'\xef\xbb\xbf{"a":1}')),
            ("empty payload", ""),
            ("compression marker only", "."),
            ("compressed", "." + b64u(z)),
            ("compressed, two markers", ".." + b64u(z)),
            ("compressed with trailing garbage", "." + b64u(z + b"trailing garbage")),
            ("compressed stream twice", "." + b64u(z + zbig)),
            ("compressed, truncated", "." + b64u(z[:-3])),
            ("compressed, bad checksum", "." + b64u(z[:-1] + bytes([z[-1] ^ 1]))),
            ("compressed level 9 (78 da)", "." + b64u(zlib.compress(json_a, 9))),
            ("compressed level 0 (stored)", "." + b64u(zlib.compress(json_a, 0))),
            ("compressed without marker", b64u(z)),
            ("marker on uncompressed JSON", "." + b64u(json_a)),
            ("invalid zlib", "." + b64u(b"not zlib at all")),
            ("raw deflate (no zlib header)", "." + b64u(zlib.compress(json_a)[2:-4])),
            ("compressed raw UTF-8 JSON", "." + b64u(zlib.compress('["\u00e9"]'.encode()))),
            ("compressed invalid JSON", "." + b64u(zlib.compress(b"{bad"))),
        ]
        missing = SIGN_OBJECT_PAYLOADS - {what for what, _ in payloads}
        assert not missing, missing
        for what, payload in payloads:
            m = self.sign("TimestampSigner", payload, salt=DUMPS_SALT, record=False)
            self.loads(None, m, note="validly signed payload: " + what)
        if HAS_SIGN_OBJECT:
            for what, payload in payloads:
                if what not in SIGN_OBJECT_PAYLOADS:
                    continue
                m = self.sign("Signer", payload, record=False)
                self.loads("Signer", m, note="validly signed payload: " + what)
            m = self.sign("Signer", b64u(json_a), sep="/", salt="p", record=False)
            self.loads("Signer", m, sep="/", salt="p")

    def gen_seps(self):
        for sep in [":", "/", ".", "~", "!", "$", "|", " ", "\u00e9", "a:", "", "a", "A", "z",
                    "0", "-", "_", "=", "[", "\\", "]", "^", "`", "ab", "a\n", ":\n", "\n",
                    "@", "{", "\t", "a-", "::", "\U0001F600", "\u00c0"]:
            try:
                self.signing.Signer(sep=sep)
                valid = True
            except ValueError:
                valid = False
            self.add({"op": "sep", "sep": sep, "valid": valid})

    def gen_b62(self):
        if hasattr(self.signing, "b62_encode"):
            enc, dec = self.signing.b62_encode, self.signing.b62_decode
        else:
            from django.utils import baseconv
            enc, dec = baseconv.base62.encode, baseconv.base62.decode
        for n in [0, 1, 61, 62, 3843, 3844, 1600000000, 1700000000, 2 ** 40, 2 ** 62, -1, -62]:
            self.add({"op": "b62", "n": n, "text": enc(n)})
        for text in ["0", "z", "10", "-z", "-", "", "00z", "1kHR5c", "!", "\u00e9", "-0",
                     "--1", "+1", " 1", "1 ", "1-", "zzzzzzzzzzzz", "000"]:
            try:
                n, ok = dec(text), True
            except Exception:  # noqa: BLE001
                n, ok = None, False
            self.add({"op": "b62_decode", "text": text, "ok": ok, "n": n})

    def gen_b64(self):
        inputs = [
            "", "eyJhIjoxfQ", "eyJhIjoxfQ=", "eyJhIjoxfQ==", "eyJhIjoxfQ===", "eyJhIjoxfQ====",
            "QQ", "QQ=", "QQ==", "QQ===", "QUI", "QUI=", "QUJD", "QUJD=", "QUJD==",
            "Q", "Q=", "Q==", "Q===", "QUJDR", "QUJDRQ", "QUJDRUZ", "QUJDRUZH",
            "-_-_", "+/+/", "-/+_", "_w", "_w==", "/w",
            "QU!JD", "QU!!JD", "Q!UJD", "QUJD!", "!QUJD", "QU JD", "QU\nJD", "QU\tJD",
            "QU.JD", "QU:JD", "QU*JD", "!!!!", "!", "QUJD$%",
            "QQ==QUJD", "QUJD=QUJD", "Q=Q=", "=QUJD", "QU=JD", "QU=JD===", "==QUJD", "QUJD==QQ",
            "QU==JD", "QQ==QQ==", "QUI=QUI=", "Q===QUJD", "====", "=", "==", "A=BC",
            "QUJD\u00e9", "\u00e9QUJD", "QU\u00e9JD", "QUJD\U0001F600", "QUJ\u00e9",
            "\u00e9\u00e9", "QQ\u00e9", "QUJ\u00ff",
        ]
        for s in inputs:
            try:
                out, ok = self.signing.b64_decode(s.encode()).hex(), True
            except Exception:  # noqa: BLE001
                out, ok = None, False
            self.add({"op": "b64_decode", "input": s, "ok": ok, "hex": out})

    def gen_zlib(self):
        data = b'{"a":1}'
        c = zlib.compress(data)

        def raw(wbits, level=6, zdict=None):
            kw = {"zdict": zdict} if zdict else {}
            o = zlib.compressobj(level, zlib.DEFLATED, wbits, **kw)
            return o.compress(data) + o.flush()
        inputs = [
            ("valid", c),
            ("empty input", b""),
            ("compress(b'')", zlib.compress(b"")),
            ("trailing garbage after stream end", c + b"garbage"),
            ("trailing newline after stream end", c + b"\n"),
            ("two streams concatenated", c + zlib.compress(b"second")),
            ("truncated: last byte of adler32 missing", c[:-1]),
            ("truncated: adler32 missing", c[:-4]),
            ("truncated: header only", c[:2]),
            ("truncated: one byte", c[:1]),
            ("bad adler32", c[:-1] + bytes([c[-1] ^ 1])),
            ("bad header check bits", b"\x78\x9d" + c[2:]),
            ("bad compression method", b"\x79\x9c" + c[2:]),
            ("level 0 stored", zlib.compress(data, 0)),
            ("level 1 (78 01)", zlib.compress(data, 1)),
            ("level 9 (78 da)", zlib.compress(data, 9)),
            ("window bits 9", raw(9)),
            ("raw deflate, no header", raw(-15)),
            ("gzip container", raw(31)),
            ("preset dictionary (FDICT)", raw(15, zdict=b'{"a":')),
            ("not zlib", b"not zlib at all"),
            ("window size field 8, invalid (header 88 98)", b"\x88\x98" + c[2:]),
        ]
        for what, b in inputs:
            try:
                out, ok = zlib.decompress(b).hex(), True
            except Exception:  # noqa: BLE001
                out, ok = None, False
            self.add({"op": "zlib_decompress", "hex_in": b.hex(), "ok": ok, "hex_out": out},
                     note=what)

    def run(self):
        self.gen_spec_examples()
        self.gen_signers()
        self.gen_fallbacks()
        self.gen_legacy_sha1()
        self.gen_tampered()
        self.gen_expiry()
        self.gen_malformed_timestamps()
        self.gen_objects()
        self.gen_odd_payloads()
        self.gen_seps()
        self.gen_b62()
        self.gen_b64()
        self.gen_zlib()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir")
    ap.add_argument("--default-hashing-algorithm", choices=["sha1", "sha256"], dest="dha")
    args = ap.parse_args()
    if args.dha and not HAS_DHA:
        ap.error("Django %s has no DEFAULT_HASHING_ALGORITHM setting" % django.get_version())

    # 3.1/3.2 warn that DEFAULT_HASHING_ALGORITHM is deprecated.
    warnings.filterwarnings("ignore", message=".*DEFAULT_HASHING_ALGORITHM")
    conf = {"SECRET_KEY": SECRET_KEY}
    if HAS_FALLBACKS:
        conf["SECRET_KEY_FALLBACKS"] = list(FALLBACK_KEYS)
    if args.dha:
        conf["DEFAULT_HASHING_ALGORITHM"] = args.dha
    settings.configure(**conf)

    g = Gen(args.dha)
    g.run()
    doc = {
        "django": django.get_version(),
        "default_hashing_algorithm": settings.DEFAULT_HASHING_ALGORITHM if HAS_DHA else None,
        "keys": {"current": SECRET_KEY, "fallbacks": list(FALLBACK_KEYS)},
        "cases": g.cases,
    }
    name = "django-%d.%d%s.json" % (V[0], V[1], "-" + args.dha if args.dha else "")
    os.makedirs(args.outdir, exist_ok=True)
    path = os.path.join(args.outdir, name)
    with open(path, "w", encoding="ascii", newline="\n") as f:
        json.dump(doc, f, indent=1, ensure_ascii=True, sort_keys=False)
        f.write("\n")
    counts = {}
    for c in g.cases:
        counts[c["op"]] = counts.get(c["op"], 0) + 1
    print("%s: %d cases (%s); spec 13 examples checked: %d" % (
        path, len(g.cases), ", ".join("%s %d" % kv for kv in counts.items()), g.spec_checked))
    if g.spec_failures:
        for name, want, got in g.spec_failures:
            print("ERROR: SPEC MISMATCH %s:\n    spec   %s\n    django %s" % (name, want, got),
                  file=sys.stderr)
        print("ERROR: %d spec 13 worked example(s) differ from Django's output!"
              % len(g.spec_failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
