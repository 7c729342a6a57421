#!/usr/bin/env bash
# Creates (once) a Python virtualenv holding the real QuickFIX engine
# (the `quickfix` package from PyPI), for the FIX interoperability tests.
#
#   scripts/quickfix-venv.sh            # prints what it does; last line:
#                                       # RTES_QUICKFIX_PYTHON=<venv>/bin/python
#
# Environment:
#   RTES_QUICKFIX_VENV     venv path (default: <repo>/target/quickfix-venv)
#   RTES_QUICKFIX_PYTHON   interpreter to build the venv from (default: python3)
#   RTES_QUICKFIX_VERSION  quickfix version (default below)
#
# Idempotent and safe to run concurrently: everything happens under an
# exclusive flock on <venv>.lock; the venv is built in <venv>.tmp and renamed
# into place only once `import quickfix` works, and a stamp file records the
# recipe, so a half-built venv is never used.
#
# The working recipe (checked on Debian 12, gcc/g++ 12.2, CPython 3.11.2 and
# 3.11.7, November 2026):
#   * PyPI has NO Linux wheels for `quickfix` (only sdists: 1.14.x, 1.15.1,
#     1.16.0), so pip compiles ~150 C++ files plus the SWIG wrapper
#     (C++/QuickfixPython.cpp, ~9 MB) into one extension, serially: several
#     minutes. The built wheel lands in pip's wheel cache, so a second venv
#     built from the same interpreter installs in seconds.
#   * 1.16.0 (the newest) builds as is: its setup.py passes -std=c++17 and its
#     C++ no longer uses dynamic exception specifications. 1.15.1's setup.py
#     passes -std=c++0x (the quickfix-package issue #9 "Python build broken"
#     is about that flag and the newer C++ needing c++17); pin 1.16.0.
#   * Needs: g++, the interpreter's headers (Python.h: Debian python3-dev) and
#     the venv module (Debian python3-venv). Installed with apt only if
#     missing. pip's build isolation fetches setuptools from PyPI.
#   * The FIX dictionaries ship as data files: <venv>/share/quickfix/FIX44.xml.
set -euo pipefail

QF_VERSION="${RTES_QUICKFIX_VERSION:-1.16.0}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${RTES_QUICKFIX_VENV:-$ROOT/target/quickfix-venv}"
PYTHON="${RTES_QUICKFIX_PYTHON:-python3}"
STAMP_NAME=".rtes-quickfix-stamp"

say() { echo "quickfix-venv: $*"; }
die() {
  echo "quickfix-venv: ERROR: $*" >&2
  exit 1
}

# Checks that need no lock: a ready venv answers at once.
ready() {
  [ -x "$VENV/bin/python" ] &&
    [ -f "$VENV/$STAMP_NAME" ] &&
    grep -qx "quickfix==$QF_VERSION" "$VENV/$STAMP_NAME" &&
    "$VENV/bin/python" -c 'import quickfix' >/dev/null 2>&1 &&
    [ -f "$VENV/share/quickfix/FIX44.xml" ]
}

finish() {
  say "ready: $VENV (quickfix $QF_VERSION)"
  echo "RTES_QUICKFIX_PYTHON=$VENV/bin/python"
  exit 0
}

mkdir -p "$(dirname "$VENV")"
if ready; then finish; fi

command -v flock >/dev/null 2>&1 || die "flock (util-linux) is not installed"
LOCK="$VENV.lock"
exec 9>"$LOCK"
say "waiting for the lock $LOCK (another build may be running)"
# A from-source build takes minutes on a loaded machine; wait up to 40 min.
flock -w 2400 9 || die "timed out waiting for $LOCK"
if ready; then finish; fi

START=$(date +%s)

apt_install() {
  [ "$(id -u)" = 0 ] || die "missing $*, and not root to apt-get install it"
  command -v apt-get >/dev/null 2>&1 || die "missing $*, and no apt-get here"
  say "apt-get install $*"
  apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" ||
    die "apt-get install $* failed"
}

# --- the toolchain ---------------------------------------------------------
command -v "$PYTHON" >/dev/null 2>&1 || apt_install python3
PYTHON_PATH="$(command -v "$PYTHON")" || die "no $PYTHON"
say "interpreter: $PYTHON_PATH ($("$PYTHON" --version 2>&1))"

missing=()
command -v g++ >/dev/null 2>&1 || missing+=(g++)
if ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  missing+=(python3-venv)
fi
HEADER="$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')/Python.h"
[ -f "$HEADER" ] || missing+=(python3-dev)
if [ ${#missing[@]} -gt 0 ]; then
  say "missing: ${missing[*]}"
  apt_install "${missing[@]}"
  [ -f "$HEADER" ] || die "$HEADER still missing after installing python3-dev: \
$PYTHON_PATH is not Debian's python3; set RTES_QUICKFIX_PYTHON=/usr/bin/python3"
  "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1 ||
    die "$PYTHON has no working venv module"
  command -v g++ >/dev/null 2>&1 || die "g++ still missing"
fi

# --- the venv --------------------------------------------------------------
TMP="$VENV.tmp"
rm -rf "$TMP"
say "creating the venv in $TMP"
"$PYTHON" -m venv "$TMP" || die "python -m venv failed"
say "pip install quickfix==$QF_VERSION (compiles C++ from the sdist: minutes)"
# --no-binary quickfix: no Linux wheel exists anyway; it keeps a foreign wheel
# from a --find-links directory from sneaking in.
if ! "$TMP/bin/python" -m pip install --disable-pip-version-check \
  --no-binary quickfix "quickfix==$QF_VERSION"; then
  rm -rf "$TMP"
  die "pip install quickfix==$QF_VERSION failed (see the compiler output above)"
fi
"$TMP/bin/python" -c 'import quickfix; quickfix.SessionSettings' ||
  die "the built quickfix does not import"
[ -f "$TMP/share/quickfix/FIX44.xml" ] ||
  die "the quickfix package did not install share/quickfix/FIX44.xml"

# A venv's scripts hard-code its path: recreate the activation-independent
# bits by rebuilding the venv at its final path is not needed, because we only
# ever run <venv>/bin/python, which works after a rename; but pip's own entry
# scripts would point at .tmp, so rewrite their shebangs.
for script in "$TMP"/bin/*; do
  if [ -f "$script" ] && head -c 2 "$script" | grep -q '#!'; then
    sed -i "1s|$TMP/bin/|$VENV/bin/|" "$script"
  fi
done
sed -i "s|$TMP|$VENV|g" "$TMP/pyvenv.cfg" "$TMP/bin/activate" 2>/dev/null || true
{
  echo "quickfix==$QF_VERSION"
  echo "python=$PYTHON_PATH $("$PYTHON" --version 2>&1)"
  echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ) in $(($(date +%s) - START)) s"
} >"$TMP/$STAMP_NAME"
rm -rf "$VENV"
mv "$TMP" "$VENV"
ready || die "the venv at $VENV does not work after the rename"
say "built in $(($(date +%s) - START)) s"
finish
