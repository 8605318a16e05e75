"""The set-up files agree: requirements.txt (direct pins), requirements.lock (the complete, locked
environment), environment.yml (conda mirror), pyproject.toml (ranges for Colab) and the
environment this test runs in. Nothing pins numpy below 2."""

import importlib.metadata
import platform
import re
import tomllib

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from conftest import ROOT

PYTHONS = ("3.11", "3.12", "3.13")
COLAB_RUNTIMES = {"default (Python 3.13)": {"numpy": "2.1.3", "torch": "2.11.0"},
                  "older (Python 3.12)": {"numpy": "2.0.2", "torch": "2.11.0"}}
NOT_LOCKED = {"lie-learn", "py3nj"}  # escnn's SO(3)-only dependencies (eqrep.escnn_compat)
TORCH_BUILD = re.compile(r"^(nvidia-|cuda-|triton$)")  # CUDA libraries of one torch build
INSTALL_TOOLS = {"pip", "uv", "eqrep"}  # in the venv but not part of the locked environment


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[_norm(name)] = version
    return pins


def lock_entries() -> list[Requirement]:
    lines = [line for line in (ROOT / "requirements.lock").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    return [Requirement(line) for line in lines]


def locked_for(python: str) -> dict[str, str]:
    """``{name: version}`` that the lock installs on Linux x86_64 with ``python`` (X.Y or X.Y.Z; X.Y
    means X.Y.0)."""
    full = python if python.count(".") == 2 else f"{python}.0"
    env = {"python_version": ".".join(full.split(".")[:2]), "python_full_version": full, "sys_platform": "linux",
           "platform_system": "Linux", "platform_machine": "x86_64", "implementation_name": "cpython",
           "platform_python_implementation": "CPython", "os_name": "posix"}
    versions: dict[str, str] = {}
    for req in lock_entries():
        if req.marker is None or req.marker.evaluate(env):
            assert _norm(req.name) not in versions, f"the lock pins {req.name} twice for Python {python}"
            (spec,) = req.specifier
            versions[_norm(req.name)] = spec.version
    return versions


def test_requirements_are_all_exact_pins():
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        assert not line or re.fullmatch(r"[A-Za-z0-9_.\-]+==[A-Za-z0-9_.+\-]+", line), line


def test_lock_entries_are_exact_pins():
    for req in lock_entries():
        (spec,) = req.specifier
        assert spec.operator == "==", req


@pytest.mark.parametrize("python", PYTHONS)
def test_lock_covers_every_direct_pin_on_each_python(python):
    locked = locked_for(python)
    for name, version in requirement_pins().items():
        assert locked.get(name) == version, f"Python {python}: requirements.txt pins {name}=={version}, " \
                                            f"the lock {locked.get(name)} (run `make lock`)"


def test_lock_leaves_out_escnns_so3_dependencies_and_torchs_cuda_libraries():
    names = {_norm(req.name) for req in lock_entries()}
    assert not names & NOT_LOCKED
    assert not [n for n in names if TORCH_BUILD.match(n)]


def test_nothing_pins_numpy_below_2():
    for version in (requirement_pins()["numpy"], *(locked_for(p)["numpy"] for p in PYTHONS)):
        assert Version(version).major >= 2
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    (numpy,) = [Requirement(r) for r in project["dependencies"] if Requirement(r).name == "numpy"]
    assert not numpy.specifier.contains("1.26.4"), numpy
    files = ["requirements.txt", "requirements.lock", "environment.yml", "pyproject.toml"]
    for path in files:
        assert not re.search(r"numpy[^#\n]*(==|<=|~=) *1\.|numpy[^#\n]*< *2([^.0-9]|$)",
                             (ROOT / path).read_text(), flags=re.M), path


def test_environment_mirrors_requirements():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    pins = {_norm(k): v for k, v in (p.split("==") for p in pip)}
    for line in (ROOT / "environment.yml").read_text().splitlines():  # escnn: a comment (--no-deps)
        m = re.match(r"^#\s*-\s*([\w.\-]+)==(\S+)\s*$", line)
        if m:
            pins[_norm(m.group(1))] = m.group(2)
    assert pins == requirement_pins()
    (python,) = [d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python")]
    spec = SpecifierSet(python.removeprefix("python"))
    assert all(spec.contains(f"{p}.0") for p in PYTHONS) and not spec.contains("3.10.0"), python


def test_pyproject_ranges_admit_the_lock_and_colabs_preinstalled_versions():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert all(SpecifierSet(project["requires-python"]).contains(f"{p}.0") for p in PYTHONS)
    reqs = [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["colab"]]
    for python in PYTHONS:
        locked = locked_for(python)
        for req in reqs:
            assert _norm(req.name) in locked, f"{req.name} is in pyproject.toml but not in the lock"
            assert req.specifier.contains(locked[_norm(req.name)], prereleases=True), (req, python)
    for runtime, versions in COLAB_RUNTIMES.items():  # installing eqrep on Colab must not change these
        for req in reqs:
            if req.name in versions:
                assert req.specifier.contains(versions[req.name]), f"{req} would change Colab's {runtime} {req.name}"
    assert not {_norm(r.name) for r in reqs} & NOT_LOCKED


def test_this_environment_is_the_lock():
    """What `make` installed is exactly the lock for this Python: no package more, none less, same versions."""
    locked = locked_for(platform.python_version())
    installed = {_norm(d.metadata["Name"]): d.version for d in importlib.metadata.distributions()}
    extra = {n: v for n, v in installed.items()
             if n not in locked and n not in INSTALL_TOOLS and not TORCH_BUILD.match(n)}
    assert not extra, f"installed but not locked: {extra}"
    missing = {n: v for n, v in locked.items() if n not in installed}
    assert not missing, f"locked but not installed: {missing}"
    differ = {n: (installed[n], v) for n, v in locked.items() if Version(installed[n]).public != Version(v).public}
    assert not differ, f"installed (locked) versions differ: {differ}"

