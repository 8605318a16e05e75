"""Write the reproduction scoreboard from the registry in ``eqrep.claims``: the book's page
``book/scoreboard.md`` and README's summary between the scoreboard markers.

``python tools/scoreboard.py`` writes both (``make book`` runs it before building, so the page
cannot go stale); ``python tools/scoreboard.py --check`` writes nothing and fails if either differs
from the rendering (``tests/test_claims.py`` checks the same).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from eqrep.claims import README_BEGIN, README_END, readme_summary, scoreboard_page  # noqa: E402

PAGE = ROOT / "book" / "scoreboard.md"
README = ROOT / "README.md"


def readme_with_summary(readme: str, summary: str) -> str:
    """README's text with the part between the markers (markers included) replaced by ``summary``."""
    if README_BEGIN not in readme or README_END not in readme:
        raise ValueError(f"README.md lacks the scoreboard markers {README_BEGIN!r} ... {README_END!r}")
    head, rest = readme.split(README_BEGIN, 1)
    _, tail = rest.split(README_END, 1)
    return head + summary + tail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if the page or README is stale; write nothing")
    args = parser.parse_args(argv)
    wanted = {PAGE: scoreboard_page(), README: readme_with_summary(README.read_text(), readme_summary())}
    stale = [p for p, text in wanted.items() if not p.exists() or p.read_text() != text]
    if args.check:
        for p in stale:
            print(f"{p.relative_to(ROOT)} differs from the registry: run python tools/scoreboard.py", file=sys.stderr)
        return 1 if stale else 0
    for p in stale:
        p.write_text(wanted[p])
        print(f"wrote {p.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
