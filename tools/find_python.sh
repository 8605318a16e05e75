#!/bin/sh
# Print the Python interpreter that `make` should build .venv with, or explain why there is none.
#
#   tools/find_python.sh            the first of python3, python3.13, python3.12, python3.11 on PATH
#                                   that runs and is Python 3.11-3.13
#   tools/find_python.sh PYTHON     check PYTHON (a name on PATH or a path)
#
# Exit status 0 and the interpreter on stdout; else 1 with the reason on stderr, which tells
# "no interpreter found" apart from "found, but an unsupported version".
set -u
SUPPORTED="3.11 3.12 3.13"
CHECK='import sys; print("%d.%d" % sys.version_info[:2])'

version_of() {  # the X.Y version of interpreter $1, empty if it does not run
    "$1" -c "$CHECK" 2>/dev/null
}

supported() {
    for v in $SUPPORTED; do [ "$1" = "$v" ] && return 0; done
    return 1
}

if [ $# -gt 0 ] && [ -n "$1" ]; then
    version=$(version_of "$1")
    if [ -z "$version" ]; then
        echo "error: no Python interpreter at PYTHON=$1 (not found, or it does not run)." >&2
        echo "       Install Python 3.11, 3.12 or 3.13, or pass PYTHON=/path/to/python3.x" >&2
        exit 1
    fi
    if ! supported "$version"; then
        echo "error: PYTHON=$1 is Python $version; the book supports Python 3.11, 3.12 and 3.13." >&2
        exit 1
    fi
    echo "$1"
    exit 0
fi

unsupported=""
for candidate in python3 python3.13 python3.12 python3.11; do
    version=$(version_of "$candidate")
    [ -z "$version" ] && continue
    if supported "$version"; then
        echo "$candidate"
        exit 0
    fi
    unsupported="$unsupported $candidate=$version"
done
if [ -n "$unsupported" ]; then
    echo "error: found only unsupported Python versions on PATH:$unsupported." >&2
    echo "       The book supports Python 3.11, 3.12 and 3.13: install one, or pass PYTHON=/path/to/python3.x" >&2
else
    echo "error: no Python interpreter found on PATH (tried python3, python3.13, python3.12, python3.11)." >&2
    echo "       Install Python 3.11, 3.12 or 3.13, or pass PYTHON=/path/to/python3.x" >&2
fi
exit 1
