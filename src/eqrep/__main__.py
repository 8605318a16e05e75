"""Command line of the book's package: ``python -m eqrep <command>``.

Commands: ``bench`` (benchmarks), ``chapters`` (sync/check/execute the chapters).
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {"bench": "eqrep.bench", "chapters": "eqrep.chapters"}
    if not argv or argv[0] not in commands:
        print(f"usage: python -m eqrep {{{','.join(commands)}}} [options]")
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    module = __import__(commands[argv[0]], fromlist=["main"])
    return module.main(argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
