"""A send that fails part-way on its first try and is retried by Airflow itself (``retries=1``).

Used by ``tests/e2e/test_retried_send.py`` with faults injected in the sandbox: the real
``task_state_store`` and the real retry must together send every chunk exactly once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG

from airflow_provider_sinch.operators.send import SinchSendBatchOperator

with DAG(dag_id="retried_send", start_date=datetime(2026, 1, 1), schedule=None):
    SinchSendBatchOperator(
        task_id="send",
        to=[f"+4670{i:07d}" for i in range(2500)],  # 3 chunks
        from_="+12017777777",
        body="Sale today",
        max_concurrency=1,  # chunk by chunk, so the fault hits a known chunk
        ambiguous_lookup_delays=(),  # a lost answer fails this try at once; the retry looks it up
        retries=1,
        retry_delay=timedelta(seconds=1),
    )
