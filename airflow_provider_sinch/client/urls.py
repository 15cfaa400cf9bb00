"""The one rule for URLs the client sends to or hands to Sinch: absolute ``http``/``https`` with a host.

Used for the configuration (``base_url``, the OAuth2 ``auth_url``) and for URLs in request bodies
(``callback_url``, a media ``url``).  A relative or ``ftp://`` URL would otherwise fail only at the first
request, with a library's error, after being retried as if the network were at fault.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from airflow_provider_sinch.client.redact import shown_value

URL_RULE = "must be an absolute http(s) URL with a host (https://host/path)"


def url_problem(value: object, *, credentials: bool = True, query: bool = True) -> str | None:
    """Why ``value`` is not an absolute ``http``/``https`` URL with a host, or ``None`` when it is one.

    :param value: the URL.
    :param credentials: whether ``user:password@`` may be part of it (not in a base URL: it would show
        in every repr and error).
    :param query: whether a query string or fragment may be part of it (not in a base URL, to which paths
        are appended).
    """
    if not isinstance(value, str):
        return f"{URL_RULE}, got {type(value).__name__}"
    if not value:
        return f"{URL_RULE}, got an empty string"
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return f"{URL_RULE}, without spaces or control characters; got {shown_value(value)}"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  # a port that is not a number in range raises here
    except ValueError:
        return f"{URL_RULE}, got {shown_value(value)}"
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return f"{URL_RULE}, got {shown_value(value)}"
    if not credentials and (parts.username is not None or parts.password is not None):
        return "must not contain a user name or password (put the token in the connection's password)"
    if not query and (parts.query or parts.fragment):
        return f"must not have a query string or fragment, got {shown_value(value)}"
    return None
