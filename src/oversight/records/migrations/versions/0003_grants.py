"""Commissioning and grants: funds, programmes, providers and their accounts, grants with boroughs
and measures with targets, quarterly returns and their values, published updates. Money is Numeric(14, 2).

Revision ID: 0003_grants
Revises: 0002_custody
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_grants"
down_revision = "0002_custody"
branch_labels = None
depends_on = None


OLD_ROLES = "role IN ('administrator', 'coordinator', 'visitor', 'analyst')"
NEW_ROLES = "role IN ('administrator', 'coordinator', 'visitor', 'analyst', 'commissioner', 'provider')"
ROLE_CHECK = "ck_user_account_ck_user_account_role"  # the name the first migration's constraint got


def _roles(old: str, new: str) -> None:
    """Widen (or narrow back) the accounts' role CHECK. SQLite cannot alter a constraint, and rebuilding
    user_account would fire its children's ON DELETE CASCADE; the change only allows more values, so it
    edits the table's stored SQL as SQLite documents for such changes (writable_schema, then a new
    schema version)."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        version = bind.exec_driver_sql("PRAGMA schema_version").scalar() or 0
        bind.exec_driver_sql("PRAGMA writable_schema=ON")
        bind.exec_driver_sql("UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' "
                             "AND name = 'user_account'", (old, new))
        bind.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")
        bind.exec_driver_sql("PRAGMA writable_schema=OFF")
        found = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'user_account'").scalar()
        assert new in str(found), "the role constraint was not changed"
    else:
        op.drop_constraint(op.f(ROLE_CHECK), "user_account", type_="check")
        op.create_check_constraint(op.f(ROLE_CHECK), "user_account", sa.text(new))


def upgrade() -> None:
    _roles(OLD_ROLES, NEW_ROLES)
    op.create_table(
        "gr_fund",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gr_fund")),
        sa.UniqueConstraint("name", name=op.f("uq_gr_fund_name")),
    )
    op.create_table(
        "gr_provider",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gr_provider")),
        sa.UniqueConstraint("name", name=op.f("uq_gr_provider_name")),
    )
    op.create_table(
        "gr_programme",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fund_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.ForeignKeyConstraint(["fund_id"], ["gr_fund.id"], name=op.f("fk_gr_programme_fund_id_gr_fund")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gr_programme")),
        sa.UniqueConstraint("fund_id", "name", name="fund_name"),
    )
    with op.batch_alter_table("gr_programme", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gr_programme_fund_id"), ["fund_id"], unique=False)

    op.create_table(
        "gr_provider_member",
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["gr_provider.id"],
            name=op.f("fk_gr_provider_member_provider_id_gr_provider"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_gr_provider_member_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("provider_id", "user_id", name=op.f("pk_gr_provider_member")),
    )
    op.create_table(
        "gr_publication",
        sa.Column("quarter_start", sa.Date(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.Column("published_by", sa.Integer(), nullable=True),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["published_by"],
            ["user_account.id"],
            name=op.f("fk_gr_publication_published_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("quarter_start", name=op.f("pk_gr_publication")),
    )
    op.create_table(
        "gr_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("fund_id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=True),
        sa.Column("priority", sa.String(length=120), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("milestones", sa.Text(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_gr_grant_amount")),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_gr_grant_period")),
        sa.ForeignKeyConstraint(["fund_id"], ["gr_fund.id"], name=op.f("fk_gr_grant_fund_id_gr_fund")),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["gr_programme.id"], name=op.f("fk_gr_grant_programme_id_gr_programme")
        ),
        sa.ForeignKeyConstraint(["provider_id"], ["gr_provider.id"], name=op.f("fk_gr_grant_provider_id_gr_provider")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gr_grant")),
        sa.UniqueConstraint("reference", name=op.f("uq_gr_grant_reference")),
    )
    with op.batch_alter_table("gr_grant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gr_grant_fund_id"), ["fund_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_gr_grant_programme_id"), ["programme_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_gr_grant_provider_id"), ["provider_id"], unique=False)

    op.create_table(
        "gr_grant_borough",
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("borough", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["grant_id"], ["gr_grant.id"], name=op.f("fk_gr_grant_borough_grant_id_gr_grant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("grant_id", "borough", name=op.f("pk_gr_grant_borough")),
    )
    op.create_table(
        "gr_measure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("target", sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('output', 'outcome')", name=op.f("ck_gr_measure_kind")),
        sa.CheckConstraint("target IS NULL OR target > 0", name=op.f("ck_gr_measure_target")),
        sa.ForeignKeyConstraint(
            ["grant_id"], ["gr_grant.id"], name=op.f("fk_gr_measure_grant_id_gr_grant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gr_measure")),
        sa.UniqueConstraint("grant_id", "name", name="grant_name"),
    )
    with op.batch_alter_table("gr_measure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gr_measure_grant_id"), ["grant_id"], unique=False)

    op.create_table(
        "gr_return",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("quarter_start", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("referrals", sa.Integer(), nullable=False),
        sa.Column("people_supported", sa.Integer(), nullable=False),
        sa.Column("spend", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("narrative", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("submitted_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("returned_reason", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'returned', 'signed_off')", name=op.f("ck_gr_return_status")
        ),
        sa.CheckConstraint("referrals >= 0 AND people_supported >= 0 AND spend >= 0", name=op.f("ck_gr_return_counts")),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["user_account.id"], name=op.f("fk_gr_return_decided_by_user_account"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"], ["gr_grant.id"], name=op.f("fk_gr_return_grant_id_gr_grant"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by"],
            ["user_account.id"],
            name=op.f("fk_gr_return_submitted_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gr_return")),
        sa.UniqueConstraint("grant_id", "quarter_start", name="grant_quarter"),
    )
    with op.batch_alter_table("gr_return", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gr_return_grant_id"), ["grant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_gr_return_quarter_start"), ["quarter_start"], unique=False)

    op.create_table(
        "gr_return_value",
        sa.Column("return_id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.CheckConstraint("value >= 0", name=op.f("ck_gr_return_value_value")),
        sa.ForeignKeyConstraint(
            ["measure_id"], ["gr_measure.id"], name=op.f("fk_gr_return_value_measure_id_gr_measure"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["return_id"], ["gr_return.id"], name=op.f("fk_gr_return_value_return_id_gr_return"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("return_id", "measure_id", name=op.f("pk_gr_return_value")),
    )


def downgrade() -> None:
    op.execute("DELETE FROM user_account WHERE role IN ('commissioner', 'provider')")
    _roles(NEW_ROLES, OLD_ROLES)
    op.drop_table("gr_return_value")
    with op.batch_alter_table("gr_return", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gr_return_quarter_start"))
        batch_op.drop_index(batch_op.f("ix_gr_return_grant_id"))

    op.drop_table("gr_return")
    with op.batch_alter_table("gr_measure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gr_measure_grant_id"))

    op.drop_table("gr_measure")
    op.drop_table("gr_grant_borough")
    with op.batch_alter_table("gr_grant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gr_grant_provider_id"))
        batch_op.drop_index(batch_op.f("ix_gr_grant_programme_id"))
        batch_op.drop_index(batch_op.f("ix_gr_grant_fund_id"))

    op.drop_table("gr_grant")
    op.drop_table("gr_publication")
    op.drop_table("gr_provider_member")
    with op.batch_alter_table("gr_programme", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gr_programme_fund_id"))

    op.drop_table("gr_programme")
    op.drop_table("gr_provider")
    op.drop_table("gr_fund")
