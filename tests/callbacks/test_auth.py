"""Authentication of callbacks: what is refused from the headers alone and what needs the body."""

from __future__ import annotations

import base64

import pytest

from airflow_provider_sinch.callbacks.auth import CallbackRefused, check_headers, check_signature
from airflow_provider_sinch.callbacks.nonces import NonceCache
from airflow_provider_sinch.callbacks.settings import CallbackSettings
from airflow_provider_sinch.client.webhooks import signed_headers

NOW = 1_800_000_000.0
BODY = b'{"type": "mo_text"}'
SIGNED = CallbackSettings(secret="s3cret")
BASIC = CallbackSettings(username="sinch", password="pa:ss")


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def refused(headers: dict[str, str], settings: CallbackSettings) -> CallbackRefused:
    with pytest.raises(CallbackRefused) as err:
        check_headers(headers, settings, now=NOW)
    return err.value


def test_settings_come_from_the_connection_extras() -> None:
    settings = CallbackSettings.from_extra({"callback_secret": " s ", "callback_username": "",
                                            "callback_url": "https://a/sinch/callbacks/c"})
    assert (settings.secret, settings.username, settings.url) == ("s", None, "https://a/sinch/callbacks/c")
    assert settings.accepts_signatures
    assert not settings.accepts_basic
    assert "zz-secret" not in repr(CallbackSettings(secret="zz-secret", password="zz-secret"))
    assert not CallbackSettings.from_extra({"region": "eu"}).enabled


def test_a_connection_without_secret_or_credentials_refuses_everything() -> None:
    err = refused(signed_headers("s3cret", BODY, timestamp=str(int(NOW))), CallbackSettings())
    assert err.status == 403


def test_a_valid_signature_passes_the_header_checks_then_the_body_check() -> None:
    headers = signed_headers("s3cret", BODY, timestamp=str(int(NOW)))
    auth = check_headers(headers, SIGNED, now=NOW)
    assert auth.method == "signature"
    check_signature(auth, BODY, headers, SIGNED, NonceCache(ttl=600))


def test_wrong_secret_and_tampered_body_fail_on_the_body_check() -> None:
    nonces = NonceCache(ttl=600)
    for headers, body in [(signed_headers("other", BODY, timestamp=str(int(NOW))), BODY),
                          (signed_headers("s3cret", BODY, timestamp=str(int(NOW))), BODY + b" ")]:
        auth = check_headers(headers, SIGNED, now=NOW)
        with pytest.raises(CallbackRefused) as err:
            check_signature(auth, body, headers, SIGNED, nonces)
        assert (err.value.status, err.value.reason) == (401, "invalid signature")
    assert len(nonces) == 0  # a forged request burns no nonce


@pytest.mark.parametrize("offset", [-301, 301, 86_400])
def test_stale_or_future_timestamps_are_refused_before_the_body(offset: int) -> None:
    err = refused(signed_headers("s3cret", BODY, timestamp=str(int(NOW + offset))), SIGNED)
    assert (err.status, err.reason) == (401, "signature timestamp outside the accepted window")


def test_a_replayed_nonce_is_refused() -> None:
    nonces = NonceCache(ttl=600)
    headers = signed_headers("s3cret", BODY, timestamp=str(int(NOW)))
    check_signature(check_headers(headers, SIGNED, now=NOW), BODY, headers, SIGNED, nonces)
    with pytest.raises(CallbackRefused) as err:
        check_signature(check_headers(headers, SIGNED, now=NOW), BODY, headers, SIGNED, nonces)
    assert (err.value.status, err.value.reason) == (401, "nonce already used (replayed request)")


@pytest.mark.parametrize("missing", ["x-sinch-webhook-signature-nonce",
                                     "x-sinch-webhook-signature-timestamp"])
def test_a_signature_without_its_other_headers_is_refused(missing: str) -> None:
    headers = signed_headers("s3cret", BODY, timestamp=str(int(NOW)))
    del headers[missing]
    assert refused(headers, SIGNED).status == 401


def test_no_headers_at_all_is_refused() -> None:
    err = refused({"Content-Type": "application/json"}, SIGNED)
    assert (err.status, err.reason) == (401, "no credentials this connection accepts")
    assert "WWW-Authenticate" not in err.headers
    assert refused({}, BASIC).headers["WWW-Authenticate"].startswith("Basic")


def test_another_algorithm_is_refused() -> None:
    headers = {**signed_headers("s3cret", BODY, timestamp=str(int(NOW))),
               "x-sinch-webhook-signature-algorithm": "HmacSHA1"}
    assert refused(headers, SIGNED).reason == "unsupported signature algorithm"


def test_basic_credentials() -> None:
    assert check_headers(basic("sinch", "pa:ss"), BASIC, now=NOW).method == "basic"
    for user, password in [("sinch", "wrong"), ("other", "pa:ss"), ("sinch", "pa:ss "), ("", "")]:
        assert refused(basic(user, password), BASIC).reason == "wrong credentials"
    assert refused({"Authorization": "Basic !!!"}, BASIC).status == 401
    assert refused({"Authorization": "Bearer x"}, BASIC).status == 401


def test_basic_is_not_accepted_where_only_a_secret_is_configured() -> None:
    assert refused(basic("sinch", "pa:ss"), SIGNED).status == 401


def test_both_configured_accepts_either() -> None:
    both = CallbackSettings(secret="s3cret", username="sinch", password="pa:ss")
    assert check_headers(basic("sinch", "pa:ss"), both, now=NOW).method == "basic"
    assert check_headers(signed_headers("s3cret", BODY, timestamp=str(int(NOW))), both,
                         now=NOW).method == "signature"
