"""What TMS did with a change it did not answer, asked by the booking's external ids.

After a timeout, a failed change or a failed follow-up read, :meth:`TmsOutcome.settle` asks TMS
(GetConferenceByExternalId: the UID is the ExternalPrimaryKey) what it now holds for the
booking, writes that into the mirror, and tells the write path whether its change is in TMS.
When TMS cannot be asked, the booking is marked pending in the mirror (the syncer settles those
first, :meth:`tmscal.mirror.sync.Syncer.settle_pending`) and the write is answered as of
unknown outcome (:class:`~tmscal.bridge.refusals.OutcomeUnknown`). Nothing here guesses.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from tmscal.bridge import refusals as refusal
from tmscal.mirror.store import MirrorStore, PendingWrite
from tmscal.mirror.sync import held_by_tms, store_held
from tmscal.model import Conference, TmsAuthenticationError, TmsCalls, TmsError, TmsUnavailable

log = logging.getLogger(__name__)


class TmsOutcome:
    """Finds out and records what TMS holds for a booking after an unanswered change."""

    def __init__(self, store: MirrorStore, *, default_zone: str, privacy: str,
                 retry_after: int) -> None:
        self._store = store
        self._default_zone = default_zone
        self._privacy = privacy
        self._retry_after = retry_after

    def record(self, uid: str, held: Conference | None) -> None:
        """Make the mirror show ``held`` (TMS's booking of ``uid``, None = none) and forget
        any pending mark."""
        store_held(self._store, uid, held, default_zone=self._default_zone,
                   privacy=self._privacy)

    def ask(self, client: TmsCalls, write: PendingWrite, subject: str) -> Conference | None:
        """TMS's booking of ``write`` now, recorded in the mirror; raises
        :class:`~tmscal.bridge.refusals.OutcomeUnknown` (after marking it pending) when TMS
        cannot be asked (``subject`` names the booking in the reason)."""
        try:
            held = held_by_tms(client, write.external_source_id, write.external_primary_key)
        except (TmsUnavailable, TmsAuthenticationError, TmsError) as error:
            self._store.mark_pending(write)
            log.info("outcome of the write of %s unknown (%s); marked pending", write.uid,
                        type(error).__name__)
            raise refusal.OutcomeUnknown(
                f"TMS did not answer while booking {subject}, and whether it made the change "
                "is not known yet; the bridge asks TMS again as soon as it answers, and the "
                "calendar then shows what TMS holds. Check it before saving again.",
                self._retry_after) from error
        self.record(write.uid, held)
        return held

    def settle(self, client: TmsCalls, write: PendingWrite, subject: str, *,
               before_version: int | None,
               done: Callable[[Conference | None], bool]) -> Conference | None:
        """After TMS did not answer a change of ``write`` (``subject`` names it in reasons):
        TMS's booking when ``done(held)`` says the change is in it; otherwise a
        :class:`~tmscal.bridge.refusals.TmsDown` that says truthfully whether nothing or a part
        was changed. ``before_version`` is the version before the change (None: no booking)."""
        held = self.ask(client, write, subject)
        if done(held):
            return held
        untouched = held.version == before_version if held is not None \
            else before_version is None
        if untouched:
            raise refusal.TmsDown(f"TMS did not answer while booking {subject}; nothing was "
                                  "changed, try again later.", self._retry_after)
        raise refusal.TmsDown(
            f"TMS did not answer while booking {subject} and holds another version of it now "
            "(part of the change, or a change made meanwhile); the calendar shows what TMS "
            "holds. Save again.", self._retry_after)
