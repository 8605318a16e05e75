"""Checks of what the book publishes.

``python tools/check_book.py html book/_build/html`` (run by ``make book``) checks every page of a
built book:

1. it loads nothing from outside the book: every script, stylesheet, preload, icon, image, frame and
   media source of the page, and every CSS ``url()`` and ``@import`` of the page and of the build's CSS
   files, is a path inside the build (no ``https:``, ``http:`` or ``//`` address), and the scripts and
   stylesheets it names exist;
2. where it has math, it typesets it with the MathJax 3 copy inside the build (``_static/mathjax``);
3. where it is a notebook (it has code cells), it has a Colab launch button that opens its ``.ipynb``
   in the repository of ``_config.yml``, and that ``.ipynb`` exists;
4. no output shows a warning: a Python warning (``...Warning``), a logged ``WARNING`` or the kernel's
   "Kernel is running over TCP without encryption".

``python tools/check_book.py outputs build/executed`` (run by ``make chapters``) checks 4. on the
outputs of executed notebooks. Each prints what it found and exits 1 if anything.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]

EXTERNAL = re.compile(r"^\s*(?:[a-z][a-z0-9+.\-]*:)?//", flags=re.I)  # https://..., http://..., //host/...
INLINE_SCHEMES = ("data:", "about:", "blob:", "javascript:", "#")
LOADING_RELS = {"stylesheet", "preload", "modulepreload", "prefetch", "preconnect", "dns-prefetch", "icon",
                "apple-touch-icon", "manifest", "mask-icon", "prerender"}
SOURCE_ATTRIBUTES = {"img": ("src", "srcset"), "source": ("src", "srcset"), "iframe": ("src",),
                     "frame": ("src",), "video": ("src", "poster"), "audio": ("src",), "track": ("src",),
                     "embed": ("src",), "object": ("data",), "input": ("src",)}
CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""", flags=re.I)
SCRIPT_URL = re.compile(r"""["']((?:https?:)?//[^"'\s]+?\.(?:m?js|css)(?:\?[^"'\s]*)?)["']""", flags=re.I)
MATHJAX_3 = re.compile(rb'VERSION\s*=\s*"3\.\d+\.\d+"')
# sphinx-thebe (part of Jupyter Book) names its bundle on every page, in an inline script, but loads it
# only when a reader presses the "Live code" launch button (launch_buttons.thebe), which starts a
# kernel on Binder; a page without that button loads nothing of it
THEBE_BUNDLE = re.compile(r"^https://unpkg\.com/thebe@[\d.]+/lib/index\.js$")
THEBE_BUTTON = re.compile(r"initThebe")
WARNING = re.compile(r"\b[A-Z]\w*Warning\b|\bWARNING\b|without encryption")


def is_external(url: str) -> bool:
    return bool(EXTERNAL.match(url))


def _local_target(url: str, base: Path) -> Path | None:
    """The file a relative ``url`` names, seen from folder ``base`` (None for data: and the like)."""
    url = url.strip()
    if not url or url.startswith(INLINE_SCHEMES):
        return None
    return (base / unquote(urlsplit(url).path)).resolve()


def _srcset_urls(value: str) -> list[str]:
    return [part.split()[0] for part in value.split(",") if part.strip()]


def css_external_urls(css: str) -> list[str]:
    """The addresses outside the book that CSS text loads (``url()`` and ``@import``)."""
    urls = [m.group(2) or m.group(4) for m in CSS_URL.finditer(css)]
    return [u for u in urls if is_external(u)]


def page_loads(html: str) -> list[tuple[str, str]]:
    """What a page loads, as ``(kind, address)``: scripts, stylesheets and other loading links,
    images, frames and media, CSS ``url()``/``@import`` and addresses of scripts that inline code names."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    loads = [("script", tag["src"]) for tag in soup.find_all("script", src=True)]
    for tag in soup.find_all("link", href=True):
        rels = {r.lower() for r in (tag.get("rel") or [])}
        if rels & LOADING_RELS:
            kind = "stylesheet" if "stylesheet" in rels else "link " + " ".join(sorted(rels))
            loads.append((kind, tag["href"]))
    for name, attributes in SOURCE_ATTRIBUTES.items():
        for tag in soup.find_all(name):
            for attribute in attributes:
                if tag.get(attribute):
                    values = _srcset_urls(tag[attribute]) if attribute == "srcset" else [tag[attribute]]
                    loads += [(name, value) for value in values]
    for tag in soup.find_all("style"):
        loads += [("css", url) for url in css_external_urls(tag.get_text())]
    for tag in soup.find_all(style=True):
        loads += [("css", url) for url in css_external_urls(tag["style"])]
    thebe_button = bool(soup.find(onclick=THEBE_BUTTON))
    for tag in soup.find_all("script", src=False):
        loads += [("script (named inline)", url) for url in SCRIPT_URL.findall(tag.get_text())
                  if thebe_button or not THEBE_BUNDLE.match(url)]
    return loads


def pages(html_dir: Path) -> list[Path]:
    """The pages of a build (not the theme's HTML templates that land in ``_static``)."""
    return sorted(p for p in html_dir.rglob("*.html") if "_static" not in p.relative_to(html_dir).parts)


def offline_problems(html_dir: Path | str) -> list[str]:
    """Check 1: what any page or CSS file of the build loads from outside it, or names but lacks."""
    html_dir = Path(html_dir).resolve()
    problems = []
    for page in pages(html_dir):
        rel = page.relative_to(html_dir)
        for kind, url in page_loads(page.read_text(errors="replace")):
            if is_external(url):
                problems.append(f"{rel}: {kind} from outside the book: {url}")
            elif kind in ("script", "stylesheet"):
                target = _local_target(url, page.parent)
                if target is not None and not target.is_file():
                    problems.append(f"{rel}: {kind} {url} is not in the build")
    for css in sorted(html_dir.rglob("*.css")):
        for url in css_external_urls(css.read_text(errors="replace")):
            problems.append(f"{css.relative_to(html_dir)}: CSS loads from outside the book: {url}")
    return problems


def math_problems(html_dir: Path | str) -> list[str]:
    """Check 2: pages with math that do not load the build's own MathJax 3."""
    from bs4 import BeautifulSoup

    html_dir = Path(html_dir).resolve()
    problems = []
    for page in pages(html_dir):
        soup = BeautifulSoup(page.read_text(errors="replace"), "html.parser")
        if not soup.select(".math"):
            continue
        scripts = [_local_target(tag["src"], page.parent) for tag in soup.find_all("script", src=True)
                   if not is_external(tag["src"]) and "mathjax" in tag["src"].lower()]
        local = [s for s in scripts if s is not None and s.is_file() and html_dir / "_static" in s.parents]
        if not any(MATHJAX_3.search(s.read_bytes()) for s in local):
            problems.append(f"{page.relative_to(html_dir)}: has math but loads no MathJax 3 "
                            "from the build's _static")
    return problems


def _colab_prefix(root: Path) -> tuple[str, str]:
    """The start of every Colab launch link for the repository of ``root/_config.yml``, and the book's
    path inside the repository."""
    import yaml

    config = yaml.safe_load((root / "_config.yml").read_text())
    colab = config["launch_buttons"]["colab_url"].rstrip("/")
    repository = config["repository"]
    parts = urlsplit(repository["url"].rstrip("/"))
    if parts.netloc != "github.com":
        raise SystemExit(f"error: Colab opens notebooks from GitHub, not from {repository['url']}")
    book = repository.get("path_to_book", "").strip("/")
    return f"{colab}/github{parts.path}/blob/{repository.get('branch', 'main')}/", book + "/" if book else ""


def launch_problems(html_dir: Path | str, root: Path | str = ROOT) -> list[str]:
    """Check 3: notebook pages (pages with code cells) without a Colab button opening their ``.ipynb``."""
    from bs4 import BeautifulSoup

    html_dir, root = Path(html_dir).resolve(), Path(root).resolve()
    prefix, book = _colab_prefix(root)
    problems = []
    for page in pages(html_dir):
        soup = BeautifulSoup(page.read_text(errors="replace"), "html.parser")
        if not soup.select("div.cell"):
            continue
        rel = page.relative_to(html_dir)
        notebook = rel.with_suffix(".ipynb").as_posix()
        expected = prefix + book + notebook
        if not soup.find("a", href=expected):
            problems.append(f"{rel}: no Colab launch button opening {expected}")
        if not (root / book / notebook).is_file():
            problems.append(f"{rel}: the Colab button opens {book}{notebook}, which is not in the repository")
    return problems


def warning_lines(text: str) -> list[str]:
    """The lines of an output that show a warning."""
    return [line.strip() for line in text.splitlines() if WARNING.search(line)]


def html_output_problems(html_dir: Path | str) -> list[str]:
    """Check 4 on a built book: outputs of its pages that show a warning."""
    from bs4 import BeautifulSoup

    html_dir = Path(html_dir).resolve()
    problems = []
    for page in pages(html_dir):
        soup = BeautifulSoup(page.read_text(errors="replace"), "html.parser")
        for output in soup.select("div.cell_output"):
            problems += [f"{page.relative_to(html_dir)}: output shows {line[:200]!r}"
                         for line in warning_lines(output.get_text())]
    return problems


def notebook_output_problems(notebook: Path | str) -> list[str]:
    """Check 4 on an executed notebook: outputs that show a warning."""
    cells = json.loads(Path(notebook).read_text())["cells"]
    problems = []
    for index, cell in enumerate(cells):
        for output in cell.get("outputs", []):
            text = "".join(output.get("text", ""))
            text += "".join(output.get("data", {}).get("text/plain", ""))
            text += "\n".join([output.get("ename", ""), output.get("evalue", "")])
            problems += [f"{Path(notebook).name}, cell {index}: output shows {line[:200]!r}"
                         for line in warning_lines(text)]
    return problems


def check_html(html_dir: Path | str, root: Path | str = ROOT) -> list[str]:
    """Checks 1-4 on a built book."""
    html_dir = Path(html_dir)
    if not (html_dir / "index.html").is_file():
        raise SystemExit(f"error: no built book in {html_dir} (run `make book`)")
    return (offline_problems(html_dir) + math_problems(html_dir) + launch_problems(html_dir, root)
            + html_output_problems(html_dir))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    html = sub.add_parser("html", help="check a built book (checks 1-4)")
    html.add_argument("html_dir")
    html.add_argument("--root", default=str(ROOT), help="the book's source folder (with _config.yml)")
    outputs = sub.add_parser("outputs", help="check the outputs of executed notebooks (check 4)")
    outputs.add_argument("paths", nargs="+", help="notebooks or folders of notebooks")
    args = parser.parse_args(argv)
    if args.command == "html":
        problems = check_html(args.html_dir, args.root)
        what = f"{len(pages(Path(args.html_dir)))} pages of {args.html_dir}"
    else:
        paths = [Path(p) for p in args.paths]
        notebooks = sorted(n for p in paths for n in ([p] if p.is_file() else p.glob("*.ipynb")))
        if not notebooks:
            raise SystemExit(f"error: no notebooks in {' '.join(args.paths)}")
        problems = [problem for notebook in notebooks for problem in notebook_output_problems(notebook)]
        what = f"the outputs of {len(notebooks)} notebooks"
    for problem in problems:
        print(problem)
    print(f"check_book: {what}: " + (f"{len(problems)} problems" if problems else "passed"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
