"""Sphinx configuration of the airflow-provider-sinch docs (``make docs``).

Pages are MyST Markdown; the API reference is generated from the docstrings by sphinx-autoapi, which reads
the source without importing it.  Everything builds offline: no intersphinx, no remote assets.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "airflow_provider_sinch"
_VERSION = re.search(r'__version__\s*=\s*"([^"]+)"', (ROOT / PACKAGE / "__init__.py").read_text())

project = "airflow-provider-sinch"
author = "airflow-provider-sinch maintainers"
copyright = "the airflow-provider-sinch maintainers, Apache-2.0"
release = _VERSION.group(1) if _VERSION else "0"
version = release

extensions = [
    "myst_parser",
    "autoapi.extension",
    "sphinx_copybutton",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]

# MyST: ``:::`` fences for directives, definition lists, and anchors for headings (``page.md#a-heading``).
myst_enable_extensions = ["colon_fence", "deflist", "fieldlist"]
myst_heading_anchors = 3

# The API reference: every public module, class, function and parameter, from the docstrings
# (tests/test_docstrings.py keeps these settings covering the whole package).
autoapi_type = "python"
autoapi_dirs = [str(ROOT / PACKAGE)]
autoapi_root = "_api"
autoapi_add_toctree_entry = False  # index.md places it
autoapi_keep_files = False
autoapi_member_order = "groupwise"
autoapi_python_class_content = "both"  # the class docstring and __init__'s
autoapi_options = ["members", "undoc-members", "show-inheritance", "show-module-summary", "special-members"]
autoapi_ignore = ["*/__main__.py"]

# Every reference into this package must resolve, so a renamed class breaks the build; references to other
# libraries (Airflow, pydantic, the standard library ...) cannot be resolved offline and are not checked.
nitpicky = True
nitpick_ignore_regex = [(r"py:.*", rf"(?!{PACKAGE}\.).*")]
# autoapi cannot follow the lazy exports of ``airflow_provider_sinch.client`` (bound in ``__getattr__``):
# each object is documented where it is defined (and references to the re-export resolve there, see
# below).  An annotation such as ``type[Any]`` also matches the models' attributes named ``type``.
suppress_warnings = ["autoapi.python_import_resolution", "ref.python"]

html_theme = "furo"
html_title = f"airflow-provider-sinch {release}"
html_show_sourcelink = False
html_theme_options = {
    "source_repository": "https://github.com/airflow-provider-sinch/airflow-provider-sinch/",
    "source_branch": "main",
    "source_directory": "docs/",
}

# No network: nothing is fetched while building (no intersphinx); `make docs` checks the links inside the
# built site (docs/check_site.py), never external ones.


def _defined_where(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    """Resolve a reference to a name a package re-exports lazily (``airflow_provider_sinch.client.X``, bound
    in the package's ``__getattr__``, which autoapi cannot follow) to where it is defined
    (``airflow_provider_sinch.client.config.X``): the one object of that name under that package."""
    target = node.get("reftarget", "")
    if node.get("refdomain") != "py" or not target.startswith(f"{PACKAGE}."):
        return None
    package, _, name = target.rpartition(".")
    domain = env.get_domain("py")
    found = [full for full in domain.objects
             if full.startswith(f"{package}.") and full.rpartition(".")[2] == name]
    if len(found) != 1:
        return None
    return domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"], found[0], node, contnode)


def setup(app: Any) -> None:
    """Register the resolver of lazily re-exported names."""
    app.connect("missing-reference", _defined_where)
