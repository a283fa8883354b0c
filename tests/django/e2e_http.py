#!/usr/bin/env python3
"""Live two-way check of signring-http's django_cookies example against real Django.

    python3 tests/django/e2e_http.py --venvs DIR --server target/debug/examples/django_cookies

For each Django line (2.2, 3.2, 4.2, 5.2, 6.0, 6.1; DIR/django-X.Y from tests/django/venv.sh):

1. real Django (test Client, SessionMiddleware, SESSION_ENGINE signed_cookies) under
   SECRET_KEY=OLD runs a view that stores a session and calls
   response.set_signed_cookie("color", "blue", salt="ui");
2. the example server runs with SECRET_KEY=NEW, SECRET_KEY_FALLBACKS=["OLD"],
   --django X.Y, --listen 127.0.0.1:0: GET /session and GET /cookie/color?salt=ui
   with Django's cookies answer 200 with the data and re-issue both (exact
   attributes, Max-Age = the remaining lifetime); the re-issued values are fresh
   (a second request re-issues nothing); garbage gets 403;
3. Django configured with ONLY the new key reads the re-issued session and cookie
   (and, as a control, not the ones it set under OLD);
4. the server's handlers set a session (POST /session) and a signed cookie (POST
   /cookie/pref?salt=s); Django with only the new key reads both.

Every Django configuration runs in its own subprocess. Prints one line per check,
a summary line per version and a final "N passed, M failed" line; exits 1 on any
failure. Runs with any Python 3.8+.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

OLD = "e2e-http-old-key-retired-9f8e7d6c5b4a-QWERTYUIOPASDFGHJKLZXCVBNM-0123"
NEW = "e2e-http-new-key-current-1a2b3c4d5e6f-qwertyuiopasdfghjklzxcvbnm-9876"
VERSIONS = ["2.2", "3.2", "4.2", "5.2", "6.0", "6.1"]
AGE = 1209600
SESSION = {"user": "42", "cart": [1, 2, 3], "name": "Zo\u00eb"}

DRIVER = r'''
import json, sys, warnings
warnings.simplefilter("ignore")
from django.conf import settings

step, keys, arg = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
settings.configure(
    SECRET_KEY=keys[0],
    SECRET_KEY_FALLBACKS=keys[1:],
    DEBUG=False,
    ALLOWED_HOSTS=["testserver"],
    INSTALLED_APPS=["django.contrib.sessions"],
    MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware"],
    ROOT_URLCONF=__name__,
    SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
    DATABASES={},
    USE_TZ=True,
)
import django
django.setup()
from django.http import JsonResponse
from django.test import Client
from django.urls import path


def make(request):
    for k, v in arg["session"].items():
        request.session[k] = v
    response = JsonResponse({})
    response.set_signed_cookie("color", "blue", salt="ui")
    return response


def read(request):
    return JsonResponse({
        "session": dict(request.session.items()),
        "color": request.get_signed_cookie("color", default=None, salt="ui"),
        "pref": request.get_signed_cookie("pref", default=None, salt="s"),
    })


urlpatterns = [path("make/", make), path("read/", read)]

client = Client()
if step == "make":
    client.get("/make/")
    print(json.dumps({"sessionid": client.cookies["sessionid"].value,
                      "color": client.cookies["color"].value,
                      "django": django.get_version()}))
elif step == "read":
    for name, value in arg["cookies"].items():
        client.cookies[name] = value
    print(json.dumps(client.get("/read/").json()))
'''


def http(method, url, cookie=None, body=None):
    request = urllib.request.Request(url, method=method, data=body)
    if cookie is not None:
        request.add_header("Cookie", cookie)
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.headers, r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode("utf-8")


def set_cookies(headers):
    return headers.get_all("Set-Cookie") or []


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

    def django(self, ver, driver, step, keys, arg):
        py = os.path.join(self.args.venvs, "django-" + ver, "bin", "python")
        env = dict(os.environ)
        for k in ("SECRET_KEY", "SECRET_KEY_FALLBACKS", "DJANGO_SETTINGS_MODULE"):
            env.pop(k, None)
        p = subprocess.run([py, driver, step, json.dumps(keys), json.dumps(arg)], env=env,
                           capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            raise RuntimeError("django %s step %s failed (%d): %s" % (
                ver, step, p.returncode, (p.stderr or p.stdout)[-2000:]))
        return json.loads(p.stdout.strip().splitlines()[-1])

    def server(self, ver):
        env = dict(os.environ)
        env["SECRET_KEY"] = NEW
        env["SECRET_KEY_FALLBACKS"] = json.dumps([OLD])
        proc = subprocess.Popen([self.args.server, "--listen", "127.0.0.1:0", "--django", ver],
                                env=env, stdout=subprocess.PIPE, text=True)
        line = proc.stdout.readline().strip()
        if not line.startswith("127.0.0.1:"):
            proc.kill()
            raise RuntimeError("the server printed %r" % line)
        return proc, "http://" + line

    def reissued(self, ver, what, headers, name, attributes, signed_at, sent, received):
        cookies = [c for c in set_cookies(headers) if c.startswith(name + "=")]
        if not self.result(ver, "%s re-issued once" % what, len(cookies) == 1, repr(cookies)):
            return None
        value, _, rest = cookies[0][len(name) + 1:].partition("; ")
        if signed_at is None:
            ok = rest == attributes
        else:
            fixed, _, max_age = rest.rpartition("; Max-Age=")
            low = int(signed_at + AGE - received) - 1
            high = int(signed_at + AGE - sent) + 1
            ok = fixed == attributes and max_age.isdigit() and low <= int(max_age) <= high
        self.result(ver, "%s attributes: %s" % (what, rest), ok, repr(cookies[0]))
        return value

    def version(self, ver):
        py = os.path.join(self.args.venvs, "django-" + ver, "bin", "python")
        if not os.path.exists(py):
            self.result(ver, "venv", False, "missing %s (run tests/django/venv.sh)" % py)
            return
        tmp = tempfile.mkdtemp(prefix="signring-e2e-http-%s-" % ver)
        proc = None
        try:
            driver = os.path.join(tmp, "driver.py")
            with open(driver, "w", encoding="utf-8") as f:
                f.write(DRIVER)
            before = time.time()
            made = self.django(ver, driver, "make", [OLD], {"session": SESSION})
            self.result(ver, "Django %s set a session and a signed cookie under OLD"
                        % made["django"], bool(made["sessionid"]) and bool(made["color"]))
            proc, base = self.server(ver)

            sent = time.time()
            status, headers, body = http("GET", base + "/session",
                                         "sessionid=%s" % made["sessionid"])
            received = time.time()
            self.result(ver, "GET /session with Django's OLD session: 200 + the data",
                        status == 200 and json.loads(body or "null") == SESSION,
                        "%s %s" % (status, body[:300]))
            self.result(ver, "Vary: Cookie", "Cookie" in (headers.get_all("Vary") or []))
            # Django signed at a whole second in [before, sent]: Max-Age is
            # judged against that window (one second of slack each side).
            session_value = self.reissued(ver, "session", headers, "sessionid",
                                          "Path=/; HttpOnly; SameSite=Lax", int(before),
                                          sent - (sent - before), received)
            status, headers, body = http("GET", base + "/cookie/color?salt=ui",
                                         "color=%s" % made["color"])
            self.result(ver, "GET /cookie/color?salt=ui with Django's OLD cookie: 200 blue",
                        status == 200 and body == "blue"
                        and headers.get("Content-Type", "").startswith("text/plain"),
                        "%s %r" % (status, body))
            color_value = self.reissued(ver, "signed cookie", headers, "color", "Path=/",
                                        None, 0, 0)
            if session_value is None or color_value is None:
                return

            status, headers, _ = http("GET", base + "/session", "sessionid=%s" % session_value)
            self.result(ver, "re-issued session is fresh: 200, nothing re-issued",
                        status == 200 and not set_cookies(headers))
            status, headers, _ = http("GET", base + "/cookie/color?salt=ui",
                                      "color=%s" % color_value)
            self.result(ver, "re-issued cookie is fresh: 200, nothing re-issued",
                        status == 200 and not set_cookies(headers))
            status, headers, _ = http("GET", base + "/session", "sessionid=garbage:1:x")
            self.result(ver, "garbage session: 403, nothing set",
                        status == 403 and not set_cookies(headers))
            status, headers, _ = http("GET", base + "/cookie/color?salt=other",
                                      "color=%s" % made["color"])
            self.result(ver, "wrong salt: 403, nothing set",
                        status == 403 and not set_cookies(headers))

            got = self.django(ver, driver, "read", [NEW],
                              {"cookies": {"sessionid": session_value, "color": color_value}})
            self.result(ver, "Django with only NEW reads the re-issued session and cookie",
                        got["session"] == SESSION and got["color"] == "blue", json.dumps(got))
            got = self.django(ver, driver, "read", [NEW],
                              {"cookies": {"sessionid": made["sessionid"],
                                           "color": made["color"]}})
            self.result(ver, "control: Django with only NEW refuses what it set under OLD",
                        got["session"] == {} and got["color"] is None, json.dumps(got))

            status, headers, _ = http("POST", base + "/session",
                                      body=json.dumps({"from": "rust", "n": 1}).encode())
            handler_session = [c for c in set_cookies(headers) if c.startswith("sessionid=")]
            status2, headers2, _ = http("POST", base + "/cookie/pref?salt=s", body=b"dark")
            handler_pref = [c for c in set_cookies(headers2) if c.startswith("pref=")]
            if self.result(ver, "handlers set a session and a signed cookie",
                           status == 204 and status2 == 204 and handler_session and handler_pref):
                cookies = {
                    "sessionid": handler_session[0][len("sessionid="):].split(";")[0],
                    "pref": handler_pref[0][len("pref="):].split(";")[0],
                }
                got = self.django(ver, driver, "read", [NEW], {"cookies": cookies})
                self.result(ver, "Django with only NEW reads what the handlers set",
                            got["session"] == {"from": "rust", "n": 1} and got["pref"] == "dark",
                            json.dumps(got))
        except Exception as e:  # noqa: BLE001 - one failure per broken version
            self.result(ver, "harness", False, "%s: %s" % (type(e).__name__, e))
        finally:
            if proc is not None:
                proc.kill()
                proc.wait()
            shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--venvs", required=True, help="directory made by tests/django/venv.sh")
    ap.add_argument("--server", required=True,
                    help="path to the django_cookies example binary "
                         "(cargo build -p signring-http --example django_cookies)")
    ap.add_argument("--versions", default=",".join(VERSIONS),
                    help="comma-separated Django lines (default %(default)s)")
    args = ap.parse_args()
    if not (os.path.isfile(args.server) and os.access(args.server, os.X_OK)):
        print("no executable at %s" % args.server)
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
