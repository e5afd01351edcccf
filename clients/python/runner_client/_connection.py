"""HTTP to a coordinator's API: addresses, TLS, tokens, which coordinator of a list is active, and errors."""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from typing import Any, BinaryIO

from .errors import (
    AuthenticationError,
    Conflict,
    CoordinatorUnreachable,
    NotFound,
    PermissionDenied,
    Problem,
    RunnerError,
    SweepValidationError,
    TlsError,
    TooLarge,
)

DEFAULT_COORDINATOR = "127.0.0.1:4080"


def _setting(value: Any, variable: str) -> Any:
    """An argument, else the environment variable the ``runner`` command reads (an empty one counts as unset)."""
    if value is not None:
        return value
    return os.environ.get(variable) or None


class Connection:
    """
    One coordinator's API, chosen like the ``runner`` command chooses: with several addresses (a coordinator and its
    standbys) each is asked what it is (``GET /health``); the active one wins, a standby does when none is active.
    """

    def __init__(
        self,
        address: str | Iterable[str] | None = None,
        *,
        token: str | None = None,
        ca: str | None = None,
        cert: str | tuple[str, str] | None = None,
        timeout: float = 30.0,
    ) -> None:
        address = _setting(address, "RUNNER_COORDINATOR") or DEFAULT_COORDINATOR
        addresses = [a.strip() for a in (address.split(",") if isinstance(address, str) else address) if a.strip()]
        if not addresses:
            raise RunnerError("the coordinator address is empty")
        self.token: str | None = _setting(token, "RUNNER_TOKEN")
        self.timeout = timeout
        self._tls = self._tls_context(_setting(ca, "RUNNER_CA"), cert if cert is not None else _setting(None, "RUNNER_TLS"))
        self._urls = [self._base_url(a) for a in addresses]
        self._chosen: str | None = self._urls[0] if len(self._urls) == 1 else None

    @staticmethod
    def _tls_context(ca: str | None, cert: str | tuple[str, str] | None) -> ssl.SSLContext | None:
        if ca is None and cert is None:
            return None
        files = (cert,) if isinstance(cert, str) else (cert or ())
        if any(str(f).lower().endswith((".pfx", ".p12")) for f in files):
            raise RunnerError(
                f"{files[0]}: Python's ssl reads PEM, not .pfx: convert it with "
                f"`openssl pkcs12 -in {files[0]} -out client.pem -nodes` and pass cert='client.pem', "
                "or pass ca='ca.crt' and a token"
            )
        if ca is None:
            raise RunnerError("a client certificate needs the cluster's CA certificate too: pass ca='ca.crt' (RUNNER_CA)")
        try:
            # Trust exactly the cluster's CA, never the system's store; nodes are addressed by IP as often as by
            # name, so (as the runner command does) the chain is checked and the host name is not.
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(cafile=ca)
            if cert is not None:
                certfile, keyfile = (cert, None) if isinstance(cert, str) else cert
                context.load_cert_chain(certfile, keyfile)
        except (OSError, ssl.SSLError) as e:
            raise TlsError(f"cannot load the TLS files ({e})") from None
        return context

    def _base_url(self, address: str) -> str:
        if address.startswith(("http://", "https://")):
            return address.rstrip("/") + "/"
        return f"{'https' if self._tls else 'http'}://{address}/"

    @property
    def url(self) -> str:
        """The base URL of the coordinator this client talks to (asked for on first use when there are several)."""
        if self._chosen is None:
            self._chosen = self._choose()
        return self._chosen

    def _choose(self) -> str:
        standby = None
        for url in self._urls:
            try:
                health = self._request("GET", url + "health", timeout=3.0)
            except RunnerError:
                continue
            if isinstance(health, dict) and health.get("role") == "coordinator":
                return url
            standby = standby or url
        if standby is None:
            raise CoordinatorUnreachable(
                f"no coordinator answers at {', '.join(self._urls)}; start one with `runner coordinator` "
                "or pass the address (RUNNER_COORDINATOR)"
            )
        return standby

    # -- requests ---------------------------------------------------------------------------------------------

    def get(self, path: str, **query: Any) -> Any:
        return self._request("GET", self.url + path + _query(query))

    def post(self, path: str, body: Any = None) -> Any:
        return self._request("POST", self.url + path, body if body is not None else {})

    def post_expecting(self, path: str, body: Any, statuses: tuple[int, ...]) -> Any:
        """The reply's body when its status is one of ``statuses`` (an answer the caller acts on), else the error."""
        return self._request("POST", self.url + path, body, accept=statuses)

    def open(self, method: str, path: str, *, data: BinaryIO | bytes | None = None, headers: dict[str, str] | None = None):
        """A raw response (the caller reads and closes it), or the error raised as for JSON calls. HTTP errors the
        caller wants to read itself come back as the :class:`urllib.error.HTTPError` response."""
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=self._headers(headers))
        try:
            return urllib.request.urlopen(request, timeout=self.timeout, context=self._tls)
        except urllib.error.HTTPError as e:
            return e
        except (urllib.error.URLError, OSError) as e:
            raise self._unreachable(self.url, e) from None

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        headers.update(extra or {})
        return headers

    def _request(self, method: str, url: str, body: Any = None, timeout: float | None = None, accept: tuple[int, ...] = ()) -> Any:
        data = None if body is None else json.dumps(body).encode()
        headers = self._headers({"Content-Type": "application/json"} if data is not None else None)
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout, context=self._tls) as response:
                return _json(response.read())
        except urllib.error.HTTPError as e:
            with e:
                reply = _json(e.read())
            if e.code in accept:
                return reply
            raise error_of(e.code, reply) from None
        except (urllib.error.URLError, OSError) as e:
            raise self._unreachable(url, e) from None

    def _unreachable(self, url: str, e: Exception) -> RunnerError:
        reason = getattr(e, "reason", e)
        if isinstance(reason, ssl.SSLError) or isinstance(e, ssl.SSLError):
            return TlsError(
                f"the TLS handshake with {url} failed ({getattr(reason, 'reason', None) or reason}): the coordinator's "
                "certificate is not one of this cluster's CA, or it refused ours"
            )
        if isinstance(reason, (ConnectionResetError, http.client.RemoteDisconnected)) and self._tls is None:
            return CoordinatorUnreachable(f"{url} closed the connection (a coordinator started with --tls needs ca='ca.crt' here)")
        why = reason.strerror if isinstance(reason, OSError) and reason.strerror else str(reason)
        if isinstance(reason, socket.timeout) or "timed out" in why:
            why = "no answer in time"
        hint = "" if self._tls else "; a coordinator started with --tls needs ca='ca.crt' (RUNNER_CA) here"
        return CoordinatorUnreachable(
            f"cannot reach the coordinator API at {url} ({why}){hint}; start one with `runner coordinator` or pass its address"
        )


def _json(raw: bytes) -> Any:
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        return {"error": raw.decode(errors="replace").strip()[:200]}


def _query(query: dict[str, Any]) -> str:
    pairs: list[tuple[str, str]] = []
    for key, value in query.items():
        if value is None:
            continue
        for v in value if isinstance(value, (list, tuple)) else [value]:
            pairs.append((key, str(v).lower() if isinstance(v, bool) else str(v)))
    return "?" + urllib.parse.urlencode(pairs) if pairs else ""


def error_of(status: int, body: Any) -> RunnerError:
    """The exception for an API error reply: its status and its one-line ``error``."""
    message = body.get("error") if isinstance(body, dict) else None
    message = message or f"HTTP {status}"
    if status == 401:
        return AuthenticationError(message, status)
    if status == 403:
        needed = re.search(r"needs an? (\w+) token", message)
        return PermissionDenied(message, needed.group(1) if needed else None)
    if status == 404:
        return NotFound(message, status)
    if status == 409:
        return Conflict(message, status)
    if status == 413:
        return TooLarge(message, status)
    if status == 400 and isinstance(body, dict) and body.get("errors"):
        problems = [Problem(p["file"], p["line"], p["column"], p["message"]) for p in body["errors"]]
        return SweepValidationError(message, problems)
    return RunnerError(message, status)
