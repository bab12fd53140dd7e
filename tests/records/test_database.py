"""Migrations up and down on both databases, the models they make, and the audit log."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DBAPIError

from oversight.records import db, kinds
from oversight.records.models import AuditEntry, User
from oversight.records.web import create_user


def test_migrations_upgrade_downgrade_and_upgrade_again(engine):
    db.upgrade(engine)
    head = db.head_revision(engine)
    assert db.current_revision(engine) == head
    tables = set(inspect(engine).get_table_names())
    assert {"user_account", "login_session", "login_attempt", "audit_log"} <= tables
    db.downgrade(engine, "base")
    assert db.current_revision(engine) is None
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    db.upgrade(engine)
    assert db.current_revision(engine) == head


def test_every_step_goes_down_and_up(engine):
    """Each migration's downgrade undoes it: step down one at a time to base, then up one at a time."""
    from alembic.script import ScriptDirectory

    revisions = [r.revision for r in ScriptDirectory.from_config(db.alembic_config(engine)).walk_revisions()]
    db.upgrade(engine)
    for _ in revisions:
        db.downgrade(engine, "-1")
    assert db.current_revision(engine) is None
    for _ in revisions:
        db.upgrade(engine, "+1")
    assert db.current_revision(engine) == revisions[0]


def test_the_migrations_make_the_tables_the_models_describe(engine):
    db.upgrade(engine)
    kinds.load_models()
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), db.Base.metadata)
    assert diff == []


def test_the_audit_log_records_who_changed_what_before_and_after(records):
    with records.session("set-up") as s:
        admin = create_user(s, "admin1", "Admin One", "administrator", "a long enough password")
    with records.session(admin) as s:
        person = create_user(s, "visitor1", "Visitor One", "visitor", "a long enough password")
    with records.session(admin) as s:
        stored = s.get(User, person.id)
        stored.display_name = "Visitor 1"
        stored.password_hash = "changed"
    with records.session(admin) as s:
        s.delete(s.get(User, person.id))
    with records.session() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.row_id == str(person.id))
                            .order_by(AuditEntry.id)).all()
    assert [(e.action, e.actor, e.actor_id) for e in entries] == [
        ("insert", "admin1", admin.id), ("update", "admin1", admin.id), ("delete", "admin1", admin.id)]
    assert entries[0].after["display_name"] == "Visitor One"
    assert entries[0].after["password_hash"] == "(not recorded)"
    assert entries[1].before == {"display_name": "Visitor One", "password_hash": "(not recorded)"}
    assert entries[1].after == {"display_name": "Visitor 1", "password_hash": "(not recorded)"}
    assert entries[2].before["username"] == "visitor1" and entries[2].after is None


def test_a_failed_change_leaves_no_audit_entry(records):
    with records.session("set-up") as s:
        create_user(s, "admin1", "Admin One", "administrator", "a long enough password")
    with pytest.raises(RuntimeError), records.session("set-up") as s:
        s.get(User, 1).display_name = "never saved"
        s.flush()
        raise RuntimeError
    with records.session() as s:
        assert s.scalar(select(AuditEntry.id).where(AuditEntry.action == "update")) is None


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"])
def test_the_database_refuses_to_change_the_audit_log(records, statement):
    with records.session("set-up") as s:
        create_user(s, "admin1", "Admin One", "administrator", "a long enough password")
    with pytest.raises(DBAPIError, match="append-only"), records.engine.begin() as connection:
        connection.execute(text(statement))
    with records.session() as s:
        assert s.scalar(select(AuditEntry.actor)) == "set-up"


def test_an_unmigrated_database_says_what_to_run(engine):
    records = db.Records(engine=engine)
    with pytest.raises(db.RecordsError, match="oversight records migrate"):
        records.check()
