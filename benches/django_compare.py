#!/usr/bin/env python3
"""Time Django's equivalents of the signring benchmarks and print the ratios.

Run `cargo bench --all-features --bench signing` first, then, with a Python that
has Django installed (for example a venv made by tests/django/venv.sh):

    VENV/bin/python benches/django_compare.py [--target-dir target]

The inputs match benches/signing.rs: the same key, a 40-byte value, a ~200 B
login session and a ~20 KB one. Each Django figure is the best of 5 timeit runs
(the usual timeit practice); each signring figure is Criterion's median from
target/criterion. Speedup = Django time / signring time.
"""

import argparse
import json
import os
import pathlib
import timeit

KEY = "doc-example-secret-key-not-used-anywhere-else-0123456789"
VALUE = "user:42:a1b2c3d4e5f60718293a4b5c6d7e8f90"


def typical_session():
    return {
        "_auth_user_id": "42",
        "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
        "_auth_user_hash": "21d743acc9eb29afa39f6dc72882d056fb4890fb1e04f3a6af1bd448ebb1d40f",
        "cart": [3, 14, 15],
        "theme": "dark",
    }


def large_session():
    session = typical_session()
    for i in range(280):
        session["item_%04d" % i] = "product-%08x" % (i * 2654435761 % 4294967291)
    return session


def django_timings():
    import django
    from django.conf import settings

    settings.configure(SECRET_KEY=KEY, SECRET_KEY_FALLBACKS=[], INSTALLED_APPS=["django.contrib.sessions"])
    django.setup()
    from django.contrib.sessions.backends.db import SessionStore
    from django.core import signing

    signer = signing.Signer()
    timed = signing.TimestampSigner()
    signed = signer.sign(VALUE)
    timed_signed = timed.sign(VALUE)
    small, large = typical_session(), large_session()
    cases = {
        "unsign/current_key/0_fallbacks": lambda: signer.unsign(signed),
        "unsign/timestamp_max_age/40B": lambda: timed.unsign(timed_signed, max_age=3600),
        "sign/signer/40B": lambda: signer.sign(VALUE),
    }
    for name, session in (("session_200B", small), ("session_20KB", large)):
        for mode, compress in (("plain", False), ("compressed", True)):
            data = signing.dumps(session, compress=compress)
            cases["dumps/%s/%s" % (name, mode)] = lambda s=session, c=compress: signing.dumps(s, compress=c)
            cases["loads/%s/%s" % (name, mode)] = lambda d=data: signing.loads(d)
    store = SessionStore()
    row = store.encode(small)
    cases["django/session_decode/200B"] = lambda: store.decode(row)

    results = {}
    for name, fn in cases.items():
        number, _ = timeit.Timer(fn).autorange()
        best = min(timeit.repeat(fn, number=number, repeat=5)) / number
        results[name] = best * 1e9
    return django.get_version(), results


def signring_medians(target_dir):
    medians = {}
    for estimates in pathlib.Path(target_dir, "criterion").glob("**/new/estimates.json"):
        bench = json.loads((estimates.parent / "benchmark.json").read_text())
        medians[bench["full_id"]] = json.loads(estimates.read_text())["median"]["point_estimate"]
    return medians


TARGETS = {
    "unsign/current_key/0_fallbacks": 20,
    "unsign/timestamp_max_age/40B": 20,
    "sign/signer/40B": 20,
    "loads/session_200B/plain": 5,
    "loads/session_200B/compressed": 5,
    "django/session_decode/200B": 5,
    "dumps/session_200B/plain": 3,
    "dumps/session_200B/compressed": 3,
    "loads/session_20KB/plain": 1.5,
    "loads/session_20KB/compressed": 1.5,
    "dumps/session_20KB/plain": 1.5,
    "dumps/session_20KB/compressed": 1.5,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target-dir", default=os.environ.get("CARGO_TARGET_DIR", "target"))
    args = parser.parse_args()
    ours = signring_medians(args.target_dir)
    if not ours:
        raise SystemExit("no Criterion results: run `cargo bench --all-features --bench signing` first")
    version, theirs = django_timings()
    print("%-34s %12s %12s %9s %8s" % ("operation", "Django %s" % version, "signring", "speedup", "target"))
    missed = 0
    for name, target in TARGETS.items():
        if name not in ours:
            continue
        speedup = theirs[name] / ours[name]
        verdict = "met" if speedup >= target else "MISSED"
        missed += verdict == "MISSED"
        print("%-34s %9.2f µs %9.2f µs %8.1f× %6s× %s" % (name, theirs[name] / 1e3, ours[name] / 1e3, speedup, target, verdict))
    print("%d of %d targets met" % (len(TARGETS) - missed, len(TARGETS)))


if __name__ == "__main__":
    main()
