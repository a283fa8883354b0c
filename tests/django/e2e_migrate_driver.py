#!/usr/bin/env python3
"""The Django side of tests/django/e2e_migrate.py and bench_migrate.py.

Runs inside one of the venvs made by `tests/django/venv.sh --e2e DIR` (Django plus
psycopg2-binary, PyMySQL, redis and django-redis), one step per process:

    python e2e_migrate_driver.py STEP ARGS...

Steps that need no Django project (no DJANGO_SETTINGS_MODULE):

    ping URL                       connect to postgres://, mysql:// or redis:// URL
    createdb ADMIN_URL NAME        create database NAME on that PostgreSQL/MySQL server
    dropdb ADMIN_URL NAME          drop it (connections are closed first)
    redis-clean URL PREFIX         delete every key PREFIX:* (SCAN, never KEYS)
    write-project DIR              write the throw-away project (DIR/e2eproj/...)

Steps run with DJANGO_SETTINGS_MODULE=e2eproj.settings and PYTHONPATH=DIR; the
project's settings come from E2E_* variables (see SETTINGS below), the keys from
E2E_SECRET_KEY and E2E_SECRET_KEY_FALLBACKS (never SECRET_KEY, which is the CLI's):

    setup                          manage.py migrate
    populate SPEC OUT              create users, log them in (authenticate + login),
                                   create anonymous sessions holding data; OUT gets
                                   {"auth": [...], "anon": [...], "spare": [...]}
    mix KEYS OUT                   load sessions and save them with new data without
                                   touching request.user (what a 4.1+ server with a
                                   fallback key writes: new signature, old auth hash)
    corrupt N OUT                  store N values Django cannot decode
    snapshot OUT                   the raw store: rows/entries/files, expiry, TTL, mtime
    probe KEYS OUT                 per key, what Django sees: user, data, auth hash
                                   (read-only: flush and cycle_key are disabled)
    requests KEYS OUT              a real GET /whoami/ with each session cookie
    writer POOL STOP OUT SEED      keep writing sessions (logins, logouts, cycle_key,
                                   data changes, held transactions) until STOP exists
    trigger-install / trigger-read OUT
                                   count every rewrite of session_data per row (SQL)
    clearsessions                  manage.py clearsessions
    serve                          run the steps above as JSON lines read from stdin
    bench-generate/-save/-restore/-django/-floor/-sample
                                   bench_migrate.py's steps (see there)

Everything a step reports goes to OUT as JSON (stdout stays free for errors).
"""

import json
import os
import random
import sys
import time
import warnings
from urllib.parse import unquote, urlsplit

warnings.simplefilter("ignore")

SETTINGS = r'''
import json, os
from urllib.parse import unquote, urlsplit
import django

E = os.environ
SECRET_KEY = E["E2E_SECRET_KEY"]
SECRET_KEY_FALLBACKS = json.loads(E.get("E2E_SECRET_KEY_FALLBACKS", "[]"))
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth",
                  "django.contrib.sessions"]
MIDDLEWARE = ["django.contrib.sessions.middleware.SessionMiddleware",
              "django.contrib.auth.middleware.AuthenticationMiddleware"]
ROOT_URLCONF = "e2eproj.urls"


def _database(url):
    u = urlsplit(url)
    if u.scheme == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": u.path,
                "OPTIONS": {"timeout": 30}}
    common = {"NAME": u.path.lstrip("/"), "USER": unquote(u.username or ""),
              "PASSWORD": unquote(u.password or ""), "HOST": u.hostname or "",
              "PORT": str(u.port or "")}
    if u.scheme in ("postgres", "postgresql"):
        return dict(common, ENGINE="django.db.backends.postgresql")
    if u.scheme == "mysql":
        import pymysql
        pymysql.install_as_MySQLdb()
        return dict(common, ENGINE="django.db.backends.mysql",
                    OPTIONS={"charset": "utf8mb4"})
    raise ValueError("unsupported database URL " + url)


DATABASES = {"default": _database(E["E2E_DATABASE"])}
# Django 2.2 predates psycopg2 2.9's tzinfo change (ticket #32832, fixed in 3.1+
# only): with USE_TZ it refuses every timestamptz. The session table is the same.
USE_TZ = not (django.VERSION[:2] == (2, 2) and E["E2E_DATABASE"].startswith("postgres"))
SESSION_ENGINE = "django.contrib.sessions.backends." + E["E2E_ENGINE"]
SESSION_COOKIE_NAME = E.get("E2E_COOKIE_NAME", "sessionid")
if E["E2E_ENGINE"] == "file":
    SESSION_FILE_PATH = E["E2E_FILE_PATH"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if E.get("E2E_CACHE_BACKEND"):
    CACHES = {"default": {
        "BACKEND": {"django": "django.core.cache.backends.redis.RedisCache",
                    "django-redis": "django_redis.cache.RedisCache"}[E["E2E_CACHE_BACKEND"]],
        "LOCATION": E["E2E_REDIS_URL"],
        "KEY_PREFIX": E["E2E_KEY_PREFIX"],
        "VERSION": int(E.get("E2E_CACHE_VERSION", "1")),
        "TIMEOUT": None,
    }}
# Cheap hashing: 1,000 logins per case. The auth hash covers the stored hash string
# whatever the hasher.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "handlers": {"null": {"class": "logging.NullHandler"}},
           "loggers": {"django.security": {"handlers": ["null"], "propagate": False}}}
'''

URLS = r'''
import json
from django.contrib.auth import HASH_SESSION_KEY, logout
from django.http import JsonResponse
from django.urls import path


def _data(request):
    return {k: v for k, v in request.session.items() if k != HASH_SESSION_KEY}


def whoami(request):
    user = request.user
    auth = bool(user.is_authenticated)
    return JsonResponse({"authenticated": auth, "user": user.pk if auth else None,
                         "username": user.get_username() if auth else None,
                         "session_key": request.session.session_key,
                         "data": _data(request)})


def touch(request):
    # Changes session data without looking at request.user: a 4.1+ server with
    # the old key as a fallback saves it with the new signature, old auth hash.
    request.session["w"] = int(request.GET["v"])
    return JsonResponse({"session_key": request.session.session_key, "data": _data(request)})


def touch_user(request):
    # Looks at request.user first: on 4.1+ a session verified by a fallback key
    # gets a new session key and the current auth hash (get_user's cycle_key).
    user = request.user
    user.is_authenticated  # request.user is lazy: run get_user now
    request.session["w"] = int(request.GET["v"])
    return JsonResponse({"session_key": request.session.session_key, "data": _data(request),
                         "user": user.pk if user.is_authenticated else None})


def cycle(request):
    request.session.cycle_key()
    return JsonResponse({"session_key": request.session.session_key, "data": _data(request)})


def logout_view(request):
    logout(request)
    return JsonResponse({"session_key": request.session.session_key})


urlpatterns = [path("whoami/", whoami), path("touch/", touch), path("touch-user/", touch_user),
               path("cycle/", cycle), path("logout/", logout_view)]
'''


def out(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f)
    os.replace(tmp, path)


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


# ---------------------------------------------------------------- servers (no Django)

def parse(url):
    u = urlsplit(url)
    return {"scheme": u.scheme, "user": unquote(u.username or ""),
            "password": unquote(u.password or ""), "host": u.hostname or "127.0.0.1",
            "port": u.port, "name": u.path.lstrip("/")}


def pg_connect(url, dbname=None):
    import psycopg2
    p = parse(url)
    con = psycopg2.connect(host=p["host"], port=p["port"] or 5432, user=p["user"] or "postgres",
                           password=p["password"] or None, dbname=dbname or p["name"] or "postgres",
                           connect_timeout=5)
    con.autocommit = True
    return con


def my_connect(url, dbname=None):
    import pymysql
    p = parse(url)
    return pymysql.connect(host=p["host"], port=p["port"] or 3306, user=p["user"] or "root",
                           password=p["password"], database=dbname or p["name"] or None,
                           connect_timeout=5, autocommit=True)


def redis_connect(url):
    import redis
    return redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30)


def step_ping(url):
    scheme = parse(url)["scheme"]
    try:
        if scheme in ("postgres", "postgresql"):
            con = pg_connect(url)
            cur = con.cursor()
            cur.execute("SELECT version()")
            version = cur.fetchone()[0]
            con.close()
        elif scheme == "mysql":
            con = my_connect(url)
            cur = con.cursor()
            cur.execute("SELECT version()")
            version = cur.fetchone()[0]
            con.close()
        elif scheme in ("redis", "rediss"):
            r = redis_connect(url)
            r.ping()
            version = "Redis " + r.info("server")["redis_version"]
        else:
            raise ValueError("unsupported URL scheme %r" % scheme)
    except Exception as e:  # noqa: BLE001 - reported, the caller decides
        print(json.dumps({"ok": False, "error": "%s: %s" % (type(e).__name__, e)}))
        return
    print(json.dumps({"ok": True, "version": version.split(" on ")[0].split(",")[0]}))


def step_createdb(admin_url, name):
    scheme = parse(admin_url)["scheme"]
    if scheme.startswith("postgres"):
        con = pg_connect(admin_url)
        con.cursor().execute('DROP DATABASE IF EXISTS "%s"' % name)
        con.cursor().execute('CREATE DATABASE "%s"' % name)
    else:
        con = my_connect(admin_url)
        con.cursor().execute("DROP DATABASE IF EXISTS `%s`" % name)
        con.cursor().execute("CREATE DATABASE `%s` CHARACTER SET utf8mb4" % name)
    con.close()


def step_dropdb(admin_url, name):
    scheme = parse(admin_url)["scheme"]
    if scheme.startswith("postgres"):
        con = pg_connect(admin_url)
        cur = con.cursor()
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
        cur.execute('DROP DATABASE IF EXISTS "%s"' % name)
    else:
        con = my_connect(admin_url)
        con.cursor().execute("DROP DATABASE IF EXISTS `%s`" % name)
    con.close()


def step_redis_clean(url, prefix):
    r = redis_connect(url)
    n = 0
    batch = []
    for k in r.scan_iter(match=prefix + ":*", count=1000):
        batch.append(k)
        if len(batch) >= 500:
            n += r.delete(*batch)
            batch = []
    if batch:
        n += r.delete(*batch)
    print(json.dumps({"deleted": n}))


def step_write_project(d):
    os.makedirs(os.path.join(d, "e2eproj"), exist_ok=True)
    for name, text in [("__init__.py", ""), ("settings.py", SETTINGS), ("urls.py", URLS)]:
        with open(os.path.join(d, "e2eproj", name), "w", encoding="utf-8") as f:
            f.write(text)


# ---------------------------------------------------------------- Django steps

def engine_module():
    from importlib import import_module
    from django.conf import settings
    return import_module(settings.SESSION_ENGINE)


def engine_name():
    from django.conf import settings
    return settings.SESSION_ENGINE.rsplit(".", 1)[1]


def session_dict(key):
    """The stored session as Django loads it, without the auth hash (which a
    migration rewrites); None when Django finds nothing."""
    from django.contrib.auth import HASH_SESSION_KEY
    s = engine_module().SessionStore(key)
    data = dict(s.items())
    if not data:
        return None
    return {k: v for k, v in data.items() if k != HASH_SESSION_KEY}


def entry(key, user=None, username=None):
    return {"key": key, "user": user, "username": username, "data": session_dict(key)}


def step_setup():
    from django.core.management import call_command
    call_command("migrate", verbosity=0)


def step_populate(spec_path, out_path):
    """SPEC: {"prefix": "a", "auth": N, "anon": M, "spare": S, "extra_every": K}.

    Users log in through Django's own machinery as a login view does:
    authenticate() checks the password, login() cycles the session key, stores the
    user id, backend and auth hash and fires user_logged_in (last_login), and the
    session is saved as SessionMiddleware saves it. (django.test.Client.login does
    the same plus an extra empty session per client, twice as slow.)"""
    import datetime
    import django
    from django.contrib.auth import HASH_SESSION_KEY, authenticate, login
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.db import transaction
    from django.http import HttpRequest

    spec = load(spec_path)
    prefix = spec["prefix"]
    n_auth, n_anon, n_spare = spec.get("auth", 0), spec.get("anon", 0), spec.get("spare", 0)
    store = engine_module().SessionStore
    result = {"auth": [], "anon": [], "spare": []}

    def saved(s):  # what was stored, as JSON gives it back, without the auth hash
        return json.loads(json.dumps({k: v for k, v in s.items() if k != HASH_SESSION_KEY}))

    # One transaction for the bulk of it: SQLite commits cost an fsync each.
    with transaction.atomic():
        users = [User(username="%s%05d" % (prefix, i), email="%s%d@example.com" % (prefix, i),
                      password=make_password("pw-%s-%d" % (prefix, i)))
                 for i in range(n_auth + n_spare)]
        User.objects.bulk_create(users, batch_size=500)
        ids = dict(User.objects.filter(username__startswith=prefix)
                   .values_list("username", "id"))
        for i in range(n_auth):
            username = "%s%05d" % (prefix, i)
            request = HttpRequest()
            request.META = {"REMOTE_ADDR": "127.0.0.1", "SERVER_NAME": "testserver",
                            "SERVER_PORT": "80"}
            request.session = store()
            user = authenticate(request, username=username, password="pw-%s-%d" % (prefix, i))
            if user is None:
                raise SystemExit("authenticate failed for %s" % username)
            login(request, user)
            if spec.get("extra_every") and i % spec["extra_every"] == 0:
                request.session["theme"] = ["dark", "light"][i % 2]
                request.session["cart"] = {"items": [i, i + 1], "note": "caf\u00e9 \u2713 %d" % i}
            request.session.save()
            result["auth"].append({"key": request.session.session_key, "user": ids[username],
                                   "username": username, "data": saved(request.session)})
        for i in range(n_auth, n_auth + n_spare):
            result["spare"].append({"user": ids["%s%05d" % (prefix, i)],
                                    "username": "%s%05d" % (prefix, i),
                                    "password": "pw-%s-%d" % (prefix, i)})
        for i in range(n_anon):
            s = store()
            s["cart"] = list(range(i % 5))
            s["note"] = "anonymous %s %d \u00fcn\u00efc\u00f8de \u2603" % (prefix, i)
            s["n"] = i
            if i % 3 == 1:
                s.set_expiry(86400 * (i % 7 + 1))          # seconds: stored as an int
            elif i % 3 == 2 and django.VERSION >= (4, 0):
                # stored as an ISO date (before 4.0 as a datetime, which JSON refuses)
                s.set_expiry(datetime.timedelta(days=30 + i % 11))
            s.save()
            result["anon"].append({"key": s.session_key, "user": None, "username": None,
                                   "data": saved(s)})
    out(out_path, result)


def step_mix(keys_path, out_path):
    store = engine_module().SessionStore
    result = []
    for e in load(keys_path):
        s = store(e["key"])
        if not s.items():
            raise SystemExit("mix: session %s did not load" % e["key"])
        s["mixed"] = True
        s.save()
        result.append(dict(e, data=session_dict(e["key"])))
    out(out_path, result)


def _random_key(rng):
    from django.utils.crypto import get_random_string
    return get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")


def step_corrupt(n, out_path):
    """Values no key can decode, plus (cache) values only an unsafe rewrite could
    change: other serializers, compression, non-dict pickles."""
    import datetime
    import pickle
    import zlib
    from django.conf import settings
    from django.core import signing
    from django.utils import timezone
    n = int(n)
    rng = random.Random(7)
    engine = engine_name()
    keys = ["zz" + _random_key(rng)[2:] if i % 2 else _random_key(rng) for i in range(n)]
    import base64
    import django
    if django.VERSION >= (3, 1):
        good = signing.dumps({"a": 1}, salt="django.contrib.sessions.SessionStore",
                             compress=True)
        texts = ["garbage", "", "not:a:session", good[:-3] + "AAA", good[:len(good) // 2],
                 signing.dumps({"_auth_user_id": "1"}, salt="another.salt"),
                 "eyJhIjoxfQ:1tXyZ1:" + "A" * 43, "%%%%"]
    else:
        # Django 2.2 base64-decodes outside its try block: a value that is not
        # valid base64 crashes Django itself (clearsessions, any request), so the
        # corrupt values here are valid base64 with a wrong hash or no hash.
        good = engine_module().SessionStore().encode({"a": 1})
        raw = base64.b64decode(good)
        b64 = lambda b: base64.b64encode(b).decode("ascii")  # noqa: E731
        texts = [b64(b"garbage"), "", b64(b"0" * 40 + b':{"a":1}'),
                 b64(raw[:5] + (b"0" if raw[5:6] != b"0" else b"1") + raw[6:]),
                 b64(raw[:len(raw) // 2]), b64(b"nohash"), b64(raw + b"x"), b64(b":{}")]
    if engine in ("db", "cached_db"):
        from django.contrib.sessions.models import Session
        expire = timezone.now() + datetime.timedelta(days=9)
        for i, key in enumerate(keys):
            Session.objects.create(session_key=key, session_data=texts[i % len(texts)],
                                   expire_date=expire)
    elif engine == "file":
        path = settings.SESSION_FILE_PATH
        for i, key in enumerate(keys):
            with open(os.path.join(path, settings.SESSION_COOKIE_NAME + key), "w",
                      encoding="ascii") as f:
                f.write(texts[i % len(texts)])
        # A file that is not a session file at all: must be left alone.
        with open(os.path.join(path, "README.txt"), "w", encoding="ascii") as f:
            f.write("not a session\n")
    elif engine == "cache":
        from django.core.cache import caches
        cache = caches[settings.SESSION_CACHE_ALIAS]
        r = redis_connect(os.environ["E2E_REDIS_URL"])
        session = {"_auth_user_id": "1", "_auth_user_hash": "0" * 64,
                   "_auth_user_backend": "django.contrib.auth.backends.ModelBackend"}
        raws = [b"garbage", zlib.compress(pickle.dumps(session)),
                json.dumps(session).encode(), pickle.dumps([1, 2, 3]),
                pickle.dumps(session)[:-5]]
        for i, key in enumerate(keys):
            rkey = cache.make_key("django.contrib.sessions.cache" + key)
            r.set(rkey, raws[i % len(raws)], ex=86400 * 9)
    out(out_path, keys)


def snapshot():
    from django.conf import settings
    from django.db import connection
    engine = engine_name()
    snap = {"taken": time.time()}
    if engine in ("db", "cached_db"):
        with connection.cursor() as cur:
            cur.execute("SELECT session_key, session_data, expire_date FROM django_session")
            snap["db"] = {k: [d, str(e)] for k, d, e in cur.fetchall()}
    if engine in ("cache", "cached_db"):
        from django.core.cache import caches
        cache = caches[settings.SESSION_CACHE_ALIAS]
        base = cache.make_key("django.contrib.sessions." + engine)
        r = redis_connect(os.environ["E2E_REDIS_URL"])
        snap["cache"] = {}
        for rk in r.scan_iter(match=base + "*", count=1000):
            raw = r.get(rk)
            if raw is not None:
                snap["cache"][rk.decode()[len(base):]] = [raw.hex(), r.pttl(rk)]
    if engine == "file":
        path = settings.SESSION_FILE_PATH
        snap["files"] = {}
        for name in os.listdir(path):
            p = os.path.join(path, name)
            st = os.stat(p)
            with open(p, "rb") as f:
                snap["files"][name] = [f.read().decode("latin-1"), st.st_mtime_ns]
        snap["prefix"] = settings.SESSION_COOKIE_NAME
    return snap


def step_snapshot(out_path):
    out(out_path, snapshot())


def _noop(*args, **kwargs):
    return None


def probe_one(store, key):
    from django.contrib.auth import HASH_SESSION_KEY, get_user
    from django.http import HttpRequest
    s = store(key)
    # Read-only: get_user flushes a session whose hash fails and cycles the key
    # of one a fallback verified; neither may touch the store during a probe.
    s.flush = _noop
    s.cycle_key = _noop
    try:
        data = dict(s.items())
    except Exception as e:  # noqa: BLE001 - an undecodable cache entry
        return {"user": None, "data": None, "error": "%s: %s" % (type(e).__name__, e)}
    request = HttpRequest()
    request.session = s
    try:
        user = get_user(request)
    except Exception as e:  # noqa: BLE001
        return {"user": None, "data": None, "error": "%s: %s" % (type(e).__name__, e)}
    uid = user.pk if user.is_authenticated else None
    stored_hash = data.get(HASH_SESSION_KEY)
    return {"user": uid,
            "data": {k: v for k, v in data.items() if k != HASH_SESSION_KEY} or None,
            # does the stored hash match the current key (not a fallback)?
            "hash_current": (stored_hash == user.get_session_auth_hash()) if uid else None}


def step_probe(keys_path, out_path):
    store = engine_module().SessionStore
    out(out_path, {key: probe_one(store, key) for key in load(keys_path)})


def step_requests(keys_path, out_path):
    from django.conf import settings
    from django.test import Client
    result = {}
    for key in load(keys_path):
        c = Client()
        c.cookies[settings.SESSION_COOKIE_NAME] = key
        r = c.get("/whoami/")
        result[key] = r.json() if r.status_code == 200 else {"status": r.status_code}
    out(out_path, result)


def step_writer(pool_path, stop_path, out_path, seed):
    """Django keeps serving while the migration runs. POOL: {"sessions": [entries],
    "spare": [users]}. Records, per session key, the last thing Django wrote."""
    from django.conf import settings
    from django.contrib.auth import HASH_SESSION_KEY
    from django.db import transaction
    from django.test import Client
    rng = random.Random(int(seed))
    cookie = settings.SESSION_COOKIE_NAME
    store = engine_module().SessionStore
    pool = load(pool_path)
    live = {e["key"]: e for e in pool["sessions"]}
    spare = list(pool["spare"])
    touched = {}      # key -> {"user", "data"} as Django last wrote it
    deleted = set()
    created = set()
    lost = []
    errors = []
    ops = {}
    times = []
    counter = 0
    deadline = time.time() + 300

    def client(key):
        c = Client()
        c.cookies[cookie] = key
        return c

    def claimed(data):
        uid = (data or {}).get("_auth_user_id")
        return int(uid) if uid is not None else None

    def moved(old, new, data, user):
        if new is None:
            # Django found no session under this cookie: it was lost.
            lost.append(old)
            live.pop(old, None)
            touched.pop(old, None)
            return
        if new != old:
            live.pop(old, None)
            touched.pop(old, None)
            deleted.add(old)
            created.add(new)
        live[new] = {"key": new}
        touched[new] = {"user": user, "data": data}

    while not os.path.exists(stop_path) and time.time() < deadline:
        counter += 1
        op = rng.choices(["touch", "touch_user", "cycle", "logout", "login", "held"],
                         weights=[30, 20, 10, 10, 10, 20])[0]
        if op == "login" and not spare:
            op = "touch"
        if op != "login" and not live:
            break
        t0 = time.time()
        if op == "login":
            u = spare.pop()
            c = Client()
            try:
                if not c.login(username=u["username"], password=u["password"]):
                    raise RuntimeError("login refused for %s" % u["username"])
                key = c.cookies[cookie].value
                created.add(key)
                live[key] = {"key": key}
                touched[key] = {"user": u["user"], "data": session_dict(key)}
            except Exception as e:  # noqa: BLE001
                errors.append("%s: %s: %s" % (op, type(e).__name__, e))
        elif op == "held":
            # A transaction that writes a few sessions and stays open a moment,
            # as a slow request or a management command would; aimed just ahead
            # of where the rate-limited migration should be (keyset order), so
            # that it reads rows this transaction has changed but not committed.
            # The sessions are loaded before the transaction, as a request loads
            # them: on SQLite a deferred transaction that reads and then writes
            # gets "database is locked" at once whenever anyone else writes.
            order = sorted(live)
            keys = rng.sample(order, min(4, len(order)))
            if os.path.exists(stop_path + ".migrating"):
                mig = load(stop_path + ".migrating")
                pos = int((time.time() - mig["t0"]) * mig["rate"])
                near = [k for k in order if k > mig["first"]][pos + 2:pos + 30]
                if len(near) >= 4:
                    keys = rng.sample(near, 4)
            stores = []
            for key in keys:
                s = store(key)
                s["w"] = counter
                stores.append(s)
            try:
                with transaction.atomic():
                    for s in stores:
                        s.save()
                    time.sleep(0.25)
            except Exception as e:  # noqa: BLE001 - the site's request failed
                errors.append("%s: %s: %s" % (op, type(e).__name__, e))
            else:
                for s in stores:
                    data = {k: v for k, v in s.items() if k != HASH_SESSION_KEY}
                    touched[s.session_key] = {"user": claimed(data), "data": data}
        else:
            key = rng.choice(sorted(live))
            c = client(key)
            try:
                r = c.get({"touch": "/touch/", "touch_user": "/touch-user/", "cycle": "/cycle/",
                           "logout": "/logout/"}[op], {"v": counter}).json()
            except Exception as e:  # noqa: BLE001 - a 500 for the site's user
                errors.append("%s: %s: %s" % (op, type(e).__name__, e))
                r = None
            if r is None:
                pass
            elif op in ("touch", "cycle"):
                moved(key, r["session_key"], r["data"], claimed(r["data"]))
            elif op == "touch_user":
                moved(key, r["session_key"], r["data"], r["user"])
            elif op == "logout":
                live.pop(key, None)
                touched.pop(key, None)
                deleted.add(key)
        ops[op] = ops.get(op, 0) + 1
        times.append([t0, time.time()])
        time.sleep(0.002)
    out(out_path, {"touched": touched, "deleted": sorted(deleted), "created": sorted(created),
                   "lost": lost, "errors": errors,
                   "live": sorted(live), "ops": ops, "times": times})


# Every UPDATE that reaches a row is counted, even one that writes the same bytes.
TRIGGERS = {
    "sqlite": [
        "CREATE TABLE e2e_writes (session_key varchar(40) NOT NULL)",
        "CREATE TRIGGER e2e_count AFTER UPDATE ON django_session "
        "BEGIN INSERT INTO e2e_writes VALUES (NEW.session_key); END",
    ],
    "postgresql": [
        "CREATE TABLE e2e_writes (session_key varchar(40) NOT NULL)",
        "CREATE FUNCTION e2e_count() RETURNS trigger AS $$ BEGIN "
        "INSERT INTO e2e_writes VALUES (NEW.session_key); RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER e2e_count AFTER UPDATE ON django_session FOR EACH ROW "
        "EXECUTE PROCEDURE e2e_count()",
    ],
    "mysql": [
        "CREATE TABLE e2e_writes (session_key varchar(40) NOT NULL)",
        "CREATE TRIGGER e2e_count AFTER UPDATE ON django_session FOR EACH ROW "
        "INSERT INTO e2e_writes VALUES (NEW.session_key)",
    ],
}


def step_trigger_install():
    from django.db import connection
    with connection.cursor() as cur:
        for sql in TRIGGERS[connection.vendor]:
            cur.execute(sql)


def step_trigger_read(out_path):
    from django.db import connection
    with connection.cursor() as cur:
        cur.execute("SELECT session_key FROM e2e_writes")
        keys = [r[0] for r in cur.fetchall()]
    counts = {}
    for k in keys:
        counts[k] = counts.get(k, 0) + 1
    out(out_path, counts)


def step_clearsessions():
    from django.core.management import call_command
    call_command("clearsessions")


ADMIN = {"ping": step_ping, "createdb": step_createdb, "dropdb": step_dropdb,
         "redis-clean": step_redis_clean, "write-project": step_write_project}
STEPS = {"setup": step_setup, "populate": step_populate, "mix": step_mix,
         "corrupt": step_corrupt, "snapshot": step_snapshot, "probe": step_probe,
         "requests": step_requests, "writer": step_writer,
         "trigger-install": step_trigger_install, "trigger-read": step_trigger_read,
         "clearsessions": step_clearsessions}


# ---------------------------------------------------------------- benchmark steps
# (tests/django/bench_migrate.py)

def _raw():
    from django.db import connection
    connection.ensure_connection()
    return connection, connection.connection


def step_bench_generate(spec_path, out_path):
    """SPEC: {"rows": N, "users": U, "anon_every": K}. auth_user gets U users; the
    session values are encoded by Django's own SessionStore.encode under the
    running key, once per distinct value (a login-shaped session per user, one
    with a cart, and 500 anonymous ones); N rows with random keys reuse them and
    are bulk-inserted (COPY on PostgreSQL, executemany elsewhere)."""
    import datetime
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.utils import timezone
    spec = load(spec_path)
    n, n_users, anon_every = spec["rows"], spec["users"], spec.get("anon_every", 10)
    t0 = time.time()
    pw = make_password("bench")
    User.objects.bulk_create([User(username="u%06d" % i, password=pw + str(i % 7))
                              for i in range(n_users)], batch_size=1000)
    store = engine_module().SessionStore()
    auth_values, anon_values = [], []
    for u in User.objects.order_by("id"):
        d = {SESSION_KEY: str(u.pk),
             BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
             HASH_SESSION_KEY: u.get_session_auth_hash()}
        auth_values.append(store.encode(d))
        auth_values.append(store.encode(dict(d, cart={"items": [u.pk, 7], "note": "x" * 40})))
    for i in range(500):
        anon_values.append(store.encode({"cart": list(range(i % 9)), "n": i}))
    rng = random.Random(1)
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    base = timezone.now() + datetime.timedelta(days=14)
    conn, raw = _raw()

    def rows(start, stop):
        for i in range(start, stop):
            key = "".join(rng.choices(alphabet, k=32))
            if i % anon_every == 0:
                v = anon_values[i % len(anon_values)]
            else:
                v = auth_values[i % len(auth_values)]
            yield key, v, base + datetime.timedelta(seconds=i % 86400)

    chunk = 50000
    if conn.vendor == "postgresql":
        import io
        with raw.cursor() as cur:
            for start in range(0, n, chunk):
                buf = io.StringIO()
                for key, v, exp in rows(start, min(n, start + chunk)):
                    buf.write("%s\t%s\t%s\n" % (key, v, exp.isoformat()))
                buf.seek(0)
                cur.copy_expert("COPY django_session (session_key, session_data, expire_date) "
                                "FROM STDIN", buf)
        raw.commit()
        with raw.cursor() as cur:
            cur.execute("ANALYZE django_session")
        raw.commit()
    else:
        from django.db import transaction
        sql = ("INSERT INTO django_session (session_key, session_data, expire_date) "
               "VALUES (%s, %s, %s)")
        for start in range(0, n, chunk):
            batch = [(k, v, conn.ops.adapt_datetimefield_value(exp))
                     for k, v, exp in rows(start, min(n, start + chunk))]
            with transaction.atomic(), conn.cursor() as cur:
                cur.executemany(sql, batch)
    out(out_path, {"seconds": time.time() - t0, "distinct_values": len(auth_values) +
                   len(anon_values), "auth": n - len(range(0, n, anon_every)),
                   "anon": len(range(0, n, anon_every))})


def _first_keys(limit):
    from django.db import connection
    with connection.cursor() as cur:
        cur.execute("SELECT session_key, session_data, expire_date FROM django_session "
                    "ORDER BY session_key LIMIT %d" % int(limit))
        return cur.fetchall()


def step_bench_save(limit, out_path):
    """Keep the first LIMIT rows (by key) so that bench-restore can undo Django's loop."""
    out(out_path, [[k, d, e.isoformat() if hasattr(e, "isoformat") else e]
                   for k, d, e in _first_keys(limit)])


def step_bench_restore(saved_path):
    from django.db import connection, transaction
    from django.utils.dateparse import parse_datetime
    rows = load(saved_path)
    with transaction.atomic(), connection.cursor() as cur:
        for k, d, e in rows:
            e = parse_datetime(e) if isinstance(e, str) else e
            cur.execute("UPDATE django_session SET session_data = %s, expire_date = %s "
                        "WHERE session_key = %s",
                        [d, connection.ops.adapt_datetimefield_value(e), k])


def step_bench_django(limit, batch, out_path):
    """Django's own way: keyset batches of keys, and per row SessionStore(key) loads
    it (the signature verified by the fallback key), the auth hash is recomputed
    with the current key (users fetched once, in_bulk), and save() writes it back;
    one transaction per batch. Note: save() also renews expire_date and the signing
    timestamp, which a real migration must not do."""
    import resource
    from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.models import Session
    from django.db import transaction
    limit, batch = int(limit), int(batch)
    store = engine_module().SessionStore
    t0 = time.time()
    users = User.objects.in_bulk()
    last, done, moved = "", 0, 0
    while done < limit:
        keys = list(Session.objects.filter(session_key__gt=last).order_by("session_key")
                    .values_list("session_key", flat=True)[:min(batch, limit - done)])
        if not keys:
            break
        with transaction.atomic():
            for key in keys:
                s = store(key)
                data = s.load()
                if not data:
                    continue
                uid = data.get(SESSION_KEY)
                if uid is not None:
                    s[HASH_SESSION_KEY] = users[int(uid)].get_session_auth_hash()
                s.modified = True
                s.save()
                moved += 1
        done += len(keys)
        last = keys[-1]
    out(out_path, {"rows": done, "moved": moved, "seconds": time.time() - t0,
                   "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss})


B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
SHIFT = {c: B64[(i + 1) % 64] for i, c in enumerate(B64)}
UNSHIFT = {v: k for k, v in SHIFT.items()}


def step_bench_floor(mode, batch, direction, out_path):
    """The floor: the same keyset batches, no crypto, one transaction per batch,
    every row really rewritten (SQLite and MySQL skip writing a value that does
    not change, so "the same value back" would measure nothing).

    mode "client": SELECT the batch's keys and values, then write every value back
    with its last character moved one step in base64url (same length, no crypto)
    by a compare-and-set UPDATE (... WHERE session_key = k AND session_data = old):
    on PostgreSQL one UPDATE ... FROM (VALUES ...) per batch, elsewhere one
    statement per row (no round trip on SQLite). This is the reading and writing a
    migrator cannot avoid, from Python (psycopg2/sqlite3/PyMySQL).
    mode "server": per batch one statement that rewrites the rows inside the
    database (session_data || 'x'), nothing sent to the client.
    direction "undo" puts the values back (untimed by the caller)."""
    import resource
    from django.db import connection, transaction
    batch, undo = int(batch), direction == "undo"
    vendor = connection.vendor
    if mode == "server":
        if undo:
            expr = ("LEFT(session_data, CHAR_LENGTH(session_data) - 1)" if vendor == "mysql"
                    else "substr(session_data, 1, length(session_data) - 1)")
        else:
            expr = "CONCAT(session_data, 'x')" if vendor == "mysql" else "session_data || 'x'"
    table = UNSHIFT if undo else SHIFT
    t0 = time.time()
    last, done = "", 0
    while True:
        with transaction.atomic(), connection.cursor() as cur:
            if mode == "client":
                cur.execute("SELECT session_key, session_data FROM django_session WHERE "
                            "session_key > %%s ORDER BY session_key LIMIT %d" % batch, [last])
                rows = cur.fetchall()
                if not rows:
                    break
                new = [(k, d, d[:-1] + table.get(d[-1:], d[-1:])) for k, d in rows]
                if vendor == "postgresql":
                    from psycopg2.extras import execute_values
                    execute_values(
                        cur.cursor, "UPDATE django_session AS s SET session_data = v.new "
                        "FROM (VALUES %s) AS v (k, old, new) "
                        "WHERE s.session_key = v.k AND s.session_data = v.old",
                        new, page_size=len(rows))
                else:
                    cur.executemany("UPDATE django_session SET session_data = %s "
                                    "WHERE session_key = %s AND session_data = %s",
                                    [(n, k, d) for k, d, n in new])
                last = rows[-1][0]
                done += len(rows)
            else:
                cur.execute("SELECT session_key FROM django_session WHERE session_key > %%s "
                            "ORDER BY session_key LIMIT 1 OFFSET %d" % (batch - 1), [last])
                row = cur.fetchone()
                if row is None:
                    cur.execute("SELECT max(session_key) FROM django_session")
                    row = cur.fetchone()
                    if row[0] is None or row[0] <= last:
                        break
                cur.execute("UPDATE django_session SET session_data = %s WHERE session_key > %%s "
                            "AND session_key <= %%s" % expr, [last, row[0]])
                done += cur.rowcount
                last = row[0]
    out(out_path, {"rows": done, "seconds": time.time() - t0,
                   "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss})


def step_bench_sample(n, out_path):
    """N random keys (for a verification probe)."""
    from django.db import connection
    with connection.cursor() as cur:
        cur.execute("SELECT session_key FROM django_session")
        keys = [r[0] for r in cur.fetchall()]
    out(out_path, random.Random(2).sample(keys, min(int(n), len(keys))))


STEPS.update({"bench-generate": step_bench_generate, "bench-save": step_bench_save,
              "bench-restore": step_bench_restore, "bench-django": step_bench_django,
              "bench-floor": step_bench_floor, "bench-sample": step_bench_sample})


def step_serve():
    """Run steps read from stdin, one JSON line each ({"step", "args"}), answering
    one JSON line each on the real stdout: one Django start-up per configuration
    instead of one per step. Connections are closed after every step, so nothing
    stays open (or locked) while the CLI runs."""
    import traceback
    from django.db import connections
    reply = sys.stdout
    sys.stdout = sys.stderr
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        try:
            STEPS[req["step"]](*req["args"])
            answer = {"ok": True}
        except BaseException:  # noqa: BLE001 - reported to the caller
            answer = {"ok": False, "error": traceback.format_exc()[-3000:]}
        finally:
            connections.close_all()
        reply.write(json.dumps(answer) + "\n")
        reply.flush()


STEPS["serve"] = step_serve


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ADMIN and sys.argv[1] not in STEPS:
        print("usage: %s STEP ARGS... (steps: %s)" % (
            sys.argv[0], ", ".join(sorted(list(ADMIN) + list(STEPS)))), file=sys.stderr)
        return 2
    if sys.argv[1] in ADMIN:
        ADMIN[sys.argv[1]](*sys.argv[2:])
        return 0
    import django
    django.setup()
    STEPS[sys.argv[1]](*sys.argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
