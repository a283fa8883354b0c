#!/usr/bin/env python3
"""Answer signing questions with the installed Django (helper of live_check.py).

    VENV/bin/python tests/django/django_oracle.py < requests.json > answers.json

stdin: {"config": {"current": KEY, "fallbacks": [KEY, ...],
                   "default_hashing_algorithm": "sha1" | null},
        "requests": [REQUEST, ...]}
stdout: [ANSWER, ...] in the same order.

A REQUEST has "op" (sign | unsign | dumps | loads) and the fields of the
vector schema (signer, salt, sep, algorithm, value / obj_json / input,
compress, max_age, now; null = Django default / not passed), plus:

* "keys": {"current": KEY, "fallbacks": [...]} to use another ring for this
  request (settings.SECRET_KEY / SECRET_KEY_FALLBACKS are swapped in);
* "sign_with": i -- sign with ring key i (0 = current, i = i-th fallback) by
  passing it as the explicit key (fallback_keys=[] on 4.1+);
* "ring": true (unsign/loads) -- on Django < 4.1, which has no fallbacks, give
  the verdict a 4.1+ ring would give (see emulate_ring); no effect on 4.1+.

An ANSWER is {"ok": true, "text": STR} for sign/dumps/unsign (the signed text
or the unsigned value), {"ok": true, "obj_json": json.dumps(obj)} for loads,
or {"ok": false, "error": "<exception class name>"}.
"""

import contextlib
import json
import sys
import warnings
from unittest import mock

import django
from django.conf import settings

V = django.VERSION[:2]
HAS_FALLBACKS = V >= (4, 1)


def err_name(exc):
    t = type(exc)
    if t.__module__ in ("builtins", "django.core.signing", "json.decoder"):
        return t.__name__
    return "%s.%s" % (t.__module__, t.__qualname__)


def make_signer(kind, req, key=None, fallback_keys=None, legacy=True):
    from django.core import signing
    cls = {"Signer": signing.Signer, "TimestampSigner": signing.TimestampSigner}[kind]
    kw = {}
    if key is not None:
        kw["key"] = key
    for name in ("salt", "sep", "algorithm"):
        if req.get(name) is not None:
            kw[name] = req[name]
    if fallback_keys is not None and HAS_FALLBACKS:
        kw["fallback_keys"] = fallback_keys
    s = cls(**kw)
    if not legacy and getattr(s, "legacy_algorithm", None):
        s.legacy_algorithm = None  # 3.1/3.2: no sha1 acceptance (only the main key has it)
    return s


def answer(req, ring, vkey=None, legacy=True):
    """Django's answer; vkey/legacy: verify with that explicit key, without the
    3.x legacy sha1 acceptance (used to emulate a ring on Django < 4.1)."""
    from django.core import signing
    op, kind = req["op"], req.get("signer")
    now = req.get("now")
    clock = (lambda: now) if now is not None else None
    key = vkey
    if op in ("sign", "dumps"):
        i = req.get("sign_with", 0)
        key = ring[i] if i else None
    patch = mock.patch("time.time", clock) if clock else contextlib.nullcontext()
    with patch:
        try:
            if op == "sign":
                text = make_signer(kind, req, key, fallback_keys=[]).sign(req["value"])
                return {"ok": True, "text": text}
            if op == "unsign":
                s = make_signer(kind, req, key, legacy=legacy)
                if kind == "TimestampSigner":
                    return {"ok": True, "text": s.unsign(req["input"], max_age=req.get("max_age"))}
                return {"ok": True, "text": s.unsign(req["input"])}
            if op == "dumps":
                obj = json.loads(req["obj_json"])
                if kind is None:
                    kw = {"compress": bool(req.get("compress"))}
                    if key is not None:
                        kw["key"] = key
                    if req.get("salt") is not None:
                        kw["salt"] = req["salt"]
                    return {"ok": True, "text": signing.dumps(obj, **kw)}
                s = make_signer(kind, req, key, fallback_keys=[])
                return {"ok": True, "text": s.sign_object(obj, compress=bool(req.get("compress")))}
            if op == "loads":
                if kind is None and (legacy or V < (3, 1)):
                    kw = {"max_age": req.get("max_age")}
                    if key is not None:
                        kw["key"] = key
                    if req.get("salt") is not None:
                        kw["salt"] = req["salt"]
                    obj = signing.loads(req["input"], **kw)
                elif kind in (None, "TimestampSigner"):
                    if kind is None and req.get("salt") is None:
                        # signing.loads spelled out, to switch off the legacy sha1
                        req = dict(req, salt="django.core.signing")
                    obj = make_signer("TimestampSigner", req, key, legacy=legacy).unsign_object(
                        req["input"], max_age=req.get("max_age"))
                else:
                    obj = make_signer(kind, req, key, legacy=legacy).unsign_object(req["input"])
                return {"ok": True, "obj_json": json.dumps(obj)}
            raise ValueError("unknown op %r" % op)
        except Exception as e:  # noqa: BLE001 - reporting Django's verdict
            return {"ok": False, "error": err_name(e)}


def emulate_ring(req, ring, first):
    """Django < 4.1 has no SECRET_KEY_FALLBACKS. signring honours fallbacks under
    every profile, the way 4.1+ does: after the current key (with its 3.x legacy
    sha1), each fallback is tried with the signer's own algorithm; the first key
    whose signature matches decides (ok, expired, malformed or bad payload)."""
    if first["ok"] or first["error"] != "BadSignature":
        return dict(first, key_index=0)
    for i, key in enumerate(ring[1:], 1):
        ans = answer(req, ring, vkey=key, legacy=False)
        if ans["ok"] or ans["error"] != "BadSignature":
            return dict(ans, key_index=i)
    return first


def main():
    doc = json.load(sys.stdin)
    cfg = doc["config"]
    warnings.filterwarnings("ignore", message=".*DEFAULT_HASHING_ALGORITHM")
    conf = {"SECRET_KEY": cfg["current"]}
    if HAS_FALLBACKS:
        conf["SECRET_KEY_FALLBACKS"] = list(cfg["fallbacks"])
    if cfg.get("default_hashing_algorithm"):
        conf["DEFAULT_HASHING_ALGORITHM"] = cfg["default_hashing_algorithm"]
    settings.configure(**conf)
    out = []
    for req in doc["requests"]:
        keys = req.get("keys") or {"current": cfg["current"], "fallbacks": cfg["fallbacks"]}
        settings.SECRET_KEY = keys["current"]
        if HAS_FALLBACKS:
            settings.SECRET_KEY_FALLBACKS = list(keys["fallbacks"])
        ring = [keys["current"]] + list(keys["fallbacks"])
        ans = answer(req, ring)
        if req.get("ring") and not HAS_FALLBACKS and req["op"] in ("unsign", "loads"):
            ans = emulate_ring(req, ring, ans)
        out.append(ans)
    json.dump(out, sys.stdout, ensure_ascii=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
