"""``make colab-check``: the chapters' Colab set-up cell, run as Colab runs it, in a Colab-like runtime.

For each of chapters 2, 5 and 6 (a Part I chapter, the QM9 chapter and the escnn chapter):

1. a fresh virtual environment with Python 3.13 and the packages of ``tools/colab_runtime.txt``
   (Colab's default runtime: numpy 2.1.x, torch 2.11 with CUDA, pandas, scipy, scikit-learn,
   matplotlib, ipykernel, ipywidgets, ...) and a stand-in ``google.colab`` module that the
   kernel imports at start, as Colab's kernel does;
2. the chapter's generated notebook (``chapters/*.ipynb``, the file Colab opens), with the
   repository URL of its set-up cell replaced by this checkout, executed top to bottom in
   that runtime (papermill, a kernel of the runtime's own Python, a fresh working folder);
3. the packages whose version the set-up cell changed, printed; the check fails if numpy or
   torch changed, if the cell restarted the runtime, if pip printed an error, or if the
   chapter fails.

Options (environment): ``COLAB_PYTHON`` (a Python 3.13 interpreter; default: found on PATH or
under pyenv), ``COLAB_CHAPTERS`` (space-separated name prefixes, default ``02 05 06``).
Runs from ``make colab-check`` with ``.venv/bin/python`` (papermill and uv come from there).
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "build" / "colab-check"
RUNTIME = ROOT / "tools" / "colab_runtime.txt"
UNCHANGED = ("numpy", "torch")  # Colab's own builds: the set-up cell must keep them
VERSIONS = ("import importlib.metadata, json; print(json.dumps({d.metadata['Name'].lower(): d.version "
            "for d in importlib.metadata.distributions()}))")


def find_python313() -> str:
    """A Python 3.13 interpreter: ``$COLAB_PYTHON``, ``python3.13`` on PATH, or pyenv's 3.13.x."""
    candidates = [os.environ.get("COLAB_PYTHON"), shutil.which("python3.13"),
                  *sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.13*/bin/python3.13")), reverse=True)]
    for candidate in filter(None, candidates):
        out = subprocess.run([candidate, "-c", "import sys; print(sys.version_info[:2] == (3, 13))"],
                             capture_output=True, text=True)
        if out.stdout.strip() == "True":
            return candidate
    raise SystemExit("error: no Python 3.13 found (set COLAB_PYTHON=/path/to/python3.13)")


def installed_versions(python: Path) -> dict[str, str]:
    return json.loads(subprocess.run([str(python), "-c", VERSIONS], check=True, capture_output=True,
                                     text=True).stdout)


def make_runtime(folder: Path, python313: str) -> Path:
    """A fresh Colab-like virtual environment in ``folder``; returns its Python."""
    shutil.rmtree(folder, ignore_errors=True)
    subprocess.run([python313, "-m", "venv", str(folder)], check=True)
    python = folder / "bin" / "python"
    uv = Path(sys.executable).parent / "uv"
    subprocess.run([str(uv), "pip", "install", "--quiet", "--python", str(python), "-r", str(RUNTIME)], check=True)
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    stub = site / "google" / "colab"  # a namespace package `google`, as on Colab
    stub.mkdir(parents=True, exist_ok=True)
    (stub / "__init__.py").write_text('"""Stand-in for Colab\'s google.colab (tools/colab_check.py)."""\n')
    return python


def kernel(folder: Path, python: Path, data_dir: Path) -> dict[str, str]:
    """A kernelspec for ``python`` whose kernel imports ``google.colab`` at start; returns the
    environment variables that make papermill find it."""
    ipython_dir = folder / "ipython"
    startup = ipython_dir / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "00-colab.py").write_text("import google.colab  # noqa: F401  (Colab's kernel has it)\n")
    spec_dir = folder / "jupyter" / "kernels" / "colab"
    spec_dir.mkdir(parents=True, exist_ok=True)
    env = {"IPYTHONDIR": str(ipython_dir), "EQREP_DATA_DIR": str(data_dir), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Colab-like Python 3.13", "language": "python", "env": env}))
    return {"JUPYTER_PATH": str(folder / "jupyter")}


def colab_notebook(chapter: Path, out: Path) -> Path:
    """The chapter's Colab notebook with its set-up cell pointed at this checkout."""
    from eqrep.chapters import REPOSITORY

    notebook = json.loads(chapter.with_suffix(".ipynb").read_text())
    first = next(c for c in notebook["cells"] if c["cell_type"] == "code")
    source = "".join(first["source"])
    url = f"git+{REPOSITORY}.git"
    if url not in source:
        raise SystemExit(f"error: the set-up cell of {chapter.name} does not install from {url}")
    first["source"] = source.replace(url, f"file://{ROOT}")
    out.write_text(json.dumps(notebook))
    return out


def setup_cell_output(executed: Path) -> str:
    notebook = json.loads(executed.read_text())
    first = next(c for c in notebook["cells"] if c["cell_type"] == "code")
    return "".join("".join(o.get("text", "")) for o in first.get("outputs", []))


def check_chapter(chapter: Path, python313: str) -> list[str]:
    """Run one chapter in a fresh Colab-like runtime; returns the problems found (empty: passed)."""
    import papermill

    folder = WORK / chapter.stem
    started = time.perf_counter()
    python = make_runtime(folder / "runtime", python313)
    before = installed_versions(python)
    print(f"{chapter.stem}: Colab-like runtime ready in {time.perf_counter() - started:.0f} s "
          f"(Python 3.13, {len(before)} packages, numpy {before['numpy']}, torch {before['torch']})", flush=True)
    os.environ.update(kernel(folder, python, folder / "data"))
    content = folder / "content"  # Colab's working folder
    content.mkdir(exist_ok=True)
    notebook = colab_notebook(chapter, folder / f"{chapter.stem}.colab.ipynb")
    executed = folder / f"{chapter.stem}.executed.ipynb"
    problems, started = [], time.perf_counter()
    try:
        papermill.execute_notebook(str(notebook), str(executed), kernel_name="colab", cwd=str(content),
                                   progress_bar=False, request_save_on_cell_execute=False)
    except Exception as err:  # noqa: BLE001 - report and go on with the next chapter
        problems.append(f"the chapter failed: {type(err).__name__}: {str(err).splitlines()[0][:300]}")
    seconds = time.perf_counter() - started
    after = installed_versions(python)
    changed = {n: (v, after[n]) for n, v in before.items() if n in after and after[n] != v}
    added = sorted(set(after) - set(before))
    print(f"  set-up cell: {len(added)} packages added, {len(changed)} changed version"
          + "".join(f"\n    changed: {n} {a} -> {b}" for n, (a, b) in sorted(changed.items())))
    output = setup_cell_output(executed) if executed.exists() else ""
    print("  set-up cell printed: " + (output.strip().replace("\n", "\n    ") or "(nothing)"))
    problems += [f"the set-up cell changed {n} ({a} -> {b})" for n, (a, b) in changed.items() if n in UNCHANGED]
    if "Restarting the runtime" in output:
        problems.append("the set-up cell restarted the runtime")
    if re.search(r"^ERROR", output, flags=re.M):
        problems.append("pip printed an error in the set-up cell")
    print(f"  executed in {seconds:.0f} s: " + ("; ".join(problems) if problems else "passed"), flush=True)
    return problems


def main() -> int:
    started = time.perf_counter()
    python313 = find_python313()
    prefixes = os.environ.get("COLAB_CHAPTERS", "02 05 06").split()
    chapters = [p for p in sorted((ROOT / "chapters").glob("*.md")) if p.name[:2] in prefixes]
    WORK.mkdir(parents=True, exist_ok=True)
    print(f"colab-check: chapters {', '.join(p.stem for p in chapters)} with {python313}", flush=True)
    failures = {p.stem: check_chapter(p, python313) for p in chapters}
    failed = {k: v for k, v in failures.items() if v}
    print(f"colab-check: {len(chapters) - len(failed)} of {len(chapters)} chapters passed "
          f"in {time.perf_counter() - started:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
