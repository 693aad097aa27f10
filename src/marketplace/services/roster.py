"""The real-name roster (会员名册, 实名制): importing the union's member list, verifying members by it, and
members' requests for verification that a curator approves or declines.

Importing goes as questionnaires do (services/tabular.py): upload (the same file again is the same import),
mapping, preview, then batches in the worker with progress and bad rows by number. An entry is the
market's row for a phone (and a union card number, each unique in the market): a re-import updates it in
place. An account with the entry's phone in the market is verified when its name is the roster's
(`domain/roster.same_name`): its groups and union card come from the roster, a pending request is closed,
and it is told. A phone whose account carries another name is not verified: the entry is flagged
`name_differs` (the roster page shows it) and the member may ask for verification, which a curator
decides. A member registering with a phone and name on the roster is verified at once.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain import roster as rules
from ..errors import Conflict, InvalidInput, NotFound
from ..models import Market, RosterEntry, RosterFile, RosterImport, User, VerificationRequest
from ..models.base import utcnow
from ..texts import msg
from . import audit, notices, tabular

IMPORT_JOB = "import_roster"
BATCH_ROWS = 2000
MAX_FILE_BYTES = 10_000_000
MAX_ROWS = 200_000
PREVIEW_ROWS = 10
SOURCE_ROSTER, SOURCE_CURATOR = "roster", "curator"
REQUEST_STATES = ("pending", "approved", "declined", "closed")


# --- importing -------------------------------------------------------------------------------------------


KIND = tabular.Kind(
    model=RosterImport,
    file_model=RosterFile,
    name="roster",
    job=IMPORT_JOB,
    missing="No such roster import.",
    guess=rules.guess_mapping,
    check=rules.check_mapping,
    max_bytes=MAX_FILE_BYTES,
    max_rows=MAX_ROWS,
)


async def upload(db: AsyncSession, curator: User, filename: str, content: bytes) -> tuple[RosterImport, bool]:
    """Keep an uploaded roster with its guessed mapping. The same file again (by its digest) is the import
    already made: (that import, False)."""
    return await tabular.upload(db, KIND, curator, filename, content)


async def get_import(db: AsyncSession, market_id: int, import_id: int, *, lock: bool = False) -> RosterImport:
    return await tabular.get_import(db, KIND, market_id, import_id, lock=lock)


async def list_imports(db: AsyncSession, market_id: int, limit: int = 20, offset: int = 0) -> tuple[list, int]:
    return await tabular.list_imports(db, KIND, market_id, limit, offset)


async def set_mapping(db: AsyncSession, curator: User, import_id: int, raw: dict[str, object]) -> RosterImport:
    return await tabular.set_mapping(db, KIND, curator, import_id, raw)


async def preview(
    db: AsyncSession, market_id: int, import_id: int, n: int = PREVIEW_ROWS
) -> tuple[RosterImport, list[rules.Entry | rules.Fault]]:
    """The first rows as the import's mapping will read them (empty once the import is done)."""
    found = await get_import(db, market_id, import_id)
    content = await tabular.content_of(db, KIND, found.id)
    if content is None or rules.check_mapping(found.mapping, len(found.headers)):
        return found, []

    def first() -> list:
        read = (rules.read_row(number, cells, found.mapping) for number, cells in tabular.rows_of(content, 0, n * 2))
        return [r for r in read if r is not None][:n]

    return found, await asyncio.to_thread(first)


async def start(db: AsyncSession, curator: User, import_id: int, *, in_worker: bool = True) -> RosterImport:
    """Queue the import (once); `in_worker=False`: the caller runs the batches itself (the demo data)."""
    return await tabular.start(db, KIND, curator, import_id, in_worker=in_worker)


_ENTRIES = RosterEntry.__table__
_KEPT = ("name", "union_card", "workplace", "groups")


async def run_batch(db: AsyncSession, import_id: int, rows: int = BATCH_ROWS, *, chain: bool = True) -> dict:
    """Read the next batch of an import's rows into the roster and verify the accounts they match, in the
    caller's transaction; queue the next batch (chain) or finish. Idempotent: the import row, locked, says
    where to go on from, and an entry is written only where it changes."""
    found = await tabular.lock_for_batch(db, KIND, import_id)
    if found is None:
        return {"skipped": True}
    content = await tabular.content_of(db, KIND, found.id)
    start_at = found.processed_rows

    def read() -> tuple[list[rules.Entry], list[rules.Fault], int]:
        entries, faults, seen = [], [], 0
        for number, cells in tabular.rows_of(content, start_at, rows):
            seen += 1
            got = rules.read_row(number, cells, found.mapping)
            if isinstance(got, rules.Entry):
                entries.append(got)
            elif isinstance(got, rules.Fault):
                faults.append(got)
        return entries, faults, seen

    entries, faults, seen = await asyncio.to_thread(read)
    entries, repeated = rules.duplicates(entries)
    faults.extend(repeated)
    entries, held = await _against_roster(db, found, entries)
    faults.extend(held)
    inserted = updated = 0
    if entries:
        now = utcnow()
        values = [
            {
                "market_id": found.market_id,
                "name": e.name,
                "phone": e.phone,
                "union_card": e.union_card,
                "workplace": e.workplace,
                "groups": e.groups,
                "import_id": found.id,
                "row_number": e.row,
                "name_differs": False,
                "created_at": now,
                "updated_at": now,
            }
            for e in entries
        ]
        statement = insert(_ENTRIES)
        changed = sa.or_(*(_ENTRIES.c[k].is_distinct_from(statement.excluded[k]) for k in _KEPT))
        statement = statement.on_conflict_do_update(
            index_elements=["market_id", "phone"],
            set_={k: statement.excluded[k] for k in (*_KEPT, "import_id", "row_number", "updated_at")},
            where=changed,
        ).returning(sa.literal_column("xmax = 0").label("inserted"))
        written = (await db.execute(statement, values)).scalars().all()
        inserted = sum(1 for w in written if w)
        updated = len(written) - inserted
    verified, differing = await _verify_accounts(db, found, entries)
    found.imported_rows += inserted
    found.updated_rows += updated
    found.duplicate_rows += len(entries) - inserted - updated
    found.verified_users += verified
    found.name_mismatches += differing
    faults.sort(key=lambda f: f.row)
    tabular.record_faults(found, faults)
    finished = await tabular.end_batch(db, KIND, found, seen, rows, chain=chain)
    return {"import_id": found.id, "rows": seen, "imported": inserted, "updated": updated, "done": finished}


async def _against_roster(
    db: AsyncSession, found: RosterImport, entries: list[rules.Entry]
) -> tuple[list[rules.Entry], list[rules.Fault]]:
    """Refuse rows whose union card number the roster holds for another phone, and a phone an earlier
    batch of the same file already gave."""
    if not entries:
        return [], []
    phones = [e.phone for e in entries]
    cards = [e.union_card for e in entries if e.union_card]
    query = sa.select(_ENTRIES.c.phone, _ENTRIES.c.union_card, _ENTRIES.c.import_id, _ENTRIES.c.row_number).where(
        _ENTRIES.c.market_id == found.market_id,
        sa.or_(_ENTRIES.c.phone.in_(phones), _ENTRIES.c.union_card.in_(cards or [""])),
    )
    rows = (await db.execute(query)).all()
    card_holder = {r.union_card: r.phone for r in rows if r.union_card}
    earlier = {r.phone: r.row_number for r in rows if r.import_id == found.id}
    kept, faults = [], []
    for e in entries:
        first = earlier.get(e.phone)
        if first is not None and first < e.row:
            faults.append(rules.Fault(e.row, "The phone number is also on row %(first)s.", {"first": first}))
        elif e.union_card and card_holder.get(e.union_card, e.phone) != e.phone:
            faults.append(rules.Fault(e.row, "The union card number is on the roster for another phone number."))
        else:
            kept.append(e)
    return kept, faults


async def _verify_accounts(db: AsyncSession, found: RosterImport, entries: list[rules.Entry]) -> tuple[int, int]:
    """Verify the market's accounts whose phone and name the batch's entries give; flag a phone whose
    account carries another name. (accounts verified or brought up to date, names differing)"""
    by_phone = {e.phone: e for e in entries}
    if not by_phone:
        return 0, 0
    query = sa.select(User).where(User.market_id == found.market_id, User.phone.in_(list(by_phone)))
    users = list((await db.execute(query)).scalars())
    verified = differing = 0
    links = []
    curator = await db.get(User, found.created_by) if found.created_by else None
    for user in users:
        entry = by_phone[user.phone]
        if not rules.same_name(entry.name, user.name):
            differing += 1
            links.append({"p": user.phone, "u": user.id, "d": True})
            continue
        links.append({"p": user.phone, "u": user.id, "d": False})
        if await _verify(db, user, entry.groups, entry.union_card, SOURCE_ROSTER, curator, found.id):
            verified += 1
    if links:
        await db.execute(
            sa.update(_ENTRIES)
            .where(_ENTRIES.c.market_id == found.market_id, _ENTRIES.c.phone == sa.bindparam("p"))
            .values(user_id=sa.bindparam("u"), name_differs=sa.bindparam("d")),
            links,
        )
    return verified, differing


async def _verify(
    db: AsyncSession,
    user: User,
    groups: list[str],
    union_card: str | None,
    source: str,
    by: User | None,
    import_id: int | None = None,
) -> bool:
    """Mark the account verified with these groups (and union card, unless another account holds it);
    close its pending request; tell the member. False when nothing changed."""
    card = union_card if union_card and union_card != user.union_card else None
    if card is not None:
        holder = (await db.execute(sa.select(User.id).where(User.union_card == card, User.id != user.id))).first()
        card = None if holder else card
    groups = sorted(set(groups))
    if user.verified_at is not None and sorted(user.groups) == groups and card is None and not user.claimed_groups:
        return False
    user.verified_at, user.verified_source, user.verified_by = utcnow(), source, by.id if by else None
    user.groups = groups
    user.claimed_groups = []
    if card is not None:
        user.union_card = card
    user.updated_at = utcnow()
    db.add(user)
    if source == SOURCE_ROSTER:
        await db.execute(
            sa.update(VerificationRequest)
            .where(VerificationRequest.user_id == user.id, VerificationRequest.state == "pending")
            .values(state="closed", decided_by=by.id if by else None, decided_at=utcnow(), reason="roster")
        )
    await notices.notify(
        db,
        user.id,
        user.market_id,
        "verified",
        msg("Your membership is verified"),
        msg(
            "The union has verified your membership (real name). Services for verified members and for your "
            "groups are open to you; your groups are shown on your Me page."
        ),
        dedupe_key=f"verified:{user.id}:{source}:{import_id or ''}:{','.join(groups)}",
    )
    return True


async def verify_at_registration(db: AsyncSession, user: User) -> bool:
    """A member registering with a phone and name the market's roster holds is verified at once."""
    entry = (
        await db.execute(
            sa.select(RosterEntry).where(RosterEntry.market_id == user.market_id, RosterEntry.phone == user.phone)
        )
    ).scalar_one_or_none()
    if entry is None:
        return False
    entry.user_id = user.id
    entry.name_differs = not rules.same_name(entry.name, user.name)
    db.add(entry)
    if entry.name_differs:
        return False
    await db.flush()
    return await _verify(db, user, list(entry.groups), entry.union_card, SOURCE_ROSTER, None)


async def import_file(
    session_factory: Callable,
    curator: User,
    filename: str,
    content: bytes,
    progress: Callable[[int, int], None] | None = None,
) -> RosterImport:
    """Upload (mapping guessed) and import a roster here and now, one transaction per batch (the demo data)."""

    async def batch(db: AsyncSession, import_id: int) -> dict:
        return await run_batch(db, import_id, chain=False)

    return await tabular.run_here(session_factory, KIND, curator, filename, content, batch, progress)


# --- the roster as it stands ------------------------------------------------------------------------------


async def entries(db: AsyncSession, market_id: int, q: str | None, limit: int, offset: int) -> tuple[list, int]:
    """The market's roster, found by a name (any part), a whole phone number or a whole union card number."""
    query = sa.select(RosterEntry).where(RosterEntry.market_id == market_id)
    q = rules.clean(q or "")
    if q:
        phone = rules.normalize_phone(q)
        card = rules.card_of(q)
        query = query.where(
            sa.or_(
                RosterEntry.phone == phone if phone else sa.false(),
                RosterEntry.union_card == card,
                RosterEntry.name.contains(q, autoescape=True),
            )
        )
    total = (await db.execute(sa.select(sa.func.count()).select_from(query.subquery()))).scalar_one()
    rows = await db.execute(query.order_by(RosterEntry.name, RosterEntry.id).limit(limit).offset(offset))
    return list(rows.scalars()), total


async def set_verified_only(db: AsyncSession, curator: User, verified_only: bool) -> Market:
    """The market's setting: only verified members may order (audited)."""
    market = await db.get(Market, curator.market_id, with_for_update=True)
    if market.verified_only != verified_only:
        await audit.record(
            db, curator, "verified_only", "market", market.id, before=market.verified_only, after=verified_only
        )
        market.verified_only = verified_only
        db.add(market)
    return market


async def market_of(db: AsyncSession, market_id: int) -> Market:
    return await db.get(Market, market_id)


# --- members' requests ------------------------------------------------------------------------------------


@dataclass
class Standing:
    """A member's verification as they see it: the account's state and their latest request."""

    user: User
    request: VerificationRequest | None


async def standing(db: AsyncSession, member: User) -> Standing:
    query = (
        sa.select(VerificationRequest)
        .where(VerificationRequest.user_id == member.id)
        .order_by(VerificationRequest.id.desc())
        .limit(1)
    )
    return Standing(member, (await db.execute(query)).scalar_one_or_none())


async def _open_request(db: AsyncSession, member: User) -> VerificationRequest | None:
    """The member's pending request, locked (asking again updates it)."""
    query = (
        sa.select(VerificationRequest)
        .where(VerificationRequest.user_id == member.id, VerificationRequest.state == "pending")
        .with_for_update()
    )
    return (await db.execute(query)).scalar_one_or_none()


async def ask(
    db: AsyncSession, member: User, union_card: str, workplace: str, groups: list[str], note: str
) -> VerificationRequest:
    """A member asks the union to verify them (and confirm their groups); asking again while a request is
    open updates it. The groups asked unlock nothing until a curator approves."""
    card = rules.card_of(union_card)
    if rules.card_problem(card):
        raise InvalidInput(rules.card_problem(card), field="union_card")
    if member.verified_at is not None and set(groups) <= set(member.groups):
        raise Conflict("Your membership is already verified.", field="groups")
    groups = sorted(set(groups))
    pending = await _open_request(db, member)
    if pending is None:
        pending = VerificationRequest(market_id=member.market_id, user_id=member.id)
    pending.union_card, pending.workplace, pending.groups, pending.note = card, workplace, groups, note
    pending.updated_at = utcnow()
    db.add(pending)
    member.claimed_groups = sorted(set(groups) - set(member.groups))
    member.updated_at = utcnow()
    db.add(member)
    await db.flush()
    return pending


async def claim_groups(db: AsyncSession, member: User, groups: list[str]) -> None:
    """Groups a member says they belong to (the Me form): leaving one is at once, joining one is a
    verification request for the union to decide (its other answers kept). The request asks for every group
    said (approving it sets the member's groups to them); `claimed_groups` are those not yet confirmed."""
    said = set(groups)
    member.groups = sorted(set(member.groups) & said)
    joining = sorted(said - set(member.groups))
    pending = await _open_request(db, member)
    if joining:
        if pending is None:
            pending = VerificationRequest(market_id=member.market_id, user_id=member.id)
        pending.groups, pending.updated_at = sorted(said), utcnow()
        db.add(pending)
    elif pending is not None:
        pending.groups, pending.updated_at = sorted(said), utcnow()
        if member.verified_at is not None or not (pending.union_card or pending.workplace or pending.note):
            pending.state, pending.decided_at = "closed", utcnow()  # nothing left to ask
        db.add(pending)
    member.claimed_groups = joining


async def close_pending(db: AsyncSession, curator: User, user: User) -> None:
    """A curator set the member's groups by hand (the accounts page): an open request is settled by it."""
    await db.execute(
        sa.update(VerificationRequest)
        .where(VerificationRequest.user_id == user.id, VerificationRequest.state == "pending")
        .values(state="closed", decided_by=curator.id, decided_at=utcnow(), reason="groups")
    )


@dataclass
class RequestRow:
    request: VerificationRequest
    member: User
    entry: RosterEntry | None  # the roster's row for the member's phone, if any


async def requests(
    db: AsyncSession, market_id: int, state: str | None, q: str | None, limit: int, offset: int
) -> tuple[list[RequestRow], int]:
    """The market's verification requests (a state's, or all), newest first, with the member and the
    roster's row for their phone; found by the member's name or whole phone number."""
    query = (
        sa.select(VerificationRequest, User, RosterEntry)
        .join(User, User.id == VerificationRequest.user_id)
        .outerjoin(RosterEntry, sa.and_(RosterEntry.market_id == market_id, RosterEntry.phone == User.phone))
        .where(VerificationRequest.market_id == market_id)
    )
    if state:
        query = query.where(VerificationRequest.state == state)
    q = rules.clean(q or "")
    if q:
        phone = rules.normalize_phone(q)
        query = query.where(User.phone == phone if phone else User.name.contains(q, autoescape=True))
    total = (await db.execute(sa.select(sa.func.count()).select_from(query.subquery()))).scalar_one()
    rows = await db.execute(query.order_by(VerificationRequest.id.desc()).limit(limit).offset(offset))
    return [RequestRow(r, u, e) for r, u, e in rows.all()], total


async def _pending(db: AsyncSession, curator: User, request_id: int) -> tuple[VerificationRequest, User]:
    found = await db.get(VerificationRequest, request_id, with_for_update=True, populate_existing=True)
    if found is None or found.market_id != curator.market_id:
        raise NotFound("No such verification request.")
    if found.state != "pending":
        raise Conflict("This request was already decided.", field="request_id")
    return found, await db.get(User, found.user_id, with_for_update=True, populate_existing=True)


async def approve(db: AsyncSession, curator: User, request_id: int, groups: list[str] | None) -> VerificationRequest:
    """Verify the member, with the groups the curator grants (the whole list; unless said, the ones asked)."""
    found, member = await _pending(db, curator, request_id)
    granted = sorted(set(found.groups if groups is None else groups))
    found.state, found.decided_by, found.decided_at = "approved", curator.id, utcnow()
    await db.flush()
    await _verify(db, member, granted, found.union_card or None, SOURCE_CURATOR, curator, found.id)
    await audit.record(db, curator, "approve_verification", "user", member.id, request=found.id, groups=granted)
    return found


async def decline(db: AsyncSession, curator: User, request_id: int, reason: str) -> VerificationRequest:
    """Turn a request down with a reason the member reads."""
    if not reason.strip():
        raise InvalidInput("Say why the request is declined.", field="reason")
    found, member = await _pending(db, curator, request_id)
    found.state, found.reason = "declined", reason.strip()
    found.decided_by, found.decided_at = curator.id, utcnow()
    member.claimed_groups = []
    db.add(member)
    await audit.record(db, curator, "decline_verification", "user", member.id, request=found.id, reason=found.reason)
    await notices.notify(
        db,
        member.id,
        member.market_id,
        "verification_declined",
        msg("Your verification request was declined"),
        msg("The union declined your verification request: %(reason)s", reason=found.reason),
        dedupe_key=f"verification-declined:{found.id}",
    )
    return found
