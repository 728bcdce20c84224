"""HTTP for the TMS client: one keep-alive session, authentication, TLS, timeouts, HTTP errors.

:class:`TmsTransport` is the zeep transport the client posts through. It maps what HTTP can tell
us before any SOAP is parsed:

* connection errors and timeouts → :class:`TmsUnavailable`;
* HTTP 401 (and 403) → :class:`TmsAuthenticationError`;
* any non-200 answer that is not an XML body (an IIS error page, a proxy's 502/503/504, an empty
  500) → :class:`TmsUnavailable`. An HTTP 500 with an XML body is left to zeep, which turns the
  SOAP fault into ``zeep.exceptions.Fault``.

Threads: with Basic auth every thread shares one ``requests.Session`` (urllib3's pool is
thread-safe; credentials are stateless) to prepare the request head (User-Agent, Authorization)
once per address, and POSTs go through a :class:`~tmscal.tms.connections.ConnectionPool`:
requests' per-request machinery costs more than the HTTP exchange itself. Its answer, an
:class:`~tmscal.tms.connections.HttpAnswer`, has the parts of ``requests.Response`` zeep and the
client read. NTLM authenticates a TCP connection with a handshake
whose state ``requests_ntlm`` keeps on the auth object, so with NTLM each thread gets its own
session (and connection pool). Messages never contain the password or an Authorization header.
"""

from __future__ import annotations

import http.client
import threading

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase, HTTPBasicAuth
from zeep.transports import Transport

from tmscal.model import TmsAuthenticationError, TmsUnavailable
from tmscal.tms.connections import ConnectionPool, HttpAnswer

AUTH_SCHEMES = ("basic", "ntlm")

#: Connections kept per host; threads beyond this wait for a free connection instead of
#: opening and discarding extra ones.
POOL_SIZE = 16

_XML_MEDIA_TYPES = ("text/xml", "application/soap+xml", "application/xml")


def _auth_for(scheme: str, username: str, password: str) -> AuthBase:
    if scheme == "basic":
        return HTTPBasicAuth(username, password)
    if scheme == "ntlm":
        from requests_ntlm import HttpNtlmAuth

        return HttpNtlmAuth(username, password)
    raise ValueError(f"unknown auth scheme {scheme!r}; use one of {AUTH_SCHEMES}")


class TmsTransport(Transport):
    """zeep transport bound to one TMS user.

    ``verify`` is True (system CA store), a path to a CA bundle, or False (no TLS
    verification; only when explicitly asked). ``timeout`` is requests' ``(connect, read)``.
    """

    def __init__(self, username: str, password: str, *, auth: str = "basic",
                 verify: bool | str = True, timeout: tuple[float, float] = (5.0, 30.0),
                 user_agent: str = "tmscal") -> None:
        if auth not in AUTH_SCHEMES:
            raise ValueError(f"unknown auth scheme {auth!r}; use one of {AUTH_SCHEMES}")
        # zeep's Transport.__init__ would create a session we do not want; set its fields.
        self.cache = None
        self.load_timeout = timeout
        self.operation_timeout = timeout
        self.logger = None
        self._close_session = True
        self.username = username
        self._password = password
        self.auth_scheme = auth
        self.verify = verify
        self.timeout = timeout
        self.user_agent = user_agent
        self._shared: requests.Session | None = None
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()
        self._targets: dict[str, tuple[ConnectionPool, dict[str, str]]] = {}
        self._pools: dict[str, ConnectionPool] = {}
        if auth == "basic":
            self._shared = self._new_session()

    def __repr__(self) -> str:
        return f"TmsTransport(user={self.username!r}, auth={self.auth_scheme!r})"

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        session.auth = _auth_for(self.auth_scheme, self.username, self._password)
        session.verify = self.verify
        session.trust_env = False  # no proxy/netrc surprises: the configured TMS URL is it
        session.headers["User-Agent"] = self.user_agent
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=POOL_SIZE, pool_block=True)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        with self._sessions_lock:
            self._sessions.append(session)
        return session

    @property
    def session(self) -> requests.Session:
        """The session for the calling thread (the shared one unless NTLM)."""
        if self._shared is not None:
            return self._shared
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._new_session()
            self._local.session = session
        return session

    @session.setter
    def session(self, value: requests.Session) -> None:  # zeep never sets it after __init__
        raise AttributeError("TmsTransport manages its own sessions")

    def close(self) -> None:
        """Close every session (and its pooled connections)."""
        with self._sessions_lock:
            sessions, self._sessions = self._sessions, []
            pools, self._pools, self._targets = list(self._pools.values()), {}, {}
        for session in sessions:
            session.close()
        for pool in pools:
            pool.close()

    def __del__(self) -> None:  # zeep's Transport.__del__ would touch self.session
        pass

    # -- zeep entry points ------------------------------------------------------------------

    def post(self, address: str, message: bytes | str, headers: dict) -> requests.Response:
        """POST one SOAP envelope; raise the typed errors listed in the module docstring."""
        if self._shared is not None:
            response = self._post_basic(address, message, headers)
        else:
            try:
                response = self.session.post(address, data=message, headers=headers,
                                             timeout=self.timeout)
            except requests.Timeout as exc:
                raise TmsUnavailable(f"TMS did not answer in time ({_describe(exc)})") from exc
            except requests.RequestException as exc:
                raise TmsUnavailable(f"TMS could not be reached ({_describe(exc)})") from exc
        self._check_status(response)
        return response

    def _post_basic(self, address: str, message: bytes | str,
                    headers: dict) -> HttpAnswer:
        """POST over the pooled connections to ``address``'s server (no redirects, no
        retries, as requests' defaults), with the request head requests prepared for it."""
        pool, head = self._target(address)
        body = message.encode("utf-8") if isinstance(message, str) else message
        try:
            return pool.post(address, body, {**head, **headers})
        except TimeoutError as exc:
            raise TmsUnavailable(f"TMS did not answer in time ({_describe(exc)})") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise TmsUnavailable(f"TMS could not be reached ({_describe(exc)})") from exc

    def _target(self, address: str) -> tuple[ConnectionPool, dict[str, str]]:
        """The connection pool for ``address``'s server, and the headers the shared session
        gives a request to it (session headers, Basic Authorization; no Content-Length)."""
        found = self._targets.get(address)
        if found is None:
            prepared = self._shared.prepare_request(requests.Request("POST", address))
            head = {name: value for name, value in prepared.headers.items()
                    if name.lower() != "content-length"}
            server = address.split("/", 3)[:3]
            key = "/".join(server).lower()
            with self._sessions_lock:
                pool = self._pools.get(key)
                if pool is None:
                    pool = self._pools[key] = ConnectionPool(
                        key, verify=self.verify, timeout=self.timeout, size=POOL_SIZE)
            found = self._targets[address] = (pool, head)
        return found

    def get(self, address: str, params: dict, headers: dict) -> requests.Response:
        raise NotImplementedError("the TMS client only POSTs SOAP envelopes")

    def load(self, url: str) -> bytes:
        raise NotImplementedError("WSDL files are loaded from package data, not over HTTP")

    def _check_status(self, response: requests.Response | HttpAnswer) -> None:
        status = response.status_code
        if status in (401, 403):
            raise TmsAuthenticationError(
                f"TMS refused the credentials of user {self.username!r} (HTTP {status})")
        if status == 200:
            return
        media_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        looks_like_xml = response.content.lstrip()[:1] == b"<"
        if media_type in _XML_MEDIA_TYPES and looks_like_xml:
            return  # a SOAP fault: zeep raises Fault with its detail
        reason = response.reason or ""
        raise TmsUnavailable(f"TMS answered HTTP {status} {reason}".rstrip()
                             + " without a SOAP response")


def _describe(exc: Exception) -> str:
    """A short description of an HTTP error: its type and text (which names host, port and
    path but never credentials, since URLs with user info are refused by the client)."""
    text = str(exc)
    if len(text) > 300:
        text = text[:297] + "..."
    return f"{type(exc).__name__}: {text}"
