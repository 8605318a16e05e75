"""What the book publishes loads nothing from outside it (``tools/check_book.py``).

The checks are first tested on small hand-written pages. Then a small book is built with the book's
own ``_config.yml`` (its extensions, MathJax and widget settings, launch buttons; the chapters are not
executed) from a page with math, chapter 1 and a notebook whose outputs are Jupyter widgets
(``tests/fixtures/widget_page.ipynb``), and checked as ``make book`` checks the full book: no page loads
anything from outside the build, math is typeset by the build's own MathJax 3, the widget page loads
require.js and the widget manager from the build, every notebook page has its Colab button.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import check_book  # noqa: E402

CHAPTER = "chapters/01_symmetries_orbits_quotients"
CDN_MATHJAX = "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def page(head: str = "", body: str = "") -> str:
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>"


# ---- the checks, on hand-written pages ----------------------------------------------------------

def test_offline_check_flags_every_kind_of_load_from_outside(tmp_path):
    write(tmp_path / "_static" / "local.js", "")
    write(tmp_path / "_static" / "book.css", "@import url('fonts.css');\n"
                                              "@font-face { src: url(//fonts.example.org/a.woff2); }")
    write(tmp_path / "index.html", page(
        head=f'<script src="_static/local.js"></script><script defer src="{CDN_MATHJAX}"></script>'
             '<link rel="stylesheet" href="_static/book.css">'
             '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">'
             '<link rel="preconnect" href="https://fonts.gstatic.com">'
             '<link rel="canonical" href="https://example.org/book/index.html">'
             "<style>@import 'https://example.org/theme.css';</style>"
             '<script>var s = document.createElement("script"); s.src = "https://unpkg.com/thebe.js";</script>',
        body='<a href="https://github.com/eqrep">repository</a><img src="https://example.org/badge.svg">'
             '<img srcset="_static/a.png 1x, http://example.org/a@2x.png 2x">'
             '<iframe src="//www.youtube.com/embed/x"></iframe><div style="background: url(https://x.org/b.png)">'))
    problems = "\n".join(check_book.offline_problems(tmp_path))
    for url in (CDN_MATHJAX, "https://fonts.googleapis.com/css?family=Roboto", "https://fonts.gstatic.com",
                "https://example.org/theme.css", "https://unpkg.com/thebe.js", "https://example.org/badge.svg",
                "http://example.org/a@2x.png", "//www.youtube.com/embed/x", "https://x.org/b.png",
                "//fonts.example.org/a.woff2"):
        assert url in problems
    assert "_static/local.js" not in problems and "fonts.css" not in problems  # inside the build
    assert "github.com/eqrep" not in problems and "example.org/book" not in problems  # links load nothing
    assert len(problems.splitlines()) == 10


def test_offline_check_accepts_sphinx_thebes_bundle_only_without_a_live_code_button(tmp_path):
    thebe = '<script>const THEBE_JS_URL = "https://unpkg.com/thebe@0.8.2/lib/index.js"</script>'
    write(tmp_path / "a.html", page(head=thebe))  # named, never loaded: no button starts thebe
    write(tmp_path / "b.html", page(head=thebe, body='<button onclick="initThebeSBT()">Live Code</button>'))
    assert check_book.offline_problems(tmp_path) == [
        "b.html: script (named inline) from outside the book: https://unpkg.com/thebe@0.8.2/lib/index.js"]


def test_offline_check_flags_a_local_script_that_is_not_in_the_build(tmp_path):
    write(tmp_path / "index.html", page(head='<script src="_static/missing.js"></script>'))
    assert check_book.offline_problems(tmp_path) == ["index.html: script _static/missing.js is not in the build"]


def test_math_check_wants_the_builds_own_mathjax_3(tmp_path):
    math = '<span class="math notranslate nohighlight">\\(G\\cdot x\\)</span>'
    write(tmp_path / "cdn.html", page(head=f'<script src="{CDN_MATHJAX}"></script>', body=math))
    write(tmp_path / "local.html", page(head='<script src="_static/mathjax/tex-chtml.js"></script>', body=math))
    write(tmp_path / "sub" / "local.html", page(head='<script src="../_static/mathjax/tex-chtml.js"></script>',
                                                body=math))
    write(tmp_path / "nomath.html", page())
    write(tmp_path / "_static" / "mathjax" / "tex-chtml.js", '(function(){var VERSION="3.2.2";})()')
    assert check_book.math_problems(tmp_path) == [
        "cdn.html: has math but loads no MathJax 3 from the build's _static"]
    write(tmp_path / "_static" / "mathjax" / "tex-chtml.js", '(function(){var VERSION="4.0.0";})()')
    assert len(check_book.math_problems(tmp_path)) == 3


def test_launch_check_wants_a_colab_button_on_every_notebook_page(tmp_path):
    root = tmp_path / "src"
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["repository"]["url"] = "https://github.com/someone/fork"
    write(root / "_config.yml", yaml.safe_dump(config))
    write(root / "chapters" / "a.ipynb", "{}")
    html = tmp_path / "html"
    cell = '<div class="cell docutils container"></div>'
    colab = "https://colab.research.google.com/github/someone/fork/blob/main/chapters/{}.ipynb"
    write(html / "chapters" / "a.html", page(body=cell + f'<a href="{colab.format("a")}">Colab</a>'))
    write(html / "chapters" / "b.html", page(body=cell + f'<a href="{colab.format("b")}">Colab</a>'))
    write(html / "chapters" / "c.html", page(body=cell))
    write(html / "intro.html", page(body="<p>no code cells</p>"))
    assert check_book.launch_problems(html, root) == [
        "chapters/b.html: the Colab button opens chapters/b.ipynb, which is not in the repository",
        f"chapters/c.html: no Colab launch button opening {colab.format('c')}",
        "chapters/c.html: the Colab button opens chapters/c.ipynb, which is not in the repository"]


def test_output_check_flags_warnings_but_not_ordinary_output(tmp_path):
    def output(text, stream="stderr"):
        return f'<div class="cell_output docutils container"><div class="output {stream}"><pre>{text}</pre></div></div>'

    write(tmp_path / "a.html", page(body=output(
        "/usr/lib/python3/site-packages/umap/umap_.py:1952: FutureWarning: n_jobs value 1 overridden\n"
        "  warn(") + output("[IPKernelApp] WARNING | Kernel is running over TCP without encryption.")
        + output("epoch 1/3: 100%|##########| 40/40 [00:01&lt;00:00]") + output("accuracy 0.97", "stream")
        + "<p>A UserWarning in the text is fine.</p>"))
    problems = check_book.html_output_problems(tmp_path)
    assert len(problems) == 2
    assert "FutureWarning" in problems[0] and "without encryption" in problems[1]
    notebook = {"cells": [{"cell_type": "code", "outputs": [
        {"output_type": "stream", "name": "stderr", "text": ["x.py:3: UserWarning: something\n", "  warn()\n"]},
        {"output_type": "stream", "name": "stdout", "text": "loss 0.1\n"},
        {"output_type": "execute_result", "data": {"text/plain": "0.5"}}]}]}
    write(tmp_path / "n.ipynb", json.dumps(notebook))
    assert check_book.notebook_output_problems(tmp_path / "n.ipynb") == [
        "n.ipynb, cell 0: output shows 'x.py:3: UserWarning: something'"]


# ---- a small book built with the book's configuration ---------------------------------------------

@pytest.fixture(scope="module")
def small_book(tmp_path_factory) -> tuple[Path, Path]:
    """``(source folder, built html)`` of a small book built with the book's own ``_config.yml``."""
    src = tmp_path_factory.mktemp("small_book")
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["execute"]["execute_notebooks"] = "off"  # the outputs of the widget page are stored in it
    write(src / "_config.yml", yaml.safe_dump(config, sort_keys=False))
    write(src / "book" / "_toc.yml", yaml.safe_dump({
        "format": "jb-book", "root": "book/index",
        "chapters": [{"file": CHAPTER}, {"file": "book/widget_page"}, {"file": "book/bibliography"}]}))
    write(src / "book" / "index.md", "# A small book\n\nInline math $g\\cdot x$ and display math\n\n"
                                     "$$\n\\rho(gh) = \\rho(g)\\,\\rho(h)\n$$\n")
    for path in (f"{CHAPTER}.md", f"{CHAPTER}.ipynb", "book/bibliography.md", "book/references.bib"):
        write(src / path, (ROOT / path).read_text())
    shutil.copy(ROOT / "tests" / "fixtures" / "widget_page.ipynb", src / "book" / "widget_page.ipynb")
    shutil.copytree(ROOT / "book" / "_static", src / "book" / "_static")
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    build = subprocess.run([str(jupyter_book), "build", str(src), "--toc", str(src / "book" / "_toc.yml"),
                            "--path-output", str(src / "book")], capture_output=True, text=True)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    return src, src / "book" / "_build" / "html"


def test_small_book_passes_every_check(small_book):
    src, html = small_book
    assert check_book.check_html(html, src) == []


def script_sources(html_page: Path) -> list[str]:
    """The scripts a page loads, in order, without Sphinx's ``?v=`` suffixes."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html_page.read_text(), "html.parser")
    return [tag["src"].partition("?")[0] for tag in soup.find_all("script", src=True)]


def test_small_book_typesets_math_with_its_own_mathjax_3(small_book):
    _, html = small_book
    for name in ("book/index.html", f"{CHAPTER}.html", "book/widget_page.html"):
        mathjax = [s for s in script_sources(html / name) if "mathjax" in s]
        assert len(mathjax) == 1 and mathjax[0].endswith("_static/mathjax/tex-chtml.js"), (name, mathjax)
        assert check_book.MATHJAX_3.search((html / name).parent.joinpath(mathjax[0]).read_bytes())
    assert (html / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").is_dir()  # its fonts too


def test_small_book_widget_page_loads_the_widget_manager_from_the_build(small_book):
    _, html = small_book
    widget_page = html / "book" / "widget_page.html"
    text = widget_page.read_text()
    assert "application/vnd.jupyter.widget-state+json" in text and "application/vnd.jupyter.widget-view+json" in text
    sources = script_sources(widget_page)
    widgets = [s for s in sources if "widgets" in s]
    assert widgets == ["../_static/widgets/require.js", "../_static/widgets/embed-amd.js"]  # require.js first
    for source in widgets:
        assert widget_page.parent.joinpath(source).read_bytes() == \
            (ROOT / "book" / "_static" / "widgets" / Path(source).name).read_bytes()
    assert not [s for s in script_sources(html / f"{CHAPTER}.html") if "widgets" in s]  # only where needed


def test_small_book_notebook_pages_open_on_colab(small_book):
    src, html = small_book
    config = yaml.safe_load((src / "_config.yml").read_text())
    repository = config["repository"]["url"].removeprefix("https://github.com/")
    for name in (CHAPTER, "book/widget_page"):
        colab = f"https://colab.research.google.com/github/{repository}/blob/main/{name}.ipynb"
        assert f'href="{colab}"' in (html / f"{name}.html").read_text(), name
