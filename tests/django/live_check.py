#!/usr/bin/env python3
"""Live two-way Django interop check for the signring CLI.

    python tests/django/live_check.py --venvs DIR --signring target/debug/signring \\
        --vectors tests/data/django

DIR holds the venvs made by tests/django/venv.sh (DIR/django-2.2, ...). For each
committed vector file tests/data/django/django-<X.Y>[-<alg>].json ("profile"):

(a) regen:  re-run gen_vectors.py in the matching venv and require the output
            to be byte-identical to the committed file (the vectors are what that
            Django really produces);
(b) rust->django: make values with the signring CLI (sign, sign --timestamp,
            dumps with/without --compress, dumps --no-timestamp, salts, separators,
            algorithms, unicode/empty values, env keys, --keys-file, keygen) and
            have real Django verify each one; where Django can make the same thing
            its bytes must equal the CLI's;
(c) django->rust: values made live by Django (current key, each fallback,
            legacy sha1, tampered, expired, malformed timestamps, bad payloads)
            must get Django's verdict from `signring unsign/loads --json`, with the
            expected key_index, stale flag (fallback key or 3.x legacy sha1),
            algorithm and timestamp. signring honours fallback keys under every
            profile (DESIGN.md); Django 2.2/3.2 have no SECRET_KEY_FALLBACKS, so
            there the expected verdict is the one a 4.1+ ring would give, built
            from Django's own per-key verdicts (django_oracle.py emulate_ring);
            those checks are marked "signring ring" in their names.

(d)-(f) the same for Django's own artifacts (`signring django ...`: sessions,
            auth hash and get_user, reset tokens, signed cookies, messages, key
            checks) against tests/data/django/adapters-<X.Y>[-sha1].json; see
            adapter_checks.py.

Prints one summary line per profile and a final "N passed, M failed" line; exits
1 on any failure. Runs with any Python 3.8+ (Django is only used inside the
venvs, through django_oracle.py).
"""

import argparse
import base64
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from adapter_checks import AdapterChecker, AdapterProfile, adapter_files

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "gen_vectors.py")
ORACLE = os.path.join(HERE, "django_oracle.py")
ALGORITHMS = ["sha1", "sha224", "sha256", "sha384", "sha512"]
TS_SALT = "django.core.signing.TimestampSigner"
DUMPS_SALT = "django.core.signing"
CLI_ERROR = {  # Django exception -> CLI --json error
    "BadSignature": "bad_signature",
    "SignatureExpired": "expired",
    "ValueError": "malformed",
    "IndexError": "malformed",
    "binascii.Error": "payload",
    "zlib.error": "payload",
    "JSONDecodeError": "payload",
    "UnicodeDecodeError": "payload",
}
FILE_RE = re.compile(r"^django-(\d+)\.(\d+)(?:-(sha1|sha256))?\.json$")


def short(x, n=160):
    s = x if isinstance(x, str) else repr(x)
    return s if len(s) <= n else s[:n] + "...(%d chars)" % len(s)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def canon_json(text):
    """Python's json.dumps of a JSON text (for comparing values)."""
    return json.dumps(json.loads(text))


class Profile:
    def __init__(self, path):
        m = FILE_RE.match(os.path.basename(path))
        self.path = path
        self.V = (int(m.group(1)), int(m.group(2)))
        self.ver = "%d.%d" % self.V
        self.dha = m.group(3)
        self.name = "django-" + self.ver + ("-" + self.dha if self.dha else "")
        self.has_alg = self.V >= (3, 1)
        self.has_dha = (3, 1) <= self.V < (4, 0)
        self.has_fb = self.V >= (4, 1)
        self.has_obj = self.V >= (3, 2)
        if not self.has_alg:
            self.default_alg = "sha1"
        elif self.has_dha:
            self.default_alg = self.dha or "sha256"
        else:
            self.default_alg = "sha256"
        with open(path, encoding="ascii") as f:
            doc = json.load(f)
        self.current, self.fallbacks = doc["keys"]["current"], list(doc["keys"]["fallbacks"])
        self.seps = [(c["sep"], c["valid"]) for c in doc["cases"] if c["op"] == "sep"]
        self.passed = 0
        self.failed = 0

    @property
    def ring(self):
        return {"current": self.current, "fallbacks": self.fallbacks}


class Checker:
    def __init__(self, args):
        self.args = args
        self.tmp = tempfile.mkdtemp(prefix="signring-live-")
        self.failures_shown = 0

    # ---------------------------------------------------------------- plumbing
    def result(self, prof, name, ok, detail=""):
        if ok:
            prof.passed += 1
            if self.args.verbose:
                print("  ok   %s %s" % (prof.name, name))
        else:
            prof.failed += 1
            if self.failures_shown < self.args.max_failures:
                print("  FAIL %s %s%s" % (prof.name, name, ("\n       " + detail) if detail else ""))
            self.failures_shown += 1

    def venv_python(self, prof):
        return os.path.join(self.args.venvs, "django-" + prof.ver, "bin", "python")

    def oracle(self, prof, requests):
        if not requests:
            return []
        doc = {"config": {"current": prof.current, "fallbacks": prof.fallbacks,
                          "default_hashing_algorithm": prof.dha},
               "requests": requests}
        p = subprocess.run([self.venv_python(prof), ORACLE], input=json.dumps(doc),
                           capture_output=True, text=True, encoding="utf-8", timeout=600)
        if p.returncode != 0:
            raise RuntimeError("django_oracle.py failed (%d): %s" % (p.returncode, p.stderr[-3000:]))
        out = json.loads(p.stdout)
        assert len(out) == len(requests)
        return out

    def cli(self, prof, command, opts, arg, keys="env"):
        """Run the CLI; keys: "env" (ring in env), "file" (--keys-file), "current"
        (SECRET_KEY only) or a {"current","fallbacks"} dict put in env."""
        env = dict(os.environ)
        for k in ("SECRET_KEY", "SECRET_KEY_FALLBACKS", "DEFAULT_HASHING_ALGORITHM"):
            env.pop(k, None)
        if prof.dha:
            env["DEFAULT_HASHING_ALGORITHM"] = prof.dha
        glob = ["--django", prof.ver]
        if keys == "file":
            glob += ["--keys-file", self.keys_file(prof)]
        else:
            ring = prof.ring if keys in ("env", "current") else keys
            if ring is not None:
                env["SECRET_KEY"] = ring["current"]
                if keys != "current":
                    env["SECRET_KEY_FALLBACKS"] = json.dumps(ring["fallbacks"])
        cmd = [self.args.signring] + glob + [command] + opts + (["--", arg] if arg is not None else [])
        try:
            p = subprocess.run(cmd, capture_output=True, env=env, timeout=60)
        except subprocess.TimeoutExpired:
            return 124, "", "timeout", cmd
        out = p.stdout.decode("utf-8", "replace")
        if out.endswith("\n"):
            out = out[:-1]
        return p.returncode, out, p.stderr.decode("utf-8", "replace"), cmd

    def keys_file(self, prof):
        """The profile's ring as a --keys-file (written once, before any CLI runs)."""
        path = os.path.join(self.tmp, "keys-%s.txt" % prof.name)
        if not os.path.exists(path):
            with open(path + ".tmp", "w", encoding="utf-8", newline="\n") as f:
                f.write("\n".join([prof.current] + prof.fallbacks) + "\n")
            os.replace(path + ".tmp", path)
        return path

    def cli_many(self, prof, calls):
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as ex:
            return list(ex.map(lambda c: self.cli(prof, *c[0], **c[1]), calls))

    # ---------------------------------------------------------------- (a)
    def regen(self, prof):
        outdir = os.path.join(self.tmp, "regen-" + prof.name)
        cmd = [self.venv_python(prof), GEN, outdir]
        if prof.dha:
            cmd += ["--default-hashing-algorithm", prof.dha]
        if not os.path.exists(self.venv_python(prof)):
            return False, "no venv at %s (run tests/django/venv.sh)" % os.path.dirname(
                os.path.dirname(self.venv_python(prof)))
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        if p.returncode != 0:
            return False, "gen_vectors.py exited %d: %s%s" % (p.returncode, p.stdout[-2000:],
                                                             p.stderr[-2000:])
        new_path = os.path.join(outdir, os.path.basename(prof.path))
        with open(prof.path, "rb") as f:
            old = f.read()
        with open(new_path, "rb") as f:
            new = f.read()
        if old == new:
            return True, ""
        return False, self.describe_diff(old, new)

    @staticmethod
    def describe_diff(old, new):
        try:
            a, b = json.loads(old), json.loads(new)
        except ValueError as e:
            return "regenerated file differs and does not parse: %s" % e
        lines = []
        for k in ("django", "default_hashing_algorithm", "keys"):
            if a.get(k) != b.get(k):
                lines.append("%s: committed %s, regenerated %s" % (k, short(a.get(k)), short(b.get(k))))
        ca, cb = a.get("cases", []), b.get("cases", [])
        if len(ca) != len(cb):
            lines.append("case count: committed %d, regenerated %d" % (len(ca), len(cb)))
        diffs = [i for i in range(min(len(ca), len(cb))) if ca[i] != cb[i]]
        for i in diffs[:5]:
            keys = [k for k in list(ca[i]) + [k for k in cb[i] if k not in ca[i]]
                    if ca[i].get(k) != cb[i].get(k)]
            lines.append("case %d (%s, %s):" % (i, ca[i].get("op"), ca[i].get("note")))
            for k in keys:
                lines.append("  %s: committed   %s\n         %s  regenerated %s" % (
                    k, short(json.dumps(ca[i].get(k)), 300), " " * len(k),
                    short(json.dumps(cb[i].get(k)), 300)))
        if len(diffs) > 5:
            lines.append("... %d differing cases in all" % len(diffs))
        if not lines:
            lines.append("files differ in formatting only")
        return "regenerated vectors differ from the committed file:\n       " + "\n       ".join(lines)

    # ---------------------------------------------------------------- (b)
    def plan_b(self, prof):
        """Items: (name, cli call, verify request, same request|None, expected)."""
        T = 1700000000
        items = []

        def sign(name, value, salt=None, sep=None, alg=None, ts=None, keys="env",
                 ring_for_django=None):
            opts = []
            if salt is not None:
                opts += ["--salt", salt]
            if sep is not None:
                opts += ["--sep", sep]
            if alg is not None:
                opts += ["--algorithm", alg]
            if ts is not None:
                opts += ["--timestamp", "--now", str(ts)]
            kind = "TimestampSigner" if ts is not None else "Signer"
            common = {"signer": kind, "salt": salt, "sep": sep, "algorithm": alg}
            verify = dict(common, op="unsign", max_age=60 if ts is not None else None,
                          now=ts + 30 if ts is not None else None)
            same = dict(common, op="sign", value=value, now=ts)
            if ring_for_django:
                verify["keys"] = same["keys"] = ring_for_django
            items.append(("sign %s %r" % (name, short(value, 40)),
                          (("sign", opts, value), {"keys": keys}), verify, same, value))

        def dumps(name, obj, salt=None, sep=None, alg=None, compress=False, no_ts=False,
                  now=T, keys="env"):
            obj_json = json.dumps(obj)
            opts = []
            if salt is not None:
                opts += ["--salt", salt]
            if sep is not None:
                opts += ["--sep", sep]
            if alg is not None:
                opts += ["--algorithm", alg]
            if compress:
                opts += ["--compress"]
            if no_ts:
                opts += ["--no-timestamp"]
            else:
                opts += ["--now", str(now)]
            if no_ts:
                kind, dsalt = "Signer", salt
            elif sep is None and alg is None:
                kind, dsalt = None, salt
            else:
                kind, dsalt = "TimestampSigner", DUMPS_SALT if salt is None else salt
            common = {"signer": kind, "salt": dsalt, "sep": sep, "algorithm": alg}
            verify = dict(common, op="loads", max_age=None if no_ts else 60,
                          now=None if no_ts else now + 30)
            same = dict(common, op="dumps", obj_json=obj_json, compress=compress,
                        now=None if no_ts else now)
            items.append(("dumps %s %s" % (name, short(obj_json, 40)),
                          (("dumps", opts, obj_json), {"keys": keys}), verify, same,
                          canon_json(obj_json)))

        values = ["hello", "", "h\u00e9llo w\u00f6rld", "\u4e2d\u6587 \U0001F600", "a:b:c",
                  "-starts-with-dash", "--", "tab\tand space", "x" * 200, "line\nbreak"]
        for v in values:
            sign("default", v)
        for salt in ["my.salt", "s\u00e4lz \U0001F600", ""]:
            sign("salt=%r" % salt, "hello", salt=salt)
        for sep in ["/", "~", "\u00e9", "a:", "!"]:
            sign("sep=%r" % sep, "v%sw" % sep, sep=sep)
            sign("sep=%r" % sep, "", sep=sep)
        if prof.has_alg:
            for alg in ALGORITHMS:
                sign("algorithm=%s" % alg, "hello", alg=alg)
                sign("algorithm=%s" % alg, "h\u00e9llo", alg=alg, ts=T)
            sign("salt+sep+algorithm", "\u00e9:\u00e9", salt="s\u00e4lz", sep="\u00e9", alg="sha512")
        for v in ["hello", "", "\U0001F600", "a:b", "-x"]:
            sign("timestamp", v, ts=T)
        sign("timestamp old clock", "hello", ts=1000000000)
        sign("timestamp salt+sep", "v/w", salt="my.salt", sep="/", ts=T)
        sign("keys-file", "hello", keys="file")
        sign("keys-file timestamp", "hello", keys="file", ts=T)
        sign("no fallbacks in env", "hello", keys="current")

        session = {"_auth_user_id": "42",
                   "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
                   "_auth_user_hash": "0123456789abcdef" * 4,
                   "cart": [{"sku": "SKU-%04d" % i, "qty": i % 5, "price": i * 1.25,
                             "title": "Item \u00e9 %d \U0001F600" % i} for i in range(200)]}
        objs = [{"a": 1}, list(range(30)), {"\u00e9": "\U0001F600", "\u4e2d": [1, 2]},
                {"nested": {"l": [1, [2, [3, None]]], "t": True, "f": False}},
                [1.5, 3.0, 1e16, 1e-05, 0.0001, -0.0, 1.2345678901234568e+17, 1e22, 5e-324],
                [2 ** 63, 2 ** 64, -(2 ** 63)], "ctl \x00\x1f\x7f \" \\ / <>&'", "", None,
                {"z": 1, "a": 2}, session]
        for obj in objs:
            dumps("plain", obj)
            dumps("compress", obj, compress=True)
        for salt in ["my.salt", "", "s\u00e4lz \U0001F600",
                     "django.contrib.sessions.SessionStore"]:
            dumps("salt=%r" % salt, {"s": salt}, salt=salt, compress=True)
        dumps("keys-file", {"k": "file"}, keys="file")
        dumps("now=1600000000", {"a": 1}, now=1600000000)
        if prof.has_obj:
            dumps("no-timestamp", {"a": 1}, no_ts=True)
            dumps("no-timestamp compress", list(range(30)), no_ts=True, compress=True)
            dumps("no-timestamp salt+sep", {"x": "\u00e9"}, salt="my.salt", sep="/", no_ts=True)
            dumps("sep", {"x": 1}, sep="~")
            if prof.has_alg:
                dumps("algorithm=sha512", {"x": 1}, alg="sha512", compress=True)
                dumps("algorithm=sha1", {"x": 1}, alg="sha1")
                dumps("no-timestamp algorithm=sha384", [1], alg="sha384", no_ts=True)
        return items

    def run_b(self, prof, keygen_key):
        items = self.plan_b(prof)
        if keygen_key is not None:
            ring = {"current": keygen_key, "fallbacks": []}
            items.append(("sign with a keygen key", (("sign", [], "keygen"), {"keys": ring}),
                          {"op": "unsign", "signer": "Signer", "input": None, "keys": ring},
                          {"op": "sign", "signer": "Signer", "value": "keygen", "keys": ring},
                          "keygen"))
        outs = self.cli_many(prof, [it[1] for it in items])
        self.check_seps(prof)
        verify_reqs, same_reqs = [], []
        for it, (rc, out, err, cmd) in zip(items, outs):
            vr = dict(it[2], input=out)
            verify_reqs.append(vr)
            same_reqs.append(it[3])
        answers = self.oracle(prof, verify_reqs + same_reqs)
        n = len(items)
        for i, (it, (rc, out, err, cmd)) in enumerate(zip(items, outs)):
            name = "[b] " + it[0]
            if rc != 0:
                self.result(prof, name + ": CLI", False, "exit %d: %s\n       cmd %s" % (
                    rc, short(err.strip(), 500), short(" ".join(cmd), 300)))
                continue
            v = answers[i]
            expected = it[4]
            if not v["ok"]:
                self.result(prof, name + ": Django verifies", False,
                            "Django raised %s on %s" % (v["error"], short(out)))
            else:
                got = v.get("text") if "text" in v else v.get("obj_json")
                self.result(prof, name + ": Django verifies", got == expected,
                            "Django returned %s, expected %s" % (short(got), short(expected)))
            s = answers[n + i]
            if s is not None:
                self.result(prof, name + ": same bytes as Django",
                            s["ok"] and s["text"] == out,
                            "CLI    %s\n       Django %s" % (short(out, 300),
                                                             short(s.get("text", s), 300)))

    def check_seps(self, prof):
        """The CLI accepts exactly the separators Django accepts (usage error: exit 2)."""
        outs = self.cli_many(prof, [(("sign", ["--sep", sep], "v"), {}) for sep, _ in prof.seps])
        for (sep, valid), (rc, out, err, cmd) in zip(prof.seps, outs):
            self.result(prof, "[b] sign --sep %r: %s like Django" % (
                sep, "accepted" if valid else "refused (exit 2)"), rc == (0 if valid else 2),
                "CLI exit %d, stdout %s, stderr %s" % (rc, short(out), short(err.strip(), 200)))

    # ---------------------------------------------------------------- (c)
    def plan_c(self, prof):
        """Items: dict(name, make (oracle request), transform, verdict request,
        cli (command, opts), keys, index, alg, timestamp)."""
        T = 1650000000
        items = []
        d = prof.default_alg

        def item(name, make, verdict, command, opts, transform=None, keys="env", index=0,
                 alg=None, timestamp=None, ring=None, bare=False):
            if ring:  # the ring the verifier (Django and the CLI) has; values are made with the full ring
                verdict = dict(verdict, keys=ring)
            items.append({"name": name, "make": make, "transform": transform, "verdict": verdict,
                          "command": command, "opts": opts, "keys": keys, "index": index,
                          "alg": alg or make.get("algorithm") or d,
                          "own_alg": verdict.get("algorithm") or d,
                          "timestamp": timestamp, "bare": bare})

        def sopts(salt=None, sep=None, alg=None):
            o = []
            if salt is not None:
                o += ["--salt", salt]
            if sep is not None:
                o += ["--sep", sep]
            if alg is not None:
                o += ["--algorithm", alg]
            return o

        def signer_case(name, value, kind="Signer", salt=None, sep=None, alg=None, index=0,
                        max_age=None, now=None, transform=None, keys="env", ring=None,
                        verify_alg="same", bare=False):
            ts = kind == "TimestampSigner"
            valg = alg if verify_alg == "same" else verify_alg
            make = {"op": "sign", "signer": kind, "salt": salt, "sep": sep, "algorithm": alg,
                    "value": value, "now": T if ts else None, "sign_with": index}
            verdict = {"op": "unsign", "signer": kind, "salt": salt, "sep": sep,
                       "algorithm": valg, "max_age": max_age, "now": now}
            opts = sopts(salt, sep, valg)
            if ts:
                opts += ["--timestamp"]
                if max_age is not None:
                    opts += ["--max-age", str(max_age)]
                if now is not None:
                    opts += ["--now", str(now)]
            item(name, make, verdict, "unsign", opts, transform=transform, keys=keys,
                 index=index, alg=alg or d, timestamp=T if ts else None, ring=ring, bare=bare)

        def dumps_case(name, obj, kind=None, salt=None, sep=None, compress=False, index=0,
                       max_age=None, now=None, transform=None, keys="env"):
            make = {"op": "dumps", "signer": kind, "salt": salt, "sep": sep,
                    "obj_json": json.dumps(obj), "compress": compress,
                    "now": None if kind == "Signer" else T, "sign_with": index}
            verdict = {"op": "loads", "signer": kind, "salt": salt, "sep": sep,
                       "max_age": max_age, "now": now}
            opts = sopts(salt, sep)
            if kind == "Signer":
                opts += ["--no-timestamp"]
            else:
                if max_age is not None:
                    opts += ["--max-age", str(max_age)]
                if now is not None:
                    opts += ["--now", str(now)]
            item(name, make, verdict, "loads", opts, transform=transform, keys=keys, index=index,
                 timestamp=None if kind == "Signer" else T)

        def tamper(s):
            return s[:-1] + ("A" if s[-1] != "A" else "B")

        signer_case("current key", "hello")
        signer_case("current key, bare output", "h\u00e9llo", bare=True)
        signer_case("current key, unicode value, salt, sep", "\u4e2d/\U0001F600", salt="s\u00e4lz",
                    sep="/")
        signer_case("empty value", "")
        signer_case("value starting with -", "-dash")
        for i in range(1, len(prof.fallbacks) + 1):
            signer_case("fallback %d" % i, "rotated %d" % i, index=i)
            signer_case("fallback %d, bare output" % i, "rotated", index=i, bare=True)
            signer_case("fallback %d timestamp" % i, "rotated", kind="TimestampSigner", index=i,
                        max_age=100, now=T + 50)
            dumps_case("fallback %d dumps compress" % i, {"fb": i, "l": list(range(20))},
                       compress=True, index=i, max_age=100, now=T + 50)
        signer_case("fallback 1 via --keys-file", "rotated", index=1, keys="file")
        signer_case("fallback 1, no fallbacks configured", "rotated", index=1, keys="current",
                    ring={"current": prof.current, "fallbacks": []})
        signer_case("tampered", "hello", transform=tamper)
        signer_case("tampered bare", "hello", transform=tamper, bare=True)
        signer_case("wrong salt", "hello", transform=None, salt=None)
        items[-1]["verdict"] = dict(items[-1]["verdict"], salt="other")
        items[-1]["opts"] = ["--salt", "other"]
        signer_case("timestamp fresh", "hello", kind="TimestampSigner", max_age=100, now=T + 50)
        signer_case("timestamp age == max_age", "hello", kind="TimestampSigner", max_age=50,
                    now=T + 50)
        signer_case("timestamp expired", "hello", kind="TimestampSigner", max_age=10, now=T + 50)
        signer_case("timestamp expired, bare", "hello", kind="TimestampSigner", max_age=10,
                    now=T + 50, bare=True)
        signer_case("timestamp future", "hello", kind="TimestampSigner", max_age=10, now=T - 500)
        signer_case("timestamp no max_age", "hello", kind="TimestampSigner", now=T + 10 ** 6)
        signer_case("timestamp tampered and expired", "hello", kind="TimestampSigner",
                    max_age=10, now=T + 50, transform=tamper)
        signer_case("timestamp fallback 2 expired", "old", kind="TimestampSigner", index=2,
                    max_age=10, now=T + 50)
        signer_case("timestamp salt+sep", "a~b", kind="TimestampSigner", salt="x", sep="~",
                    max_age=100, now=T + 50)
        if prof.has_alg:
            signer_case("sha512", "hello", alg="sha512")
            signer_case("sha384 fallback 1", "hello", alg="sha384", index=1)
            signer_case("sha1 value, default verifier", "legacy", alg="sha1", verify_alg=None)
            signer_case("sha1 value, sha256 verifier", "legacy", alg="sha1", verify_alg="sha256")
            signer_case("sha256 value, default verifier", "modern", alg="sha256", verify_alg=None)
            signer_case("sha1 timestamp value, default verifier", "legacy",
                        kind="TimestampSigner", alg="sha1", verify_alg=None, max_age=100,
                        now=T + 50)
            signer_case("sha1 fallback 1 value, default verifier", "legacy", alg="sha1", index=1,
                        verify_alg=None)
        # malformed timestamps under a valid signature
        for inner, what in [("value:!!", "not base62"), ("novalue", "no inner separator"),
                            ("value:", "empty timestamp"), ("value:-", "timestamp '-'"),
                            ("value:0001kHR5c", "leading zeros")]:
            make = {"op": "sign", "signer": "Signer", "salt": TS_SALT, "value": inner,
                    "sign_with": 0}
            verdict = {"op": "unsign", "signer": "TimestampSigner"}
            item("malformed timestamp: " + what, make, verdict, "unsign", ["--timestamp"],
                 timestamp=("ts-of", inner))
        # dumps / loads
        dumps_case("dumps", {"a": 1, "\u00e9": "\U0001F600"}, max_age=100, now=T + 50)
        dumps_case("dumps compress", list(range(30)), compress=True)
        dumps_case("dumps salt", {"s": 1}, salt="my.salt")
        dumps_case("dumps expired", {"a": 1}, max_age=10, now=T + 50)
        dumps_case("dumps tampered", {"a": 1}, transform=tamper)
        dumps_case("dumps floats and big ints", [1.5, 1e16, 1e-05, -0.0, 2 ** 64])
        if prof.has_obj:
            dumps_case("sign_object no timestamp", {"o": [1, "\u00e9"]}, kind="Signer")
            dumps_case("sign_object no timestamp compress", list(range(40)), kind="Signer",
                       compress=True)
        for payload, what in [("." + b64u(b"not zlib"), "invalid zlib"),
                              (b64u(b"{bad"), "invalid JSON"),
                              (b64u(b'{"a":1}') + "==", "padded base64"),
                              (b64u(b'"\xc3\xa9"'), "raw UTF-8 JSON (mojibake)"),
                              (b64u(b'[1,2,3,4]')[:4] + "!" + b64u(b'[1,2,3,4]')[4:],
                               "garbage char in base64")]:
            make = {"op": "sign", "signer": "TimestampSigner", "salt": DUMPS_SALT,
                    "value": payload, "now": T, "sign_with": 0}
            verdict = {"op": "loads", "signer": None}
            item("loads payload: " + what, make, verdict, "loads", [], timestamp=T)
        return items

    def run_c(self, prof):
        items = self.plan_c(prof)
        made = self.oracle(prof, [it["make"] for it in items])
        inputs = []
        for it, m in zip(items, made):
            if not m["ok"]:
                raise RuntimeError("Django could not make %s: %s" % (it["name"], m))
            inputs.append(it["transform"](m["text"]) if it["transform"] else m["text"])
        verdicts = self.oracle(prof, [dict(it["verdict"], input=inp, ring=True)
                                      for it, inp in zip(items, inputs)])
        calls = []
        for it, inp in zip(items, inputs):
            opts = list(it["opts"]) + ([] if it["bare"] else ["--json"])
            calls.append(((it["command"], opts, inp), {"keys": it["keys"]}))
        outs = self.cli_many(prof, calls)
        for it, inp, v, (rc, out, err, cmd) in zip(items, inputs, verdicts, outs):
            name = "[c] %s %s" % (it["command"], it["name"])
            if not prof.has_fb and v.get("key_index", 0) > 0:
                name += " (signring ring: Django %s has no fallbacks)" % prof.ver
            ctx = "\n       input %s\n       cmd %s\n       stderr %s" % (
                short(inp, 200), short(" ".join(cmd), 300), short(err.strip(), 300))
            if it["bare"]:
                if v["ok"]:
                    ok = rc == 0 and out == v["text"]
                    self.result(prof, name, ok, "Django ok %r; CLI exit %d, stdout %s%s" % (
                        v["text"], rc, short(out), ctx))
                else:
                    self.result(prof, name, rc == 1, "Django %s; CLI exit %d, stdout %s%s" % (
                        v["error"], rc, short(out), ctx))
                continue
            try:
                got = json.loads(out)
            except ValueError:
                self.result(prof, name, False, "CLI exit %d, output is not JSON: %s%s" % (
                    rc, short(out), ctx))
                continue
            if not v["ok"]:
                want = CLI_ERROR.get(v["error"], "?" + v["error"])
                ok = rc == 1 and got == {"ok": False, "error": want}
                self.result(prof, name, ok, "Django raised %s => expected exit 1 and error %r;"
                            " CLI exit %d: %s%s" % (v["error"], want, rc, short(out, 300), ctx))
                continue
            index = it["index"]
            alg = it["alg"]
            stale = index > 0 or alg != it["own_alg"]
            ts = it["timestamp"]
            if isinstance(ts, tuple):  # a malformed-timestamp case that Django accepted
                ts = self.b62_decode(ts[1].rsplit(":", 1)[1])
            if it["command"] == "loads":
                want_value = json.loads(v["obj_json"])
                value_ok = "value" in got and canon(got["value"]) == canon(want_value)
            else:
                want_value = v["text"]
                value_ok = got.get("value") == want_value
            want = {"ok": True, "value": want_value, "key_index": index, "stale": stale,
                    "algorithm": alg, "timestamp": ts}
            ok = (rc == 0 and got.get("ok") is True and value_ok and
                  got.get("key_index") == index and got.get("stale") is stale and
                  got.get("algorithm") == alg and got.get("timestamp") == ts)
            self.result(prof, name, ok, "expected exit 0 and %s\n       CLI exit %d: %s%s" % (
                short(json.dumps(want), 300), rc, short(out, 300), ctx))

    @staticmethod
    def b62_decode(s):
        alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        sign = -1 if s.startswith("-") else 1
        n = 0
        for ch in s.lstrip("-"):
            n = n * 62 + alphabet.index(ch)
        return sign * n

    # ---------------------------------------------------------------- driver
    def keygen(self, prof):
        rc, out, err, cmd = self.cli(prof, "keygen", [], None, keys=None)
        ok = (rc == 0 and len(out) >= 50 and len(set(out)) >= 5 and "\n" not in out and
              not out.startswith("django-insecure-"))
        self.result(prof, "[b] keygen makes a key Django's checks accept", ok,
                    "exit %d, output %r, stderr %s" % (rc, out, short(err, 200)))
        return out if ok else None


def canon(x):
    return json.dumps(x, sort_keys=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--venvs", required=True, help="directory made by tests/django/venv.sh")
    ap.add_argument("--signring", required=True, help="path to the signring CLI binary")
    ap.add_argument("--vectors", required=True, help="directory of committed vector files")
    ap.add_argument("--parts", default="abcdef", help="which parts to run (default abcdef)")
    ap.add_argument("--max-failures", type=int, default=60,
                    help="print at most this many failure details (all are counted)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    files = sorted(f for f in os.listdir(args.vectors) if FILE_RE.match(f))
    if not any(p in args.parts for p in "abc"):
        files = []
    elif not files:
        print("no django-*.json vector files in %s" % args.vectors)
        print("0 passed, 1 failed")
        return 1
    profiles = [Profile(os.path.join(args.vectors, f)) for f in files]
    checker = Checker(args)
    adapters = [AdapterProfile(os.path.join(args.vectors, f)) for f in adapter_files(args.vectors)]
    if any(p in args.parts for p in "def") and not adapters:
        print("no adapters-*.json vector files in %s" % args.vectors)
        print("0 passed, 1 failed")
        return 1
    if not any(p in args.parts for p in "def"):
        adapters = []
    achecker = AdapterChecker(args, checker.tmp, checker.result)
    cli_ok = os.path.isfile(args.signring) and os.access(args.signring, os.X_OK)
    started = time.time()

    # (a) for all profiles at once (two at a time: 2 cores)
    regen = {}
    if "a" in args.parts or "d" in args.parts:
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
            futs = {p.name: ex.submit(checker.regen, p) for p in profiles if "a" in args.parts}
            futs.update({p.name: ex.submit(achecker.regen, p) for p in adapters
                         if "d" in args.parts})
            regen = {k: f.result() for k, f in futs.items()}

    for prof in profiles:
        t0 = time.time()
        if "a" in args.parts:
            ok, detail = regen[prof.name]
            checker.result(prof, "[a] regenerated vectors identical to %s" % prof.path, ok, detail)
        checker.keys_file(prof)
        if ("b" in args.parts or "c" in args.parts) and not cli_ok:
            checker.result(prof, "[b/c] signring CLI", False,
                           "no executable at %s (build it: cargo build -p signring-cli)"
                           % args.signring)
        elif not os.path.exists(checker.venv_python(prof)):
            checker.result(prof, "[b/c] venv", False, "missing %s" % checker.venv_python(prof))
        else:
            try:
                if "b" in args.parts:
                    key = checker.keygen(prof)
                    checker.run_b(prof, key)
                if "c" in args.parts:
                    checker.run_c(prof)
            except Exception as e:  # noqa: BLE001 - an oracle crash is one failure
                checker.result(prof, "[b/c] harness", False, "%s: %s" % (type(e).__name__, e))
        print("%s (Django %s%s): %d passed, %d failed [%.1fs]" % (
            prof.name, prof.ver, ", DEFAULT_HASHING_ALGORITHM=" + prof.dha if prof.dha else "",
            prof.passed, prof.failed, time.time() - t0))
    for prof in adapters:
        t0 = time.time()
        if "d" in args.parts:
            ok, detail = regen[prof.name]
            checker.result(prof, "[d] regenerated vectors identical to %s" % prof.path, ok, detail)
        if ("e" in args.parts or "f" in args.parts) and not cli_ok:
            checker.result(prof, "[e/f] signring CLI", False,
                           "no executable at %s (build it: cargo build -p signring-cli)"
                           % args.signring)
        elif not os.path.exists(achecker.venv_python(prof)):
            checker.result(prof, "[e/f] venv", False, "missing %s" % achecker.venv_python(prof))
        else:
            for part, run in (("e", achecker.run_e), ("f", achecker.run_f)):
                if part not in args.parts:
                    continue
                try:
                    run(prof)
                except Exception as e:  # noqa: BLE001 - an oracle crash is one failure
                    checker.result(prof, "[%s] harness" % part, False,
                                   "%s: %s" % (type(e).__name__, e))
        print("%s (Django %s%s): %d passed, %d failed [%.1fs]" % (
            prof.name, prof.ver, ", DEFAULT_HASHING_ALGORITHM=" + prof.dha if prof.dha else "",
            prof.passed, prof.failed, time.time() - t0))
    profiles = profiles + adapters
    passed = sum(p.passed for p in profiles)
    failed = sum(p.failed for p in profiles)
    if checker.failures_shown > args.max_failures:
        print("(%d more failure details not shown)" % (checker.failures_shown - args.max_failures))
    shutil.rmtree(checker.tmp, ignore_errors=True)
    print("total time %.1fs" % (time.time() - started))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
