"""Delete All: every contact of a line, in batches, with progress.

Each batch is its own short transaction, so other users of the line watch the list empty and
an interruption leaves whole batches done. Batches are id ranges found by keyset (on the
line's (line_id, id) index), so no batch rescans rows an earlier one deleted.

Kept: the consent history (it is keyed by line and phone, and is the line's suppression
record: a number that opted out comes back opted out when added again), messages and review
flags (their contact link becomes empty). Removed: the contacts and their list memberships.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from contacts_app import live
from contacts_app.db import session_scope
from contacts_app.domain import events
from contacts_app.domain.permissions import Action, require
from contacts_app.models import Contact, Line, ListMembership, User

# Measured (benchmarks/delete_all_bench.py): bigger batches are faster on SQLite, where each commit
# costs a WAL sync; 10,000 still commits about ten times a second, so progress stays live.
# CONTACTS_DELETE_BATCH_SIZE changes it (the worker tests use small batches to stop one mid-way).
DELETE_BATCH_SIZE = int(os.environ.get("CONTACTS_DELETE_BATCH_SIZE") or 10_000)

# Called after each batch with (contacts deleted so far, contacts there were when it began).
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class DeleteScope:
    """What "Delete All" meant when it was asked for: the line's contacts up to `upto_id`."""

    total: int
    upto_id: int | None


def delete_scope(session: Session, line_id: int) -> DeleteScope:
    total, last_id = session.exec(select(func.count(), func.max(Contact.id)).where(Contact.line_id == line_id)).one()
    return DeleteScope(total, last_id)


def delete_all_contacts(
    engine: Engine,
    line_id: int,
    progress: Progress | None = None,
    batch_size: int = DELETE_BATCH_SIZE,
    scope: DeleteScope | None = None,
) -> int:
    """Delete the contacts the line has now (or had when `scope` was taken); returns how many.

    Contacts added while it runs (ids above the highest at the start) are left alone. Run again
    with the same `scope` after an interruption, it deletes what is left and its progress
    counts on from what the first run did. This checks no permission: callers use
    `delete_all_contacts_for` or check `Action.DELETE_ALL`.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1.")
    with session_scope(engine) as session:
        scope = scope or delete_scope(session, line_id)
        remaining, last_id = session.exec(
            select(func.count(), func.max(Contact.id)).where(
                Contact.line_id == line_id, col(Contact.id) <= (scope.upto_id or 0)
            )
        ).one()
    total = scope.total
    done = max(0, total - remaining)
    deleted = 0
    after = 0
    while last_id is not None and after < last_id:
        with session_scope(engine) as session:
            upper = session.exec(
                select(Contact.id)
                .where(Contact.line_id == line_id, col(Contact.id) > after, col(Contact.id) <= last_id)
                .order_by(col(Contact.id))
                .offset(batch_size - 1)
                .limit(1)
            ).first()
            upper = last_id if upper is None else upper
            deleted += _delete_range(session, line_id, after, upper)
        after = upper
        if progress is not None:
            progress(min(done + deleted, total), total)
    if deleted:
        live.line_changed(line_id)
    return deleted


def _delete_range(session: Session, line_id: int, after: int, upper: int) -> int:
    in_range = (Contact.line_id == line_id, col(Contact.id) > after, col(Contact.id) <= upper)
    line = session.get(Line, line_id)
    if line is not None and events.subscribed_endpoints(session, line, events.CONTACT_DELETED):
        # Webhook subscribers hear of each contact, as for a single delete; slower, so only when asked for.
        for contact in session.exec(select(Contact).where(*in_range).order_by(col(Contact.id))):
            events.emit(session, events.CONTACT_DELETED, contact, line=line)
    # Explicit rather than left to ON DELETE CASCADE, which SQLite applies only with foreign_keys on.
    session.exec(delete(ListMembership).where(col(ListMembership.contact_id).in_(select(Contact.id).where(*in_range))))
    return session.exec(delete(Contact).where(*in_range)).rowcount


def delete_all_contacts_for(
    engine: Engine,
    user_id: int,
    line_id: int,
    progress: Progress | None = None,
    batch_size: int = DELETE_BATCH_SIZE,
    scope: DeleteScope | None = None,
) -> int:
    """Delete All as the signed-in user asks it: refused with PermissionDenied unless they may, on this line."""
    with session_scope(engine) as session:
        require(session, session.get(User, user_id), Action.DELETE_ALL, line_id)
    return delete_all_contacts(engine, line_id, progress, batch_size, scope)
