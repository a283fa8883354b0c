#!/usr/bin/env bash
# Create one virtualenv per Django line under DIR (idempotent, quiet):
#
#   tests/django/venv.sh [--e2e] DIR
#
#   DIR/django-2.2  Django==2.2.28   from PYTHON (default python3)
#   DIR/django-3.2  Django==3.2.25   from PYTHON
#   DIR/django-4.2  Django==4.2.30   from PYTHON
#   DIR/django-5.2  Django==5.2.19   from PYTHON
#   DIR/django-6.0  Django==6.0.10   from a Python >= 3.12 (see PYTHON312)
#   DIR/django-6.1  Django==6.1.3    from a Python >= 3.12
#
# With --e2e, the 2.2, 4.2 and 5.2 venvs also get what tests/django/e2e_migrate.py
# and bench_migrate.py drive real stores with (pinned, from PyPI; see E2E_PACKAGES):
# psycopg2-binary (PostgreSQL), PyMySQL (MariaDB/MySQL, as MySQLdb), redis and
# django-redis (the versions that support each Django line).
#
# A venv that already holds the pinned Django (and imports it) is left alone;
# with --e2e, missing e2e packages are installed into it.
# Installs run in parallel; one line is printed per venv. Exits 1 if any venv
# could not be made, after printing that venv's pip/python output.
#
# Environment:
#   PYTHON     the interpreter for 2.2-5.2 (default python3). All four lines
#              install and import on CPython 3.11 with their stock dependencies
#              (pytz, sqlparse, asgiref as resolved by pip); nothing extra is pinned.
#   PYTHON312  the interpreter for 6.0 and 6.1, which need Python >= 3.12. When
#              unset, the first of python3.12, python3.13, python3.14 on PATH,
#              then pyenv's installed 3.12+ versions (oldest first), then PYTHON
#              itself, that is >= 3.12 is used. If there is none, the 6.x venvs
#              are skipped with a warning, except under CI=true, where that is a
#              failure (exit 1).
set -u -o pipefail

E2E=0
if [ "${1:-}" = --e2e ]; then
    E2E=1
    shift
fi
if [ $# -ne 1 ] || [ -z "$1" ]; then
    echo "usage: $0 [--e2e] DIR" >&2
    exit 2
fi

DIR=$1
PYTHON=${PYTHON:-python3}
VERSIONS=(2.2.28 3.2.25 4.2.30 5.2.19 6.0.10 6.1.3)

mkdir -p "$DIR" || exit 1
DIR=$(cd "$DIR" && pwd) || exit 1
LOGDIR=$(mktemp -d)
trap 'rm -rf "$LOGDIR"' EXIT

export PIP_DISABLE_PIP_VERSION_CHECK=1
export PIP_NO_INPUT=1

# at_least_312 PY: 0 when PY runs and is CPython >= 3.12.
at_least_312() {
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1
}

# find_python312: print a Python >= 3.12, or nothing.
find_python312() {
    local candidates=() root py
    if [ -n "${PYTHON312:-}" ]; then
        # An explicit choice is used or refused, never replaced.
        at_least_312 "$PYTHON312" && echo "$PYTHON312"
        return
    fi
    for py in python3.12 python3.13 python3.14; do
        command -v "$py" >/dev/null 2>&1 && candidates+=("$(command -v "$py")")
    done
    if command -v pyenv >/dev/null 2>&1 && root=$(pyenv root 2>/dev/null); then
        # sort -V: 3.12.1 before 3.12.10 before 3.13.0
        while IFS= read -r py; do
            candidates+=("$py")
        done < <(ls -d "$root"/versions/3.1[2-9]*/bin/python "$root"/versions/3.[2-9][0-9]*/bin/python \
                     2>/dev/null | sort -V)
    fi
    candidates+=("$PYTHON")
    for py in "${candidates[@]}"; do
        if at_least_312 "$py"; then
            echo "$py"
            return
        fi
    done
}

PY312=$(find_python312)

# python_for VERSION: the interpreter that version's venv is made from.
python_for() {
    case $1 in
        6.*) echo "$PY312" ;;
        *) echo "$PYTHON" ;;
    esac
}

# check VENV VERSION: 0 when VENV's python imports exactly that Django.
check() {
    [ -x "$1/bin/python" ] &&
        "$1/bin/python" -c 'import sys, django; sys.exit(0 if django.get_version() == sys.argv[1] else 1)' "$2" \
            >/dev/null 2>&1
}

# e2e_packages LINE: the pinned e2e packages for that Django line (none: not used).
# Django 2.2 gets psycopg2 2.9 (no 2.8 wheel for Python 3.11): its settings set
# USE_TZ = False on PostgreSQL (Django ticket #32832, fixed in 3.1+ only).
e2e_packages() {
    case $1 in
        2.2) echo "psycopg2-binary==2.9.10 PyMySQL==1.1.1 redis==4.6.0 django-redis==4.12.1" ;;
        4.2) echo "psycopg2-binary==2.9.10 PyMySQL==1.1.1 redis==5.2.1 django-redis==5.4.0" ;;
        5.2) echo "psycopg2-binary==2.9.10 PyMySQL==1.1.1 redis==5.2.1 django-redis==6.0.0" ;;
    esac
}

# check_e2e VENV LINE: 0 when VENV holds exactly the pinned e2e packages (or
# --e2e was not given, or the line needs none).
check_e2e() {
    local pkgs
    pkgs=$(e2e_packages "$2")
    [ "$E2E" = 1 ] && [ -n "$pkgs" ] || return 0
    # shellcheck disable=SC2086
    "$1/bin/python" - $pkgs >/dev/null 2>&1 <<'PY'
import sys
from importlib.metadata import version
sys.exit(0 if all(version(p.split("==")[0]) == p.split("==")[1] for p in sys.argv[1:]) else 1)
PY
}

# install_e2e VENV LINE: pip-install the pinned e2e packages into VENV.
install_e2e() {
    local pkgs
    pkgs=$(e2e_packages "$2")
    [ "$E2E" = 1 ] && [ -n "$pkgs" ] || return 0
    # shellcheck disable=SC2086
    "$1/bin/python" -m pip install -q $pkgs &&
        "$1/bin/python" -c 'import psycopg2, pymysql, redis, django_redis' &&
        check_e2e "$1" "$2"
}

# make VERSION: create or repair the venv for one Django version.
make_one() {
    local version=$1 line=${1%.*}
    local venv="$DIR/django-$line" log="$LOGDIR/$line.log" status="$LOGDIR/$line.status"
    local python
    python=$(python_for "$version")
    if check "$venv" "$version"; then
        if check_e2e "$venv" "$line"; then
            echo ok >"$status"
        elif install_e2e "$venv" "$line" >"$log" 2>&1; then
            echo "e2e packages added" >"$status"
        else
            echo failed >"$status"
        fi
        return
    fi
    if [ -z "$python" ]; then
        {
            echo "no Python >= 3.12 found for Django $version (set PYTHON312, or install one"
            echo "with pyenv or as python3.12 on PATH); tried: ${PYTHON312:-python3.12 python3.13"
            echo "python3.14 on PATH, pyenv versions 3.12+, $PYTHON}"
        } >"$log"
        if [ "${CI:-}" = true ]; then
            echo failed >"$status"
        else
            echo skipped >"$status"
        fi
        return
    fi
    {
        # A half-made or wrong venv is rebuilt from scratch.
        rm -rf "$venv" &&
            "$python" -m venv "$venv" &&
            "$venv/bin/python" -m pip install -q "Django==$version" &&
            check "$venv" "$version" &&
            install_e2e "$venv" "$line"
    } >"$log" 2>&1
    if [ $? -eq 0 ]; then
        echo created >"$status"
    else
        # Show what import says, for the report.
        "$venv/bin/python" -c 'import django; print("django.get_version() =", django.get_version())' >>"$log" 2>&1
        echo failed >"$status"
    fi
}

for v in "${VERSIONS[@]}"; do
    make_one "$v" &
done
wait

rc=0
for v in "${VERSIONS[@]}"; do
    line=${v%.*}
    venv="$DIR/django-$line"
    st=$(cat "$LOGDIR/$line.status" 2>/dev/null || echo failed)
    case $st in
        failed)
            rc=1
            if [ "$E2E" = 1 ] && [ -n "$(e2e_packages "$line")" ]; then
                echo "django-$line: FAILED to install/import Django==$v or its e2e packages ($(e2e_packages "$line")) in $venv"
            else
                echo "django-$line: FAILED to install/import Django==$v in $venv"
            fi
            sed 's/^/    /' "$LOGDIR/$line.log" 2>/dev/null
            ;;
        skipped)
            echo "django-$line: WARNING: SKIPPED, Django==$v not installed (CI=true makes this a failure):"
            sed 's/^/    /' "$LOGDIR/$line.log" 2>/dev/null
            ;;
        *)
            py=$("$venv/bin/python" -c 'import platform; print(platform.python_version())' 2>/dev/null)
            extra=""
            if [ "$E2E" = 1 ] && [ -n "$(e2e_packages "$line")" ]; then
                extra=" + $(e2e_packages "$line")"
            fi
            echo "django-$line: Django $v$extra, Python $py, $venv ($st)"
            ;;
    esac
done
exit $rc
