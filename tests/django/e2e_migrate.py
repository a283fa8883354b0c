#!/usr/bin/env python3
"""End-to-end proof of `signring django session migrate` with real Django and real stores.

    python3 tests/django/e2e_migrate.py --venvs DIR --signring target/debug/signring

DIR holds the venvs made by `tests/django/venv.sh --e2e DIR` (Django plus psycopg2,
PyMySQL, redis and django-redis in django-2.2, django-4.2 and django-5.2). Servers
come from the environment:

    SIGNRING_TEST_POSTGRES_URL  e.g. postgres://postgres@127.0.0.1:5432/postgres
    SIGNRING_TEST_MYSQL_URL     e.g. mysql://root@127.0.0.1:3306/test  (MariaDB)
    SIGNRING_TEST_REDIS_URL     e.g. redis://127.0.0.1:6379/0

Each case makes its own database (CREATE/DROP DATABASE signring_e2e_*), Redis key
prefix (signring-e2e-*, deleted afterwards) or temporary directory. A case whose
server URL is unset is NOT RUN (said loudly, and counted as skipped); under CI=true
an unset or unreachable server is a failure. A set but unreachable URL always fails.

Every Django step runs in a subprocess of the matching venv (tests/django/
e2e_migrate_driver.py): a throw-away project with contrib.auth + contrib.sessions,
SESSION_ENGINE per case, keys from the environment. Keys: OLD (retired), NEW
(current), UNKNOWN (in no ring). The CLI always runs with SECRET_KEY=NEW and
SECRET_KEY_FALLBACKS=["OLD"].

main (per Django line 2.2/4.2/5.2 and store; see CASES):
  setup  1,000 users (--users) log in under OLD through authenticate() + login() as a
         login view does (a quarter with extra data), 100 anonymous sessions with
         data and custom expiries (OLD); 30 users and 20 anonymous sessions under
         NEW; 20 users under UNKNOWN; on 4.1+ 30 OLD
         sessions saved by a server with NEW + OLD fallback without touching
         request.user (new signature, old auth hash); corrupt values (garbage,
         truncated, tampered, wrong salt; in Redis also zlib/JSON/non-dict values).
  control  without the migration Django with only NEW sees none of the OLD users
         logged in (nor, for db/file, the OLD anonymous data); with NEW + OLD
         fallback (2.2: OLD) all of them; the probes wrote nothing.
  dry run  the counts the real run will report; nothing written.
  run    exit 1 (undecodable values exist) and the exact counts; the store: same keys,
         corrupt/UNKNOWN and NEW values byte-identical, every OLD value rewritten,
         expire_date / TTL / file mtime unchanged, signing timestamps kept (2.2: the
         legacy format written), cached_db cache entries of moved sessions deleted,
         no stray files; Django with only NEW: 100% of the users logged in (get_user,
         auth hash current), every session's data intact, UNKNOWN users still out;
         a second run changes nothing; a real GET /whoami/ with each cookie.
concurrency (4.2/5.2): a Django process keeps writing (logins, logouts, cycle_key,
  data changes with and without request.user, transactions held open and aimed
  just ahead of the migration's expected keyset position, so that it reads rows
  changed but not yet committed) while a slow migration (--batch-size, --max-rate)
  runs. No update by Django lost, no
  session lost or resurrected, none of Django's writes failed; every session
  verifies with NEW or is counted in skipped_concurrent, and one still carrying
  an old auth hash is one Django itself wrote meanwhile; a second run moves
  exactly what is left and afterwards every session verifies.
crash: SIGKILL (and for SQLite first SIGINT) mid-run with --state; the rerun with
  the same --state finishes: every row verifies, the runs' counts add up to the
  stale rows, and (SQL) a trigger shows no row was rewritten twice.

Prints one ok/FAIL line per check, a summary line per case, the total time and a
final "N passed, M failed" line (", K skipped" when servers were missing); exits 1
on any failure. Runs with any Python 3.8+.
"""

import argparse
import base64
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlsplit, urlunsplit

HERE = os.path.dirname(os.path.abspath(__file__))
DRIVER = os.path.join(HERE, "e2e_migrate_driver.py")

OLD = "e2e-old-key-retired-9f8e7d6c5b4a-QWERTYUIOPASDFGHJKLZXCVBNM-0123456789"
NEW = "e2e-new-key-current-1a2b3c4d5e6f-qwertyuiopasdfghjklzxcvbnm-9876543210"
UNKNOWN = "e2e-unknown-key-in-no-ring-5f4e3d2c1b0a-ZYXWVUTSRQPONMLKJIH-1357924680"

SERVERS = {"postgres": "SIGNRING_TEST_POSTGRES_URL", "mysql": "SIGNRING_TEST_MYSQL_URL",
           "redis": "SIGNRING_TEST_REDIS_URL"}
CONTRACT_OPTIONS = ["--engine", "--database", "--cache", "--cache-key-prefix", "--cache-version",
                    "--file-path", "--cookie-name", "--table", "--user-table", "--user-id-column",
                    "--password-column", "--batch-size", "--state", "--max-rate", "--dry-run",
                    "--json"]


class Case:
    """One Django line against one session store."""

    def __init__(self, kind, ver, engine, db="sqlite", cache=None, cookie=None, cache_version=1):
        self.kind, self.ver, self.engine, self.db = kind, ver, engine, db
        self.cache, self.cookie, self.cache_version = cache, cookie, cache_version
        store = {"db": db, "cached_db": "%s+redis(%s)" % (db, cache),
                 "cache": "redis(%s)" % cache, "file": "files"}[engine]
        self.name = "%s %s %s/%s" % (kind, ver, engine, store)
        self.needs = set()
        if db == "postgres":
            self.needs.add("postgres")
        if db == "mysql":
            self.needs.add("mysql")
        if cache:
            self.needs.add("redis")

    @property
    def fallbacks(self):  # Django 4.1+ reads SECRET_KEY_FALLBACKS
        return tuple(int(x) for x in self.ver.split(".")) >= (4, 1)


def cases():
    c = []
    # main: Django 2.2 (legacy session format, sha1 auth hash), 4.2, 5.2
    c += [Case("main", "2.2", "db"), Case("main", "2.2", "db", "postgres"),
          Case("main", "2.2", "cached_db", cache="django-redis"),
          Case("main", "2.2", "cache", cache="django-redis"), Case("main", "2.2", "file")]
    for ver in ("4.2", "5.2"):
        c += [Case("main", ver, "db"), Case("main", ver, "db", "postgres")]
        if ver == "4.2":  # MariaDB: here, in concurrency 4.2 and in crash 5.2
            c.append(Case("main", ver, "db", "mysql"))
        c += [
              Case("main", ver, "cached_db", "postgres" if ver == "4.2" else "sqlite",
                   cache="django" if ver == "4.2" else "django-redis", cache_version=2),
              Case("main", ver, "cache", cache="django", cache_version=3),
              Case("main", ver, "cache", cache="django-redis"),
              Case("main", ver, "file", cookie=None if ver == "4.2" else "appsession")]
    c += [Case("concurrency", "5.2", "db"), Case("concurrency", "5.2", "db", "postgres"),
          Case("concurrency", "4.2", "db", "mysql"),
          Case("concurrency", "4.2", "cached_db", "postgres", cache="django"),
          Case("concurrency", "5.2", "cache", cache="django"),
          Case("concurrency", "4.2", "file")]
    c += [Case("crash", "5.2", "db"), Case("crash", "4.2", "db", "postgres"),
          Case("crash", "5.2", "db", "mysql"), Case("crash", "5.2", "file"),
          Case("crash", "2.2", "db")]
    return c


def ts_of(value):
    """The base62 timestamp of a TimestampSigner value ("payload:ts:sig")."""
    parts = value.split(":")
    return parts[-2] if len(parts) >= 3 else None


def legacy_format(value):
    """Django < 3.1 session data: base64(40-hex sha1 hash + ':' + JSON)."""
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except Exception:  # noqa: BLE001
        return False
    return re.match(rb"^[0-9a-f]{40}:", raw) is not None


def few(items, n=3):
    items = list(items)
    return ", ".join(str(x) for x in items[:n]) + (" ... (%d in all)" % len(items)
                                                   if len(items) > n else "")


class Run:
    def __init__(self, args):
        self.args = args
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.not_run = []
        self.case = None
        self.run_id = "%d%04d" % (os.getpid() % 100000, random.randrange(10000))
        self.servers = {}
        self.server_error = {}

    # -------------------------------------------------------------- reporting

    def result(self, name, ok, detail=""):
        label = self.case.name if self.case else "setup"
        if ok:
            self.passed += 1
            print("  ok   %s: %s" % (label, name))
        else:
            self.failed += 1
            print("  FAIL %s: %s%s" % (label, name, ("\n       " + detail) if detail else ""))
        sys.stdout.flush()
        return ok

    # -------------------------------------------------------------- processes

    def python(self, ver):
        return os.path.join(self.args.venvs, "django-" + ver, "bin", "python")

    def admin(self, ver, *argv, timeout=120):
        p = subprocess.run([self.python(ver), DRIVER] + list(argv), capture_output=True,
                           text=True, timeout=timeout)
        if p.returncode != 0:
            raise RuntimeError("driver %s failed (%d): %s" % (argv[0], p.returncode,
                                                              (p.stderr or p.stdout)[-3000:]))
        return p.stdout

    def env(self, ctx, keys):
        env = dict(os.environ)
        for k in ("SECRET_KEY", "SECRET_KEY_FALLBACKS", "DJANGO_SETTINGS_MODULE"):
            env.pop(k, None)
        env.update(ctx["env"])
        env["E2E_SECRET_KEY"] = keys[0]
        env["E2E_SECRET_KEY_FALLBACKS"] = json.dumps(list(keys[1:]))
        return env

    def django(self, ctx, keys, step, *argv, timeout=600):
        t0 = time.time()
        try:
            self._django(ctx, keys, step, *argv, timeout=timeout)
        finally:
            st = ctx.setdefault("steps", {})
            st[step] = st.get(step, 0) + time.time() - t0

    def _django(self, ctx, keys, step, *argv, timeout=600):
        # One long-lived driver process per key configuration ("serve"): Django
        # starts once per case and configuration, not once per step.
        workers = ctx.setdefault("workers", {})
        w = workers.get(tuple(keys))
        if w is None or w["proc"].poll() is not None:
            err = open(os.path.join(ctx["tmp"], "worker-%d.err" % len(workers)), "w+")
            proc = subprocess.Popen([self.python(ctx["case"].ver), DRIVER, "serve"],
                                    env=self.env(ctx, keys), cwd=ctx["tmp"], text=True,
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err)
            w = workers[tuple(keys)] = {"proc": proc, "err": err}
        w["proc"].stdin.write(json.dumps({"step": step, "args": list(argv)}) + "\n")
        w["proc"].stdin.flush()
        line = w["proc"].stdout.readline()
        try:
            answer = json.loads(line)
        except ValueError:
            w["err"].seek(0)
            answer = {"ok": False, "error": "driver died: %s %s" % (line[-500:],
                                                                   w["err"].read()[-3000:])}
        if not answer.get("ok"):
            raise RuntimeError("django %s step %s failed: %s" % (
                ctx["case"].ver, step, answer.get("error")))

    def stop_workers(self, ctx):
        for w in ctx.get("workers", {}).values():
            try:
                w["proc"].stdin.close()
                w["proc"].wait(timeout=30)
            except Exception:  # noqa: BLE001
                w["proc"].kill()
            w["err"].close()
        ctx["workers"] = {}

    def dj(self, ctx, keys, step, *argv):
        """A driver step whose last argument is an output file; returns its JSON."""
        path = os.path.join(ctx["tmp"], "%s-%d.json" % (step, random.randrange(10 ** 9)))
        self.django(ctx, keys, step, *(list(argv) + [path]))
        with open(path, encoding="utf-8") as f:
            return json.load(f)

    def dump(self, ctx, obj):
        path = os.path.join(ctx["tmp"], "in-%d.json" % random.randrange(10 ** 9))
        with open(path, "w", encoding="utf-8") as f:
            json.dump(obj, f)
        return path

    def cli_env(self):
        env = dict(os.environ)
        for k in ("SECRET_KEY", "SECRET_KEY_FALLBACKS", "DJANGO_SETTINGS_MODULE"):
            env.pop(k, None)
        env["SECRET_KEY"] = NEW
        env["SECRET_KEY_FALLBACKS"] = json.dumps([OLD])
        return env

    def cli_args(self, ctx, *extra):
        case = ctx["case"]
        a = [self.args.signring, "--django", case.ver, "django", "session", "migrate",
             "--engine", case.engine, "--database", ctx["db_url"]]
        if case.engine in ("cache", "cached_db"):
            a += ["--cache", self.servers["redis"], "--cache-key-prefix", ctx["prefix"]]
            if case.cache_version != 1:
                a += ["--cache-version", str(case.cache_version)]
        if case.engine == "file":
            a += ["--file-path", ctx["files"]]
            if case.cookie:
                a += ["--cookie-name", case.cookie]
        return a + list(extra) + ["--json"]

    @staticmethod
    def parse_json(stdout):
        text = stdout.strip()
        for candidate in [text] + text.splitlines()[::-1]:
            try:
                obj = json.loads(candidate)
            except ValueError:
                continue
            if isinstance(obj, dict):
                return obj
        return None

    def migrate(self, ctx, *extra, timeout=600):
        t0 = time.time()
        p = subprocess.run(self.cli_args(ctx, *extra), env=self.cli_env(), capture_output=True,
                           text=True, timeout=timeout)
        return p.returncode, self.parse_json(p.stdout), p, time.time() - t0

    def start_migrate(self, ctx, *extra):
        tag = random.randrange(10 ** 9)
        outf = open(os.path.join(ctx["tmp"], "cli-%d.out" % tag), "w+")
        errf = open(os.path.join(ctx["tmp"], "cli-%d.err" % tag), "w+")
        proc = subprocess.Popen(self.cli_args(ctx, *extra), env=self.cli_env(), stdout=outf,
                                stderr=errf)
        return proc, outf, errf

    @staticmethod
    def finish(proc, outf, errf, timeout=600):
        rc = proc.wait(timeout=timeout)
        outf.seek(0)
        errf.seek(0)
        out, err = outf.read(), errf.read()
        outf.close()
        errf.close()
        return rc, Run.parse_json(out), out, err

    # -------------------------------------------------------------- servers

    def check_servers(self):
        ci = os.environ.get("CI") == "true"
        needed = set()
        for c in self.selected:
            needed |= c.needs
        ver = self.selected[0].ver if self.selected else "5.2"
        for kind, var in SERVERS.items():
            url = os.environ.get(var, "").strip()
            if kind not in needed:
                continue
            if not url:
                if ci:
                    self.result("server %s: %s is set (CI=true: a missing server fails)" %
                                (kind, var), False, "%s is unset" % var)
                else:
                    print("NOT RUN: every case needing %s: %s is unset "
                          "(e.g. export %s=%s)" % (kind, var, var, {
                              "postgres": "postgres://postgres@127.0.0.1:5432/postgres",
                              "mysql": "mysql://root@127.0.0.1:3306/test",
                              "redis": "redis://127.0.0.1:6379/0"}[kind]))
                self.server_error[kind] = "%s unset" % var
                continue
            try:
                got = json.loads(self.admin(ver, "ping", url).strip().splitlines()[-1])
            except Exception as e:  # noqa: BLE001
                got = {"ok": False, "error": str(e)}
            if self.result("server %s reachable at %s%s" % (
                    kind, redact(url), (" (%s)" % got.get("version")) if got.get("ok") else ""),
                    got.get("ok") is True, got.get("error", "")):
                self.servers[kind] = url
            else:
                self.server_error[kind] = "unreachable"

    # -------------------------------------------------------------- per-case store

    def open_case(self, ctx, index):
        """Fill ctx (made by run_case, which cleans up whatever got made)."""
        case = ctx["case"]
        tmp = ctx["tmp"] = tempfile.mkdtemp(prefix="signring-e2e-migrate-")
        self.admin(case.ver, "write-project", tmp)
        env = {"DJANGO_SETTINGS_MODULE": "e2eproj.settings", "PYTHONPATH": tmp,
               "E2E_ENGINE": case.engine}
        name = "signring_e2e_%s_%d" % (self.run_id, index)
        if case.db == "sqlite":
            ctx["db_url"] = "sqlite://" + os.path.join(tmp, "db.sqlite3")
        else:
            admin_url = self.servers[case.db]
            self.admin(case.ver, "createdb", admin_url, name)
            ctx["cleanup"].append(("dropdb", admin_url, name))
            u = urlsplit(admin_url)
            ctx["db_url"] = urlunsplit((u.scheme, u.netloc, "/" + name, "", ""))
        env["E2E_DATABASE"] = ctx["db_url"]
        if case.cache:
            ctx["prefix"] = "signring-e2e-%s-%d" % (self.run_id, index)
            ctx["cleanup"].append(("redis-clean", self.servers["redis"], ctx["prefix"]))
            env.update({"E2E_CACHE_BACKEND": case.cache, "E2E_REDIS_URL": self.servers["redis"],
                        "E2E_KEY_PREFIX": ctx["prefix"],
                        "E2E_CACHE_VERSION": str(case.cache_version)})
        if case.engine == "file":
            ctx["files"] = os.path.join(tmp, "sessions")
            os.makedirs(ctx["files"])
            env["E2E_FILE_PATH"] = ctx["files"]
        if case.cookie:
            env["E2E_COOKIE_NAME"] = case.cookie
        ctx["env"] = env
        self.django(ctx, [OLD], "setup")

    def close_case(self, ctx):
        self.stop_workers(ctx)
        if self.args.keep:
            print("  (kept %s%s)" % (ctx["tmp"], "".join(
                ", %s %s" % (c[0], c[2]) for c in ctx["cleanup"])))
            return
        for c in ctx["cleanup"]:
            try:
                self.admin(ctx["case"].ver, *c)
            except Exception as e:  # noqa: BLE001
                print("  warning: cleanup %s %s failed: %s" % (c[0], c[2], e))
        shutil.rmtree(ctx["tmp"], ignore_errors=True)

    # -------------------------------------------------------------- helpers

    @staticmethod
    def values(snap):
        """key -> stored value (db row, cache entry or file), for comparisons."""
        if "db" in snap:
            return {k: v[0] for k, v in snap["db"].items()}
        if "cache" in snap:
            return {k: v[0] for k, v in snap["cache"].items()}
        pre = snap["prefix"]
        return {n[len(pre):]: v[0] for n, v in snap["files"].items() if n.startswith(pre)}

    @staticmethod
    def whole(snap):
        """Everything a dry run or a probe must leave alone (TTLs aside)."""
        w = {}
        for part in ("db", "files"):
            w.update({part + ":" + k: v for k, v in snap.get(part, {}).items()})
        w.update({"cache:" + k: v[0] for k, v in snap.get("cache", {}).items()})
        return w

    def populate(self, ctx, keys, prefix, auth=0, anon=0, spare=0, extra_every=0):
        spec = self.dump(ctx, {"prefix": prefix, "auth": auth, "anon": anon, "spare": spare,
                               "extra_every": extra_every})
        return self.dj(ctx, keys, "populate", spec)

    def probe(self, ctx, keys, session_keys):
        return self.dj(ctx, keys, "probe", self.dump(ctx, sorted(session_keys)))

    def check_counts(self, label, got, want):
        """want: field -> exact int, or a tuple of allowed ints."""
        bad = []
        for field, exp in want.items():
            v = (got or {}).get(field)
            if isinstance(exp, tuple):
                if v not in exp:
                    bad.append("%s=%r (want one of %s)" % (field, v, "/".join(map(str, exp))))
            elif v != exp:
                bad.append("%s=%r (want %r)" % (field, v, exp))
        return self.result("%s: %s" % (label, ", ".join(
            "%s=%s" % (f, (got or {}).get(f)) for f in want)), not bad,
            "; ".join(bad) + "; JSON: %s" % json.dumps(got))

    def logged_in(self, probe, entries):
        """Entries whose user Django sees logged in with the current key's hash."""
        return [e for e in entries if probe.get(e["key"], {}).get("user") == e["user"]
                and probe[e["key"]].get("hash_current") is True]

    def data_intact(self, probe, entries):
        return [e for e in entries if probe.get(e["key"], {}).get("data") == e["data"]]

    # -------------------------------------------------------------- main

    def main_case(self, ctx):
        case = ctx["case"]
        n = self.args.users
        n_e = 30 if case.fallbacks and case.engine != "cache" else 0
        n_b, n_c, n_d, n_f, n_g = 100, 30, 20, 20, 8
        old = self.populate(ctx, [OLD], "a", auth=n + n_e, anon=n_b, extra_every=4)
        a, e_src, b = old["auth"][:n], old["auth"][n:], old["anon"]
        new = self.populate(ctx, [NEW], "c", auth=n_c, anon=n_d, extra_every=3)
        c, d = new["auth"], new["anon"]
        f = self.populate(ctx, [UNKNOWN], "f", auth=n_f)["auth"]
        e = self.dj(ctx, [NEW, OLD], "mix", self.dump(ctx, e_src)) if n_e else []
        g = self.dj(ctx, [NEW], "corrupt", str(n_g))
        users = a + e + c
        anon = b + d
        good = users + anon
        if not self.result("setup: %d users logged in under OLD (authenticate + login), %d anonymous "
                           "sessions with data; NEW: %d + %d; UNKNOWN: %d; new signature with "
                           "old auth hash: %d; corrupt: %d" % (n, n_b, n_c, n_d, n_f, n_e, n_g),
                           all(x["data"] for x in good + f) and all(x["user"] for x in users + f),
                           "some session did not load right after it was made"):
            return
        snap0 = self.dj(ctx, [NEW], "snapshot")
        stored0 = self.values(snap0)
        total = len(good) + n_f + n_g
        self.result("store holds the %d values made" % total, len(stored0) == total,
                    "found %d" % len(stored0))

        # control: nobody is logged in with only NEW before the migration
        everyone = [x["key"] for x in good + f]
        p = self.probe(ctx, [NEW], everyone)
        stale_users = a + e
        self.result("control: Django with only NEW, no migration: 0 of %d OLD users logged in"
                    % len(stale_users), not [x for x in stale_users
                                             if p[x["key"]]["user"] is not None],
                    few(x["username"] for x in stale_users if p[x["key"]]["user"] is not None))
        if case.engine in ("db", "file"):
            self.result("control: ... and none of the %d OLD anonymous sessions' data" % len(b),
                        not [x for x in b if p[x["key"]]["data"]], "")
        self.result("control: Django with only NEW sees the %d NEW users" % n_c,
                    len(self.logged_in(p, c)) == n_c, "%d" % len(self.logged_in(p, c)))
        stale_keys = [x["key"] for x in stale_users + b]
        if case.fallbacks:
            p = self.probe(ctx, [NEW, OLD], stale_keys)
            label = "NEW + OLD fallback"
        else:
            p = self.probe(ctx, [OLD], stale_keys)
            label = "OLD"
        self.result("control: Django with %s sees all %d OLD users logged in and the OLD "
                    "anonymous data" % (label, len(stale_users)),
                    all(p[x["key"]]["user"] == x["user"] for x in stale_users)
                    and len(self.data_intact(p, b)) == len(b),
                    few(x["username"] for x in stale_users if p[x["key"]]["user"] != x["user"]))
        snap = self.dj(ctx, [NEW], "snapshot")
        self.result("control probes wrote nothing", self.whole(snap) == self.whole(snap0),
                    few(k for k in set(self.whole(snap)) ^ set(self.whole(snap0))))

        # expected counts
        if case.engine == "cache":
            # The cache holds plain pickles: an UNKNOWN-key entry decodes, only its
            # auth hash matches no key (as after a password change): it may count
            # as undecodable or as left alone (fresh). Either way its bytes stay.
            want = {"ok": True, "engine": "cache", "scanned": total, "hash_rewritten": len(a),
                    "resigned": (0, len(a)), "undecodable": (n_g, n_f + n_g),
                    "skipped_concurrent": 0}
        else:
            moved = len(a) + len(b)
            want = {"ok": True, "engine": case.engine, "scanned": total,
                    "resigned": tuple(sorted({moved, moved + n_e})),
                    "hash_rewritten": len(a) + n_e, "undecodable": n_f + n_g,
                    "skipped_concurrent": 0}

        # dry run
        rc, got, proc, secs = self.migrate(ctx, "--dry-run")
        self.result("dry run exits 1 (undecodable values present)", rc == 1,
                    "exit %d; stdout %s; stderr %s" % (rc, proc.stdout[-800:], proc.stderr[-800:]))
        self.check_counts("dry run reports", got, dict(want, dry_run=True))
        snap = self.dj(ctx, [NEW], "snapshot")
        self.result("dry run wrote nothing", self.whole(snap) == self.whole(snap0),
                    few(k for k, v in self.whole(snap).items()
                        if self.whole(snap0).get(k) != v))

        # the migration
        rc, got, proc, secs = self.migrate(ctx)
        ctx["timing"] = "%d values in %.2fs" % (total, secs)
        self.result("migrate exits 1 (undecodable values present) in %.2fs" % secs, rc == 1,
                    "exit %d; stdout %s; stderr %s" % (rc, proc.stdout[-800:], proc.stderr[-800:]))
        self.check_counts("migrate reports", got, dict(want, dry_run=False))
        if case.engine != "cache":
            if got and "fresh" in got and isinstance(got.get("resigned"), int):
                self.result("fresh + resigned = every decodable value (%d)" % len(good),
                            got["fresh"] + got["resigned"] == len(good),
                            "fresh=%s resigned=%s" % (got["fresh"], got["resigned"]))
            by_key = (got or {}).get("by_key") or {}
            s = sum(v for v in by_key.values() if isinstance(v, int))
            self.result("by_key counts what each key verified (sum %d of %d..%d)" % (
                s, len(good), len(good) + n_e),
                len(good) <= s <= len(good) + n_e and any(v >= len(a) + len(b)
                                                          for v in by_key.values()),
                json.dumps(by_key))
        snap1 = self.dj(ctx, [NEW], "snapshot")
        # In the cache engine only the auth hash depends on the key: anonymous
        # sessions are the same bytes under any key and must stay so.
        cache = case.engine == "cache"
        self.compare_after(ctx, snap0, snap1, moved=a + e + ([] if cache else b),
                           kept=c + d + (b if cache else []),
                           untouched_keys=[x["key"] for x in f] + g)

        # Django with only NEW
        p = self.probe(ctx, [NEW], everyone)
        ok_users = self.logged_in(p, users)
        self.result("Django with only NEW: %d/%d users logged in (%d who logged in under OLD, "
                    "%d with an OLD auth hash in a NEW-signed session, %d under NEW)" % (
                        len(ok_users), len(users), len(a), len(e), len(c)),
                    len(ok_users) == len(users),
                    few("%s -> %s" % (x["username"], p[x["key"]])
                        for x in users if x not in ok_users))
        intact = self.data_intact(p, good)
        self.result("every session's data intact: %d/%d (%d anonymous)" % (
            len(intact), len(good), len(anon)), len(intact) == len(good),
            few("%s: %s != %s" % (x["key"], p[x["key"]]["data"], x["data"])
                for x in good if x not in intact))
        self.result("the %d UNKNOWN-key users stay logged out" % n_f,
                    not [x for x in f if p[x["key"]]["user"] is not None], "")

        # idempotent
        rc, got, proc, secs = self.migrate(ctx)
        self.check_counts("second run: nothing left to do, exit %d" % rc, got, {
            "ok": True, "resigned": 0, "hash_rewritten": 0, "undecodable": want["undecodable"],
            "skipped_concurrent": 0})
        snap2 = self.dj(ctx, [NEW], "snapshot")
        part = "db" if case.engine == "cached_db" else None
        v1 = snap1["db"] if part else self.values(snap1)
        v2 = snap2["db"] if part else self.values(snap2)
        self.result("second run wrote nothing", v1 == v2,
                    few(k for k in set(v1) | set(v2) if v1.get(k) != v2.get(k)))

        # real requests with the session cookie, only NEW
        r = self.dj(ctx, [NEW], "requests", self.dump(ctx, [x["key"] for x in good]))
        bad = [x for x in users if not (r[x["key"]].get("authenticated") is True
                                        and r[x["key"]].get("username") == x["username"])]
        self.result("GET /whoami/ with each user's cookie, only NEW: %d/%d logged in" % (
            len(users) - len(bad), len(users)), not bad,
            few("%s -> %s" % (x["username"], r[x["key"]]) for x in bad))
        bad = [x for x in anon if r[x["key"]].get("data") != x["data"]]
        self.result("GET /whoami/ with each anonymous cookie: data intact %d/%d" % (
            len(anon) - len(bad), len(anon)), not bad, few(r[x["key"]] for x in bad))
        if case.engine == "file":
            try:
                self.django(ctx, [NEW], "clearsessions")
                self.result("manage.py clearsessions runs on the migrated directory", True)
            except RuntimeError as ex:
                self.result("manage.py clearsessions runs on the migrated directory", False,
                            str(ex))

    def compare_after(self, ctx, snap0, snap1, moved, kept, untouched_keys):
        case = ctx["case"]
        v0, v1 = self.values(snap0), self.values(snap1)
        if case.engine == "cached_db":
            self.result("same sessions (rows) before and after", set(v0) == set(v1),
                        few(set(v0) ^ set(v1)))
        else:
            self.result("same sessions before and after", set(v0) == set(v1),
                        few(set(v0) ^ set(v1)))
        same = [k for k in untouched_keys if v0.get(k) != v1.get(k)]
        if untouched_keys:
            self.result("corrupt and UNKNOWN-key values byte-identical (%d)" % len(
                untouched_keys), not same, few(same))
        same = [x["key"] for x in kept if v0.get(x["key"]) != v1.get(x["key"])]
        self.result("values that need no key change left alone (%d)" % len(kept), not same,
                    few(same))
        changed = [x["key"] for x in moved if v0.get(x["key"]) == v1.get(x["key"])]
        self.result("every value that depends on OLD rewritten (%d)" % len(moved), not changed,
                    few(changed))
        if "db" in snap0:
            d0, d1 = snap0["db"], snap1["db"]
            diff = [k for k in d0 if k in d1 and d0[k][1] != d1[k][1]]
            self.result("expire_date unchanged on every row", not diff,
                        few("%s: %s -> %s" % (k, d0[k][1], d1[k][1]) for k in diff))
        if "files" in snap0:
            f0, f1 = snap0["files"], snap1["files"]
            self.result("no file left behind or lost in SESSION_FILE_PATH (e.g. a killed "
                        "run's temporary file)", set(f0) == set(f1), few(set(f0) ^ set(f1)))
            diff = [k for k in f0 if k in f1 and f0[k][1] != f1[k][1]]
            self.result("every file's mtime (Django's expiry clock) unchanged", not diff,
                        few(diff))
        if case.engine == "cache":
            c0, c1 = snap0["cache"], snap1["cache"]
            slack = (snap1["taken"] - snap0["taken"]) * 1000 + 2000
            bad = [k for k in c0 if k in c1 and not (
                0 < c1[k][1] <= c0[k][1] and c1[k][1] >= c0[k][1] - slack)]
            self.result("every entry's TTL kept", not bad,
                        few("%s: %s -> %s" % (k, c0[k][1], c1.get(k, [0, None])[1])
                            for k in bad))
        if case.engine == "cached_db":
            c1 = snap1.get("cache", {})
            left = [x["key"] for x in moved if x["key"] in c1]
            self.result("cache entries of the %d moved sessions deleted" % len(moved),
                        not left, few(left))
        if case.engine != "cache":
            if case.ver == "2.2":
                bad = [x["key"] for x in moved if not legacy_format(v1.get(x["key"], ""))]
                self.result("written in Django 2.2's legacy session format", not bad, few(bad))
            else:
                bad = [x["key"] for x in moved
                       if ts_of(v0[x["key"]]) is None or ts_of(v0[x["key"]]) != ts_of(
                           v1.get(x["key"], ""))]
                self.result("signing timestamps kept", not bad,
                            few("%s: %s -> %s" % (k, ts_of(v0[k]), ts_of(v1.get(k, "")))
                                for k in bad))

    # -------------------------------------------------------------- concurrency

    def concurrency_case(self, ctx):
        case = ctx["case"]
        n = max(self.args.users // 2, 50)
        old = self.populate(ctx, [OLD], "a", auth=n, anon=100, spare=200, extra_every=5)
        c = self.populate(ctx, [NEW], "c", auth=20)["auth"]
        start = old["auth"] + old["anon"] + c
        expected = {x["key"]: {"user": x["user"], "data": x["data"]} for x in start}
        pool = self.dump(ctx, {"sessions": start, "spare": old["spare"]})
        stop = os.path.join(ctx["tmp"], "writer.stop")
        wout = os.path.join(ctx["tmp"], "writer.json")
        werr = open(os.path.join(ctx["tmp"], "writer.err"), "w+")
        writer = subprocess.Popen([self.python(case.ver), DRIVER, "writer", pool, stop, wout,
                                   "1"], env=self.env(ctx, [NEW, OLD]), cwd=ctx["tmp"],
                                  stderr=werr, stdout=werr)
        time.sleep(1.5)  # the writer is up and writing before the migration starts
        rate = max(len(start) // 4, 50)  # about four seconds of migration
        t0 = time.time()
        with open(stop + ".migrating.tmp", "w") as fh:  # where the writer aims its transactions
            json.dump({"t0": t0, "rate": rate, "first": ""}, fh)
        os.replace(stop + ".migrating.tmp", stop + ".migrating")
        proc, outf, errf = self.start_migrate(ctx, "--batch-size", "8", "--max-rate", str(rate))
        rc, got, out, err = self.finish(proc, outf, errf)
        t1 = time.time()
        open(stop, "w").close()
        wrc = writer.wait(timeout=120)
        werr.seek(0)
        if not self.result("Django writer process ran cleanly", wrc == 0,
                           "exit %d: %s" % (wrc, werr.read()[-2000:])):
            return
        werr.close()
        with open(wout, encoding="utf-8") as fh:
            w = json.load(fh)
        during = sum(1 for s, e in w["times"] if e >= t0 and s <= t1)
        self.result("Django wrote %d times while the migration ran (%.1fs; ops %s)" % (
            during, t1 - t0, json.dumps(w["ops"], sort_keys=True)), during >= 20,
            "the writer barely overlapped the migration")
        skipped = (got or {}).get("skipped_concurrent")
        undecodable = (got or {}).get("undecodable")
        self.result("first run finished: exit %d, skipped_concurrent=%s, undecodable=%s" % (
            rc, skipped, undecodable), got is not None and got.get("ok") is True
            and isinstance(skipped, int) and rc == (1 if skipped or undecodable else 0),
            "stdout %s; stderr %s" % (out[-800:], err[-800:]))
        self.result("Django never found one of its sessions missing during the run",
                    not w["lost"], few(w["lost"]))
        self.result("none of Django's writes failed during the run (e.g. database is locked)",
                    not w["errors"], few(w["errors"]))
        for k in w["deleted"]:
            expected.pop(k, None)
        expected.update(w["touched"])
        live = set(w["live"])
        snap = self.dj(ctx, [NEW], "snapshot")
        keys_now = set(self.values(snap))
        self.result("no session lost or resurrected: %d sessions, %d deleted and %d created "
                    "by Django" % (len(live), len(w["deleted"]), len(w["created"])),
                    keys_now == live and set(expected) == live,
                    "missing %s; unexpected %s" % (few(live - keys_now), few(keys_now - live)))

        def mismatches(p, need_current):
            bad = []
            for k in sorted(live):
                x, got_k = expected.get(k), p.get(k, {})
                if x is None or got_k.get("data") != x["data"] or got_k.get("user") != x["user"] \
                        or (need_current and x["user"] and got_k.get("hash_current") is not True):
                    bad.append(k)
            return bad

        if case.fallbacks:
            p = self.probe(ctx, [NEW, OLD], live)
            bad = mismatches(p, False)
            self.result("no update by Django lost (as the servers see it, NEW + OLD fallback): "
                        "%d sessions" % len(live), not bad,
                        few("%s: %s != %s" % (k, p.get(k), expected.get(k)) for k in bad))
        p = self.probe(ctx, [NEW], live)
        # still to move: not readable with NEW (n_sig), or Django's data but an
        # auth hash NEW does not verify (n_hash); a session whose data differs from
        # what Django wrote is a lost update, reported above, and not counted here.
        n_sig = [k for k in sorted(live) if p.get(k, {}).get("data") is None]
        n_hash = [k for k in sorted(live) if expected[k]["user"] and p[k].get("data") is not None
                  and p[k]["data"] == expected[k]["data"]
                  and (p[k].get("user") != expected[k]["user"] or not p[k].get("hash_current"))]
        not_ok = n_sig + n_hash
        # Django only ever signs with NEW, so a session still signed with OLD only
        # is one the migration neither moved nor counted.
        self.result("every session verifies with NEW or is counted as skipped: %d still "
                    "signed with OLD only <= skipped_concurrent=%s" % (len(n_sig), skipped),
                    isinstance(skipped, int) and len(n_sig) <= skipped,
                    few("%s: %s != %s" % (k, p.get(k), expected.get(k)) for k in n_sig))
        # An old auth hash under a NEW signature can come back after the migration
        # moved a session: Django saves what it loaded before (without looking at
        # request.user, on 4.1+ with the OLD fallback). Only sessions Django wrote
        # during the run may be in that state; the second run moves them.
        written = set(w["touched"]) | set(w["created"])
        left = [k for k in n_hash if k not in written]
        self.result("every session Django did not write during the run is fully on NEW "
                    "(%d with an old auth hash, all written by Django meanwhile)" % len(n_hash),
                    not left, few("%s: %s != %s" % (k, p.get(k), expected.get(k)) for k in left))
        n_sig_auth = [k for k in n_sig if expected[k]["user"]]

        rc, got, proc, secs = self.migrate(ctx)
        if case.engine == "cache":
            want = {"ok": True, "hash_rewritten": len(not_ok),
                    "resigned": tuple(sorted({0, len(not_ok)})), "skipped_concurrent": 0}
        else:
            want = {"ok": True, "resigned": tuple(sorted({len(n_sig), len(not_ok)})),
                    "hash_rewritten": len(n_sig_auth) + len(n_hash), "skipped_concurrent": 0}
        self.check_counts("second run (no writer) moves what is left, exit %d" % rc, got, want)
        self.result("second run exits 0", rc == 0, "exit %d: %s" % (rc, proc.stderr[-500:]))
        p = self.probe(ctx, [NEW], live)
        bad = mismatches(p, True)
        users = [k for k in live if expected[k]["user"]]
        self.result("after the second run every session verifies with only NEW: %d sessions, "
                    "%d users logged in, Django's data intact" % (len(live), len(users)), not bad,
                    few("%s: %s != %s" % (k, p.get(k), expected.get(k)) for k in bad))
        r = self.dj(ctx, [NEW], "requests", self.dump(ctx, sorted(users)))
        bad = [k for k in users if r[k].get("user") != expected[k]["user"]]
        self.result("GET /whoami/ with each user's cookie, only NEW: %d/%d logged in" % (
            len(users) - len(bad), len(users)), not bad, few(r[k] for k in bad))
        ctx["timing"] = "skipped_concurrent=%s in the first run" % skipped

    # -------------------------------------------------------------- crash

    def crash_case(self, ctx):
        case = ctx["case"]
        n = max(self.args.users * 3 // 5, 100)
        old = self.populate(ctx, [OLD], "a", auth=n, anon=100, extra_every=4)
        c = self.populate(ctx, [NEW], "c", auth=20)["auth"]
        stale = old["auth"] + old["anon"]
        everyone = stale + c
        sql = case.engine != "file"
        if sql:
            self.django(ctx, [NEW], "trigger-install")
        snap0 = self.dj(ctx, [NEW], "snapshot")
        state = os.path.join(ctx["tmp"], "migrate.state")
        rate = max(len(stale) // 3, 50)  # about three seconds per full pass
        signals = [signal.SIGINT, signal.SIGKILL] if case.db == "sqlite" and \
            case.engine == "db" else [signal.SIGKILL]
        done_before = 0
        for i, sig in enumerate(signals):
            proc, outf, errf = self.start_migrate(ctx, "--batch-size", "10", "--max-rate",
                                                  str(rate), "--state", state)
            time.sleep(1.0 + 0.5 * i)
            running = proc.poll() is None
            name = "SIGINT" if sig == signal.SIGINT else "SIGKILL"
            if running:
                proc.send_signal(sig)
            try:
                rc, got, out, err = self.finish(proc, outf, errf, timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                rc, got, out, err = self.finish(proc, outf, errf)
                self.result("%s: the migration stops within 20 s" % name, False, "")
            p = self.probe(ctx, [NEW], [x["key"] for x in stale])
            done = len([x for x in stale if p[x["key"]]["data"] == x["data"] and (
                not x["user"] or (p[x["key"]]["user"] == x["user"]
                                  and p[x["key"]]["hash_current"]))])
            self.result("%s mid-run (exit %s; %d of %d stale sessions moved before it)" % (
                name, rc, done, len(stale)), running and done_before < done < len(stale),
                "the migration had %s" % ("finished before the signal" if not running else
                                          "moved nothing new"))
            if got is not None and isinstance(got.get("resigned"), int):
                # An interrupted run that still reports must report what it committed.
                self.result("%s: the interrupted run reports resigned=%d = moved by it (%d)" % (
                    name, got["resigned"], done - done_before), got["resigned"] == done -
                    done_before, json.dumps(got))
            done_before = done
        if sql:
            counts = self.dj(ctx, [NEW], "trigger-read")
            self.result("rows written so far = rows moved (%d), none twice" % done_before,
                        sum(counts.values()) == done_before and max(counts.values() or [1]) == 1,
                        "trigger saw %d writes over %d rows" % (sum(counts.values()),
                                                                len(counts)))
        rc, got, proc, secs = self.migrate(ctx, "--batch-size", "10", "--state", state)
        self.result("rerun with the same --state finishes, exit 0", rc == 0 and got is not None,
                    "exit %d; stdout %s; stderr %s" % (rc, proc.stdout[-800:], proc.stderr[-800:]))
        self.check_counts("rerun moves the rest: %d + %d = %d stale" % (
            done_before, len(stale) - done_before, len(stale)), got,
            {"ok": True, "resigned": len(stale) - done_before, "skipped_concurrent": 0,
             "undecodable": 0})
        if sql:
            counts = self.dj(ctx, [NEW], "trigger-read")
            stale_keys = {x["key"] for x in stale}
            self.result("every stale row rewritten exactly once over both runs (trigger), no "
                        "NEW row touched", set(counts) == stale_keys and set(counts.values())
                        == {1}, "twice: %s; never: %s; extra: %s" % (
                            few(k for k, v in counts.items() if v > 1),
                            few(stale_keys - set(counts)), few(set(counts) - stale_keys)))
        snap1 = self.dj(ctx, [NEW], "snapshot")
        self.compare_after(ctx, snap0, snap1, moved=stale, kept=c, untouched_keys=[])
        p = self.probe(ctx, [NEW], [x["key"] for x in everyone])
        users = old["auth"] + c
        ok_users = self.logged_in(p, users)
        intact = self.data_intact(p, everyone)
        self.result("Django with only NEW: %d/%d users logged in, %d/%d sessions' data intact" % (
            len(ok_users), len(users), len(intact), len(everyone)),
            len(ok_users) == len(users) and len(intact) == len(everyone),
            few(x["key"] for x in everyone if x not in intact or (x["user"] and x not in
                                                                   ok_users)))
        ctx["timing"] = "%d moved before the kill" % done_before

    # -------------------------------------------------------------- driver

    def run_case(self, case, index):
        missing = [s for s in sorted(case.needs) if s not in self.servers]
        if missing:
            self.skipped += 1
            self.not_run.append(case.name)
            print("NOT RUN %s: no %s server (%s)" % (case.name, "/".join(missing), "; ".join(
                self.server_error.get(s, "?") for s in missing)))
            return
        if not os.path.exists(self.python(case.ver)):
            self.case = case
            self.result("venv", False, "missing %s (run tests/django/venv.sh --e2e %s)" % (
                self.python(case.ver), self.args.venvs))
            return
        self.case = case
        p0, f0, t0 = self.passed, self.failed, time.time()
        ctx = {"case": case, "cleanup": []}
        try:
            self.open_case(ctx, index)
            getattr(self, case.kind + "_case")(ctx)
        except Exception as e:  # noqa: BLE001 - one failure per broken case
            self.result("harness", False, "%s: %s" % (type(e).__name__, e))
        finally:
            if ctx.get("tmp"):
                self.close_case(ctx)
        if self.args.timings and ctx:
            print("  timings: " + ", ".join("%s %.1fs" % kv for kv in sorted(
                ctx.get("steps", {}).items(), key=lambda kv: -kv[1])))
        print("%s: %d passed, %d failed [%.1fs%s]" % (
            case.name, self.passed - p0, self.failed - f0, time.time() - t0,
            ("; " + ctx["timing"]) if ctx and ctx.get("timing") else ""))
        sys.stdout.flush()

    def contract(self):
        """The command exists and honours the usage/configuration exit codes."""
        help_ = subprocess.run([self.args.signring, "django", "session", "migrate", "--help"],
                               capture_output=True, text=True, timeout=60)
        text = help_.stdout + help_.stderr
        if not self.result("the binary has `django session migrate`", help_.returncode == 0,
                           "`%s django session migrate --help` exited %d: %s\n       This binary "
                           "was built without the command; build the tree that has it "
                           "(cargo build -p signring-cli)." % (
                               self.args.signring, help_.returncode, text.strip()[:400])):
            return False
        missing = [o for o in CONTRACT_OPTIONS if o not in text]
        self.result("--help lists every option of the contract", not missing,
                    "missing: %s" % " ".join(missing))
        tmp = tempfile.mkdtemp(prefix="signring-e2e-contract-")
        try:
            env = self.cli_env()
            base = [self.args.signring, "--django", "5.2", "django", "session", "migrate"]
            cases = [
                ("unknown --engine", base + ["--engine", "bogus", "--database",
                                             "sqlite://" + tmp + "/x.sqlite3", "--json"], env),
                ("database that does not exist", base + [
                    "--engine", "db", "--database", "sqlite://" + tmp + "/none/x.sqlite3",
                    "--json"], env),
                ("unreachable PostgreSQL", base + [
                    "--engine", "db", "--database", "postgres://postgres@127.0.0.1:9/nope",
                    "--json"], env),
                ("no SECRET_KEY", base + ["--engine", "db", "--database",
                                         "sqlite://" + tmp + "/x.sqlite3", "--json"],
                 {k: v for k, v in env.items() if not k.startswith("SECRET_KEY")}),
            ]
            for name, argv, e in cases:
                p = subprocess.run(argv, env=e, capture_output=True, text=True, timeout=60)
                self.result("exit 2 on %s" % name, p.returncode == 2,
                            "exit %d: %s" % (p.returncode, (p.stderr or p.stdout)[-300:]))
            self.result("a failed run creates no database file",
                        not os.path.exists(os.path.join(tmp, "x.sqlite3"))
                        and not os.path.exists(os.path.join(tmp, "none")),
                        " ".join(os.listdir(tmp)))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return True


def redact(url):
    u = urlsplit(url)
    if u.password:
        return url.replace(":" + u.password + "@", ":***@")
    return url


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--venvs", required=True,
                    help="directory made by tests/django/venv.sh --e2e")
    ap.add_argument("--signring", required=True, help="path to the signring CLI binary")
    ap.add_argument("--only", default="",
                    help="run only the cases whose name matches this regex "
                         "(names: 'main 4.2 db/postgres', 'crash 5.2 file/files', ...)")
    ap.add_argument("--users", type=int, default=1000,
                    help="users logged in under OLD per main case (default %(default)s)")
    ap.add_argument("--keep", action="store_true",
                    help="keep each case's directory, databases and Redis keys")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    ap.add_argument("--timings", action="store_true", help="print where each case's time went")
    args = ap.parse_args()
    selected = [c for c in cases() if re.search(args.only, c.name)]
    if args.list:
        for c in selected:
            print(c.name)
        return 0
    if not (os.path.isfile(args.signring) and os.access(args.signring, os.X_OK)):
        print("no executable at %s (build it: cargo build -p signring-cli)" % args.signring)
        print("0 passed, 1 failed")
        return 1
    args.signring = os.path.abspath(args.signring)
    run = Run(args)
    run.selected = selected
    started = time.time()
    if run.contract():
        run.check_servers()
        for i, case in enumerate(selected):
            run.run_case(case, i)
    print("total time %.1fs" % (time.time() - started))
    if run.not_run:
        print("NOT RUN (no server): %s" % ", ".join(run.not_run))
    print("%d passed, %d failed%s" % (run.passed, run.failed,
                                      (", %d skipped" % run.skipped) if run.skipped else ""))
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
