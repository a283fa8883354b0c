#!/usr/bin/env bash
# Create one virtualenv per Django line under DIR (idempotent, quiet):
#
#   tests/django/venv.sh DIR
#
#   DIR/django-2.2  Django==2.2.28
#   DIR/django-3.2  Django==3.2.25
#   DIR/django-4.2  Django==4.2.30
#   DIR/django-5.2  Django==5.2.19
#
# A venv that already holds the pinned Django (and imports it) is left alone.
# Installs run in parallel; one line is printed per venv. Exits 1 if any venv
# could not be made, after printing that venv's pip/python output.
#
# Environment: PYTHON (default python3) is the interpreter the venvs are made
# from. All four lines install and import on CPython 3.11 with their stock
# dependencies (pytz, sqlparse, asgiref as resolved by pip); nothing extra is
# pinned.
set -u -o pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
    echo "usage: $0 DIR" >&2
    exit 2
fi

DIR=$1
PYTHON=${PYTHON:-python3}
VERSIONS=(2.2.28 3.2.25 4.2.30 5.2.19)

mkdir -p "$DIR" || exit 1
DIR=$(cd "$DIR" && pwd) || exit 1
LOGDIR=$(mktemp -d)
trap 'rm -rf "$LOGDIR"' EXIT

export PIP_DISABLE_PIP_VERSION_CHECK=1
export PIP_NO_INPUT=1

# check VENV VERSION: 0 when VENV's python imports exactly that Django.
check() {
    [ -x "$1/bin/python" ] &&
        "$1/bin/python" -c 'import sys, django; sys.exit(0 if django.get_version() == sys.argv[1] else 1)' "$2" \
            >/dev/null 2>&1
}

# make VERSION: create or repair the venv for one Django version.
make_one() {
    local version=$1 line=${1%.*}
    local venv="$DIR/django-$line" log="$LOGDIR/$line.log" status="$LOGDIR/$line.status"
    if check "$venv" "$version"; then
        echo ok >"$status"
        return
    fi
    {
        # A half-made or wrong venv is rebuilt from scratch.
        rm -rf "$venv" &&
            "$PYTHON" -m venv "$venv" &&
            "$venv/bin/python" -m pip install -q "Django==$version" &&
            check "$venv" "$version"
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
    if [ "$st" = failed ]; then
        rc=1
        echo "django-$line: FAILED to install/import Django==$v in $venv"
        sed 's/^/    /' "$LOGDIR/$line.log" 2>/dev/null
    else
        py=$("$venv/bin/python" -c 'import platform; print(platform.python_version())' 2>/dev/null)
        echo "django-$line: Django $v, Python $py, $venv ($st)"
    fi
done
exit $rc
