"""Command line of the book's package: ``python -m eqrep <command>``.

* ``train SYSTEM ...`` -- train (or resume) one run (:mod:`eqrep.train.cli`); systems: ``graph-vae``,
  ``so2-classifier``, ``latent-representation``, ``penalty``, ``equivae``;
* ``sweep ...`` -- independent runs, one process per GPU or CPU job (:mod:`eqrep.train.sweep`).

The book's tooling (chapters, benchmarks) lives outside the package: ``tools/``, ``benchmarks/``.
"""

from __future__ import annotations

import sys

COMMANDS = {"train": "eqrep.train.cli", "sweep": "eqrep.train.sweep"}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: python -m eqrep {{{','.join(COMMANDS)}}} [options]")
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    return __import__(COMMANDS[argv[0]], fromlist=["main"]).main(argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
