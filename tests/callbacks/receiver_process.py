"""``python -m tests.callbacks.receiver_process``: one API server's receiver in a process of its own.

The receiver is mounted at ``/sinch`` as the plugin mounts it and served by uvicorn on a free port of
127.0.0.1, which is printed as the first line of stdout.  It records through this process's own Airflow
engine, on the metadata DB its environment names (``AIRFLOW__DATABASE__SQL_ALCHEMY_CONN``): two of these
racing on one DB are two API servers (see ``test_two_receivers.py``).
"""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI

from airflow_provider_sinch.callbacks.plugin import URL_PREFIX, LazyReceiverApp
from airflow_provider_sinch.testing.sandbox.server import bind


def main() -> None:
    """Serve until terminated (no arguments)."""
    sock = bind("127.0.0.1", 0)
    app = FastAPI()
    app.mount(URL_PREFIX, LazyReceiverApp())
    print(sock.getsockname()[1], flush=True)
    uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")).run(
        sockets=[sock])


if __name__ == "__main__":
    main()
