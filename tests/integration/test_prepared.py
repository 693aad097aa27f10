"""Statements run on the session's own driver connection (prepared.py): the same values in and out as
through SQLAlchemy, in the same transaction, and the driver's errors reaching callers as SQLAlchemy's."""

from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DBAPIError, IntegrityError

from marketplace.domain.roles import Role
from marketplace.models import User
from marketplace.outage import is_outage
from marketplace.prepared import Prepared

_ECHO = sa.text(
    "SELECT CAST(:data AS jsonb) AS data, CAST(:n AS integer) + 1 AS next, "
    "pg_get_serial_sequence(:table, 'id') AS sequence"
).bindparams(sa.bindparam("data", type_=JSONB), sa.bindparam("table", value="orders"))
_NAME = sa.text("SELECT name FROM users WHERE id = CAST(:id AS integer)")
_KEY = sa.text("INSERT INTO idempotency_keys (user_id, key, created_at) VALUES (CAST(:owner AS integer), 'k', now())")


async def test_values_go_in_and_come_back_as_through_sqlalchemy(factory):
    async with factory.sessionmaker() as db:
        row = await Prepared(_ECHO).first(db, {"data": {"名": ["甲", 1]}, "n": 41})
        assert (row.data, row.next, row.sequence) == ({"名": ["甲", 1]}, 42, "public.orders_id_seq")
        assert await Prepared(_NAME).first(db, {"id": 0}) is None


async def test_it_runs_in_the_session_s_transaction_after_its_pending_changes(factory):
    user = await factory.user(Role.member)
    async with factory.sessionmaker() as db:
        member = await db.get(User, user.id)
        member.name = "改过的名字"  # pending: flushed before the statement, as SQLAlchemy's autoflush would
        assert (await Prepared(_NAME).first(db, {"id": user.id})).name == "改过的名字"
        await db.rollback()
        assert (await Prepared(_NAME).first(db, {"id": user.id})).name == user.name


async def test_a_conflict_is_sqlalchemy_s_integrity_error(factory):
    async with factory.sessionmaker() as db:
        with pytest.raises(IntegrityError):  # no such user: the foreign key refuses
            await Prepared(_KEY).rows(db, {"owner": 999_999})


async def test_a_connection_cut_under_a_statement_is_an_outage(factory, engine):
    async with factory.sessionmaker() as db:
        pid = (await Prepared(sa.text("SELECT pg_backend_pid() AS pid")).first(db, {})).pid
        async with engine.connect() as other:
            await other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(DBAPIError) as caught:
            await Prepared(_NAME).first(db, {"id": 1})
        assert is_outage(caught.value)


async def test_the_first_statement_of_a_transaction_is_undone_with_it(factory):
    # SQLAlchemy's asyncpg adapter begins the transaction with its own first statement: a prepared one first
    # must not run on its own (it would stay written after a rollback)
    user = await factory.user(Role.member)
    async with factory.sessionmaker() as db:
        await Prepared(_KEY).rows(db, {"owner": user.id})
        await db.rollback()
    async with factory.sessionmaker() as db:
        assert await Prepared(sa.text("SELECT count(*) AS n FROM idempotency_keys")).first(db, {}) == SimpleNamespace(
            n=0
        )


async def test_a_read_before_the_transaction_sends_no_begin_and_what_follows_is_still_one_transaction(factory):
    # The login session's lookup and an order's target run before the request's transaction (begin=False):
    # a request that writes nothing sends neither BEGIN nor COMMIT; one that writes still writes atomically.
    user = await factory.user(Role.member)
    async with factory.sessionmaker() as db:
        assert (await Prepared(_NAME).first(db, {"id": user.id}, begin=False)).name == user.name
        driver = (await (await db.connection()).get_raw_connection()).driver_connection
        assert not driver.is_in_transaction()
        await Prepared(_KEY).rows(db, {"owner": user.id})  # the first write begins the transaction
        assert driver.is_in_transaction()
        assert (await Prepared(_NAME).first(db, {"id": user.id}, begin=False)).name == user.name  # inside it now
        await db.rollback()
    async with factory.sessionmaker() as db:
        assert (await db.execute(sa.text("SELECT count(*) FROM idempotency_keys"))).scalar_one() == 0
