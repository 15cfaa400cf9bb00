"""The Sinch sandbox: a local Sinch SMS REST API for tests, demos and benchmarks.

It serves the 20 operations of the SMS API at their real paths with Sinch's semantics, moves every
recipient through ``Queued -> Dispatched -> final`` on a clock tests can speed up, POSTs (optionally signed)
delivery-report and inbound callbacks with Sinch's retries, issues OAuth2 tokens, and misbehaves on demand
(rate limits, 5xx, latency, accept-then-drop)::

    from airflow_provider_sinch.testing.sandbox import SandboxServer

    with SandboxServer(time_scale=100) as sandbox:
        os.environ["AIRFLOW_CONN_SINCH_DEFAULT"] = sandbox.conn_uri
        ...
        sandbox.advance(5)
        assert sandbox.statuses(batch_id) == {"46701234567": "Delivered"}

Run it standalone with ``sinch-sandbox`` (``python -m airflow_provider_sinch.testing.sandbox``).
"""

from airflow_provider_sinch.testing.sandbox.callbacks import CallbackAttempt
from airflow_provider_sinch.testing.sandbox.clock import SandboxClock
from airflow_provider_sinch.testing.sandbox.core import Sandbox
from airflow_provider_sinch.testing.sandbox.faults import Fault
from airflow_provider_sinch.testing.sandbox.inbound import AutoReply, InboundMessage
from airflow_provider_sinch.testing.sandbox.outcomes import DEFAULT_RULES, OutcomeRule
from airflow_provider_sinch.testing.sandbox.receiver import CallbackReceiver, ReceivedCallback
from airflow_provider_sinch.testing.sandbox.recording import SeenRequest
from airflow_provider_sinch.testing.sandbox.server import SandboxServer
from airflow_provider_sinch.testing.sandbox.settings import SandboxSettings
from airflow_provider_sinch.testing.sandbox.signing import signature, signed_headers, verify

__all__ = [
    "DEFAULT_RULES",
    "AutoReply",
    "CallbackAttempt",
    "CallbackReceiver",
    "Fault",
    "InboundMessage",
    "OutcomeRule",
    "ReceivedCallback",
    "Sandbox",
    "SandboxClock",
    "SandboxServer",
    "SandboxSettings",
    "SeenRequest",
    "signature",
    "signed_headers",
    "verify",
]
