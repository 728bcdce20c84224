"""The TMS transaction log: one entry per created, updated or deleted occurrence.

Ids are global and strictly increasing. :meth:`TransactionLog.since` pages the way
GetTransactionsSince does: entries strictly after an id, at most a page, then a
``ListIncomplete`` marker carrying the id of the entry before it when more remain.
"""

from __future__ import annotations

from bisect import bisect_right

from tmscal.model import ErrorCode, Transaction, TransactionType, error_for_code

#: Where the simulator's transaction ids begin (real ids are large; any start works).
FIRST_TRANSACTION_ID = 3_100_001


class TransactionLog:
    def __init__(self, first_id: int = FIRST_TRANSACTION_ID) -> None:
        self._ids: list[int] = []
        #: (id, conference id, type, performed by, participant ids): tuples load fast
        self._entries: list[tuple] = []
        self._next_id = first_id

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def last_id(self) -> int:
        """The newest id, or the id before the first when the log is empty."""
        return self._ids[-1] if self._ids else self._next_id - 1

    def record(self, conference_id: int, trans_type: TransactionType, performed_by: int,
               participant_ids: list[int]) -> int:
        """Append one entry; returns its id."""
        transaction_id = self._next_id
        self._next_id += 1
        self._ids.append(transaction_id)
        self._entries.append((transaction_id, conference_id, trans_type, performed_by,
                              tuple(participant_ids)))
        return transaction_id

    def since(self, transaction_id: int, page_size: int) -> list[Transaction]:
        """Entries strictly after ``transaction_id`` (0 = from the beginning).

        An id that is negative or beyond the newest one is refused with a TmsError.
        """
        if transaction_id < 0 or transaction_id > self.last_id:
            raise error_for_code(ErrorCode.UNSPECIFIED,
                                 f"Transaction id {transaction_id} is unknown "
                                 f"(the newest is {self.last_id})")
        i = bisect_right(self._ids, transaction_id)
        chunk = self._entries[i:i + page_size]
        page = [Transaction(t[0], t[1], t[2], t[3], list(t[4])) for t in chunk]
        if i + page_size < len(self._entries) and page:
            page.append(Transaction(transaction_id=page[-1].transaction_id, conference_id=0,
                                    trans_type=TransactionType.LIST_INCOMPLETE))
        return page
