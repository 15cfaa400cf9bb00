"""What importing the provider costs a DAG file: nothing heavy, no network, no file reads (issue 13).

Airflow's DAG processor imports every DAG file again and again, and with it whatever the provider's modules
import.  A fresh interpreter (a subprocess: this test process has long imported everything) first does
``from airflow.sdk import BaseOperator``, which every DAG file pays anyway, then imports every module of the
four packages a DAG file takes classes from.  The test checks what that added: no HTTP library of the
clients, no client or hook module (they are imported when a task, a sensor's poke or a trigger first talks
to Sinch), no module defining a pydantic model (defined when a request is first validated), no socket, no
subprocess and no file opened other than the modules themselves.  No timing here: ``bench/bench_imports.py``
measures the CPU.

The package faces resolve their names on first use (:mod:`~airflow_provider_sinch.client.lazy`); the last
tests check that every exported name resolves and that each face's lists agree.
"""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import airflow_provider_sinch

ROOT = Path(airflow_provider_sinch.__file__).parent
PACKAGE = "airflow_provider_sinch"

DAG_PACKAGES = ("operators", "sensors", "triggers", "notifications")
"""What a DAG file imports classes from."""

HEAVY = ("requests", "urllib3", "charset_normalizer")
"""The sync client's HTTP stack (Airflow's own import of ``BaseOperator`` loads none of them)."""

DEFERRED = tuple(f"{PACKAGE}.{m}" for m in (
    "client.sync_client", "client.async_client", "client.transport", "client.operations", "client.blocking",
    "hooks.sinch", "hooks.shared_clients",
))
"""Our modules imported only where a client is built or an operation defined: never at DAG parse."""

FACES = ("client", "client.models", "delivery", "hooks", "common", *DAG_PACKAGES)
"""Package ``__init__`` modules users import names from."""

# Runs in the fresh interpreter.  argv[1]: JSON list of modules to import; argv[2]: JSON list of module
# names whose first importer to report.  Prints one JSON line.
_CHILD = r"""
import importlib, json, sys, traceback
from airflow.sdk import BaseOperator  # what every DAG file pays; not examined

modules, watched = json.loads(sys.argv[1]), set(json.loads(sys.argv[2]))
before = set(sys.modules)
events, importers = [], {}

def audit(event, args):
    if event.startswith("socket.") or event in ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn"):
        events.append([event, repr(args)[:200]])
    elif event == "open":
        path = args[0]
        # The import system reading (or caching) a module's source or bytecode is what importing is.
        if not (isinstance(path, str) and path.endswith((".py", ".pyc"))):
            events.append([event, repr(args)[:200]])

class Watch:
    "Notes who first imports a watched module, for the failure message (finds nothing itself)."
    def find_spec(self, name, path=None, target=None):
        if name in watched and name not in importers:
            frames = [f"{f.filename.rsplit('/', 2)[-2]}/{f.filename.rsplit('/', 1)[-1]}:{f.lineno}"
                      for f in traceback.extract_stack() if "airflow_provider_sinch" in f.filename]
            importers[name] = " <- ".join(reversed(frames)) or "(outside the package)"
        return None

sys.meta_path.insert(0, Watch())
sys.addaudithook(audit)
for module in modules:
    importlib.import_module(module)
loaded = sorted(set(sys.modules) - before)

import pydantic
model_modules = sorted(
    name for name in loaded if name.startswith("airflow_provider_sinch")
    for value in vars(sys.modules[name]).values()
    if isinstance(value, type) and issubclass(value, pydantic.BaseModel) and value.__module__ == name)
events_at_import = list(events)

# The check is live: the sync client a task builds loads what the import must not.
importlib.import_module("airflow_provider_sinch.client.sync_client")
print(json.dumps({"loaded": loaded, "importers": importers, "events": events_at_import,
                  "model_modules": sorted(set(model_modules)),
                  "heavy_after_client": [m for m in sys.argv[3:] if m in sys.modules]}))
"""


def dag_modules() -> list[str]:
    """Every module of the packages a DAG file imports from, found on disk (not by importing)."""
    found = []
    for package in DAG_PACKAGES:
        found.append(f"{PACKAGE}.{package}")
        found += [f"{PACKAGE}.{package}.{p.stem}" for p in sorted((ROOT / package).glob("*.py"))
                  if p.stem != "__init__"]
    return found


@pytest.fixture(scope="module")
def fresh_import() -> dict[str, Any]:
    """What importing every DAG-facing module did in a fresh interpreter (see ``_CHILD``)."""
    watched = [*HEAVY, *DEFERRED]
    command = [sys.executable, "-c", _CHILD, json.dumps(dag_modules()), json.dumps(watched), *HEAVY]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT.parent)
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_the_dag_modules_are_all_imported() -> None:
    modules = dag_modules()
    assert f"{PACKAGE}.operators.send" in modules
    assert f"{PACKAGE}.triggers.delivery" in modules
    assert len(modules) >= 18  # 19 since the send engine's four modules moved to hooks/ (issue 19)


def test_no_http_library_of_the_clients_is_loaded(fresh_import: dict[str, Any]) -> None:
    loaded = set(fresh_import["loaded"])
    wrong = {m: fresh_import["importers"].get(m, "?") for m in HEAVY if m in loaded}
    assert not wrong, f"imported at DAG parse (module <- who imported it): {wrong}"


def test_no_client_hook_or_operation_module_is_loaded(fresh_import: dict[str, Any]) -> None:
    loaded = set(fresh_import["loaded"])
    wrong = {m: fresh_import["importers"].get(m, "?") for m in DEFERRED if m in loaded}
    assert not wrong, ("imported at DAG parse; import it where it is used (TYPE_CHECKING for annotations): "
                       f"{wrong}")


def test_no_pydantic_model_is_defined(fresh_import: dict[str, Any]) -> None:
    assert fresh_import["model_modules"] == [], "modules defining pydantic models were imported at DAG parse"


def test_no_socket_subprocess_or_file_read_at_import(fresh_import: dict[str, Any]) -> None:
    assert fresh_import["events"] == []


def test_the_check_is_live(fresh_import: dict[str, Any]) -> None:
    """The same interpreter, once it builds a sync client as a task does, has loaded the HTTP stack: the
    module checks above would see it."""
    assert fresh_import["heavy_after_client"] == list(HEAVY)
    assert f"{PACKAGE}.operators.send" in fresh_import["loaded"]


def _type_checking_names(face: str) -> set[str]:
    """Names the face imports under ``if TYPE_CHECKING:`` (what mypy sees)."""
    path = ROOT.joinpath(*face.split("."), "__init__.py")
    names: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            names.update(a.asname or a.name for n in node.body if isinstance(n, ast.ImportFrom)
                         for a in n.names)
    return names


def _assigned_names(face: str) -> set[str]:
    """Names the face assigns at its top level (its own constants)."""
    path = ROOT.joinpath(*face.split("."), "__init__.py")
    return {t.id for node in ast.parse(path.read_text()).body if isinstance(node, ast.Assign)
            for t in node.targets if isinstance(t, ast.Name)}


@pytest.mark.parametrize("face", FACES)
def test_every_exported_name_resolves(face: str) -> None:
    module = importlib.import_module(f"{PACKAGE}.{face}")
    exported = list(getattr(module, "__all__", []))
    assert len(exported) == len(set(exported)), f"{face}.__all__ repeats a name"
    for name in exported:
        value = getattr(module, name)
        assert value is not None, f"{face}.{name}"
        assert name in dir(module)
    namespace: dict[str, Any] = {}
    exec(f"from {PACKAGE}.{face} import *", namespace)  # noqa: S102 - what a user may write
    assert set(exported) <= set(namespace)


@pytest.mark.parametrize("face", [f for f in FACES if hasattr(importlib.import_module(f"{PACKAGE}.{f}"),
                                                               "_EXPORTS")])
def test_a_lazy_face_lists_each_name_once_in_all_three_places(face: str) -> None:
    """``__all__``, the lazy map and the ``TYPE_CHECKING`` imports name the same things (besides what the
    face defines itself, such as ``hooks.DEFAULT_CONN_ID``)."""
    module = importlib.import_module(f"{PACKAGE}.{face}")
    mapped = [name for names in module._EXPORTS.values() for name in names]
    assert len(mapped) == len(set(mapped)), f"{face}._EXPORTS maps a name twice"
    own = {name for name in module.__all__ if name in _assigned_names(face)}
    assert set(mapped) == set(module.__all__) - own
    assert _type_checking_names(face) == set(mapped)
    for submodule, names in module._EXPORTS.items():  # each name really lives where the map says
        source = importlib.import_module(f"{PACKAGE}.{face}.{submodule}")
        assert all(getattr(module, n) is getattr(source, n) for n in names), submodule


def test_an_unknown_name_is_an_attribute_error() -> None:
    from airflow_provider_sinch import client

    with pytest.raises(AttributeError, match="has no attribute 'NoSuchName'"):
        client.NoSuchName  # noqa: B018
    with pytest.raises(ImportError):
        exec(f"from {PACKAGE}.client import NoSuchName")  # noqa: S102


_THREADS_CHILD = r"""
import sys, threading
from concurrent.futures import ThreadPoolExecutor
from airflow_provider_sinch.client import ServicePlanAuth, SinchClient, SinchConfig
from airflow_provider_sinch.client.models.common import SinchModel

def models():
    pending, found = [SinchModel], []
    while pending:
        model = pending.pop()
        pending += model.__subclasses__()
        found.append(model)
    return found

assert not any(m.__pydantic_complete__ for m in models()), "built before any client"
config = SinchConfig(auth=ServicePlanAuth("plan", "token"))
start = threading.Barrier(8)
def client(_):
    start.wait()
    return SinchClient(config)
with ThreadPoolExecutor(8) as pool:
    list(pool.map(client, range(8)))
incomplete = [m.__name__ for m in models() if not m.__pydantic_complete__]
print(len(models()), incomplete)
"""


def test_the_sync_client_builds_every_model_before_threads_use_them() -> None:
    """Models build their validators on first use (``defer_build``); eight threads creating sync clients at
    once (the send operator's workers) find every model built, by one of them, without an error."""
    done = subprocess.run([sys.executable, "-c", _THREADS_CHILD], capture_output=True, text=True, timeout=300,
                          cwd=ROOT.parent)
    assert done.returncode == 0, done.stderr[-3000:]
    count, incomplete = done.stdout.strip().split(" ", 1)
    assert int(count) >= 30
    assert incomplete == "[]"


_USER_MODEL_CHILD = r"""
from airflow_provider_sinch.client import ServicePlanAuth, SinchClient, SinchConfig
from airflow_provider_sinch.client.models.common import SinchModel

class Unbuildable(SinchModel):  # a user's subclass naming a type that does not exist (yet)
    later: "NotDefinedAnywhere"

SinchClient(SinchConfig(auth=ServicePlanAuth("plan", "token"), base_url="http://127.0.0.1:9"))
print(Unbuildable.__pydantic_complete__)
"""


def test_building_the_models_leaves_a_users_subclass_alone() -> None:
    """``build_all`` builds this package's models only: a user's subclass that cannot be built yet must not
    make creating a client fail."""
    done = subprocess.run([sys.executable, "-c", _USER_MODEL_CHILD], capture_output=True, text=True,
                          timeout=300, cwd=ROOT.parent)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "False"
