"""Package faces that import a name's module only when the name is first used (PEP 562).

Airflow's DAG processor imports every DAG file over and over, and with it whatever a provider's modules
import.  ``from airflow_provider_sinch.client import SinchValidationError`` must not pay for ``requests``
(the sync client), aiohttp (the async one) or the pydantic models.  A package's ``__init__`` therefore lists
where each public name lives and resolves it on first access; a ``TYPE_CHECKING`` block repeats the imports so
mypy and editors see the same names (``tests/test_import_cost.py`` checks that the lists agree and that
every name resolves).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, Sequence[str]]) -> tuple[Callable[[str], Any],
                                                                              Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of a package face.

    :param package: the package's ``__name__``.
    :param exports: submodule (relative to ``package``) -> the public names it provides.
    """
    where = {name: module for module, names in exports.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        # ``__import__``, not ``importlib.import_module``: the same import, but ``python -X importtime`` (the
        # tool for finding what a DAG file's imports cost) reports only imports made this way.
        __import__(f"{package}.{module}")
        value = getattr(sys.modules[f"{package}.{module}"], name)
        setattr(sys.modules[package], name, value)  # resolved once: later lookups are plain attributes
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *where})

    return __getattr__, __dir__
