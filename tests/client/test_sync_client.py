"""What is particular to the requests-based client (the shared behaviour is in test_endpoints & co.)."""

from __future__ import annotations

import pytest
import requests
import requests_mock

from airflow_provider_sinch.client import SinchClient
from tests.client.samples import BATCH, BATCH_ID
from tests.fakes import TOKEN, make_config

URL = f"https://us.sms.api.sinch.com/xms/v1/plan-1/batches/{BATCH_ID}"


def test_own_session_is_closed_with_the_client(monkeypatch: pytest.MonkeyPatch) -> None:
    closed: list[bool] = []
    shared = requests.Session()
    shared.close = lambda: closed.append(False)  # type: ignore[method-assign]
    SinchClient(make_config(), session=shared).close()
    with SinchClient(make_config()) as client:
        monkeypatch.setattr(client.session, "close", lambda: closed.append(True))
    assert closed == [True]


def test_a_shared_session_is_used_but_neither_changed_nor_closed() -> None:
    session = requests.Session()
    before = dict(session.headers)
    with requests_mock.Mocker(session=session) as mock:
        mock.get(URL, json=BATCH)
        with SinchClient(make_config(), session=session) as client:
            assert client.get_batch(BATCH_ID).id == BATCH_ID
        sent = mock.request_history[0]
    assert dict(session.headers) == before  # no JSON Content-Type leaking into the caller's other calls
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["User-Agent"].startswith("airflow-provider-sinch/")
    session.close()


def test_repr_names_the_api_root_only() -> None:
    client = SinchClient(make_config())
    assert repr(client) == "SinchClient(api_root='https://us.sms.api.sinch.com/xms/v1/plan-1')"
    client.close()


def test_iterators_are_generators_that_fetch_nothing_until_used() -> None:
    with requests_mock.Mocker() as mock, SinchClient(make_config()) as client:
        iterator = client.iter_groups()
        assert mock.call_count == 0
        assert iter(iterator) is iterator
