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
under pyenv), ``COLAB_CHAPTERS`` (space-separated name prefixes, default ``02 05 06``; ``all``: every
chapter). Runs from ``make colab-check`` with ``.venv/bin/python`` (uv comes from there).

``--runtime-python PYTHON`` uses an existing runtime instead of step 1: Colab's own runtime image
(``us-docker.pkg.dev/colab-images/public/runtime``), where the weekly workflow
``.github/workflows/colab.yml`` runs this script with the image's Python. The chapters then run one
after the other in that one runtime (what a Colab user who opens several chapters gets), its
packages are left as they are, and the kernel imports the image's own ``google.colab``. The script
needs only nbclient and nbformat, which every Jupyter runtime has.
"""

from __future__ import annotations

import argparse
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
SOURCE = re.compile(r'^(\s*SOURCE = )"git\+[^"]+"$', flags=re.M)  # the set-up cell's install source
STARTUP = """\
try:  # Colab's kernel has imported google.colab before the first cell (tools/colab_check.py)
    import google.colab  # noqa: F401
except Exception:  # noqa: BLE001 - a runtime where it cannot be imported: a stand-in, as in make_runtime
    import sys
    import types

    sys.modules["google.colab"] = types.ModuleType("google.colab")
"""
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
    (startup / "00-colab.py").write_text(STARTUP)
    spec_dir = folder / "jupyter" / "kernels" / "colab"
    spec_dir.mkdir(parents=True, exist_ok=True)
    env = {"IPYTHONDIR": str(ipython_dir), "EQREP_DATA_DIR": str(data_dir), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Colab-like Python 3.13", "language": "python", "env": env}))
    return {"JUPYTER_PATH": str(folder / "jupyter")}


def colab_notebook(chapter: Path, out: Path) -> Path:
    """The chapter's Colab notebook with its set-up cell pointed at this checkout."""
    notebook = json.loads(chapter.with_suffix(".ipynb").read_text())
    first = next(c for c in notebook["cells"] if c["cell_type"] == "code")
    source, found = SOURCE.subn(rf'\1"file://{ROOT}"', "".join(first["source"]))
    if found != 1:
        raise SystemExit(f"error: the set-up cell of {chapter.name} has no `SOURCE = \"git+...\"` line")
    first["source"] = source
    out.write_text(json.dumps(notebook))
    return out


def setup_cell_output(executed: Path) -> str:
    notebook = json.loads(executed.read_text())
    first = next(c for c in notebook["cells"] if c["cell_type"] == "code")
    return "".join("".join(o.get("text", "")) for o in first.get("outputs", []))


def execute(notebook: Path, executed: Path, cwd: Path) -> None:
    """Execute ``notebook`` top to bottom with the kernel ``colab`` in ``cwd``; the executed notebook,
    complete or up to the failing cell, is written to ``executed``."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    try:
        client = NotebookClient(nb, kernel_name="colab", timeout=None, resources={"metadata": {"path": str(cwd)}})
        client.execute()
    finally:
        nbformat.write(nb, executed)


def check_chapter(chapter: Path, python313: str | None, runtime: str | None = None) -> list[str]:
    """Run one chapter in a fresh Colab-like runtime, or in the existing ``runtime`` (a Python
    interpreter); returns the problems found (empty: passed)."""
    folder = WORK / chapter.stem
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if runtime:
        python = Path(shutil.which(runtime) or runtime)
    else:
        python = make_runtime(folder / "runtime", python313)
    before = installed_versions(python)
    print(f"{chapter.stem}: {'runtime' if runtime else 'Colab-like runtime'} {python} ready in "
          f"{time.perf_counter() - started:.0f} s ({len(before)} packages, numpy {before['numpy']}, "
          f"torch {before['torch']})", flush=True)
    os.environ.update(kernel(folder, python, folder / "data"))
    content = folder / "content"  # Colab's working folder
    content.mkdir(exist_ok=True)
    notebook = colab_notebook(chapter, folder / f"{chapter.stem}.colab.ipynb")
    executed = folder / f"{chapter.stem}.executed.ipynb"
    problems, started = [], time.perf_counter()
    try:
        execute(notebook, executed, content)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runtime-python", default=None,
                        help="run the chapters in this existing runtime (e.g. Colab's image), not in fresh ones")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    for key in ("PIP_FIND_LINKS", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_CONSTRAINT"):
        os.environ.pop(key, None)  # pip as on Colab: PyPI only, not this machine's local indexes and wheels
    os.environ["PIP_CONFIG_FILE"] = os.devnull
    python313 = None if args.runtime_python else find_python313()
    prefixes = os.environ.get("COLAB_CHAPTERS", "02 05 06").split()
    chapters = [p for p in sorted((ROOT / "chapters").glob("*.md"))
                if "all" in prefixes or p.name[:2] in prefixes]
    WORK.mkdir(parents=True, exist_ok=True)
    print(f"colab-check: chapters {', '.join(p.stem for p in chapters)} with "
          f"{args.runtime_python or python313}", flush=True)
    failures = {p.stem: check_chapter(p, python313, args.runtime_python) for p in chapters}
    failed = {k: v for k, v in failures.items() if v}
    print(f"colab-check: {len(chapters) - len(failed)} of {len(chapters)} chapters passed "
          f"in {time.perf_counter() - started:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
