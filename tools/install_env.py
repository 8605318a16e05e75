"""Install the book's locked environment into the running interpreter's virtual environment.

Run by ``make`` with ``.venv/bin/python``; says what it installs and how large it gets:

1. the installer: uv (pinned, installed into the venv with pip; installs the same wheels as
   pip, about ten times faster) or, with ``INSTALLER=pip``, pip itself;
2. (only with ``TORCH_INDEX_URL`` set) torch from that index first, e.g. the CPU build from
   ``https://download.pytorch.org/whl/cpu``;
3. every package of ``requirements.lock`` with ``--no-deps``: the exact versions CI tested, no
   resolver run (and no resolver errors about escnn's two SO(3)-only dependencies that the lock
   leaves out);
4. if the torch that was installed is PyPI's CUDA build: the CUDA libraries it pins (those are
   left out of the lock because they belong to one build of torch);
5. the book's package ``eqrep`` in editable mode;
6. the kernel configuration of the environment (``etc/ipython/ipython_kernel_config.py``, see
   ``KERNEL_CONFIG``).

Bytecode is compiled at install time (``--compile-bytecode``): with ``PYTHONDONTWRITEBYTECODE``
set, as on some machines, Python would otherwise recompile torch on every import (twice as slow).
uv does not read pip's configuration; the ``find-links`` folders pip is configured with (local
wheels, such as a machine's CPU build of torch) are passed on to it.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
UV_VERSION = "0.13.9"
PIP = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "-q"]
KERNEL_CONFIG = '''\
# Kernel configuration of the book's environment, written by tools/install_env.py (`make`).
# jupyter-book (through jupyter-cache and nbclient) and papermill start each chapter's kernel on
# 127.0.0.1 over TCP, and jupyter-book has no setting for transport encryption; ipykernel then logs
# "Kernel is running over TCP without encryption ..." once per chapter into the output of `make book`
# and `make test`. This filter drops that one message; the kernel's other messages are kept.
import logging


class _LocalTcpNotice(logging.Filter):
    def filter(self, record):
        return "running over TCP without encryption" not in record.getMessage()


logging.getLogger("IPKernelApp").addFilter(_LocalTcpNotice())
'''


def pip_find_links() -> list[str]:
    """The ``find-links`` locations of pip's configuration (``PIP_FIND_LINKS`` and config files)."""
    out = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True).stdout
    links = []
    for line in out.splitlines():
        key, _, value = line.partition("=")
        if key.endswith("find-links"):
            links += [v for v in value.strip("'\"").split() if v not in links]
    return links


def installer() -> list[str]:
    """The install command: ``uv pip install`` for this interpreter, or pip's (``INSTALLER=pip``)."""
    if os.environ.get("INSTALLER", "uv") == "pip":
        return PIP
    if subprocess.run(PIP + [f"uv=={UV_VERSION}"]).returncode == 0:
        uv = str(Path(sys.executable).parent / "uv")
        links = [arg for link in pip_find_links() for arg in ("--find-links", link)]
        return [uv, "pip", "install", "--quiet", "--compile-bytecode", "--python", sys.executable, *links]
    print("  uv could not be installed; installing with pip instead (slower)", flush=True)
    return PIP


def locked_version(name: str, lock: Path = LOCK) -> str:
    """The version ``lock`` pins for ``name`` (first match)."""
    for line in lock.read_text().splitlines():
        m = re.match(rf"^{re.escape(name)}==([^\s;]+)", line, flags=re.I)
        if m:
            return m.group(1)
    raise SystemExit(f"error: {lock.name} pins no {name}")


def cuda_requirements(dist: str = "torch") -> list[str]:
    """The ``nvidia-*`` / ``cuda-*`` / ``triton`` requirements of an installed torch (none for the CPU build)."""
    requires = importlib.metadata.requires(dist) or []
    return [r for r in requires if re.match(r"(nvidia-|cuda-|triton)", r) and "extra ==" not in r]


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def run(args: list[str]) -> None:
    result = subprocess.run(args)
    if result.returncode:
        raise SystemExit(f"error: `{' '.join(args)}` failed (exit {result.returncode})")


def main() -> int:
    started = time.perf_counter()
    venv = Path(sys.prefix)
    pinned = sum(1 for line in LOCK.read_text().splitlines() if "==" in line and not line.startswith("#"))
    torch_version = locked_version("torch")
    print(f"Installing the book's environment into {venv} (Python {sys.version.split()[0]}): "
          f"{pinned} packages pinned in {LOCK.name}.")
    print("  Size: about 2 GB with torch's CPU build; PyPI's default Linux build of torch is the CUDA "
          "build and adds about 4 GB of CUDA libraries (README: 'torch on a CPU-only machine').", flush=True)
    install = installer()
    print(f"  installer: {'uv ' + UV_VERSION if 'uv' in Path(install[0]).name else 'pip'}", flush=True)
    index = os.environ.get("TORCH_INDEX_URL")
    if index:
        print(f"  torch=={torch_version} from {index}", flush=True)
        run(install + ["--no-deps", f"torch=={torch_version}", "--index-url", index])
    run(install + ["--no-deps", "-r", str(LOCK)])
    cuda = cuda_requirements()
    if cuda:
        print(f"  torch {importlib.metadata.version('torch')} is the CUDA build: installing the {len(cuda)} CUDA "
              f"libraries it pins (about 4 GB; TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu "
              f"selects the CPU build instead)", flush=True)
        run(install + cuda)
    else:
        print(f"  torch {importlib.metadata.version('torch')}: CPU build, no CUDA libraries needed", flush=True)
    run(install + ["--no-deps", "--no-build-isolation", "-e", str(ROOT)])
    kernel_config = venv / "etc" / "ipython" / "ipython_kernel_config.py"  # read from sys.prefix/etc/ipython
    kernel_config.parent.mkdir(parents=True, exist_ok=True)
    kernel_config.write_text(KERNEL_CONFIG)
    print(f"Installed in {time.perf_counter() - started:.0f} s; {venv} holds {folder_size(venv) / 1e9:.1f} GB.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
