"""Every Python example in README.md runs: DAG examples build their DAGs (operators validate their
arguments at parse time), the others run for real against the sandbox, and the example tests pass.

Blocks with ``<placeholders>`` (real credentials) are only compiled.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

import pytest

from tests.conftest import ROOT

# A block inside a list item is indented like the item's text: dedented, it is the code a reader copies.
BLOCKS = [textwrap.dedent(b) for b in
          re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)]


def block_id(code: str) -> str:
    named = re.search(r'DAG\(\s*"(\w+)"|^def (test_\w+)|^class (\w+)', code, flags=re.M)
    return next((g for g in named.groups() if g), "block") if named else code.splitlines()[-1][:30]


def test_the_readme_has_examples() -> None:
    assert len(BLOCKS) >= 10


@pytest.mark.usefixtures("executor_safeguard_off")
@pytest.mark.parametrize("code", BLOCKS, ids=[block_id(b) for b in BLOCKS])
def test_readme_example_runs(code: str, sinch_sandbox: Any, sinch_sandbox_connection: str) -> None:
    compiled = compile(code, "README.md", "exec")
    if re.search(r"<[a-z][a-z ]+>", code):
        return  # needs real Sinch credentials
    namespace: dict[str, Any] = {"__name__": "readme_example"}
    exec(compiled, namespace)  # noqa: S102  (our own README, the point of the test)
    for name, value in list(namespace.items()):
        if name.startswith("test_") and callable(value):
            value(sinch_sandbox, sinch_sandbox_connection)


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


def test_every_operator_sensor_trigger_notifier_and_hook_has_a_readme_example() -> None:
    code = "\n".join(BLOCKS)
    classes = _airflow_classes()
    assert len(classes) >= 20
    assert [cls.__name__ for cls in classes if not re.search(rf"\b{cls.__name__}\b", code)] == []
