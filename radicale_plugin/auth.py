"""``Auth`` for ``[auth] type = radicale_plugin.auth``: log in with your TMS credentials.

Used with ``booking_model = per-user``: the bridge checks the login against TMS
(GetSystemsForUser, cached by :class:`tmscal.bridge.credentials.UserCredentials`) and later books
with the same credentials, so TMS's own per-user rights apply. User names are passed to TMS as
typed (``DOMAIN\\user`` or ``user``). If TMS cannot be reached, users verified before keep
working; others are refused.
"""

from __future__ import annotations

import logging

from radicale.auth import BaseAuth

from radicale_plugin.options import config_path
from tmscal.bridge.runtime import runtime_for
from tmscal.model import TmsUnavailable

log = logging.getLogger(__name__)


class Auth(BaseAuth):
    """Validates logins against TMS."""

    def __init__(self, configuration) -> None:
        super().__init__(configuration)
        self._config_path = config_path(configuration)

    def _login(self, login: str, password: str) -> str:
        if not login or not password:
            return ""
        credentials = runtime_for(self._config_path).credentials
        try:
            return login if credentials.login(login, password) else ""
        except TmsUnavailable:
            log.warning("TMS unreachable; cannot verify the login of %s", login)
            return ""
