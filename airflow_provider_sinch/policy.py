"""The provider's cluster policy: a HITL task an SMS could never answer fails when its DAG is parsed.

Registered as an ``airflow.policy`` entry point, which Airflow's policy plugin manager loads next to any
``airflow_local_settings``; Airflow calls :func:`task_policy` for every task of every DAG it parses (the
DAG processor, ``airflow dags test``), and a raised ``AirflowClusterPolicyViolation`` becomes the DAG's
import error.  Tasks without notifiers cost one ``getattr``.  A top-level module, not in
``notifications``: Airflow imports it while ``import airflow`` initialises, so it must not import a package
that imports Airflow back at module level.
"""

from __future__ import annotations

from typing import Any

from airflow.policies import hookimpl


@hookimpl
def task_policy(task: Any) -> None:
    """Refuse a HITL task with a ``SinchHITLNotifier`` that SMS could not answer (see ``check_hitl_task``).

    :param task: a task of a DAG being parsed.
    """
    notifiers = getattr(task, "notifiers", None)
    if not notifiers:
        return
    # Imported here: Airflow loads this module while it initialises, before the package may be imported.
    from airflow_provider_sinch.client import SinchValidationError
    from airflow_provider_sinch.notifications.hitl import SinchHITLNotifier

    for notifier in notifiers:
        if isinstance(notifier, SinchHITLNotifier):
            try:
                notifier.check_task(task)
            except SinchValidationError as exc:
                from airflow.exceptions import AirflowClusterPolicyViolation

                raise AirflowClusterPolicyViolation(str(exc)) from None
