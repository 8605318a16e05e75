"""README's layout tables match the tree: every package module is listed, and every listed name exists."""

import re

from conftest import ROOT

PACKAGE = ROOT / "src" / "eqrep"


def _package_table() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme[readme.index("The package, `src/eqrep/`:"):readme.index("## Training and shipped checkpoints")]


def test_every_module_and_subpackage_is_in_the_package_table():
    table = _package_table()
    rows = {}
    for line in table.splitlines():
        if line.startswith("| `"):
            first, what = line.split("|")[1:3]
            for name in re.findall(r"`([\w/]+)`", first):
                rows[name.rstrip("/")] = what
    top = {p.stem for p in PACKAGE.glob("*.py") if not p.name.startswith("_")}
    top |= {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert top - {"__main__"} <= set(rows), f"missing from README's package table: {sorted(top - set(rows))}"
    assert set(rows) <= top, f"README lists modules that do not exist: {sorted(set(rows) - top)}"
    for package in (p for p in PACKAGE.iterdir() if p.is_dir() and p.name in rows and p.name != "shipped"):
        modules = {p.stem for p in package.glob("*.py") if not p.name.startswith("_")}
        listed = set(re.findall(r"`(\w+)`", rows[package.name]))
        assert listed <= modules | {"REPRODUCE"}, f"{package.name}: README names {sorted(listed - modules)}"


def test_every_top_level_folder_is_in_the_layout_table():
    readme = (ROOT / "README.md").read_text()
    layout = readme[readme.index("## Layout"):readme.index("The package, `src/eqrep/`:")]
    for folder in ("chapters", "src/eqrep", "tests", "tools", "benchmarks", "book", "data"):
        assert f"`{folder}/`" in layout, folder
        assert (ROOT / folder).is_dir(), folder
