"""HTTP for the TMS client: one keep-alive session, authentication, TLS, bounded answers.

:class:`TmsTransport` is the zeep transport the client posts through. It maps what HTTP can tell
us before any SOAP is read (:func:`check_http_answer`):

* no connection could be made (refused, unknown host, connect timeout, TLS handshake) →
  :class:`TmsUnreachable` (the request was not sent, so TMS changed nothing);
* other connection errors, timeouts, an answer not finished within the call's ``deadline`` or larger
  than ``max_bytes`` (compressed or decoded) → :class:`TmsUnavailable`;
* HTTP 401 and 403, and a redirect to a login page → :class:`TmsAuthenticationError`;
* any other redirect (never followed), and any answer that is not an XML body with an XML
  Content-Type (an IIS error page, a proxy's 502/504, an empty 500, an HTML 200) →
  :class:`TmsUnavailable`.

Messages name the HTTP status and a short excerpt of the body. An XML answer is left to the
client, which reads the SOAP envelope or fault (:mod:`tmscal.tms.answers`).

Threads: with Basic auth every thread shares one ``requests.Session`` (urllib3's pool is
thread-safe; credentials are stateless) to prepare the request head (User-Agent, Authorization)
once per address, and POSTs go through a :class:`~tmscal.tms.connections.ConnectionPool`:
requests' per-request machinery costs more than the HTTP exchange itself. Its answer, an
:class:`~tmscal.tms.connections.HttpAnswer`, has the parts of ``requests.Response`` zeep and the
client read. NTLM authenticates a TCP connection with a handshake
whose state ``requests_ntlm`` keeps on the auth object, so with NTLM each thread gets its own
session (and connection pool); its answers are read as they come, checking the deadline and the
size between reads (a server trickling the body overruns the deadline by at most one read
timeout; the response head is bounded by the read timeout per byte only). Messages never contain the
password or an Authorization header.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
import zlib

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase, HTTPBasicAuth
from zeep.transports import Transport

from tmscal.model import TmsAuthenticationError, TmsUnavailable, TmsUnreachable
from tmscal.settings.tms import AUTH_SCHEMES
from tmscal.tms.connections import (
    DEFAULT_MAX_BYTES, AnswerTooLarge, ConnectionPool, DeadlineExceeded, HttpAnswer, NotConnected,
)

#: Connections kept per host; threads beyond this wait for a free connection instead of
#: opening and discarding extra ones.
POOL_SIZE = 16

_XML_MEDIA_TYPES = ("text/xml", "application/soap+xml", "application/xml")
_LOGIN_PAGE = re.compile(r"log[-_]?[io]n|sign[-_]?in|auth|sso|adfs", re.I)
_EXCERPT_CHARS = 120
_NTLM_CHUNK = 8 * 1024  # decoded per step: a compression bomb grows by at most ~8 MB past the cap


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
    verification; only when explicitly asked). ``timeout`` is requests' ``(connect, read)``;
    ``deadline`` bounds a whole call (default: connect + read timeout), ``max_bytes`` an answer.
    """

    def __init__(self, username: str, password: str, *, auth: str = "basic",
                 verify: bool | str = True, timeout: tuple[float, float] = (5.0, 30.0),
                 user_agent: str = "tmscal", deadline: float | None = None,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> None:
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
        self.deadline = deadline if deadline is not None else sum(timeout)
        self.max_bytes = max_bytes
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
        try:
            if self._shared is not None:
                response = self._post_basic(address, message, headers)
            else:
                response = self._post_session(address, message, headers)
        except (NotConnected, requests.exceptions.ConnectTimeout) as exc:
            raise TmsUnreachable(f"TMS could not be reached ({_describe(exc)})") from exc
        except requests.ConnectionError as exc:
            if _never_connected(exc):
                raise TmsUnreachable(f"TMS could not be reached ({_describe(exc)})") from exc
            raise TmsUnavailable(f"TMS could not be reached ({_describe(exc)})") from exc
        except (TimeoutError, requests.Timeout) as exc:
            raise TmsUnavailable(f"TMS did not answer in time ({_describe(exc)})") from exc
        except AnswerTooLarge as exc:
            raise TmsUnavailable(f"TMS sent too large an answer ({exc})") from exc
        except (OSError, http.client.HTTPException, requests.RequestException,
                urllib3.exceptions.HTTPError, zlib.error) as exc:
            raise TmsUnavailable(f"TMS could not be reached ({_describe(exc)})") from exc
        check_http_answer(response, self.username)
        return response

    def _post_basic(self, address: str, message: bytes | str,
                    headers: dict) -> HttpAnswer:
        """POST over the pooled connections to ``address``'s server (no redirects, no
        retries, as requests' defaults), with the request head requests prepared for it."""
        pool, head = self._target(address)
        body = message.encode("utf-8") if isinstance(message, str) else message
        return pool.post(address, body, {**head, **headers})

    def _post_session(self, address: str, message: bytes | str, headers: dict) -> HttpAnswer:
        """POST through the calling thread's requests session (NTLM), reading the answer in
        chunks within the deadline and the size limit."""
        started = time.monotonic()
        response = self.session.post(address, data=message, headers=headers,
                                     timeout=self.timeout, stream=True, allow_redirects=False)
        try:
            parts: list[bytes] = []
            received = 0
            read = getattr(response.raw, "read1", response.raw.read)  # read1: what has come
            while chunk := read(_NTLM_CHUNK, decode_content=True):
                received += len(chunk)
                if received > self.max_bytes:
                    raise AnswerTooLarge(f"the answer is larger than {self.max_bytes} bytes")
                if time.monotonic() - started > self.deadline:
                    raise DeadlineExceeded(
                        f"the answer did not arrive within {self.deadline:g} s")
                parts.append(chunk)
        finally:
            response.close()
        return HttpAnswer(status_code=response.status_code, reason=response.reason or "",
                          headers=response.headers, content=b"".join(parts), url=address)

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
                        key, verify=self.verify, timeout=self.timeout, size=POOL_SIZE,
                        deadline=self.deadline, max_bytes=self.max_bytes)
            found = self._targets[address] = (pool, head)
        return found

    def get(self, address: str, params: dict, headers: dict) -> requests.Response:
        raise NotImplementedError("the TMS client only POSTs SOAP envelopes")

    def load(self, url: str) -> bytes:
        raise NotImplementedError("WSDL files are loaded from package data, not over HTTP")



def answer_excerpt(content: bytes) -> str:
    """A short, single-line excerpt of an answer body for an error message: an HTML page's
    title, else its first characters without markup; 'an empty body' when there are none."""
    text = content[:4096].decode("utf-8", "replace")
    title = re.search(r"<title[^>]*>(.*?)</title>", text, re.I | re.S)
    if title:
        text = title.group(1)
    text = " ".join(re.sub(r"<[^>]*>?", " ", text).split())
    if not text:
        return "an empty body"
    if len(text) > _EXCERPT_CHARS:
        text = text[:_EXCERPT_CHARS - 3] + "..."
    return f"'{text}'"


def describe_answer(response: requests.Response | HttpAnswer) -> str:
    """``HTTP 502 Bad Gateway (text/html): '<excerpt>'`` for an error message."""
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    status = f"HTTP {response.status_code} {response.reason or ''}".rstrip()
    return f"{status} ({media_type or 'no Content-Type'}): {answer_excerpt(response.content)}"


def check_http_answer(response: requests.Response | HttpAnswer, username: str) -> None:
    """Raise for an HTTP answer that cannot hold a SOAP response or fault (module docstring)."""
    status = response.status_code
    if status in (401, 403):
        raise TmsAuthenticationError(
            f"TMS refused the credentials of user '{username}' ({describe_answer(response)})")
    if 300 <= status < 400:
        location = response.headers.get("Location", "")
        redirect = (f"TMS answered HTTP {status}, a redirect to {location or 'nowhere'} "
                    "(not followed)")
        if _LOGIN_PAGE.search(location):
            raise TmsAuthenticationError(
                f"{redirect}: a login page; the API user must be let in by IIS itself "
                "(Basic or Windows authentication)")
        raise TmsUnavailable(f"{redirect}: check [tms] url")
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if media_type in _XML_MEDIA_TYPES and response.content.lstrip()[:1] == b"<":
        return  # a SOAP answer or fault: the client reads it
    raise TmsUnavailable(f"TMS answered with {describe_answer(response)} instead of a SOAP "
                         "answer")


def _never_connected(exc: requests.ConnectionError) -> bool:
    """Whether requests failed before a connection existed (urllib3's NewConnectionError,
    which also covers unknown hosts), i.e. before anything was sent."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def _describe(exc: Exception) -> str:
    """A short description of an HTTP error: its type and text (which names host, port and
    path but never credentials, since URLs with user info are refused by the client)."""
    text = str(exc)
    if len(text) > 300:
        text = text[:297] + "..."
    return f"{type(exc).__name__}: {text}"
