#!/usr/bin/env python3
"""Benchmark: migrating stored Django sessions to a new key, three ways, in one run.

    python3 tests/django/bench_migrate.py --venvs DIR --signring target/release/signring \\
        [--databases sqlite,postgres] [--rows 1000000] [--django-rows 100000] \\
        [--users 5000] [--batch-size 1000] [--django 5.2]

DIR holds the venvs made by `tests/django/venv.sh --e2e DIR`. For each database
(sqlite: a file in a temporary directory; postgres: a database created on the
server of SIGNRING_TEST_POSTGRES_URL, or of --postgres-url, and dropped afterwards;
mysql likewise with SIGNRING_TEST_MYSQL_URL) it:

1. generates --rows sessions under SECRET_KEY=OLD: --users auth_user rows, session
   values encoded by Django's own SessionStore.encode (a login-shaped session per
   user, one with a cart, 500 anonymous ones; one row in ten anonymous), the rows
   bulk-inserted with random keys (COPY on PostgreSQL);
2. times (a) Django's own way on the first --django-rows rows by key (a subset,
   reported as rows/s; the rows are put back afterwards, untimed): keyset batches,
   SessionStore(key).load() verifying with the fallback key (SECRET_KEY=NEW,
   SECRET_KEY_FALLBACKS=["OLD"]), the auth hash recomputed, save(), one
   transaction per batch;
3. times (c) the floor, the same keyset batches with no crypto, every row really
   rewritten (SQLite and MySQL skip writing an unchanged value): "client" reads
   each batch's keys and values and writes every value back with its last
   character moved one step in base64url (same length) by a compare-and-set
   UPDATE, one transaction per batch (PostgreSQL: one UPDATE ... FROM (VALUES ...)
   per batch; SQLite/MySQL: one statement per row), from Python
   (sqlite3/psycopg2/PyMySQL through Django's connection); "server" rewrites
   each batch inside the database in one statement (session_data || 'x'),
   nothing sent to the client; each is then undone, untimed;
4. times (b) `signring django session migrate --engine db --batch-size B --json`
   on all rows (wall time, rows/s, peak RSS of the process from wait4), then has
   Django with only NEW check a random sample of 1,000 rows.

Prints a table per database (and the ratios the issue sets targets for:
signring >= 20 x Django's loop, >= 0.5 x the floor). When the binary has no
`django session migrate`, (b) is skipped with a message and the rest still runs.
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlsplit, urlunsplit

HERE = os.path.dirname(os.path.abspath(__file__))
DRIVER = os.path.join(HERE, "e2e_migrate_driver.py")
OLD = "e2e-old-key-retired-9f8e7d6c5b4a-QWERTYUIOPASDFGHJKLZXCVBNM-0123456789"
NEW = "e2e-new-key-current-1a2b3c4d5e6f-qwertyuiopasdfghjklzxcvbnm-9876543210"
SERVER_ENV = {"postgres": "SIGNRING_TEST_POSTGRES_URL", "mysql": "SIGNRING_TEST_MYSQL_URL"}


class Django:
    """One long-lived driver process ("serve") per key configuration."""

    def __init__(self, python, tmp, db_url, keys):
        env = dict(os.environ)
        for k in ("SECRET_KEY", "SECRET_KEY_FALLBACKS"):
            env.pop(k, None)
        env.update({"DJANGO_SETTINGS_MODULE": "e2eproj.settings", "PYTHONPATH": tmp,
                    "E2E_ENGINE": "db", "E2E_DATABASE": db_url, "E2E_SECRET_KEY": keys[0],
                    "E2E_SECRET_KEY_FALLBACKS": json.dumps(list(keys[1:]))})
        self.tmp = tmp
        self.err = open(os.path.join(tmp, "driver-%d.err" % random.randrange(10 ** 9)), "w+")
        self.proc = subprocess.Popen([python, DRIVER, "serve"], env=env, cwd=tmp, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.err)

    def __call__(self, step, *args, output=True):
        path = os.path.join(self.tmp, "%s-%d.json" % (step, random.randrange(10 ** 9)))
        argv = list(args) + ([path] if output else [])
        self.proc.stdin.write(json.dumps({"step": step, "args": argv}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        try:
            answer = json.loads(line)
        except ValueError:
            self.err.seek(0)
            answer = {"ok": False, "error": "driver died: " + self.err.read()[-3000:]}
        if not answer["ok"]:
            raise RuntimeError("step %s failed: %s" % (step, answer["error"]))
        if output:
            with open(path, encoding="utf-8") as f:
                return json.load(f)
        return None

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=60)
        self.err.close()


def admin(python, *argv):
    p = subprocess.run([python, DRIVER] + list(argv), capture_output=True, text=True,
                       timeout=300)
    if p.returncode != 0:
        raise RuntimeError("driver %s failed: %s" % (argv[0], (p.stderr or p.stdout)[-2000:]))
    return p.stdout


def has_migrate(signring):
    if not signring:
        return False, "no --signring given"
    if not (os.path.isfile(signring) and os.access(signring, os.X_OK)):
        return False, "no executable at %s" % signring
    p = subprocess.run([signring, "django", "session", "migrate", "--help"],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        return False, "%s has no `django session migrate` (%s)" % (
            signring, (p.stderr or p.stdout).strip().splitlines()[0][:200])
    return True, ""


def run_signring(args, db_url):
    env = dict(os.environ)
    env["SECRET_KEY"] = NEW
    env["SECRET_KEY_FALLBACKS"] = json.dumps([OLD])
    argv = [args.signring, "--django", args.django, "django", "session", "migrate",
            "--engine", "db", "--database", db_url, "--batch-size", str(args.batch_size),
            "--json"]
    out = tempfile.TemporaryFile(mode="w+")
    err = tempfile.TemporaryFile(mode="w+")
    t0 = time.time()
    proc = subprocess.Popen(argv, env=env, stdout=out, stderr=err)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.time() - t0
    proc.returncode = os.waitstatus_to_exitcode(status) if hasattr(
        os, "waitstatus_to_exitcode") else status >> 8
    out.seek(0)
    err.seek(0)
    text = out.read()
    try:
        report = json.loads(text.strip().splitlines()[-1])
    except (ValueError, IndexError):
        report = None
    return {"rc": proc.returncode, "seconds": seconds, "maxrss_kib": usage.ru_maxrss,
            "report": report, "stdout": text[-1000:], "stderr": err.read()[-1000:],
            "argv": " ".join(argv)}


def fmt_rate(rows, seconds):
    return "{:,.0f}".format(rows / seconds) if seconds > 0 else "-"


def bench_one(args, kind, python):
    tmp = tempfile.mkdtemp(prefix="signring-bench-%s-" % kind)
    cleanup = None
    drivers = []
    try:
        admin(python, "write-project", tmp)
        if kind == "sqlite":
            db_url = "sqlite://" + os.path.join(tmp, "bench.sqlite3")
            where = db_url
        else:
            server = args.postgres_url if kind == "postgres" else args.mysql_url
            name = "signring_bench_%d" % os.getpid()
            admin(python, "createdb", server, name)
            cleanup = (server, name)
            u = urlsplit(server)
            db_url = urlunsplit((u.scheme, u.netloc, "/" + name, "", ""))
            where = "database %s on %s" % (name, u.hostname)
        old = Django(python, tmp, db_url, [OLD])
        drivers.append(old)
        new = Django(python, tmp, db_url, [NEW, OLD])
        drivers.append(new)
        only_new = Django(python, tmp, db_url, [NEW])
        drivers.append(only_new)
        print("\n## %s (%s): %s sessions, %s users, batch size %d, Django %s" % (
            kind, where, "{:,}".format(args.rows), "{:,}".format(args.users), args.batch_size,
            args.django))
        sys.stdout.flush()
        old("setup", output=False)
        spec = os.path.join(tmp, "spec.json")
        with open(spec, "w") as f:
            json.dump({"rows": args.rows, "users": args.users, "anon_every": 10}, f)
        gen = old("bench-generate", spec)
        print("generated in %.1fs: %s logged-in rows, %s anonymous, %d distinct values "
              "encoded by SessionStore.encode under OLD" % (
                  gen["seconds"], "{:,}".format(gen["auth"]), "{:,}".format(gen["anon"]),
                  gen["distinct_values"]))
        sys.stdout.flush()
        results = []  # (id, label, rows, seconds, peak RSS KiB)
        # (a) Django's own loop, on a subset, then put back
        m = min(args.django_rows, args.rows)
        saved = os.path.join(tmp, "saved.json")
        old("bench-save", str(m), saved, output=False)
        dj = new("bench-django", str(m), str(args.batch_size))
        results.append(("django", "(a) Django: SessionStore.load() with the fallback key, auth "
                        "hash rewritten, save(); %s-row subset" % "{:,}".format(m), dj["rows"],
                        dj["seconds"], dj["maxrss_kib"]))
        print("(a) Django's loop: %s rows in %.1fs (%s rows/s)" % (
            "{:,}".format(dj["rows"]), dj["seconds"], fmt_rate(dj["rows"], dj["seconds"])))
        sys.stdout.flush()
        new("bench-restore", saved, output=False)
        # (c) the floor
        cas = ("one UPDATE ... FROM (VALUES ...) per batch" if kind == "postgres"
               else "one UPDATE per row")
        for mode, label in [("client", "(c) floor, client: keyset SELECT + compare-and-set "
                                       "UPDATE of each value with its last character "
                                       "changed (%s), no crypto, Python" % cas),
                            ("server", "(c) floor, server: UPDATE ... SET session_data = "
                                       "%s per keyset batch" % (
                                           "CONCAT(session_data, 'x')" if kind == "mysql"
                                           else "session_data || 'x'"))]:
            fl = new("bench-floor", mode, str(args.batch_size), "do")
            new("bench-floor", mode, str(args.batch_size), "undo")  # untimed: values back
            results.append((mode, label, fl["rows"], fl["seconds"], fl["maxrss_kib"]))
            print("(c) floor, %s: %s rows in %.1fs" % (mode, "{:,}".format(fl["rows"]),
                                                       fl["seconds"]))
            sys.stdout.flush()
        # (b) signring
        ok, why = has_migrate(args.signring)
        if not ok:
            print("(b) signring: SKIPPED: %s" % why)
        else:
            sig = run_signring(args, db_url)
            rep = sig["report"] or {}
            results.append(("signring", "(b) signring django session migrate",
                            rep.get("scanned", 0), sig["seconds"], sig["maxrss_kib"]))
            print("(b) signring: exit %d in %.1fs, peak RSS %.1f MiB: %s" % (
                sig["rc"], sig["seconds"], sig["maxrss_kib"] / 1024.0, json.dumps(rep)))
            if sig["rc"] != 0 or rep.get("resigned") != args.rows:
                print("    WARNING: expected exit 0 and resigned=%d; stderr: %s" % (
                    args.rows, sig["stderr"]))
            kpath = os.path.join(tmp, "sample.json")
            only_new("bench-sample", "1000", kpath, output=False)
            probe = only_new("probe", kpath)
            good = sum(1 for v in probe.values() if v.get("data") and (
                "_auth_user_id" not in v["data"] or v.get("hash_current") is True))
            print("    Django with only NEW: %d of a random %d rows verify (users logged in)"
                  % (good, len(probe)))
        # table
        print("\n| approach | rows | seconds | rows/s | peak RSS |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for _, label, rows, seconds, rss in results:
            print("| %s | %s | %.2f | %s | %.1f MiB |" % (
                label, "{:,}".format(rows), seconds, fmt_rate(rows, seconds), rss / 1024.0))
        rate = {i: r / s for i, _, r, s, _ in results if s > 0}
        if rate.get("signring"):
            sr = rate["signring"]
            print("\nsignring = %.1f x Django's loop (target >= 20); %.2f x the client floor, "
                  "%.2f x the server-side floor (target >= 0.5 x the floor)" % (
                      sr / rate["django"], sr / rate["client"], sr / rate["server"]))
        print("(Django's and the floor's peak RSS is the driver process's: Python + Django.)")

        sys.stdout.flush()
        return True
    finally:
        for d in drivers:
            try:
                d.close()
            except Exception:  # noqa: BLE001
                pass
        if cleanup and not args.keep:
            admin(python, "dropdb", *cleanup)
        if args.keep:
            print("(kept %s%s)" % (tmp, (", database %s" % cleanup[1]) if cleanup else ""))
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--venvs", required=True, help="directory made by tests/django/venv.sh --e2e")
    ap.add_argument("--signring", help="the CLI (a release build: target/release/signring)")
    ap.add_argument("--databases", default="sqlite,postgres",
                    help="comma-separated: sqlite, postgres, mysql (default %(default)s)")
    ap.add_argument("--rows", type=int, default=1000000, help="sessions (default %(default)s)")
    ap.add_argument("--django-rows", type=int, default=100000,
                    help="rows Django's loop is timed on (default %(default)s)")
    ap.add_argument("--users", type=int, default=5000, help="auth_user rows (default %(default)s)")
    ap.add_argument("--batch-size", type=int, default=1000,
                    help="batch size for every approach (default %(default)s)")
    ap.add_argument("--django", default="5.2", help="Django line (default %(default)s)")
    ap.add_argument("--postgres-url", default=os.environ.get(SERVER_ENV["postgres"]))
    ap.add_argument("--mysql-url", default=os.environ.get(SERVER_ENV["mysql"]))
    ap.add_argument("--keep", action="store_true", help="keep the database and directory")
    args = ap.parse_args()
    python = os.path.join(args.venvs, "django-" + args.django, "bin", "python")
    if not os.path.exists(python):
        print("missing %s (run tests/django/venv.sh --e2e %s)" % (python, args.venvs))
        return 2
    if args.signring:
        args.signring = os.path.abspath(args.signring)
    ok, why = has_migrate(args.signring)
    if not ok:
        print("NOTE: (b) will be SKIPPED: %s" % why)
    rc = 0
    for kind in args.databases.split(","):
        if kind in SERVER_ENV and not getattr(args, kind + "_url"):
            print("\n## %s: NOT RUN: %s is unset (or pass --%s-url)" % (
                kind, SERVER_ENV[kind], kind))
            rc = 1
            continue
        try:
            bench_one(args, kind, python)
        except Exception as e:  # noqa: BLE001
            print("\n## %s: FAILED: %s: %s" % (kind, type(e).__name__, e))
            rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
