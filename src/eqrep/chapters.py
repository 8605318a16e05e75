"""Book tooling: the chapters' Colab notebooks and their execution.

Chapters are MyST-markdown notebooks ``chapters/*.md``. Colab opens ``.ipynb`` files, so
each chapter has a generated twin ``chapters/*.ipynb`` (no outputs) that must stay in sync.

Command line::

    python -m eqrep.chapters sync            # regenerate chapters/*.ipynb from chapters/*.md
    python -m eqrep.chapters check           # exit 1 if any .ipynb is out of sync
    python -m eqrep.chapters execute --out build/executed   # run every chapter with papermill
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

__all__ = ["COLAB_SETUP_SOURCE", "chapter_sources", "notebook_text", "out_of_sync", "sync", "execute"]

REPOSITORY = "https://github.com/eqrep/interpreting-equivariant-representations"
"""Public repository of the book (also ``repository.url`` in ``_config.yml``)."""

COLAB_SETUP_SOURCE = f"""\
# Colab set-up: installs the book's package `eqrep` (skipped when not on Colab). It keeps
# Colab's numpy and torch; escnn comes without its SO(3)-only dependencies (eqrep.escnn_compat).
import sys

if "google.colab" in sys.modules:
    import importlib.metadata
    import os
    import subprocess

    SOURCE = "git+{REPOSITORY}.git"

    def versions():
        return {{d.metadata["Name"].lower(): d.version for d in importlib.metadata.distributions()}}

    before = versions()
    pip = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run(pip + [f"eqrep[colab] @ {{SOURCE}}"], check=True)
    subprocess.run(pip + ["--no-deps", "escnn==1.0.11"], check=True)
    after = versions()
    owners = importlib.metadata.packages_distributions()
    imported = {{d.lower() for m in list(sys.modules) for d in owners.get(m.partition(".")[0], [])}}
    stale = sorted(n for n in imported if n in before and after.get(n) != before[n])
    if stale:  # a package this kernel has already imported changed version: only a restart loads it
        print(f"Restarting the runtime: the install changed {{', '.join(stale)}}; run the notebook again.")
        os.kill(os.getpid(), 9)
    print(f"eqrep installed: {{len(after) - len(before)}} new packages; numpy {{after['numpy']}}, "
          f"torch {{after['torch']}}")"""
"""Source of the first code cell of every chapter (checked by the tests)."""


def chapter_sources(root: Path | str = ".") -> list[Path]:
    """The chapter files ``chapters/*.md``, sorted by name."""
    paths = sorted(Path(root, "chapters").glob("*.md"))
    if not paths:
        raise FileNotFoundError(f"no chapters/*.md under {Path(root).resolve()}")
    return paths


def notebook_text(md_path: Path) -> str:
    """The ``.ipynb`` text that jupytext generates from a MyST chapter (no outputs)."""
    import jupytext

    notebook = jupytext.read(md_path)
    notebook.metadata.pop("jupytext", None)
    for index, cell in enumerate(notebook.cells):  # deterministic ids (nbformat draws random ones)
        cell.id = f"cell-{index:03d}"
    return jupytext.writes(notebook, fmt="ipynb")


def out_of_sync(root: Path | str = ".") -> list[Path]:
    """Chapters whose ``.ipynb`` twin is missing or differs from a fresh conversion."""
    stale = []
    for md in chapter_sources(root):
        ipynb = md.with_suffix(".ipynb")
        if not ipynb.exists() or ipynb.read_text() != notebook_text(md):
            stale.append(md)
    return stale


def sync(root: Path | str = ".") -> list[Path]:
    """Regenerate every stale ``chapters/*.ipynb``; returns the chapters rewritten."""
    stale = out_of_sync(root)
    for md in stale:
        md.with_suffix(".ipynb").write_text(notebook_text(md))
    return stale


def execute(out_dir: Path | str, root: Path | str = ".", only: str | None = None) -> dict[str, float]:
    """Execute each chapter top to bottom with papermill, writing executed notebooks to ``out_dir``.

    Returns the wall time in seconds per chapter. Raises on the first failing chapter.
    """
    import papermill

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    times = {}
    for md in chapter_sources(root):
        if only and only not in md.stem:
            continue
        src = out / f"{md.stem}.source.ipynb"
        src.write_text(notebook_text(md))
        start = time.perf_counter()
        print(f"executing {md.name} ...", flush=True)
        papermill.execute_notebook(
            str(src), str(out / f"{md.stem}.ipynb"), kernel_name="python3",
            cwd=str(md.parent), progress_bar=False, request_save_on_cell_execute=False,
        )
        src.unlink()
        times[md.stem] = time.perf_counter() - start
        print(f"  {md.name}: {times[md.stem]:.1f} s", flush=True)
    print(f"all chapters: {sum(times.values()):.1f} s")
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eqrep.chapters", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("sync", help="regenerate chapters/*.ipynb from chapters/*.md")
    sub.add_parser("check", help="fail if a chapters/*.ipynb is out of sync")
    ex = sub.add_parser("execute", help="execute every chapter with papermill")
    ex.add_argument("--out", default="build/executed")
    ex.add_argument("--only", default=None, help="substring of a chapter name")
    args = parser.parse_args(argv)
    if args.command == "sync":
        for md in sync():
            print(f"wrote {md.with_suffix('.ipynb')}")
    elif args.command == "check":
        stale = out_of_sync()
        for md in stale:
            print(f"out of sync: {md.with_suffix('.ipynb')} (run `make notebooks`)")
        return 1 if stale else 0
    else:
        execute(args.out, only=args.only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
