"""The documentation's code is tested code.

- Every Python block of the docs pages (``docs/**/*.md``) and of README.md runs: DAG examples build their
  DAGs (operators validate their arguments at parse time), the others run for real against the sandbox,
  and the example tests they define pass.  Blocks with ``<placeholders>`` (real credentials) are only
  compiled.
- The example DAGs the pages show by ``# [START name]`` / ``# [END name]`` markers have those markers, in
  order, so ``literalinclude`` shows what ``tests/e2e`` runs (and never by line numbers).
- Every operator, sensor, trigger, notifier and hook appears in an example on a docs page (a block, or an
  included part of an example DAG).
- README.md stays the front door: at most ~200 lines, the two commands, a Compatibility table, and links to
  docs pages that exist.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts and "_api" not in p.parts)
DOCS_URL = "https://airflow-provider-sinch.readthedocs.io/en/latest/"
INCLUDE = re.compile(r"```\{literalinclude\} (?P<path>\S+)\n(?P<options>(?::[^\n]*\n)*)```")


def python_blocks(path: Path) -> list[str]:
    """The ```python blocks of a Markdown file; a block inside a list item is dedented, as a reader
    copies it."""
    return [textwrap.dedent(b) for b in re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)]


BLOCKS = [(path, code) for path in [*PAGES, ROOT / "README.md"] for code in python_blocks(path)]


def block_id(path: Path, code: str) -> str:
    named = re.search(r'DAG\(\s*"(\w+)"|^def (test_\w+)|^class (\w+)', code, flags=re.M)
    name = next((g for g in named.groups() if g), "block") if named else code.strip().splitlines()[-1][:30]
    return f"{path.relative_to(ROOT)}:{name}"


def included_parts() -> list[tuple[Path, Path, str]]:
    """``(page, example file, marked part or whole file)`` of every ``literalinclude`` on the pages."""
    parts = []
    for page in PAGES:
        for match in INCLUDE.finditer(page.read_text()):
            path = (page.parent / match["path"]).resolve()
            options = dict(re.findall(r":([\w-]+):\s*\"?(.*?)\"?\n", match["options"]))
            assert "lines" not in options, f"{page}: include by markers, not line numbers"
            text = path.read_text()
            if "start-after" in options:
                start, end = options["start-after"], options["end-before"]
                assert start.startswith("[START "), (page, options)
                assert end.startswith("[END "), (page, options)
                assert start[len("[START "):] == end[len("[END "):], (page, options)
                assert text.count(f"# {start}") == 1, f"{path.name}: marker {start} missing or repeated"
                assert text.count(f"# {end}") == 1, f"{path.name}: marker {end} missing or repeated"
                text = text.split(f"# {start}", 1)[1].split(f"# {end}", 1)[0]
                assert text.strip(), f"{path.name}: nothing between {start} and {end}"
            parts.append((page, path, text))
    return parts


def test_the_docs_have_examples() -> None:
    assert len(PAGES) >= 15
    assert len(BLOCKS) >= 15


@pytest.mark.usefixtures("executor_safeguard_off")
@pytest.mark.parametrize(("path", "code"), BLOCKS, ids=[block_id(p, c) for p, c in BLOCKS])
def test_docs_example_runs(path: Path, code: str, sinch_sandbox: Any, sinch_sandbox_connection: str) -> None:
    compiled = compile(code, str(path), "exec")
    if re.search(r"<[a-z][a-z ]+>", code):
        return  # needs real Sinch credentials
    namespace: dict[str, Any] = {"__name__": "docs_example"}
    exec(compiled, namespace)  # noqa: S102  (our own docs, the point of the test)
    for name, value in list(namespace.items()):
        if name.startswith("test_") and callable(value):
            value(sinch_sandbox, sinch_sandbox_connection)


def test_the_pages_include_example_dags_by_markers() -> None:
    parts = included_parts()
    assert len(parts) >= 15
    assert {path.parent.name for _, path, _ in parts} == {"example_dags"}
    shown = {path.name for _, path, _ in parts}
    every = {path.name for path in (ROOT / "example_dags").glob("example_*.py")}
    assert shown == every  # every example DAG is shown somewhere


def test_every_marker_in_the_example_dags_is_shown() -> None:
    """A marker no page includes is a part of an example the docs lost."""
    included = "\n".join(page.read_text() for page in PAGES)
    for path in (ROOT / "example_dags").glob("example_*.py"):
        for name in re.findall(r"# \[START (\w+)\]", path.read_text()):
            assert f'"[START {name}]"' in included, f"{path.name}: {name} is on no page"


def _airflow_classes() -> list[type]:
    """Every operator, sensor, trigger, notifier and hook users instantiate: the leaves of our class tree
    (the shared bases they build on are documented through them)."""
    import importlib
    import inspect
    import pkgutil

    from airflow.sdk import BaseHook, BaseNotifier, BaseOperator
    from airflow.triggers.base import BaseTrigger

    found: list[type] = []
    for package in ("operators", "sensors", "triggers", "notifications", "hooks"):
        pkg = importlib.import_module(f"airflow_provider_sinch.{package}")
        for info in pkgutil.iter_modules(pkg.__path__):
            module = importlib.import_module(f"{pkg.__name__}.{info.name}")
            found += [obj for name, obj in vars(module).items()
                      if inspect.isclass(obj) and obj.__module__ == module.__name__
                      and not name.startswith("_")
                      and issubclass(obj, BaseOperator | BaseNotifier | BaseHook | BaseTrigger)]
    return [cls for cls in found if not any(other is not cls and issubclass(other, cls) for other in found)]


def test_every_operator_sensor_trigger_notifier_and_hook_has_a_docs_example() -> None:
    code = "\n".join([code for path, code in BLOCKS if path.is_relative_to(DOCS)]
                     + [text for _, _, text in included_parts()])
    classes = _airflow_classes()
    assert len(classes) >= 20
    assert [cls.__name__ for cls in classes if not re.search(rf"\b{cls.__name__}\b", code)] == []


def test_the_readme_is_the_front_door() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    assert "make demo" in readme
    assert "make test" in readme
    table = readme.split("## Compatibility", 1)[1].split("\n## ", 1)[0]
    for minor in ("3.1", "3.2", "3.3"):
        assert re.search(rf"^\| {re.escape(minor)} ", table, flags=re.M), minor


def test_the_readme_links_pages_that_exist() -> None:
    readme = (ROOT / "README.md").read_text()
    links = re.findall(re.escape(DOCS_URL) + r"([\w/.-]+)\.html(?:#([\w-]+))?", readme)
    assert len(links) >= 15
    for page, anchor in links:
        if page.startswith("_api/"):
            continue  # generated by autoapi; make docs checks those
        source = DOCS / f"{page}.md"
        assert source.exists(), page
        if anchor:
            text = source.read_text()
            assert f"({anchor})=" in text or anchor in _heading_anchors(text), f"{page}#{anchor}"


def _heading_anchors(text: str) -> set[str]:
    """The anchors MyST gives headings (myst_heading_anchors): lower case, words joined by hyphens."""
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-")
            for h in re.findall(r"^#{1,3} (.+)$", text, flags=re.M)}


def test_the_site_checker_finds_broken_internal_links(tmp_path: Path) -> None:
    """docs/check_site.py (run by `make docs` on the built site) on a site of two pages."""
    import runpy

    checker = runpy.run_path(str(DOCS / "check_site.py"))
    (tmp_path / "a.html").write_text(
        '<p id="top"><a href="b.html#here">ok</a> <a href="b.html#gone">anchor</a> <a href="c.html">file</a>'
        ' <a href="#top">self</a> <a href="https://example.com/x">out</a> <img src="img/x.png"></p>')
    (tmp_path / "b.html").write_text('<h1 id="here">B</h1><a href="a.html">back</a>')
    problems = list(checker["broken_links"](tmp_path, checker["read_site"](tmp_path)))
    assert problems == ["a.html: b.html#gone: no id 'gone' in b.html", "a.html: c.html: no such file",
                        "a.html: img/x.png: no such file"]
