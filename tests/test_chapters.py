"""Structure of the book: every chapter is complete, listed, and its Colab notebook is in sync.

Executing the chapters is `make chapters` (papermill + nbval), not part of these unit tests.
"""

import json
import re
import shutil

import pytest
import yaml

from conftest import ROOT
from tools.chapters import (
    COLAB_SETUP_SOURCE,
    REPOSITORY,
    chapter_sources,
    colab_setup_source,
    out_of_sync,
    repository_url,
    sync,
)

CHAPTERS = chapter_sources(ROOT)


def _toc_files(node) -> list[str]:
    files = []
    if isinstance(node, dict):
        if "file" in node:
            files.append(node["file"])
        for value in node.values():
            files += _toc_files(value)
    elif isinstance(node, list):
        for item in node:
            files += _toc_files(item)
    return files


def test_every_chapter_is_in_the_toc_and_every_toc_file_exists():
    toc = yaml.safe_load((ROOT / "book" / "_toc.yml").read_text())
    files = [toc["root"]] + _toc_files(toc["parts"])
    chapters = {f"chapters/{p.stem}" for p in CHAPTERS}
    assert chapters <= set(files)
    for f in files:
        assert (ROOT / f"{f}.md").exists(), f"{f} listed in the toc but missing"


def test_colab_notebooks_are_in_sync():
    stale = out_of_sync(ROOT)
    assert not stale, f"regenerate with `make notebooks`: {[p.name for p in stale]}"


def test_config_points_colab_at_the_repository():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert REPOSITORY == repository_url(ROOT) == config["repository"]["url"]
    assert f'SOURCE = "git+{REPOSITORY}.git"' in COLAB_SETUP_SOURCE
    assert config["launch_buttons"]["colab_url"].startswith("https://colab.research.google.com")
    assert config["sphinx"]["config"]["hide_solutions"] is False
    assert "chapters/*.ipynb" in config["exclude_patterns"]


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_structure(path):
    text = path.read_text()
    cells = re.findall(r"```\{code-cell\}[^\n]*\n(.*?)```", text, flags=re.S)
    assert cells, "no code cells"
    first = cells[0]
    assert first.startswith(":tags: [remove-cell]\n"), "first cell must be the hidden Colab set-up cell"
    assert first.split("\n", 2)[2].strip() == COLAB_SETUP_SOURCE.strip(), "Colab cell differs from tools/chapters.py"
    assert any(c.startswith(":tags: [parameters]") for c in cells), "no papermill parameters cell"
    assert re.search(r"^# \d+\. ", text, flags=re.M), "title must be '# N. Title'"
    assert "Learning objectives" in text
    assert re.search(r"^## Summary", text, flags=re.M)
    exercises = re.findall(r"```\{exercise\}[^\n]*\n:label: ([\w-]+)", text)
    assert len(exercises) >= 3, "at least three exercises"
    for label in exercises:
        sol = re.search(r"```\{solution\} " + re.escape(label) + r"\n:class: dropdown", text)
        assert sol, f"exercise {label} needs a solution hidden in a dropdown"
    assert "plt.show()" in text or "plt.subplots" in text, "at least one figure"
    assert re.search(r"```\{prf:", text), "at least one definition/theorem block"


def test_a_fork_sets_its_url_in_the_config_only(tmp_path):
    """A fork changes ``repository.url`` in ``_config.yml``; ``make notebooks`` (sync) then rewrites the
    set-up cell of every chapter and its ``.ipynb``, and nothing else."""
    fork = "https://github.com/someone/fork-of-the-book"
    config = (ROOT / "_config.yml").read_text()
    assert config.count(REPOSITORY) == 1
    (tmp_path / "_config.yml").write_text(config.replace(REPOSITORY, fork))
    (tmp_path / "chapters").mkdir()
    chapters = CHAPTERS[:2]
    for md in chapters:
        for path in (md, md.with_suffix(".ipynb")):
            shutil.copy(path, tmp_path / "chapters" / path.name)
    copies = [tmp_path / "chapters" / md.name for md in chapters]
    assert repository_url(tmp_path) == fork
    assert out_of_sync(tmp_path) == copies
    assert sync(tmp_path) == copies
    assert out_of_sync(tmp_path) == []
    for md, copy in zip(chapters, copies, strict=True):
        assert copy.read_text() == md.read_text().replace(COLAB_SETUP_SOURCE, colab_setup_source(fork))
        notebook = json.loads(copy.with_suffix(".ipynb").read_text())
        first = next(c for c in notebook["cells"] if c["cell_type"] == "code")
        assert "".join(first["source"]) == colab_setup_source(fork)
        assert REPOSITORY not in copy.read_text() + copy.with_suffix(".ipynb").read_text()
