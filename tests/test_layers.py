"""The direction of every import inside the package: each layer imports only the layers below it.

The rule (the brief's layers, with the neutral helpers placed between the hooks and their users):

0. ``airflow_provider_sinch`` itself (``__init__``: the version): imports nothing; everything may import it.
   ``get_provider_info``: the version only; the hooks read the connection form from it (Airflow 3.1).
1. ``client``: plain Python; imports nothing of Airflow and no other layer.
2. ``delivery`` (the SMS delivery domain: criteria, progress, probes): plain Python; the client only.
3. ``hooks``: the client, delivery, and the provider info (its connection form).  ``common``: the client
   and delivery (argument, time, XCom and poll-setting helpers, and the sans-I/O parts of a wait that
   sensors and triggers share); may use Airflow, never a layer above it.
4. ``triggers``: client, delivery, hooks, common.  ``notifications``: client, delivery, hooks, common.
   ``operators`` and ``sensors``: client, delivery, hooks, common, and - to defer, and only for that -
   ``triggers``: a trigger class to hand the wait to, or the event contract of ``triggers.events`` to
   check what it fired (``validate_*``, ``deadline_after``, ``DEFERRAL_GRACE_SECONDS``, ``EventKind``).  No
   other sideways import: an operator never imports a sensor or the notifier, a sensor never reaches into a
   trigger for a helper, the notifier never imports an operator.
   ``callbacks`` (the webhook receiver plugin): the client, delivery, the hooks for the ``sinch``
   connection, and ``common`` (the HITL reply rules it shares with the poll path).
5. ``testing`` (the sandbox and the pytest plugin): anything.  ``policy`` (the cluster policy Airflow loads
   while it initialises): the notifier, whose DAG-parse checks it runs.

Each package imports itself freely.  A new subpackage must be placed here before it can be imported.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest
from airflow.triggers.base import BaseTrigger

import airflow_provider_sinch

PACKAGE = "airflow_provider_sinch"
ROOT = Path(airflow_provider_sinch.__file__).parent

ALLOWED: dict[str, set[str]] = {
    "client": set(),
    "delivery": {"client"},
    "hooks": {"client", "delivery", "get_provider_info"},
    "common": {"client", "delivery"},
    "triggers": {"client", "delivery", "hooks", "common"},
    "notifications": {"client", "delivery", "hooks", "common"},
    "operators": {"client", "delivery", "hooks", "common", "triggers"},
    "sensors": {"client", "delivery", "hooks", "common", "triggers"},
    "callbacks": {"client", "delivery", "hooks", "common"},
    "testing": {"client", "delivery", "hooks", "common", "triggers", "notifications", "operators",
                "sensors", "callbacks"},
    "__init__": set(),
    "version_compat": set(),
    "policy": {"client", "notifications"},
    "get_provider_info": set(),
}
"""Which layers each layer may import (besides itself and the package's ``__init__``)."""

DEFERS = {"operators", "sensors"}
"""The layers that import ``triggers``, for deferral only (see the module docs)."""

NO_AIRFLOW = {"client", "delivery"}
"""The plain-Python layers: no Airflow import, so neither the version gates."""

EVERYWHERE = {"__init__", "version_compat"}
"""Importable from every layer: the package's ``__init__`` and the version gates (not from the plain-Python
layers, which import no Airflow)."""


def layer_of(module: str) -> str:
    """``airflow_provider_sinch.sensors.base`` -> ``sensors``; the package itself -> ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = [p for p in rel.parts if p != "__init__"]
        found.append((".".join([PACKAGE, *parts]), path))
    return found


def imports(path: Path) -> list[tuple[str, list[str], int]]:
    """``(module, names, line)`` of every import in ``path``, inside functions and ``TYPE_CHECKING`` too."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: relative import"
            out.append((node.module or "", [alias.name for alias in node.names], node.lineno))
    return out


MODULES = modules()


def test_every_module_is_in_a_known_layer() -> None:
    unknown = {layer_of(name) for name, _ in MODULES} - set(ALLOWED)
    assert not unknown, f"place these packages in ALLOWED (tests/test_layers.py): {sorted(unknown)}"



def test_the_delivery_domain_sits_between_the_client_and_its_users() -> None:
    """``delivery`` builds on the client alone, the client never reaches up to it, and every layer above the
    client may decide on delivery (issue 19 split it out of ``client/``)."""
    assert ALLOWED["delivery"] == {"client"}
    assert "delivery" not in ALLOWED["client"]
    above = {"hooks", "common", "triggers", "notifications", "callbacks", "operators", "sensors", "testing"}
    assert {layer for layer, allowed in ALLOWED.items() if "delivery" in allowed} == above

@pytest.mark.parametrize(("module", "path"), MODULES, ids=[m for m, _ in MODULES])
def test_imports_point_down(module: str, path: Path) -> None:
    layer = layer_of(module)
    wrong = []
    for target, names, line in imports(path):
        top = target.split(".")[0]
        if layer in NO_AIRFLOW and top == "airflow":
            wrong.append(f"line {line}: {target} (the {layer} layer is plain Python)")
        if top != PACKAGE:
            continue
        to = layer_of(target)
        if layer in NO_AIRFLOW and to == "version_compat":
            wrong.append(f"line {line}: {target} (version gates import Airflow; the {layer} layer cannot)")
        elif to != layer and to not in EVERYWHERE and to not in ALLOWED[layer]:
            wrong.append(f"line {line}: {target} ({layer} may import {sorted(ALLOWED[layer])})")
        elif to == "triggers" and layer in DEFERS:
            wrong += [f"line {line}: {target}.{name} (only trigger classes and triggers.events, to defer)"
                      for name in names if not deferral_name(target, name)]
    assert not wrong, f"{module} imports against the layers:\n" + "\n".join(wrong)


EVENT_CONTRACT = frozenset({
    "EventKind", "EventStatus", "DEFERRAL_GRACE_SECONDS", "deadline_after",
    "validate_event", "validate_delivery_event", "validate_inbound_event",
})
"""What a deferring task may take from ``triggers.events``: the deadline it hands over and the checks of
the event it resumes with (``make_event`` and the status sets are the triggers' own side)."""


def deferral_name(module: str, name: str) -> bool:
    """Whether ``module.name`` is what deferring needs: a trigger class, or the event contract."""
    value = getattr(importlib.import_module(module), name)  # also through the package's face
    if getattr(value, "__module__", None) == f"{PACKAGE}.triggers.events" or module.endswith(".events"):
        return name in EVENT_CONTRACT
    return inspect.isclass(value) and issubclass(value, BaseTrigger)


def test_the_rule_catches_a_sideways_import(tmp_path: Path) -> None:
    """The check is live: the imports issue 12 removed would fail it."""
    bad = tmp_path / "bad.py"
    bad.write_text("from airflow_provider_sinch.operators.base import as_list\n"  # the notifier did
                   "from airflow_provider_sinch.triggers.delivery import SinchBatchDeliveryTrigger\n"
                   "from airflow_provider_sinch.triggers.base import SinchPollingTrigger\n")
    found = imports(bad)
    assert layer_of(found[0][0]) not in ALLOWED["notifications"]
    assert deferral_name(found[1][0], "SinchBatchDeliveryTrigger")
    assert deferral_name(found[2][0], "SinchPollingTrigger")
    assert not deferral_name("airflow_provider_sinch.triggers.delivery", "criteria_from")
    assert not deferral_name("airflow_provider_sinch.triggers.events", "make_event")
    assert deferral_name("airflow_provider_sinch.triggers", "deadline_after")  # the package's face
    assert deferral_name("airflow_provider_sinch.triggers", "SinchInboundMessageTrigger")


def test_triggers_events_holds_only_the_event_contract() -> None:
    """No helper creeps back into the module every deferring task may import."""
    events = importlib.import_module(f"{PACKAGE}.triggers.events")
    own = {name for name, value in vars(events).items()
           if not name.startswith("_") and getattr(value, "__module__", events.__name__) == events.__name__
           and (inspect.isfunction(value) or inspect.isclass(value))}
    assert own <= EVENT_CONTRACT | {"make_event"}, sorted(own - EVENT_CONTRACT)
