"""tools/find_python.sh: which interpreter `make` builds .venv with, and why none when none fits."""

import subprocess

import pytest

from conftest import ROOT

SCRIPT = ROOT / "tools" / "find_python.sh"


def fake_pythons(folder, versions: dict[str, str]) -> str:
    """Executables in ``folder`` that answer the version check with ``versions[name]`` (``"broken"``: fail)."""
    folder.mkdir(exist_ok=True)
    for name, version in versions.items():
        path = folder / name
        path.write_text("#!/bin/sh\nexit 1\n" if version == "broken" else f"#!/bin/sh\necho {version}\n")
        path.chmod(0o755)
    return str(folder)


def find(path: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["/bin/sh", str(SCRIPT), *args], capture_output=True, text=True, env={"PATH": path})


@pytest.mark.parametrize("versions, chosen", [
    ({"python3": "3.11"}, "python3"),
    ({"python3": "3.13"}, "python3"),
    ({"python3": "3.10", "python3.12": "3.12"}, "python3.12"),
    ({"python3": "3.14", "python3.13": "3.13", "python3.11": "3.11"}, "python3.13"),
    ({"python3": "broken", "python3.13": "broken", "python3.11": "3.11"}, "python3.11"),  # e.g. a pyenv shim
])
def test_the_first_supported_interpreter_on_path_is_chosen(tmp_path, versions, chosen):
    out = find(fake_pythons(tmp_path / "bin", versions))
    assert out.returncode == 0 and out.stdout.strip() == chosen, out.stderr


def test_no_interpreter_is_told_apart_from_an_unsupported_one(tmp_path):
    none = find(fake_pythons(tmp_path / "empty", {}))
    assert none.returncode == 1 and "no Python interpreter found" in none.stderr
    old = find(fake_pythons(tmp_path / "old", {"python3": "3.10", "python3.11": "broken"}))
    assert old.returncode == 1 and "unsupported" in old.stderr and "python3=3.10" in old.stderr
    assert "no Python interpreter found" not in old.stderr


def test_an_explicit_python_is_checked(tmp_path):
    bin_dir = fake_pythons(tmp_path / "bin", {"python3.14": "3.14", "python3.12": "3.12"})
    assert find(bin_dir, f"{bin_dir}/python3.12").stdout.strip() == f"{bin_dir}/python3.12"
    newer = find(bin_dir, f"{bin_dir}/python3.14")
    assert newer.returncode == 1 and "is Python 3.14" in newer.stderr
    missing = find(bin_dir, "/nowhere/python3")
    assert missing.returncode == 1 and "no Python interpreter at PYTHON=/nowhere/python3" in missing.stderr
