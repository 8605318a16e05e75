"""``python -m eqrep.claims``: the scoreboard as a table; ``python -m eqrep.claims show ID``: one claim,
its rule, our number, the verdict and the commands that reproduce it."""

from __future__ import annotations

import argparse

from eqrep.claims import CLAIMS, PAPERS, counts, evaluate, evaluate_all, scoreboard_table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eqrep.claims", description=__doc__)
    sub = parser.add_subparsers(dest="what")
    show = sub.add_parser("show", help="one claim")
    show.add_argument("id", choices=[c.id for c in CLAIMS], metavar="ID")
    sub.add_parser("counts", help="verdicts per paper")
    args = parser.parse_args(argv)
    if args.what == "show":
        r = evaluate(args.id)
        c = r.claim
        print(f"{c.id}: {PAPERS[c.paper][0]}, {c.where} (chapter {int(c.chapter)})")
        print(f"  the paper: {c.says}")
        print(f"  ours:      {r.ours}")
        print(f"  rule:      {c.rule.text if c.rule else '-'}")
        print(f"  verdict:   {r.verdict}" + (f"; {r.cause}" if r.cause else ""))
        print("  reproduce: " + "\n             ".join(r.commands))
    elif args.what == "counts":
        for paper, row in counts().items():
            print(f"{PAPERS[paper][0] if paper in PAPERS else 'all':28s}", row)
    else:
        print(scoreboard_table(evaluate_all()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
