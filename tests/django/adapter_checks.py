"""The `signring django ...` part of live_check.py (Django's own artifacts).

For each committed tests/data/django/adapters-<X.Y>[-sha1].json ("adapter profile"):

(d) regen: re-run gen_adapter_vectors.py in the matching venv; the output must be
    byte-identical to the committed file (the vectors are what Django produces);
(e) django->rust: every vector case through the CLI (`--django X.Y`). Making ops
    (session encode, auth-hash, reset-token make, cookie set, messages
    encode/store) must print Django's exact bytes; reading ops (session decode,
    auth-hash --verify, reset-token check, cookie get, messages decode,
    check-key) must give Django's verdict, value and key_index. Django 2.2/3.2
    have no SECRET_KEY_FALLBACKS; signring honours fallbacks under every profile
    (DESIGN.md), so there a fallback-signed input must verify the way Django does
    with that fallback as SECRET_KEY (the vector's "ring_result"); those checks
    are marked "signring ring". get_user keeps Django's release rule (fallback
    hashes log out before 4.1.8).
(f) rust->django: values the CLI makes for inputs that are not in the vectors,
    and `session rotate` outputs, are given to the live Django
    (gen_adapter_vectors.py --oracle), which must read them back; a rotated
    session must keep the user logged in under a Django with only the new key.
"""

import concurrent.futures
import json
import os
import re
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "gen_adapter_vectors.py")
FILE_RE = re.compile(r"^adapters-(\d+)\.(\d+)(?:-(sha1|sha256))?\.json$")
NOT_FINISHED = "__messagesnotfinished__"
SETTINGS_ENV = ["SECRET_KEY", "SECRET_KEY_FALLBACKS", "DEFAULT_HASHING_ALGORITHM",
                "SESSION_COOKIE_AGE", "PASSWORD_RESET_TIMEOUT", "PASSWORD_RESET_TIMEOUT_DAYS",
                "SIGNED_COOKIE_LEGACY_SALT_FALLBACK"]
CLI_ERROR = {  # Django exception -> CLI --json error
    "BadSignature": "bad_signature",
    "SignatureExpired": "expired",
    "ValueError": "malformed",
}
BACKEND = "django.contrib.auth.backends.ModelBackend"


def short(x, n=160):
    s = x if isinstance(x, str) else json.dumps(x)
    return s if len(s) <= n else s[:n] + "...(%d chars)" % len(s)


def num(x):
    return repr(x) if isinstance(x, float) else str(x)


def canon(x):
    return json.dumps(x, sort_keys=True)


class AdapterProfile:
    def __init__(self, path):
        m = FILE_RE.match(os.path.basename(path))
        self.path = path
        self.V = (int(m.group(1)), int(m.group(2)))
        self.ver = "%d.%d" % self.V
        self.dha = m.group(3)
        self.name = "adapters-" + self.ver + ("-" + self.dha if self.dha else "")
        self.has_fb = self.V >= (4, 1)
        with open(path, encoding="ascii") as f:
            self.doc = json.load(f)
        self.current = self.doc["keys"]["current"]
        self.fallbacks = list(self.doc["keys"]["fallbacks"])
        self.ring_keys = [self.current] + self.fallbacks
        self.passed = 0
        self.failed = 0

    @property
    def ring(self):
        return {"current": self.current, "fallbacks": self.fallbacks}

    def only(self, i):
        """a ring whose current key is ring key i, without fallbacks."""
        return {"current": self.ring_keys[i], "fallbacks": []}


class AdapterChecker:
    def __init__(self, args, tmp, result):
        self.args = args
        self.tmp = tmp
        self.result = result  # result(prof, name, ok, detail)

    def venv_python(self, prof):
        return os.path.join(self.args.venvs, "django-" + prof.ver, "bin", "python")

    # ------------------------------------------------------------ plumbing
    def cli(self, prof, args, positionals, keys=None, env=None):
        e = dict(os.environ)
        for k in SETTINGS_ENV:
            e.pop(k, None)
        if prof.dha:
            e["DEFAULT_HASHING_ALGORITHM"] = prof.dha
        keys = keys or prof.ring
        e["SECRET_KEY"] = keys["current"]
        e["SECRET_KEY_FALLBACKS"] = json.dumps(keys["fallbacks"])
        e.update(env or {})
        cmd = [self.args.signring, "--django", prof.ver, "django"] + list(args) + ["--"] + list(
            positionals)
        try:
            p = subprocess.run(cmd, capture_output=True, env=e, timeout=60)
        except subprocess.TimeoutExpired:
            return 124, "", "timeout", cmd
        out = p.stdout.decode("utf-8", "replace")
        if out.endswith("\n"):
            out = out[:-1]
        return p.returncode, out, p.stderr.decode("utf-8", "replace"), cmd

    def run_items(self, prof, items):
        """items: dicts with name, args, pos, keys, env, check(rc, out, got) -> (ok, detail)."""
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as ex:
            outs = list(ex.map(lambda it: self.cli(prof, it["args"], it["pos"], it.get("keys"),
                                                   it.get("env")), items))
        for it, (rc, out, err, cmd) in zip(items, outs):
            try:
                got = json.loads(out) if out.startswith("{") else None
            except ValueError:
                got = None
            try:
                ok, detail = it["check"](rc, out, got)
            except Exception as e:  # noqa: BLE001 - a malformed answer is one failure
                ok, detail = False, "%s: %s" % (type(e).__name__, e)
            ctx = "\n       cmd %s\n       exit %d, stdout %s\n       stderr %s" % (
                short(" ".join(repr(c) if (not c or " " in c) else c for c in cmd[1:]), 400),
                rc, short(out, 400), short(err.strip(), 300))
            self.result(prof, it["name"], ok, (detail or "") + ctx)
        return outs

    def oracle(self, prof, requests):
        if not requests:
            return []
        cmd = [self.venv_python(prof), GEN, "--oracle"]
        if prof.dha:
            cmd += ["--default-hashing-algorithm", prof.dha]
        p = subprocess.run(cmd, input=json.dumps({"requests": requests}), capture_output=True,
                           text=True, encoding="utf-8", timeout=600)
        if p.returncode != 0:
            raise RuntimeError("gen_adapter_vectors.py --oracle failed (%d): %s" % (
                p.returncode, p.stderr[-3000:]))
        out = json.loads(p.stdout)
        assert len(out) == len(requests)
        for req, ans in zip(requests, out):
            if "oracle_error" in ans:
                raise RuntimeError("oracle: %s on %s" % (ans["oracle_error"], short(req, 300)))
        return out

    # ------------------------------------------------------------ (d)
    def regen(self, prof):
        if not os.path.exists(self.venv_python(prof)):
            return False, "no venv for Django %s" % prof.ver
        outdir = os.path.join(self.tmp, "regen-" + prof.name)
        cmd = [self.venv_python(prof), GEN, outdir]
        if prof.dha:
            cmd += ["--default-hashing-algorithm", prof.dha]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        if p.returncode != 0:
            return False, "gen_adapter_vectors.py exited %d: %s%s" % (
                p.returncode, p.stdout[-2000:], p.stderr[-2000:])
        with open(prof.path, "rb") as f:
            old = f.read()
        with open(os.path.join(outdir, os.path.basename(prof.path)), "rb") as f:
            new = f.read()
        if old == new:
            return True, ""
        from live_check import Checker
        return False, Checker.describe_diff(old, new)

    # ------------------------------------------------------------ (e)
    def expected(self, prof, case):
        """(result, via_ring): Django's verdict, or on 2.2/3.2 for a fallback-signed
        input the verdict with that fallback as SECRET_KEY."""
        if "ring_result" in case:
            return case["ring_result"], True
        return case["result"], False

    def plan_e(self, prof):
        items = []
        d = prof.doc
        for n, case in enumerate(d["cases"]):
            plan = getattr(self, "e_" + case["op"])(prof, case)
            if plan is None:
                continue
            note = case.get("note")
            plan["name"] = "[e] %s #%d%s%s" % (case["op"], n, ": " + note if note else "",
                                               plan.pop("suffix", ""))
            items.append(plan)
        return items

    @staticmethod
    def fail_check(expect_error=None):
        def check(rc, out, got):
            if rc != 1 or not got or got.get("ok") is not False:
                return False, "Django rejects it: expected exit 1 and {\"ok\": false, ...}"
            if expect_error and got.get("error") != expect_error:
                return False, "expected error %r" % expect_error
            return True, ""
        return check

    def ring_suffix(self, prof, via_ring):
        return " (signring ring: Django %s has no fallbacks)" % prof.ver if via_ring else ""

    # sessions
    def e_session_encode(self, prof, c):
        args = ["session", "encode", "--backend", c["backend"]]
        if c["session_class"]:
            args += ["--session-class", c["session_class"]]
        args += ["--now", num(c["now"])]

        def check(rc, out, got):
            return rc == 0 and out == c["data"], "Django wrote %s" % short(c["data"], 300)
        return {"args": args, "pos": [c["session_json"]], "keys": prof.only(c["signed_with"]),
                "check": check}

    def e_session_decode(self, prof, c):
        args = ["session", "decode", "--backend", c["backend"]]
        if c["session_class"]:
            args += ["--session-class", c["session_class"]]
        if c["now"] is not None:
            args += ["--now", num(c["now"])]
        args += ["--json"]
        env = {}
        if c["session_cookie_age"] is not None:
            env["SESSION_COOKIE_AGE"] = str(c["session_cookie_age"])
        r, via_ring = self.expected(prof, c)
        plan = {"args": args, "pos": [c["data"]], "env": env,
                "suffix": self.ring_suffix(prof, via_ring)}
        if not r["ok"]:
            plan["check"] = self.fail_check()
            return plan
        want = json.loads(r["session_json"])
        if not isinstance(want, dict):
            # Django's decode returns it, and the session fails on first use
            # (AttributeError): not a session; signring refuses it.
            plan["check"] = self.fail_check()
            plan["suffix"] += " (not an object: unusable in Django, refused)"
            return plan
        index = c["signed_with"]
        own = (c.get("note") or "").startswith("own encoding")

        def check(rc, out, got):
            if rc != 0 or not got or got.get("ok") is not True:
                return False, "Django decodes it to %s" % short(r["session_json"], 200)
            if canon(got.get("session")) != canon(want):
                return False, "session differs: Django %s" % short(r["session_json"], 300)
            if got.get("key_index") != index:
                return False, "expected key_index %s" % index
            if index and got.get("stale") is not True:
                return False, "a fallback-signed session must be stale"
            if own and got.get("stale") is not False:
                return False, "Django's own current encoding must not be stale"
            return True, ""
        plan["check"] = check
        return plan

    # auth
    def e_auth_hash(self, prof, c):
        args = ["auth-hash"]
        default = "sha1" if prof.V < (3, 1) or prof.dha == "sha1" else "sha256"
        if c["algorithm"] != default:
            args += ["--algorithm", c["algorithm"]]

        def check(rc, out, got):
            return rc == 0 and out == c["hash"], "Django's hash %s" % c["hash"]
        return {"args": args, "pos": [c["password"]], "keys": prof.only(c["signed_with"]),
                "check": check}

    def e_get_user(self, prof, c):
        if c["stored_hash"] is None:
            return None  # no hash in the session: nothing to pass to --verify
        want = c["outcome"]

        def check(rc, out, got):
            if rc == 0 and got and got.get("ok") is True:
                effective = got.get("get_user")
            elif rc == 1 and got and got.get("ok") is False:
                effective = "logged_out"  # no key made the hash
            else:
                return False, "expected exit 0 or 1 with a JSON report"
            if effective != want:
                return False, "Django's get_user: %s; CLI says %s" % (want, effective)
            if want != "logged_out" and got.get("key_index") != c["signed_with"]:
                return False, "expected key_index %s" % c["signed_with"]
            return True, ""
        return {"args": ["auth-hash", "--verify", c["stored_hash"], "--json"],
                "pos": [c["password"]], "check": check}

    # tokens
    def e_reset_token_make(self, prof, c):
        def check(rc, out, got):
            if c["token"] is None:
                return rc in (1, 2) and out == "", "Django raises %s: the CLI must refuse " \
                    "(a token Django cannot make or read)" % c.get("error")
            return rc == 0 and out == c["token"], "Django's token %s" % c["token"]
        return {"args": ["reset-token", "make", "--now", c["now"]], "pos": [json.dumps(c["user"])],
                "keys": prof.only(c["signed_with"]), "check": check}

    def e_reset_token_check(self, prof, c):
        env = {}
        if c["timeout"] is not None:
            env["PASSWORD_RESET_TIMEOUT"] = str(c["timeout"])
        if c["timeout_days"] is not None:
            env["PASSWORD_RESET_TIMEOUT_DAYS"] = str(c["timeout_days"])
        r, via_ring = self.expected(prof, c)
        plan = {"args": ["reset-token", "check", "--now", c["now"], "--json"],
                "pos": [json.dumps(c["user"]), c["token"]], "env": env,
                "suffix": self.ring_suffix(prof, via_ring)}
        if not r:
            plan["check"] = self.fail_check()
            return plan

        def check(rc, out, got):
            if rc != 0 or not got or got.get("ok") is not True:
                return False, "Django accepts the token"
            if got.get("key_index") != c["signed_with"]:
                return False, "expected key_index %s" % c["signed_with"]
            return True, ""
        plan["check"] = check
        return plan

    # cookies
    def e_cookie_set(self, prof, c):
        if "\x00" in c["value"]:
            return None  # argv cannot carry NUL
        args = ["cookie", "set", "--name", c["name"]]
        if c["salt"] is not None:
            args += ["--salt", c["salt"]]
        args += ["--now", num(c["now"]), "--json"]

        def check(rc, out, got):
            if rc != 0 or not got:
                return False, "Django sets %s" % c["set_cookie_value"]
            if got.get("cookie_value") != c["cookie_value"]:
                return False, "cookie value: Django %s" % short(c["cookie_value"], 300)
            if got.get("set_cookie_value") != c["set_cookie_value"]:
                return False, "Set-Cookie value: Django %s" % short(c["set_cookie_value"], 300)
            return True, ""
        return {"args": args, "pos": [c["value"]], "keys": prof.only(c["signed_with"]),
                "check": check}

    def e_cookie_get(self, prof, c):
        if "\x00" in c["cookie_value"]:
            return None
        args = ["cookie", "get", "--name", c["name"]]
        if c["salt"] is not None:
            args += ["--salt", c["salt"]]
        if c["max_age"] is not None:
            args += ["--max-age", num(c["max_age"])]
        if c["now"] is not None:
            args += ["--now", num(c["now"])]
        args += ["--json"]
        env = {}
        if c["legacy_salt_fallback"] is not None:
            env["SIGNED_COOKIE_LEGACY_SALT_FALLBACK"] = "true" if c["legacy_salt_fallback"] \
                else "false"
        r, via_ring = self.expected(prof, c)
        plan = {"args": args, "pos": [c["cookie_value"]], "env": env,
                "suffix": self.ring_suffix(prof, via_ring)}
        if not r["ok"]:
            plan["check"] = self.fail_check(CLI_ERROR.get(r["error"], "?" + r["error"]))
            return plan

        def check(rc, out, got):
            if rc != 0 or not got or got.get("ok") is not True:
                return False, "Django returns %r" % r["value"]
            if got.get("value") != r["value"]:
                return False, "value: Django %r" % r["value"]
            if got.get("salt_variant") != r["salt_variant"]:
                return False, "salt variant: Django %s" % r["salt_variant"]
            if got.get("key_index") != c["signed_with"]:
                return False, "expected key_index %s" % c["signed_with"]
            return True, ""
        plan["check"] = check
        return plan

    # messages
    def e_messages_encode(self, prof, c):
        msgs = list(c["messages"]) + ([NOT_FINISHED] if c["not_finished"] else [])
        args = ["messages", "encode"] + (["--encode-empty"] if c["encode_empty"] else [])
        args += ["--now", num(c["now"]), "--json"]

        def check(rc, out, got):
            if rc != 0 or not got:
                return False, "Django encodes %s" % short(c["data"], 300)
            if got.get("cookie_value") != c["data"]:
                return False, "cookie value: Django %s" % short(c["data"], 300)
            if got.get("set_cookie_value") != c["set_cookie_value"]:
                return False, "Set-Cookie value: Django %s" % short(c["set_cookie_value"], 300)
            return True, ""
        return {"args": args, "pos": [json.dumps(msgs)], "keys": prof.only(c["signed_with"]),
                "check": check}

    def e_messages_store(self, prof, c):
        args = ["messages", "store"] + ([] if c["remove_oldest"] else ["--remove-newest"])
        args += ["--now", num(c["now"]), "--json"]

        def check(rc, out, got):
            if rc != 0 or not got:
                return False, "Django stores %s" % short(c["cookie_value"], 200)
            if got.get("cookie_value") != c["cookie_value"]:
                return False, "cookie value: Django %s (%d unstored)" % (
                    short(c["cookie_value"], 200), len(c["unstored"]))
            if got.get("set_cookie_value") != c["set_cookie_value"]:
                return False, "Set-Cookie value: Django %s" % short(c["set_cookie_value"], 200)
            if canon(got.get("unstored")) != canon(c["unstored"]):
                return False, "unstored: Django %d messages, CLI %s" % (
                    len(c["unstored"]), len(got.get("unstored") or []))
            return True, ""
        return {"args": args, "pos": [json.dumps(c["messages"])], "keys": prof.only(0),
                "check": check}

    def e_messages_decode(self, prof, c):
        r, via_ring = self.expected(prof, c)
        plan = {"args": ["messages", "decode", "--json"], "pos": [c["data"]],
                "suffix": self.ring_suffix(prof, via_ring)}
        if not r["ok"]:
            plan["check"] = self.fail_check()
            return plan
        want = list(r["messages"]) + ([NOT_FINISHED] if r["not_finished"] else [])
        # DIFFERENCE: Django's str() of a list with characters above U+00FF (a
        # message flagged safe) needs Unicode's printable table; signring refuses.
        beyond = "beyond Latin-1" in (c.get("note") or "")
        if beyond:
            plan["suffix"] += " (DIFFERENCE: refusal accepted)"

        def check(rc, out, got):
            if beyond and rc == 1 and got and got.get("ok") is False:
                return True, ""
            if rc != 0 or not got or got.get("ok") is not True:
                return False, "Django reads %s" % short(want, 300)
            if canon(got.get("messages")) != canon(want):
                return False, "messages: Django %s" % short(want, 300)
            if bool(got.get("single")) != bool(r.get("single")):
                return False, "single: Django %s" % bool(r.get("single"))
            if got.get("key_index") != c["signed_with"]:
                return False, "expected key_index %s" % c["signed_with"]
            return True, ""
        plan["check"] = check
        return plan

    def e_messages_reencode(self, prof, c):
        if c["add"]:
            return None  # a request adding messages: decode + encode, in cargo test
        r, via_ring = self.expected(prof, c)
        plan = {"args": ["messages", "rotate", "--now", num(c["now"]), "--json"],
                "pos": [c["data"]], "suffix": self.ring_suffix(prof, via_ring)}
        if not r["ok"]:
            plan["check"] = self.fail_check()
            return plan
        beyond = "beyond Latin-1" in (c.get("note") or "")

        def check(rc, out, got):
            if beyond and rc == 1 and got and got.get("ok") is False:
                return True, ""
            if rc != 0 or not got or got.get("cookie_value") != r["data"]:
                return False, "Django writes %s" % short(r["data"], 300)
            if got.get("key_index") != c["signed_with"]:
                return False, "expected key_index %s" % c["signed_with"]
            return True, ""
        plan["check"] = check
        return plan

    # checks
    def e_check_key(self, prof, c):
        if c["secret_key"] == "" or "" in c["fallbacks"]:
            return None  # an empty key is a configuration error for the CLI
        want = sorted(c.get("ring_warnings", c["warnings"]))
        suffix = self.ring_suffix(prof, "ring_warnings" in c and c["ring_warnings"] != c[
            "warnings"])

        def check(rc, out, got):
            if not got or sorted(got.get("warnings", [])) != want:
                return False, "Django warns %s" % want
            return rc == (1 if want else 0), "exit must be %d" % (1 if want else 0)
        return {"args": ["check-key", "--json"], "pos": [],
                "keys": {"current": c["secret_key"], "fallbacks": c["fallbacks"]},
                "check": check, "suffix": suffix}

    def run_e(self, prof):
        self.run_items(prof, self.plan_e(prof))

    # ------------------------------------------------------------ (f)
    def run_f(self, prof):
        T = 1700000000
        alg = "sha1" if prof.V < (3, 1) or prof.dha == "sha1" else "sha256"
        pw = "pbkdf2_sha256$720000$rotation$c2FsdGVkaGFzaA=="
        hashes = self.oracle(prof, [
            {"op": "auth_hash", "password": pw, "signed_with": i} for i in range(len(prof.ring_keys))])
        login = {"_auth_user_id": "7", "_auth_user_backend": BACKEND,
                 "_auth_user_hash": hashes[0]["hash"], "cart": ["\u00e9", 1.5, None]}
        sessions = [{"a": 1}, {}, login,
                    {"k\u00e9y": "Zo\u00eb \U0001F600", "n": [2 ** 63, -0.0, 1e16, True]},
                    {"cart": [{"sku": "SKU-%05d" % k, "t": "item %d" % k} for k in range(300)]}]
        items, reqs = [], []
        # sessions: CLI encodes, Django decodes
        for backend, cls in [("db", None), ("file", None), ("cached_db", None),
                             ("signed_cookies", None), ("db", "MyStore")]:
            for s in sessions:
                args = ["session", "encode", "--backend", backend, "--now", str(T)]
                if cls:
                    args += ["--session-class", cls]
                items.append({"args": args, "pos": [json.dumps(s)], "keys": prof.only(0),
                              "what": "session encode %s%s %s" % (
                                  backend, " " + cls if cls else "", short(json.dumps(s), 40))})
                reqs.append(lambda out, backend=backend, cls=cls, s=s: (
                    {"op": "session_decode", "backend": backend, "session_class": cls,
                     "data": out, "now": T + 10 if backend == "signed_cookies" else None,
                     "session_cookie_age": None, "empty_input": not s},
                    lambda ans, s=s: (ans["result"].get("ok") and
                                      canon(json.loads(ans["result"]["session_json"])) == canon(s),
                                      "Django: %s" % short(ans["result"], 200))))
        # auth hash: Django's get_user accepts the CLI's hash
        items.append({"args": ["auth-hash"], "pos": [pw], "keys": prof.only(0),
                      "what": "auth-hash, then get_user"})
        reqs.append(lambda out: ({"op": "get_user", "password": pw, "stored_hash": out},
                                 lambda ans: (ans["outcome"] == "logged_in", "Django: %s" % ans)))
        # reset tokens: CLI makes, Django checks
        users = [{"pk": 3, "password": pw, "last_login": "2023-07-08T09:10:11.123456",
                  "email": "r\u00e9set@example.com"},
                 {"pk": "0d6fd3e4-4a30-4e7b-9a65-3a3a1b0f9a11", "password": "", "last_login": None,
                  "email": ""}]
        for u in users:
            for now in ["2023-09-01T10:00:00", "2031-02-03T04:05:06.999999"]:
                items.append({"args": ["reset-token", "make", "--now", now],
                              "pos": [json.dumps(u)], "keys": prof.only(0),
                              "what": "reset-token make pk %s at %s" % (u["pk"], now)})
                reqs.append(lambda out, u=u, now=now: (
                    {"op": "reset_token_check", "user": u, "token": out, "now": now,
                     "timeout": None, "timeout_days": None},
                    lambda ans: (ans["result"] is True, "Django: %s" % ans)))
        # cookies: CLI sets, Django gets
        for name, salt, value in [("prefs", None, "dark; lang=fr"), ("c", "s\u00e4lt", "\u4e2d"),
                                  ("ab", "c", 'q "x" \\ y'), ("n", "", "")]:
            args = ["cookie", "set", "--name", name, "--now", str(T)]
            if salt is not None:
                args += ["--salt", salt]
            items.append({"args": args, "pos": [value], "keys": prof.only(0),
                          "what": "cookie set %s/%r %r" % (name, salt, value)})
            reqs.append(lambda out, name=name, salt=salt, value=value: (
                {"op": "cookie_get", "name": name, "salt": salt, "cookie_value": out,
                 "max_age": 60, "now": T + 30, "legacy_salt_fallback": None},
                lambda ans, value=value: (ans["result"].get("ok") and ans["result"]["value"] == value,
                                          "Django: %s" % ans["result"])))
        # messages: CLI encodes, Django decodes
        m = lambda lvl, text, tags="", safe=False: {"level": lvl, "message": text,  # noqa: E731
                                                   "extra_tags": tags, "safe": safe}
        for msgs in [[m(20, "Saved \u00e9 \U0001F600")], [m(25, "<b>ok</b>", "t", True), m(40, "x", None)],
                     [m(30, "same text")] * 60 + [NOT_FINISHED]]:
            items.append({"args": ["messages", "encode", "--now", str(T)], "pos": [json.dumps(msgs)],
                          "keys": prof.only(0), "what": "messages encode %s" % short(msgs, 60)})
            reqs.append(lambda out, msgs=msgs: (
                {"op": "messages_decode", "data": out},
                lambda ans, msgs=msgs: self.same_messages(prof, ans, msgs)))
        K = "__json_message"
        entries = [m(20, "a"), {"other": "bare \u00e9"},
                   {"other": {"k": [K, 0, "30", "nested"], "l": [1, None, 2.5]}}, m(25, "b", "t")]
        for msgs in [entries, entries + [NOT_FINISHED]]:
            items.append({"args": ["messages", "encode", "--now", str(T)], "pos": [json.dumps(msgs)],
                          "keys": prof.only(0), "what": "messages encode entries %s" % short(msgs, 60)})
            reqs.append(lambda out, msgs=msgs: (
                {"op": "messages_decode", "data": out},
                lambda ans, msgs=msgs: self.same_entries(prof, ans, msgs)))
        # rotation: Django writes a cookie with fallback 1; the CLI re-issues it with
        # the current key; a Django with only the current key reads what it read
        made = self.oracle(prof, [{"op": "messages_encode", "messages": msgs, "not_finished": nf,
                                   "encode_empty": True, "now": T, "signed_with": 1}
                                  for msgs, nf in [(entries, False), (entries, True)]])
        for ans in made:
            data = ans["data"]
            items.append({"args": ["messages", "rotate", "--now", str(T)], "pos": [data],
                          "what": "messages rotate %s" % short(data, 40)})
            reqs.append(lambda out, data=data: (
                {"op": "messages_decode", "data": out, "keys": prof.only(0)},
                lambda ans, data=data: self.same_decode(prof, ans, data)))
        outs = self.run_items(prof, [dict(it, name="[f] %s: CLI" % it["what"],
                                          check=lambda rc, out, got: (rc == 0 and out != "", ""))
                                     for it in items])
        pending = [(it, mk(out)) for it, mk, (rc, out, err, cmd) in zip(items, reqs, outs) if rc == 0]
        answers = self.oracle(prof, [req for it, (req, chk) in pending])
        for (it, (req, chk)), ans in zip(pending, answers):
            ok, detail = chk(ans)
            self.result(prof, "[f] %s: Django reads it" % it["what"], bool(ok),
                        detail + "\n       input %s" % short(req.get("data") or req.get(
                            "token") or req.get("cookie_value") or req.get("stored_hash"), 300))
        self.run_rotation(prof, pw, hashes, login, alg)

    def same_entries(self, prof, ans, msgs):
        """Django reads back the CLI's encoding of entries as the same entries
        (messages as Django writes them back: no empty tags before 4.1, nested
        messages canonical)."""
        want = self.oracle(prof, [{"op": "messages_decode", "data": self.oracle(prof, [
            {"op": "messages_encode", "messages": [x for x in msgs if x != NOT_FINISHED],
             "not_finished": NOT_FINISHED in msgs, "encode_empty": True, "now": 1700000000,
             "signed_with": 0}])[0]["data"]}])[0]["result"]
        r = ans["result"]
        ok = r.get("ok") and canon(r) == canon(want)
        return ok, "Django: %s; Django's own encoding reads as %s" % (short(r, 300), short(want, 300))

    def same_decode(self, prof, ans, data):
        """Django with only the current key reads the rotated cookie as Django
        with the original's key (fallback 1) read the original."""
        want = self.oracle(prof, [{"op": "messages_decode", "data": data,
                                   "keys": prof.only(1)}])[0]["result"]
        r = ans["result"]
        ok = r.get("ok") and canon(r) == canon(want)
        return ok, "Django: %s; original read as %s" % (short(r, 300), short(want, 300))

    def same_messages(self, prof, ans, msgs):
        r = ans["result"]
        want = [x for x in msgs if x != NOT_FINISHED]
        if prof.V < (4, 1):  # extra_tags "" is not written before 4.1
            want = [dict(x, extra_tags=None) if x["extra_tags"] == "" else x for x in want]
        ok = r.get("ok") and canon(r["messages"]) == canon(want) and \
            r["not_finished"] == (NOT_FINISHED in msgs)
        return ok, "Django: %s" % short(r, 300)

    def run_rotation(self, prof, pw, hashes, login, alg):
        """Sessions Django wrote under an old key (a fallback) or in an old format,
        rotated by the CLI, then read by a Django with only the current key."""
        T = 1650000000
        old = dict(login, _auth_user_hash=hashes[1]["hash"])
        makes = []
        for backend in ["db", "file", "cached_db", "signed_cookies"]:
            makes.append((backend, "fallback 1", {"op": "session_encode", "backend": backend,
                                                  "session_class": None,
                                                  "session_json": json.dumps(old), "now": T,
                                                  "signed_with": 1}))
        makes.append(("db", "current key, no user", {
            "op": "session_encode", "backend": "db", "session_class": None,
            "session_json": json.dumps({"cart": [1, 2]}), "now": T, "signed_with": 0}))
        made = self.oracle(prof, [mk for _, _, mk in makes])
        current_only = prof.only(0)
        new_hash = hashes[0]["hash"]
        items = []
        for (backend, what, mk), ans in zip(makes, made):
            items.append({"args": ["session", "rotate", "--backend", backend, "--password-hash", pw,
                                   "--now", str(T + 60), "--json"],
                          "pos": [ans["data"]], "what": "session rotate %s (%s)" % (backend, what),
                          "backend": backend, "session": json.loads(mk["session_json"]),
                          "key_index": mk["signed_with"]})
        # refused: the password changed since login
        items.append({"args": ["session", "rotate", "--password-hash", pw + "x", "--json"],
                      "pos": [made[0]["data"]], "what": "session rotate, password changed",
                      "refuse": True})
        outs = self.run_items(prof, [dict(
            it, name="[f] %s: CLI" % it["what"],
            check=(self.fail_check() if it.get("refuse") else
                   lambda rc, out, got, it=it: (rc == 0 and got and got.get("ok") is True and
                                                got.get("key_index") == it["key_index"],
                                                "expected ok with key_index %s" % it["key_index"])))
            for it in items])
        reqs, checks = [], []
        for it, (rc, out, err, cmd) in zip(items, outs):
            if it.get("refuse") or rc != 0:
                continue
            data = json.loads(out)["value"]
            want = dict(it["session"])
            if "_auth_user_hash" in want:
                want["_auth_user_hash"] = new_hash
            reqs.append({"op": "session_decode", "backend": it["backend"], "session_class": None,
                         "data": data, "now": T + 120 if it["backend"] == "signed_cookies" else None,
                         "session_cookie_age": None, "keys": current_only})
            checks.append((it, "Django with only the new key reads it",
                           lambda ans, want=want: (
                               ans["result"].get("ok") and canon(
                                   json.loads(ans["result"]["session_json"])) == canon(want),
                               "Django: %s; expected %s" % (short(ans["result"], 200),
                                                            short(want, 200)))))
            if "_auth_user_hash" in want:
                reqs.append({"op": "get_user", "password": pw, "stored_hash": new_hash,
                             "keys": current_only})
                checks.append((it, "the user stays logged in (get_user, new key only)",
                               lambda ans: (ans["outcome"] == "logged_in", "Django: %s" % ans)))
        for (it, what, chk), ans in zip(checks, self.oracle(prof, reqs)):
            ok, detail = chk(ans)
            self.result(prof, "[f] %s: %s" % (it["what"], what), bool(ok), detail)


def adapter_files(vectors):
    return sorted(f for f in os.listdir(vectors) if FILE_RE.match(f))
