"""The TMS wire: a zeep client of the Booking and Remote Setup APIs (see :mod:`.client`)."""

from tmscal.tms.client import TmsClient, client_for

__all__ = ["TmsClient", "client_for"]
