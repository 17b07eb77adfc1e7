"""The transactional outbox: messages committed with the rows they concern.

Not in Diablo, which published straight to the broker (and lost the work
when the broker was away).  A row is an RPC cast waiting to be published:
its ``topic`` and the whole JSON envelope (``body``, context included).
The relay (:mod:`nova.rpc.outbox`) claims rows (``claimed_by`` /
``claimed_at``), publishes them with confirms and deletes them.
"""

from sqlalchemy import Column, DateTime, Integer, String, Text

from nova import utils
from nova.db.sqlalchemy.models_base import BASE, table_args


class OutboxMessage(BASE):
    """One RPC cast waiting in the ``outbox`` table."""

    __tablename__ = 'outbox'
    __table_args__ = table_args()
    id = Column(Integer, primary_key=True, autoincrement=True)
    created_at = Column(DateTime, default=utils.utcnow)
    topic = Column(String(255), nullable=False)
    body = Column(Text, nullable=False)
    claimed_by = Column(String(64))
    claimed_at = Column(DateTime)
