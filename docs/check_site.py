"""Check the built site (``make docs`` runs it after Sphinx): internal links, and the API reference.

    python docs/check_site.py docs/_build/html

1. **Internal links.**  Sphinx fails the build on an unresolved ``:doc:``/``:ref:``/Python reference
   (warnings are errors, ``nitpicky``), but it does not look at the links it writes itself (toctrees,
   autoapi's summary tables, ``#anchors``), and its linkcheck builder leaves local anchors unchecked.  Here
   every ``href``/``src`` inside the site must name a file that exists and, with a ``#fragment``, an ``id``
   in that file.  Links out of the site (``https:``, ``mailto:``) are not followed: there is no network.
2. **The API reference.**  Every public module, class, function and method of the installed package (found
   by importing it, not from the docs) must be in the reference (``objects.inv``), with its docstring's
   text, and every parameter of a public class's ``__init__`` or of a public function must be named on its
   entry (in the signature or in the documented parameters).

Exits non-zero and lists every problem.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

PACKAGE = "airflow_provider_sinch"
SKIPPED_MODULES = ("__main__",)
"""Modules the reference leaves out on purpose (``autoapi_ignore``): ``python -m`` entry points."""


@dataclass
class Entry:
    """One documented object on a page: the text of its signature(s) and of its description."""

    signature: list[str] = field(default_factory=list)
    description: list[str] = field(default_factory=list)


class Page(HTMLParser):
    """The ids, links and documented objects (``<dt id=...>`` + ``<dd>``) of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.entries: dict[str, Entry] = {}
        self._open: list[tuple[str, Entry | None]] = []  # the dt/dd elements we are inside
        self._last: Entry | None = None  # the entry whose dt came last (a dt without id continues it)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        for key in ("href", "src"):
            if values.get(key):
                self.links.append(str(values[key]))
        if tag == "dt":
            if values.get("id"):
                self._last = self.entries.setdefault(str(values["id"]), Entry())
            self._open.append(("dt", self._last))
        elif tag == "dd":
            self._open.append(("dd", self._last))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("dt", "dd"):
            while self._open:
                if self._open.pop()[0] == tag:
                    break

    def handle_data(self, data: str) -> None:
        if self._open and self._open[-1][1] is not None:
            kind, entry = self._open[-1]
            assert entry is not None
            (entry.signature if kind == "dt" else entry.description).append(data)


def read_site(root: Path) -> dict[Path, Page]:
    """Every HTML page under ``root``, parsed."""
    pages = {}
    for path in sorted(root.rglob("*.html")):
        page = Page()
        page.feed(path.read_text(encoding="utf-8"))
        pages[path.resolve()] = page
    return pages


def broken_links(root: Path, pages: dict[Path, Page]) -> Iterator[str]:
    """Links inside the site that lead to no file, or to no element with that ``id``."""
    for path, page in pages.items():
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith("//"):
                continue  # out of the site (https:, mailto:, data: ...)
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if target.is_dir():
                target = target / "index.html"
            where = f"{path.relative_to(root.resolve())}: {link}"
            if not target.exists():
                yield f"{where}: no such file"
            elif (parts.fragment and target.suffix == ".html"
                  and unquote(parts.fragment) not in pages[target].ids):
                yield f"{where}: no id {parts.fragment!r} in {target.name}"


def public_objects() -> Iterator[tuple[str, str, object]]:
    """``(kind, dotted name, object)`` of every public module, and of every public class, function and
    method defined in one (aliases such as ``send_sinch_notification`` are documented as their target)."""
    package = importlib.import_module(PACKAGE)
    for info in pkgutil.walk_packages(package.__path__, f"{PACKAGE}."):
        parts = info.name.split(".")
        if parts[-1] in SKIPPED_MODULES or any(p.startswith("_") for p in parts[1:]):
            continue
        module = importlib.import_module(info.name)
        yield "module", info.name, module
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != info.name:
                continue
            if getattr(obj, "__name__", None) != name:
                continue
            if inspect.isclass(obj):
                yield "class", f"{info.name}.{name}", obj
                for member, value in vars(obj).items():
                    function = value.__func__ if isinstance(value, classmethod | staticmethod) else value
                    if not member.startswith("_") and inspect.isfunction(function):
                        yield "method", f"{info.name}.{name}.{member}", function
            elif inspect.isfunction(obj):
                yield "function", f"{info.name}.{name}", obj


ROLES = {
    "module": ("py:module",),
    "class": ("py:class", "py:exception"),
    "function": ("py:function",),
    "method": ("py:method", "py:classmethod", "py:staticmethod", "py:property"),
}


def parameters(kind: str, obj: object) -> list[str]:
    """The parameters a reader must find on the entry: a class's own ``__init__``'s, a function's."""
    if kind == "class":
        init = vars(obj).get("__init__")
        if not inspect.isfunction(init) or not init.__qualname__.startswith(f"{obj.__qualname__}."):
            return []  # pydantic models, enums, protocols ...: their fields are documented as attributes
        function = init
    elif kind == "function":
        function = obj
    else:
        return []
    return [p.name for p in inspect.signature(function).parameters.values()
            if p.name not in ("self", "cls") and not p.name.startswith("_")]


def reference_gaps(root: Path, pages: dict[Path, Page]) -> Iterator[str]:
    """Public objects missing from the reference, without their docstring, or without a parameter."""
    from sphinx.util.inventory import InventoryFile  # the docs extra; the tests use the rest without it

    with (root / "objects.inv").open("rb") as inventory:
        objects = InventoryFile.load(inventory, "", lambda base, uri: uri)
    entries = {name: entry for page in pages.values() for name, entry in page.entries.items()}
    for kind, name, obj in public_objects():
        if not any(name in objects.get(role, {}) for role in ROLES[kind]):
            yield f"{name}: {kind} not in the API reference"
            continue
        if kind == "module":
            continue
        entry = entries.get(name)
        if entry is None:
            yield f"{name}: in objects.inv but no entry on any page"
            continue
        description = " ".join("".join(entry.description).split())
        if (inspect.getdoc(obj) or "").strip() and not description:
            yield f"{name}: the reference shows no docstring"
        shown = " ".join(entry.signature) + " " + description
        missing = [p for p in parameters(kind, obj) if p not in shown]
        if missing:
            yield f"{name}: parameter(s) {', '.join(missing)} not on its entry"


def main(argv: list[str]) -> int:
    """Check the site built into ``argv[0]``; print each problem; 1 if there is any."""
    root = Path(argv[0] if argv else "docs/_build/html")
    pages = read_site(root)
    problems = [*broken_links(root, pages), *reference_gaps(root, pages)]
    for problem in problems:
        print(problem)
    objects = sum(1 for _ in public_objects())
    links = sum(len(page.links) for page in pages.values())
    print(f"check_site: {len(pages)} pages, {links} links, {objects} public objects; "
          f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
