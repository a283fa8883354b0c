"""Regenerates django-cache-sessions.json: pickled session dicts exactly as
Django's cache session engine stores them in Redis, through Django's own
RedisCache and through django-redis (default pickle serializer, and the zlib
compressor and JSON serializer that signring must refuse to rewrite).

Run with a venv holding Django, redis and django-redis, against a Redis it may
write to (keys under the prefix signring-fixture-*, deleted afterwards):

    python3 -m venv /tmp/mig-venv
    /tmp/mig-venv/bin/pip install 'Django==5.2.*' redis django-redis
    /tmp/mig-venv/bin/python migrate/tests/data/make_cache_sessions.py \
        redis://127.0.0.1:6379/0 > migrate/tests/data/django-cache-sessions.json

For each logged-in session, `expected` is what Django's pickle gives for the
same dict with `_auth_user_hash` recomputed under the new key: the bytes an
in-place rewrite must produce. Entries with `expected: null` must be left
alone and counted, with `reason` saying why.
"""

import base64
import datetime
import json
import pickle
import platform
import sys

import django
from django.conf import settings

OLD = "the-old-key-0123456789abcdefghijklmnopqrstuvwxyz0123"
NEW = "the-new-key-0123456789abcdefghijklmnopqrstuvwxyz0123"
URL = sys.argv[1] if len(sys.argv) > 1 else "redis://127.0.0.1:6379/0"

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "builtin": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": URL,
        "KEY_PREFIX": "signring-fixture-builtin",
    },
    "django_redis": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": URL,
        "KEY_PREFIX": "signring-fixture-djredis",
    },
    "django_redis_zlib": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": URL,
        "KEY_PREFIX": "signring-fixture-djredis-zlib",
        "OPTIONS": {"COMPRESSOR": "django_redis.compressors.zlib.ZlibCompressor"},
    },
    "django_redis_json": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": URL,
        "KEY_PREFIX": "signring-fixture-djredis-json",
        "OPTIONS": {"SERIALIZER": "django_redis.serializers.json.JSONSerializer"},
    },
}

settings.configure(
    SECRET_KEY=OLD,
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    CACHES=CACHES,
    SESSION_ENGINE="django.contrib.sessions.backends.cache",
    PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    USE_TZ=True,
)
django.setup()

from django.contrib.auth import login  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.cache import caches  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import RequestFactory, override_settings  # noqa: E402
from django.utils.crypto import salted_hmac  # noqa: E402

call_command("migrate", verbosity=0)
users = [User.objects.create_user(f"user{i}", password=f"pw{i}") for i in range(1, 4)]
KEY_SALT = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"


def raw(alias, session_key):
    cache = caches[alias]
    client = cache._cache.get_client() if alias == "builtin" else cache.client.get_client()
    return client.get(cache.make_key("django.contrib.sessions.cache" + session_key))


def store(alias):
    from django.contrib.sessions.backends.cache import SessionStore

    return SessionStore()


entries = []
for alias in CACHES:
    if alias == "default":
        continue
    with override_settings(SESSION_CACHE_ALIAS=alias):
        cases = []
        for user in users:
            request = RequestFactory().get("/")
            request.session = store(alias)
            login(request, user)
            if user.pk == 2 and alias != "django_redis_json":
                # Data of every kind a pickle-serialized cache session can hold.
                request.session["when"] = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)
                request.session["tags"] = {"a", "b"}
                request.session["long"] = "é" * 300
                request.session["nested"] = {"list": [1, 2.5, None, True], "bytes": b"\x00\x01"}
            request.session.save()
            cases.append(("logged_in", user, request.session.session_key))
        anonymous = store(alias)
        anonymous["cart"] = [1, 2, 3]
        anonymous["note"] = "naïve"
        anonymous.save()
        cases.append(("anonymous", None, anonymous.session_key))
        for case, user, session_key in cases:
            value = raw(alias, session_key)
            cache = caches[alias]
            client = cache._cache.get_client() if alias == "builtin" else cache.client.get_client()
            ttl = client.ttl(cache.make_key("django.contrib.sessions.cache" + session_key))
            expected = None
            reason = None
            if alias in ("django_redis_zlib", "django_redis_json"):
                reason = "not_pickle"
            elif user is not None:
                session = pickle.loads(value)
                assert pickle.dumps(session, value[1]) == value, "Django's pickle is reproducible"
                session["_auth_user_hash"] = salted_hmac(
                    KEY_SALT, user.password, secret=NEW, algorithm="sha256"
                ).hexdigest()
                expected = base64.b64encode(pickle.dumps(session, value[1])).decode()
            entries.append(
                {
                    "alias": alias,
                    "case": case,
                    "user_id": str(user.pk) if user else None,
                    "password": user.password if user else None,
                    "protocol": value[1] if value[:1] == b"\x80" else None,
                    "ttl": ttl,
                    "value": base64.b64encode(value).decode(),
                    "expected": expected,
                    "reason": reason,
                }
            )
    cache = caches[alias]
    cache.clear() if alias == "builtin" else cache.delete_pattern("*")

json.dump(
    {
        "generator": "migrate/tests/data/make_cache_sessions.py",
        "django": django.get_version(),
        "python": platform.python_version(),
        "old_key": OLD,
        "new_key": NEW,
        "entries": entries,
    },
    sys.stdout,
    indent=1,
)
sys.stdout.write("\n")
