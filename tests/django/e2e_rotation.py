#!/usr/bin/env python3
"""End-to-end SECRET_KEY rotation with real Django projects and the signring CLI.

    python3 tests/django/e2e_rotation.py --venvs DIR --signring target/debug/signring

For each Django line (2.2, 3.2, 4.2, 5.2, 6.0, 6.1; DIR/django-X.Y from tests/django/venv.sh):

1. a throw-away project is written to a temporary directory: a settings module
   (SQLite database file, contenttypes + auth + sessions, the db session backend,
   SessionMiddleware + AuthenticationMiddleware) whose keys come from the
   environment, and one view, /whoami/, answering whether request.user is
   authenticated;
2. `migrate`, then a user logs in with the test Client under SECRET_KEY=OLD, and
   the stored django_session.session_data row is read (a copy of the database
   is kept as the control);
3. rotation: `signring --django X.Y django session rotate --password-hash <the
   user's stored hash> --json <session_data>` with SECRET_KEY=NEW and
   SECRET_KEY_FALLBACKS=["OLD"]; the returned value is written back to the row;
4. a new Django process configured with ONLY the new key requests /whoami/ with
   the session cookie: the user must still be logged in;
5. control: the same request against the unrotated copy must show the user
   logged out (and, on 4.1+, Django itself with OLD as a fallback keeps the user
   logged in, the situation signring's rotation replaces).

Every Django configuration runs in its own subprocess (settings cannot be
reconfigured in-process). Prints one line per check, a summary line per version
and a final "N passed, M failed" line; exits 1 on any failure. Runs with any
Python 3.8+.
"""

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

OLD = "e2e-old-key-retired-9f8e7d6c5b4a-QWERTYUIOPASDFGHJKLZXCVBNM-0123456789"
NEW = "e2e-new-key-current-1a2b3c4d5e6f-qwertyuiopasdfghjklzxcvbnm-9876543210"
VERSIONS = ["2.2", "3.2", "4.2", "5.2", "6.0", "6.1"]

SETTINGS = '''
import json, os
SECRET_KEY = os.environ["E2E_SECRET_KEY"]
SECRET_KEY_FALLBACKS = json.loads(os.environ.get("E2E_SECRET_KEY_FALLBACKS", "[]"))
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth",
                  "django.contrib.sessions"]
MIDDLEWARE = ["django.contrib.sessions.middleware.SessionMiddleware",
              "django.contrib.auth.middleware.AuthenticationMiddleware"]
ROOT_URLCONF = "e2eproj.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3",
                         "NAME": os.environ["E2E_DB"]}}
SESSION_ENGINE = "django.contrib.sessions.backends.db"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
'''

URLS = '''
from django.http import JsonResponse
from django.urls import path


def whoami(request):
    user = request.user
    return JsonResponse({"authenticated": bool(user.is_authenticated),
                         "username": user.get_username() if user.is_authenticated else None,
                         "session_key": request.session.session_key})


urlpatterns = [path("whoami/", whoami)]
'''

DRIVER = '''
import json, sys, warnings
warnings.simplefilter("ignore")
import django
django.setup()
from django.conf import settings
from django.test import Client

step = sys.argv[1]
if step == "migrate":
    from django.core.management import call_command
    call_command("migrate", verbosity=0)
    print(json.dumps({"ok": True}))
elif step == "login":
    from django.contrib.auth.models import User
    user = User.objects.create_user("alice", "alice@example.com", "correct horse")
    client = Client()
    assert client.login(username="alice", password="correct horse"), "login failed"
    who = client.get("/whoami/").json()
    print(json.dumps({"session_key": client.cookies[settings.SESSION_COOKIE_NAME].value,
                      "password_hash": User.objects.get(pk=user.pk).password, "whoami": who,
                      "django": django.get_version()}))
elif step == "whoami":
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = sys.argv[2]
    print(json.dumps(client.get("/whoami/").json()))
'''


class Run:
    def __init__(self, args):
        self.args = args
        self.passed = 0
        self.failed = 0

    def result(self, ver, name, ok, detail=""):
        if ok:
            self.passed += 1
            print("  ok   django-%s %s" % (ver, name))
        else:
            self.failed += 1
            print("  FAIL django-%s %s%s" % (ver, name, ("\n       " + detail) if detail else ""))
        return ok

    def django(self, ver, proj, db, step, keys, *extra):
        py = os.path.join(self.args.venvs, "django-" + ver, "bin", "python")
        env = dict(os.environ)
        for k in ("SECRET_KEY", "SECRET_KEY_FALLBACKS", "DEFAULT_HASHING_ALGORITHM"):
            env.pop(k, None)
        env.update({"DJANGO_SETTINGS_MODULE": "e2eproj.settings", "PYTHONPATH": proj,
                    "E2E_DB": db, "E2E_SECRET_KEY": keys[0],
                    "E2E_SECRET_KEY_FALLBACKS": json.dumps(keys[1:])})
        p = subprocess.run([py, os.path.join(proj, "driver.py"), step] + list(extra), env=env,
                           cwd=proj, capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            raise RuntimeError("django %s step %s failed (%d): %s" % (
                ver, step, p.returncode, (p.stderr or p.stdout)[-2000:]))
        return json.loads(p.stdout.strip().splitlines()[-1])

    def rotate(self, ver, password_hash, data):
        env = dict(os.environ)
        for k in ("SESSION_COOKIE_AGE", "DEFAULT_HASHING_ALGORITHM"):
            env.pop(k, None)
        env["SECRET_KEY"] = NEW
        env["SECRET_KEY_FALLBACKS"] = json.dumps([OLD])
        cmd = [self.args.signring, "--django", ver, "django", "session", "rotate",
               "--password-hash", password_hash, "--json", "--", data]
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout.strip(), p.stderr.strip()

    @staticmethod
    def row(db, key, value=None):
        con = sqlite3.connect(db)
        try:
            if value is None:
                r = con.execute("SELECT session_data FROM django_session WHERE session_key = ?",
                                (key,)).fetchone()
                return r[0] if r else None
            con.execute("UPDATE django_session SET session_data = ? WHERE session_key = ?",
                        (value, key))
            con.commit()
        finally:
            con.close()

    def version(self, ver):
        py = os.path.join(self.args.venvs, "django-" + ver, "bin", "python")
        if not os.path.exists(py):
            self.result(ver, "venv", False, "missing %s (run tests/django/venv.sh)" % py)
            return
        tmp = tempfile.mkdtemp(prefix="signring-e2e-%s-" % ver)
        try:
            proj = tmp
            os.makedirs(os.path.join(proj, "e2eproj"))
            for name, text in [("e2eproj/__init__.py", ""), ("e2eproj/settings.py", SETTINGS),
                               ("e2eproj/urls.py", URLS), ("driver.py", DRIVER)]:
                with open(os.path.join(proj, name), "w", encoding="utf-8") as f:
                    f.write(text)
            db = os.path.join(tmp, "db.sqlite3")
            control = os.path.join(tmp, "control.sqlite3")
            self.django(ver, proj, db, "migrate", [OLD])
            login = self.django(ver, proj, db, "login", [OLD])
            key = login["session_key"]
            if not self.result(ver, "login under OLD (Django %s)" % login["django"],
                               login["whoami"]["authenticated"] is True, json.dumps(login)):
                return
            data = self.row(db, key)
            if not self.result(ver, "session row stored", bool(data), "no row for %s" % key):
                return
            shutil.copyfile(db, control)
            rc, out, err = self.rotate(ver, login["password_hash"], data)
            try:
                got = json.loads(out)
            except ValueError:
                got = {}
            if not self.result(ver, "signring session rotate (NEW current, OLD fallback)",
                               rc == 0 and got.get("ok") is True and got.get("key_index") == 1
                               and isinstance(got.get("value"), str),
                               "exit %d, stdout %s, stderr %s" % (rc, out[:500], err[:500])):
                return
            self.row(db, key, got["value"])
            who = self.django(ver, proj, db, "whoami", [NEW], key)
            self.result(ver, "rotated session, Django with only NEW: still logged in",
                        who["authenticated"] is True and who["username"] == "alice",
                        json.dumps(who))
            who = self.django(ver, proj, control, "whoami", [NEW], key)
            self.result(ver, "control (not rotated), Django with only NEW: logged out",
                        who["authenticated"] is False, json.dumps(who))
            if tuple(int(x) for x in ver.split(".")) >= (4, 1):
                who = self.django(ver, proj, control, "whoami", [NEW, OLD], key)
                self.result(ver, "control (not rotated), Django with NEW + OLD fallback: "
                                 "logged in", who["authenticated"] is True, json.dumps(who))
        except Exception as e:  # noqa: BLE001 - one failure per broken version
            self.result(ver, "harness", False, "%s: %s" % (type(e).__name__, e))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--venvs", required=True, help="directory made by tests/django/venv.sh")
    ap.add_argument("--signring", required=True, help="path to the signring CLI binary")
    ap.add_argument("--versions", default=",".join(VERSIONS),
                    help="comma-separated Django lines (default %(default)s)")
    args = ap.parse_args()
    if not (os.path.isfile(args.signring) and os.access(args.signring, os.X_OK)):
        print("no executable at %s (build it: cargo build -p signring-cli)" % args.signring)
        print("0 passed, 1 failed")
        return 1
    run = Run(args)
    started = time.time()
    for ver in args.versions.split(","):
        p0, f0, t0 = run.passed, run.failed, time.time()
        run.version(ver)
        print("django-%s: %d passed, %d failed [%.1fs]" % (
            ver, run.passed - p0, run.failed - f0, time.time() - t0))
    print("total time %.1fs" % (time.time() - started))
    print("%d passed, %d failed" % (run.passed, run.failed))
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
