"""HTTP for the TMS client: one keep-alive session, authentication, TLS, timeouts, HTTP errors.

:class:`TmsTransport` is the zeep transport the client posts through. It maps what HTTP can tell
us before any SOAP is parsed:

* connection errors and timeouts → :class:`TmsUnavailable`;
* HTTP 401 (and 403) → :class:`TmsAuthenticationError`;
* any non-200 answer that is not an XML body (an IIS error page, a proxy's 502/503/504, an empty
  500) → :class:`TmsUnavailable`. An HTTP 500 with an XML body is left to zeep, which turns the
  SOAP fault into ``zeep.exceptions.Fault``.

Threads: with Basic auth every thread shares one ``requests.Session`` (urllib3's pool is
thread-safe; credentials are stateless), and a POST goes straight to the urllib3 connection pool
requests would choose (same TLS settings, pool and timeouts) with the Authorization header
computed once: requests' per-request machinery (settings merge, hooks, cookies, response
wrapping) costs more than the HTTP exchange itself. The answer is an :class:`HttpAnswer`, which
has the parts of ``requests.Response`` zeep and the client read. NTLM authenticates a TCP connection with a handshake
whose state ``requests_ntlm`` keeps on the auth object, so with NTLM each thread gets its own
session (and connection pool). Messages never contain the password or an Authorization header.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase, HTTPBasicAuth
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from zeep.transports import Transport

from tmscal.model import TmsAuthenticationError, TmsUnavailable

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


@dataclass
class HttpAnswer:
    """An HTTP answer: what zeep and the client read of a ``requests.Response``."""

    status_code: int
    reason: str
    headers: CaseInsensitiveDict
    content: bytes
    url: str

    @property
    def encoding(self) -> str | None:
        return get_encoding_from_headers(self.headers)


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
        self._targets: dict[str, tuple[requests.PreparedRequest, dict[str, str]]] = {}
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
        for session in sessions:
            session.close()

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
        """POST through the pool requests would use for ``address`` (no redirects, no
        retries, as requests' defaults), with the request head requests prepared for it."""
        session = self._shared
        target, head = self._target(address)
        adapter = session.get_adapter(address)
        connect, read = self.timeout
        all_headers = {**head, **headers}
        try:
            pool = adapter.get_connection_with_tls_context(target, self.verify)
            answer = pool.urlopen("POST", target.path_url, body=message, headers=all_headers,
                                  redirect=False, assert_same_host=False, retries=False,
                                  preload_content=True, decode_content=True,
                                  timeout=urllib3.Timeout(connect=connect, read=read))
        except urllib3.exceptions.TimeoutError as exc:
            raise TmsUnavailable(f"TMS did not answer in time ({_describe(exc)})") from exc
        except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as exc:
            raise TmsUnavailable(f"TMS could not be reached ({_describe(exc)})") from exc
        return HttpAnswer(status_code=answer.status, reason=answer.reason or "",
                          headers=CaseInsensitiveDict(answer.headers), content=answer.data,
                          url=address)

    def _target(self, address: str) -> tuple[requests.PreparedRequest, dict[str, str]]:
        """``address`` prepared once by the shared session, and the headers it gave the
        request (session headers, Basic Authorization) minus the body's Content-Length."""
        found = self._targets.get(address)
        if found is None:
            target = self._shared.prepare_request(requests.Request("POST", address))
            head = {name: value for name, value in target.headers.items()
                    if name.lower() != "content-length"}
            found = self._targets[address] = (target, head)
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
