"""``tools/colab_check.py``, the parts that run here: the chapters' Colab notebook pointed at this
checkout, and the kernel start-up that makes the set-up cell see Colab (in a fresh Colab-like runtime,
and in Colab's own image, where the weekly workflow runs it with ``--runtime-python``)."""

import json
import subprocess
import sys

import pytest

from conftest import ROOT
from tools.chapters import COLAB_SETUP_SOURCE, REPOSITORY, chapter_sources

sys.path.insert(0, str(ROOT / "tools"))
import colab_check  # noqa: E402

CHAPTERS = chapter_sources(ROOT)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_colab_notebook_installs_from_this_checkout(chapter, tmp_path):
    original = json.loads(chapter.with_suffix(".ipynb").read_text())
    notebook = json.loads(colab_check.colab_notebook(chapter, tmp_path / "nb.ipynb").read_text())
    first = next(i for i, c in enumerate(notebook["cells"]) if c["cell_type"] == "code")
    source = "".join(notebook["cells"][first]["source"])
    assert source == COLAB_SETUP_SOURCE.replace(f"git+{REPOSITORY}.git", f"file://{ROOT}")
    assert notebook["cells"][first + 1:] == original["cells"][first + 1:]


def test_colab_notebook_refuses_a_set_up_cell_without_its_source(tmp_path):
    chapter = tmp_path / "chapters" / "x.md"
    chapter.parent.mkdir()
    notebook = json.loads(CHAPTERS[0].with_suffix(".ipynb").read_text())
    first = next(c for c in notebook["cells"] if c["cell_type"] == "code")
    first["source"] = "print('no install')"
    chapter.with_suffix(".ipynb").write_text(json.dumps(notebook))
    with pytest.raises(SystemExit, match="no `SOURCE"):
        colab_check.colab_notebook(chapter, tmp_path / "nb.ipynb")


def test_kernel_start_up_makes_the_set_up_cell_see_colab():
    """Without a google.colab package (this environment) the start-up code registers a stand-in."""
    code = colab_check.STARTUP + "\nimport sys; print('google.colab' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
