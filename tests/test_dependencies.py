"""requirements.txt is the one place the pins live; environment.yml and pyproject.toml must agree."""

import re
import tomllib

import yaml
from packaging.requirements import Requirement

from conftest import ROOT

PIN = re.compile(r"^\s*(?:-\s*|#\s*-\s*)?([A-Za-z0-9_.\-]+)==([A-Za-z0-9_.+\-]+)\s*$")


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


def environment_pins() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    pins = dict(tuple(p.split("==")) for p in pip)
    # escnn is listed as a comment (installed with --no-deps)
    for line in (ROOT / "environment.yml").read_text().splitlines():
        m = PIN.match(line)
        if m and line.lstrip().startswith("#"):
            pins[m.group(1)] = m.group(2)
    assert "python=3.11" in env["dependencies"]
    return {_norm(k): v for k, v in pins.items()}


def test_requirements_are_all_exact_pins():
    text = (ROOT / "requirements.txt").read_text()
    for line in text.splitlines():
        line = line.split("#")[0].strip()
        assert not line or re.fullmatch(r"[A-Za-z0-9_.\-]+==[A-Za-z0-9_.+\-]+", line), line
    assert requirement_pins()["numpy"].startswith("1.")  # escnn's lie_learn needs numpy < 2


def test_environment_mirrors_requirements():
    assert environment_pins() == requirement_pins()


def test_pyproject_ranges_admit_the_pins():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = requirement_pins()
    reqs = project["dependencies"] + project["optional-dependencies"]["colab"]
    for spec in reqs:
        req = Requirement(spec)
        assert _norm(req.name) in pins, f"{req.name} is in pyproject.toml but not pinned in requirements.txt"
        assert req.specifier.contains(pins[_norm(req.name)], prereleases=True), (req, pins[_norm(req.name)])
