"""Book tooling: the chapters' Colab notebooks and their execution.

Chapters are MyST-markdown notebooks ``chapters/*.md``. Colab opens ``.ipynb`` files, so
each chapter has a generated twin ``chapters/*.ipynb`` (no outputs) that must stay in sync.

Command line::

    python tools/chapters.py sync            # regenerate chapters/*.ipynb and set-up cells (_config.yml)
    python tools/chapters.py check           # exit 1 if any .ipynb is out of sync
    python tools/chapters.py execute --out build/executed   # run every chapter with papermill
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

__all__ = ["COLAB_SETUP_SOURCE", "REPOSITORY", "repository_url", "colab_setup_source", "chapter_sources",
           "notebook_text", "out_of_sync", "sync", "execute"]

ROOT = Path(__file__).resolve().parents[1]


def repository_url(root: Path | str = ROOT) -> str:
    """The book's repository: ``repository.url`` of ``root/_config.yml``, the one place it is set (the
    repository, issue and Colab launch buttons and the chapters' set-up cell all come from it)."""
    import yaml

    return yaml.safe_load(Path(root, "_config.yml").read_text())["repository"]["url"].rstrip("/")


def colab_setup_source(repository: str) -> str:
    """Source of the first code cell of every chapter: installs ``eqrep`` from ``repository`` on Colab."""
    return f"""\
# Colab set-up: installs the book's package `eqrep` (skipped when not on Colab). It keeps
# Colab's numpy and torch; escnn comes without its SO(3)-only dependencies (eqrep.escnn_compat).
import sys

if "google.colab" in sys.modules:
    import importlib.metadata
    import os
    import subprocess

    SOURCE = "git+{repository}.git"

    def versions():
        return {{d.metadata["Name"].lower(): d.version for d in importlib.metadata.distributions()}}

    before = versions()
    keep = [f"{{name}}=={{before[name]}}" for name in ("numpy", "torch")]  # Colab's own builds stay
    pip = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run(pip + [f"eqrep[colab] @ {{SOURCE}}", *keep], check=True)
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


REPOSITORY = repository_url()
"""Public repository of the book (``repository.url`` in ``_config.yml``)."""

COLAB_SETUP_SOURCE = colab_setup_source(REPOSITORY)
"""Source of the first code cell of every chapter (checked by the tests; ``make notebooks`` writes it)."""


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


def with_setup_cell(text: str, source: str) -> str:
    """A chapter's text with its first code cell (the hidden Colab set-up cell) set to ``source``."""
    first = re.search(r"^```\{code-cell\}[^\n]*\n(:tags: \[remove-cell\]\n\n)?", text, flags=re.M)
    if not first or not first.group(1):
        raise ValueError("the first code cell is not the Colab set-up cell (tagged remove-cell)")
    end = text.index("\n```", first.end())
    return text[:first.end()] + source + text[end:]


def out_of_sync(root: Path | str = ".") -> list[Path]:
    """Chapters whose set-up cell differs from ``colab_setup_source`` for the repository of
    ``root/_config.yml``, or whose ``.ipynb`` twin is missing or differs from a fresh conversion."""
    source = colab_setup_source(repository_url(root))
    stale = []
    for md in chapter_sources(root):
        ipynb = md.with_suffix(".ipynb")
        text = md.read_text()
        if (with_setup_cell(text, source) != text or not ipynb.exists()
                or ipynb.read_text() != notebook_text(md)):
            stale.append(md)
    return stale


def sync(root: Path | str = ".") -> list[Path]:
    """Rewrite every stale chapter's set-up cell and ``.ipynb`` twin; returns the chapters rewritten."""
    source = colab_setup_source(repository_url(root))
    stale = out_of_sync(root)
    for md in stale:
        text = md.read_text()
        if with_setup_cell(text, source) != text:
            md.write_text(with_setup_cell(text, source))
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
    parser = argparse.ArgumentParser(prog="python tools/chapters.py", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("sync", help="regenerate chapters/*.ipynb and the set-up cells (URL from _config.yml)")
    sub.add_parser("check", help="fail if a chapters/*.ipynb is out of sync")
    ex = sub.add_parser("execute", help="execute every chapter with papermill")
    ex.add_argument("--out", default="build/executed")
    ex.add_argument("--only", default=None, help="substring of a chapter name")
    args = parser.parse_args(argv)
    if args.command == "sync":
        for md in sync():
            print(f"synced {md} and {md.with_suffix('.ipynb')}")
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
