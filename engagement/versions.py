"""Content versions: counters that change with what visitors read, so every worker can keep
copies (reference data, whole public pages) and check them with one cheap query.

- ``reference``: consultations, topics, communities, neighborhoods, wards (rarely edited).
- ``public``: the published record (a comment published, redacted, hidden, restored, its
  campaign found), which the public lists, permalinks, tallies and API show.

A change bumps its counter in the same transaction (``before_flush`` for changes made through
the ORM; ``bump`` by hand after a bulk UPDATE), so once it commits, the next request of every
worker sees the new version and rebuilds what it kept. A counter is never read from a cache.
"""

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import DDL, BigInteger, String, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from engagement.db import Base

REFERENCE = "reference"
PUBLIC = "public"

T = TypeVar("T")


class ContentVersion(Base):
    __tablename__ = "content_versions"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=1)


event.listen(
    ContentVersion.__table__,
    "after_create",
    DDL("INSERT INTO content_versions (name, version) VALUES ('reference', 1), ('public', 1)"),
)

_MEMO = "content_versions"


def current(session: Session) -> dict[str, int]:
    """Both counters, read once per session (a request) until it changes them or rolls back."""
    memo: dict[str, int] | None = session.info.get(_MEMO)
    if memo is None:
        memo = dict(session.execute(select(ContentVersion.name, ContentVersion.version)).all())
        session.info[_MEMO] = memo
    return memo


def bump(session: Session, *names: str) -> None:
    """Say that what visitors see of ``names`` changed in this transaction."""
    session.execute(
        update(ContentVersion)
        .where(ContentVersion.name.in_(names))
        .values(version=ContentVersion.version + 1)
    )
    session.info.pop(_MEMO, None)


#: Which kinds of rows are reference data, and which changes touch the published record: set
#: by the areas that own them (see ``watch``).
_reference_types: tuple[type, ...] = ()
_public_change: Callable[[Any], bool] | None = None


def watch(reference_types: tuple[type, ...], public_change: Callable[[Any], bool]) -> None:
    """Register the model classes that are reference data, and the rule telling whether a
    changed object alters the published record."""
    global _reference_types, _public_change
    _reference_types = reference_types
    _public_change = public_change


@event.listens_for(Session, "before_flush")
def _bump_on_change(session: Session, _context: Any, _instances: Any) -> None:
    changed = [
        *session.new,
        *session.deleted,
        *(obj for obj in session.dirty if session.is_modified(obj)),
    ]
    if not changed:
        return
    names = []
    if any(isinstance(obj, _reference_types) for obj in changed):
        names.append(REFERENCE)
    if _public_change is not None and any(_public_change(obj) for obj in changed):
        names.append(PUBLIC)
    if names:
        bump(session, *names)


def clear_memo(session: Session) -> None:
    """After a rollback the counters are read again. (A commit keeps them: what this session
    changed bumped and cleared them already, and one request reads one set of versions.)"""
    session.info.pop(_MEMO, None)


event.listen(Session, "after_rollback", clear_memo)


class KeptCopies:
    """Values kept per database and key, valid while the versions they were built at hold.

    At most ``size`` keys per database are kept (the least recently used goes first), so
    addresses with odd query strings cannot fill a worker's memory.
    """

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._kept: weakref.WeakKeyDictionary[Any, OrderedDict[Any, tuple[Any, Any]]] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    def stamp(self, session: Session, names: tuple[str, ...]) -> tuple[int | None, ...]:
        versions = current(session)
        return tuple(versions.get(name) for name in names)

    def get(self, session: Session, key: Any, names: tuple[str, ...], build: Callable[[], T]) -> T:
        """The kept value for ``key``, or ``build()`` kept from now on."""
        stamp = self.stamp(session, names)
        found = self.find(session, key, stamp)
        if found is not None:
            value: T = found
            return value
        value = build()
        self.keep(session, key, stamp, value)
        return value

    def find(self, session: Session, key: Any, stamp: tuple[Any, ...]) -> Any | None:
        bind = session.get_bind()
        with self._lock:
            kept = self._kept.get(bind)
            found = kept.get(key) if kept is not None else None
            if found is None or found[0] != stamp:
                return None
            kept.move_to_end(key)  # type: ignore[union-attr]
            return found[1]

    def keep(self, session: Session, key: Any, stamp: tuple[Any, ...], value: Any) -> None:
        bind = session.get_bind()
        with self._lock:
            kept = self._kept.setdefault(bind, OrderedDict())
            kept[key] = (stamp, value)
            kept.move_to_end(key)
            while len(kept) > self.size:
                kept.popitem(last=False)
