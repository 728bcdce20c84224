"""The tmscal Radicale plugin: TMS rooms as CalDAV calendars.

``[storage] type = radicale_plugin`` loads :class:`Storage`; ``[rights] type =
radicale_plugin.rights`` gives room rights per user; ``[auth] type = radicale_plugin.auth``
checks logins against TMS (per-user booking model).
"""

from radicale_plugin.storage import Storage

__all__ = ["Storage"]
