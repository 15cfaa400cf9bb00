"""Sinch callbacks pushed to Airflow: a receiver on the Airflow API server turns each verified callback into
one asset event, exactly once.

* :mod:`.assets`: what DAG authors use (the assets to schedule on, typed access to the events' payloads);
  imports only ``airflow.sdk`` and the client's models.
* :mod:`.plugin`: the Airflow plugin that mounts the receiver under ``/sinch`` (cheap to import: FastAPI and
  the database code load on the first request).
* :mod:`.app`, :mod:`.auth`, :mod:`.body`, :mod:`.nonces`, :mod:`.recorder`, :mod:`.settings`: the receiver.

Nothing is imported here, so that importing one of them stays as cheap as that module.
"""
