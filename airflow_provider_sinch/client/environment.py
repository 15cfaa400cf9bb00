"""Proxy and certificate settings from the environment, as the async client reads them: once per origin.

The sync client lets ``requests`` read the environment (``SinchClient._environment_for``); the async
client's ``aiohttp`` session runs with ``trust_env`` off, because with it on aiohttp reads the proxy
variables again in a worker thread for every request (about three times a poll's CPU) and reads
``~/.netrc``, whose entry for the Sinch host would clash with the bearer token.  What the environment says
is read here instead and handed to every request explicitly:

* the proxy for an origin (``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY``, upper or lower case, minus the
  hosts ``NO_PROXY`` names), by the standard library's own rules (:func:`urllib.request.getproxies`,
  :func:`urllib.request.proxy_bypass`);
* the certificate authorities: ``REQUESTS_CA_BUNDLE`` or ``CURL_CA_BUNDLE`` (what the sync client
  honours), else ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` (what the async client honoured on httpx), else
  certifi's bundle (the one ``requests`` uses).  One context per setting, shared by every client: a context
  costs about 0.85 MB and 30 ms of CPU to build.
"""

from __future__ import annotations

import functools
import os
import ssl
import urllib.request
from urllib.parse import urlsplit

from airflow_provider_sinch.client.errors import SinchConfigurationError

_CA_FILE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE")


def proxy_for(url: str) -> str | None:
    """The proxy the environment names for requests to ``url`` (``None``: connect directly).

    :param url: an absolute http(s) URL; only its scheme and host matter.
    """
    parts = urlsplit(url)
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy or not parts.hostname:
        return None
    host = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    if urllib.request.proxy_bypass(host):  # NO_PROXY (or the platform's own exceptions)
        return None
    return proxy


def ca_setting() -> tuple[str | None, str | None, str | None]:
    """``(variable, CA file, CA directory)`` the environment names, or ``(None, None, None)`` for certifi's
    bundle."""
    for name in _CA_FILE_VARIABLES:
        if value := os.environ.get(name):
            return name, value, None
    if directory := os.environ.get("SSL_CERT_DIR"):
        return "SSL_CERT_DIR", None, directory
    return None, None, None


def ssl_context() -> ssl.SSLContext:
    """The verifying TLS context for the certificate authorities :func:`ca_setting` names (built once per
    setting; a changed variable gives a new one to clients built after the change).

    :raises SinchConfigurationError: the variable names no readable bundle (before any request).
    """
    variable, cafile, capath = ca_setting()
    try:
        return _context(cafile, capath)
    except (OSError, ssl.SSLError) as exc:
        raise SinchConfigurationError(
            [(f"environment variable {variable}", f"must name a readable CA bundle: {type(exc).__name__}")]
        ) from None


@functools.lru_cache(maxsize=4)
def _context(cafile: str | None, capath: str | None) -> ssl.SSLContext:
    if cafile is None and capath is None:
        import certifi  # installed with requests

        cafile = certifi.where()
    return ssl.create_default_context(cafile=cafile, capath=capath)
