"""Print the mutation score of each core module after ``mutmut run`` (used by ``make mutation``).

Run from the folder that holds mutmut's ``mutants/`` (``build/mutation``), with mutmut importable.
Score = mutants detected (killed or timed out; a timeout needs 15 times the tests' time plus 30 s)
/ all mutants of the module, so mutants not yet checked count against it. Survivors listed in
``tests/MUTATION.md`` (a line ``- `mutant name`: why it is equivalent``) are counted apart; any
other survivor is printed, and the exit status is 1 while one is left. ``--survivors`` prints the
names of the unexplained survivors instead (``make mutation`` tests them again first).
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

from mutmut.mutation.data import SourceFileMutationData
from mutmut.stats import status_by_exit_code

DETECTED = {"killed", "timeout", "caught by type check"}
EXPLAINED = re.compile(r"^- `([\w.]+__mutmut_\d+)`")


def explained_mutants(notes: Path) -> set[str]:
    """Mutant names listed as equivalent in ``notes`` (``tests/MUTATION.md``)."""
    if not notes.exists():
        return set()
    return {m.group(1) for line in notes.read_text().splitlines() if (m := EXPLAINED.match(line))}


def module_results(root: Path = Path(".")) -> dict[str, dict[str, str]]:
    """``{module path: {mutant name: status}}`` for every ``*.py.meta`` under ``root/mutants/src``."""
    out = {}
    for meta in sorted((root / "mutants" / "src").rglob("*.py.meta")):
        path = meta.relative_to(root / "mutants").with_suffix("")  # src/eqrep/groups.py
        data = SourceFileMutationData(path=path)
        data.meta_path = meta
        data.load()
        if data.exit_code_by_key:
            out[str(path)] = {k: status_by_exit_code[v] for k, v in data.exit_code_by_key.items()}
    return out


def main() -> int:
    results = module_results()
    if not results:
        print("no mutmut results under mutants/; run `make mutation`")
        return 1
    explained = explained_mutants(Path("tests/MUTATION.md"))
    if sys.argv[1:] == ["--survivors"]:  # names to test again: the tests may have changed since their verdict
        print(" ".join(k for statuses in results.values() for k, s in statuses.items()
                       if s == "survived" and k not in explained))
        return 0
    unexplained = []
    print(f"{'module':<38} {'mutants':>7} {'killed':>6} {'timeout':>7} {'survived':>8} {'unchecked':>9} "
          f"{'equivalent':>10} {'score':>6}")
    for path, statuses in results.items():
        counts = Counter(statuses.values())
        detected = sum(counts[s] for s in DETECTED)
        equivalent = sum(1 for k, s in statuses.items() if s not in DETECTED and k in explained)
        unexplained += [(k, s) for k, s in statuses.items() if s not in DETECTED and k not in explained]
        survived = sum(n for s, n in counts.items() if s not in DETECTED | {"not checked"})
        total = len(statuses)
        print(f"{path:<38} {total:>7} {counts['killed']:>6} {counts['timeout']:>7} {survived:>8} "
              f"{counts['not checked']:>9} {equivalent:>10} {100 * detected / total:>5.1f}%")
    stale = explained - {k for statuses in results.values() for k in statuses}
    if stale:
        print(f"\ntests/MUTATION.md names {len(stale)} mutants that no longer exist: {sorted(stale)}")
    if unexplained:
        print(f"\n{len(unexplained)} mutants neither killed nor explained (`mutmut show NAME` in build/mutation):")
        for name, status in sorted(unexplained):
            print(f"  {name}  ({status})")
        return 1
    print("\nevery surviving mutant is explained in tests/MUTATION.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
