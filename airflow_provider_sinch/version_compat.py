"""The one place that knows which Airflow runs: version gates and the features they stand for.

The provider supports Airflow 3.1, 3.2 and 3.3.  Newer minors bring features it uses when they are there and
replaces, with the same guarantee, when they are not (the compatibility tables of the README and of
docs/installation.md say how):

========================  =====  =====  =====  ==============================================================
feature                   3.1    3.2    3.3    without it
========================  =====  =====  =====  ==============================================================
``task_state_store``      no     no     yes    retried sends find their batches by ``client_reference``
``asset_state_store``     no     no     yes    the receiver dedups under a lock on the asset row
shared trigger streams    no     no     yes    each inbound watcher runs its own poll loop
provider-info conn form   no     yes    yes    the hook's ``get_ui_field_behaviour`` / form widgets
``AsyncCallback`` in sdk  no     yes    yes    ``airflow.sdk.definitions.deadline`` (same classes)
sync deadline callbacks   no     yes    yes    deadline alerts are sent from the triggerer only
HITL ``PATCH`` checks     no     no     yes    SMS answers are checked against the options by the bridge
========================  =====  =====  =====  ==============================================================

As in Airflow's own providers (each copies a ``version_compat.py``), nothing else in the package compares
versions or catches ``ImportError`` to find out: modules import the flags below.  Names that moved between
versions are imported through ``airflow.providers.common.compat`` instead.
"""

from __future__ import annotations

from packaging.version import Version


def get_base_airflow_version_tuple() -> tuple[int, int, int]:
    """The running Airflow's ``(major, minor, micro)``, pre-release and local parts dropped."""
    from airflow import __version__

    version = Version(__version__)
    return version.major, version.minor, version.micro


AIRFLOW_V_3_2_PLUS: bool = get_base_airflow_version_tuple() >= (3, 2, 0)
AIRFLOW_V_3_3_PLUS: bool = get_base_airflow_version_tuple() >= (3, 3, 0)

HAS_TASK_STATE_STORE: bool = AIRFLOW_V_3_3_PLUS
"""``context["task_state_store"]``: per-task-instance state that survives retries (migration 0112, 3.3)."""

HAS_ASSET_STATE_STORE: bool = AIRFLOW_V_3_3_PLUS
"""The ``asset_state_store`` table and a trigger's ``asset_state_store`` (migration 0112, 3.3)."""

HAS_SHARED_TRIGGER_STREAMS: bool = AIRFLOW_V_3_3_PLUS
"""``BaseEventTrigger.shared_stream_key``: one stream feeding many watchers in a triggerer (3.3)."""

HAS_SYNC_DEADLINE_CALLBACKS: bool = AIRFLOW_V_3_2_PLUS
"""Deadline alerts run a ``SyncCallback`` on an executor (3.2); 3.1's scheduler raises NotImplementedError."""
HITL_SERVER_CHECKS_RESPONSES: bool = AIRFLOW_V_3_3_PLUS
"""The HITL ``PATCH`` locks the rows, refuses options not offered (400) and resumes the task at once (3.3)."""

PROVIDER_INFO_CONNECTION_FORM: bool = AIRFLOW_V_3_2_PLUS
"""The UI builds the connection form from the provider info's ``conn-fields`` (3.2); 3.1 asks the hook."""

__all__ = [
    "AIRFLOW_V_3_2_PLUS",
    "AIRFLOW_V_3_3_PLUS",
    "HAS_ASSET_STATE_STORE",
    "HAS_SHARED_TRIGGER_STREAMS",
    "HAS_SYNC_DEADLINE_CALLBACKS",
    "HAS_TASK_STATE_STORE",
    "HITL_SERVER_CHECKS_RESPONSES",
    "PROVIDER_INFO_CONNECTION_FORM",
    "get_base_airflow_version_tuple",
]
