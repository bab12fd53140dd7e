"""Complaint reviews: one case table (kind, dates, reviewer, decision, recommendation, borough;
the force's complaint number, never the complainant's name or contact details).

Revision ID: 0004_complaints
Revises: 0003_grants
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_complaints"
down_revision = "0003_grants"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _set_roles(ROLES_BEFORE, ROLES_AFTER)
    op.create_table(
        "cr_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("force_reference", sa.String(length=40), nullable=True),
        sa.Column("borough_code", sa.String(length=9), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("allocated_on", sa.Date(), nullable=True),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("recommendation", sa.Text(), nullable=False),
        sa.Column("reduced", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('review', 'chief_officer')", name=op.f("ck_cr_case_kind")),
        sa.CheckConstraint("decision IS NULL OR decision IN ('upheld', 'not_upheld', 'recommendation')",
                           name=op.f("ck_cr_case_decision")),
        sa.CheckConstraint("(decided_on IS NULL) = (decision IS NULL)", name=op.f("ck_cr_case_decided")),
        sa.CheckConstraint("allocated_on IS NULL OR allocated_on >= received_on",
                           name=op.f("ck_cr_case_allocated_after")),
        sa.CheckConstraint("decided_on IS NULL OR decided_on >= received_on", name=op.f("ck_cr_case_decided_after")),
        sa.ForeignKeyConstraint(["reviewer_id"], ["user_account.id"], name=op.f("fk_cr_case_reviewer_id_user_account"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cr_case")),
        sa.UniqueConstraint("reference", name=op.f("uq_cr_case_reference")),
    )
    with op.batch_alter_table("cr_case", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cr_case_received_on"), ["received_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_cr_case_decided_on"), ["decided_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_cr_case_reviewer_id"), ["reviewer_id"], unique=False)


def downgrade() -> None:
    _set_roles(ROLES_AFTER, ROLES_BEFORE)  # first: it refuses while an account is a reviewer
    with op.batch_alter_table("cr_case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cr_case_reviewer_id"))
        batch_op.drop_index(batch_op.f("ix_cr_case_decided_on"))
        batch_op.drop_index(batch_op.f("ix_cr_case_received_on"))
    op.drop_table("cr_case")


ROLES_BEFORE = ("administrator", "coordinator", "visitor", "analyst", "commissioner", "provider")
ROLES_AFTER = (*ROLES_BEFORE, "reviewer")


def _role_check(roles: tuple[str, ...]) -> str:
    return f"role IN ({', '.join(repr(r) for r in roles)})"


def _set_roles(old: tuple[str, ...], new: tuple[str, ...]) -> None:
    """Let user_account.role take the new list. PostgreSQL replaces the CHECK constraint. SQLite cannot
    alter one, and rebuilding user_account would cascade deletes through its foreign keys, so the
    table's stored definition is edited in place, as SQLite documents for changes that leave every
    stored row valid (https://www.sqlite.org/lang_altertable.html, "other kinds of table schema
    changes"); narrowing the list back is refused while an account holds a removed role."""
    bind = op.get_bind()
    removed = set(old) - set(new)
    if removed:
        held = bind.execute(sa.text("SELECT count(*) FROM user_account WHERE role IN :roles")
                            .bindparams(sa.bindparam("roles", expanding=True)), {"roles": sorted(removed)}).scalar()
        if held:
            raise RuntimeError(f"{held} accounts have the role(s) {', '.join(sorted(removed))}: "
                               "change or delete them before going back past this migration")
    if bind.dialect.name == "sqlite":
        sql: str = bind.execute(sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'user_account'")
                           ).scalar_one()
        if _role_check(old) not in sql:
            raise RuntimeError("user_account's role check is not the one this migration expects")
        version: int = bind.execute(sa.text("PRAGMA schema_version")).scalar_one()
        bind.execute(sa.text("PRAGMA writable_schema = ON"))
        bind.execute(sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = 'user_account'"),
                     {"sql": sql.replace(_role_check(old), _role_check(new))})
        bind.execute(sa.text(f"PRAGMA schema_version = {int(version) + 1}"))
        bind.execute(sa.text("PRAGMA writable_schema = OFF"))
    else:
        op.drop_constraint("ck_user_account_role", "user_account", type_="check")
        op.create_check_constraint("ck_user_account_role", "user_account", _role_check(new))
