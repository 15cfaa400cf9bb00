"""``python -m airflow_provider_sinch.testing.sandbox`` (or ``sinch-sandbox``): a sandbox in the foreground.

On start it prints the ``AIRFLOW_CONN_...`` line that points a ``sinch`` connection at it::

    sinch-sandbox --port 8765 --service-plan-id plan --token secret --time-scale 10
    sinch-sandbox --messages-per-second 30 --requests-per-second 100   # a plan's limits
"""

from __future__ import annotations

import argparse

from airflow_provider_sinch.testing.sandbox.core import Sandbox
from airflow_provider_sinch.testing.sandbox.server import bind, serve_forever
from airflow_provider_sinch.testing.sandbox.settings import SandboxSettings

_DEFAULTS = SandboxSettings()


def parser() -> argparse.ArgumentParser:
    """The ``sinch-sandbox`` command line: where to listen and the sandbox's settings."""
    parser = argparse.ArgumentParser(prog="sinch-sandbox", description="A local Sinch SMS REST API.")
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="interface to listen on (default: loopback only)")
    add("--port", type=int, default=8765, help="port (0: a free one)")
    add("--service-plan-id", default=_DEFAULTS.service_plan_id)
    add("--token", default=_DEFAULTS.api_token, help="the service plan's API token")
    add("--project-id", default=_DEFAULTS.project_id, help="project id for OAuth2 (project) auth")
    add("--key-id", default=_DEFAULTS.key_id, help="access key id for POST /oauth2/token")
    add("--key-secret", default=_DEFAULTS.key_secret, help="access key secret for POST /oauth2/token")
    add("--time-scale", type=float, default=_DEFAULTS.time_scale,
        help="how many times as fast as real time delivery, send_at, expire_at and callback retries pass "
             "(the API's now stays the wall clock; 0 freezes the clock)")
    add("--dispatch-delay", type=float, default=_DEFAULTS.dispatch_delay, help="seconds Queued")
    add("--delivery-delay", type=float, default=_DEFAULTS.delivery_delay, help="seconds Dispatched")
    add("--messages-per-second", type=float, default=None, metavar="RATE",
        help="the service plan's rate limit: recipients dispatched per second, batches queued FIFO "
             "(default: no limit)")
    add("--requests-per-second", type=int, default=None, metavar="N",
        help="API requests per second the plan may make; more get 429 (default: no limit)")
    add("--default-callback-url", help="the plan's default delivery-report callback URL")
    add("--inbound-callback-url", help="where inbound (MO) messages are POSTed")
    add("--webhook-secret", help="sign callbacks with this HMAC secret")
    add("--default-originator", help="sender for batches without 'from'")
    add("--conn-id", default="sinch_default", help="connection id in the printed AIRFLOW_CONN_ line")
    add("--log-level", default="info")
    return parser


def settings_from(args: argparse.Namespace) -> SandboxSettings:
    """The sandbox settings the parsed command line asks for."""
    return SandboxSettings(
        service_plan_id=args.service_plan_id, api_token=args.token, project_id=args.project_id,
        key_id=args.key_id, key_secret=args.key_secret, time_scale=args.time_scale,
        dispatch_delay=args.dispatch_delay, delivery_delay=args.delivery_delay,
        messages_per_second=args.messages_per_second, requests_per_second=args.requests_per_second,
        default_callback_url=args.default_callback_url, inbound_callback_url=args.inbound_callback_url,
        webhook_secret=args.webhook_secret, default_originator=args.default_originator,
    )


def main(argv: list[str] | None = None) -> None:
    """Parse the command line, print the connection, serve until interrupted."""
    args = parser().parse_args(argv)
    settings = settings_from(args)
    sandbox = Sandbox(settings)
    sock = bind(args.host, args.port)
    host, port = sock.getsockname()[:2]
    sandbox.url = f"http://{host}:{port}"
    print(f"Sinch sandbox serving {sandbox.url} (service plan {settings.service_plan_id})")
    print(f"export AIRFLOW_CONN_{args.conn_id.upper()}='{sandbox.conn_uri}'", flush=True)
    serve_forever(sandbox, sock, args.log_level)


if __name__ == "__main__":
    main()
