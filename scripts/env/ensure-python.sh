#!/usr/bin/env bash
# Make sure the system Python (/usr/bin/python3, not a pyenv/venv python3 on PATH) can import
# celery and jsonpickle: the wire-compatibility tests talk to real Python Celery / Girder Worker code.
# The longshore/python test image is made of this same interpreter and its standard library.
# Installs Debian's python3-celery and python3-jsonpickle when missing.
#   --print-missing  only print the Debian packages that would be installed (one line), install nothing
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/env/lib.sh
. scripts/env/lib.sh

PYTHON=/usr/bin/python3

python_has() { [ -x "$PYTHON" ] && "$PYTHON" -c "import $1" >/dev/null 2>&1; }

missing=()
# python3 brings python3-minimal (the interpreter) and libpython3-stdlib (json, which the image's
# scripts use and python3-minimal alone lacks).
python_has json || missing+=(python3)
python_has celery || missing+=(python3-celery)
python_has jsonpickle || missing+=(python3-jsonpickle)

if [ "${1:-}" = --print-missing ]; then
  echo "${missing[*]}"
  exit 0
fi

[ ${#missing[@]} -eq 0 ] && exit 0
apt_install "${missing[@]}"
python_has 'json, celery, jsonpickle' || die "$PYTHON still cannot import json, celery and jsonpickle after installing ${missing[*]}"
log "$PYTHON has celery $("$PYTHON" -c 'import celery; print(celery.__version__)') and jsonpickle $("$PYTHON" -c 'import jsonpickle; print(jsonpickle.__version__)')"
