"""Every public class says what it is for and documents each argument its own ``__init__`` takes, so a
user never needs to read the source (pydantic models document their fields with ``Field`` and types)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from pydantic import BaseModel

import airflow_provider_sinch


def _public_classes() -> list[type]:
    classes = []
    for info in pkgutil.walk_packages(airflow_provider_sinch.__path__, "airflow_provider_sinch."):
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if inspect.isclass(obj) and obj.__module__ == module.__name__ and not name.startswith("_"):
                classes.append(obj)
    return classes


CLASSES = _public_classes()


def _undocumented(cls: type) -> list[str]:
    doc = cls.__doc__ or ""
    if "__init__" not in vars(cls) or issubclass(cls, BaseModel) or getattr(cls, "_is_protocol", False):
        return []
    params = inspect.signature(cls.__init__).parameters.values()
    return [p.name for p in params
            if p.name != "self" and not p.name.startswith("_") and p.kind is not p.VAR_POSITIONAL
            and f":param {p.name}:" not in doc]


def test_there_are_classes_to_check() -> None:
    assert len(CLASSES) > 100


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_public_class_has_a_docstring_naming_its_arguments(cls: type) -> None:
    assert (cls.__doc__ or "").strip(), "no docstring"
    assert _undocumented(cls) == []
