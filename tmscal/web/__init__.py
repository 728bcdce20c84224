"""The bridge's WSGI edge: Radicale behind error translation, ``/health``, and a small router
other features (feeds, display pages) add their routes to."""

from tmscal.web.app import build_application
from tmscal.web.router import Router

__all__ = ["Router", "build_application"]
