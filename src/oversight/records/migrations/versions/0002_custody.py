"""Custody visiting: panels and their members, suites, the visit rota, visit reports (counts only),
reasons detainees were not available, and issues with their escalation to the police.

Revision ID: 0002_custody
Revises: 0001_accounts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_custody"
down_revision = "0001_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cv_panel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("area", sa.String(length=200), nullable=False),
        sa.Column("visits_per_suite", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("visits_per_suite BETWEEN 1 AND 31", name=op.f("ck_cv_panel_coverage")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cv_panel")),
        sa.UniqueConstraint("name", name=op.f("uq_cv_panel_name")),
    )
    op.create_table(
        "cv_panel_member",
        sa.Column("panel_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["panel_id"], ["cv_panel.id"], name=op.f("fk_cv_panel_member_panel_id_cv_panel"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_cv_panel_member_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("panel_id", "user_id", name=op.f("pk_cv_panel_member")),
    )
    op.create_table(
        "cv_suite",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("panel_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_note", sa.String(length=300), nullable=False),
        sa.Column("cells", sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('open', 'temporarily_closed', 'closed')", name=op.f("ck_cv_suite_status")),
        sa.ForeignKeyConstraint(["panel_id"], ["cv_panel.id"], name=op.f("fk_cv_suite_panel_id_cv_panel")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cv_suite")),
        sa.UniqueConstraint("name", name=op.f("uq_cv_suite_name")),
    )
    with op.batch_alter_table("cv_suite", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cv_suite_panel_id"), ["panel_id"], unique=False)

    op.create_table(
        "cv_visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("panel_id", sa.Integer(), nullable=False),
        sa.Column("suite_id", sa.Integer(), nullable=False),
        sa.Column("visit_date", sa.Date(), nullable=False),
        sa.Column("day_part", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("first_visitor_id", sa.Integer(), nullable=True),
        sa.Column("second_visitor_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "day_part IN ('morning', 'afternoon', 'evening', 'night')", name=op.f("ck_cv_visit_day_part")
        ),
        sa.CheckConstraint("status IN ('scheduled', 'made', 'missed', 'cancelled')", name=op.f("ck_cv_visit_status")),
        sa.ForeignKeyConstraint(
            ["first_visitor_id"],
            ["user_account.id"],
            name=op.f("fk_cv_visit_first_visitor_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(["panel_id"], ["cv_panel.id"], name=op.f("fk_cv_visit_panel_id_cv_panel")),
        sa.ForeignKeyConstraint(
            ["second_visitor_id"],
            ["user_account.id"],
            name=op.f("fk_cv_visit_second_visitor_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(["suite_id"], ["cv_suite.id"], name=op.f("fk_cv_visit_suite_id_cv_suite")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cv_visit")),
    )
    with op.batch_alter_table("cv_visit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cv_visit_panel_id"), ["panel_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cv_visit_suite_id"), ["suite_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cv_visit_visit_date"), ["visit_date"], unique=False)

    op.create_table(
        "cv_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("time_in", sa.Time(), nullable=False),
        sa.Column("time_out", sa.Time(), nullable=False),
        sa.Column("held", sa.Integer(), nullable=False),
        sa.Column("not_available", sa.Integer(), nullable=False),
        sa.Column("declined", sa.Integer(), nullable=False),
        sa.Column("interviewed", sa.Integer(), nullable=False),
        sa.Column("filed_by", sa.Integer(), nullable=True),
        sa.Column("filed_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("held = not_available + declined + interviewed", name=op.f("ck_cv_report_adds_up")),
        sa.CheckConstraint(
            "held >= 0 AND not_available >= 0 AND declined >= 0 AND interviewed >= 0", name=op.f("ck_cv_report_counts")
        ),
        sa.ForeignKeyConstraint(
            ["filed_by"], ["user_account.id"], name=op.f("fk_cv_report_filed_by_user_account"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["cv_visit.id"], name=op.f("fk_cv_report_visit_id_cv_visit"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cv_report")),
        sa.UniqueConstraint("visit_id", name=op.f("uq_cv_report_visit_id")),
    )
    op.create_table(
        "cv_issue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("escalated_on", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("responded_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "category IN ('welfare', 'healthcare', 'food', 'cell_conditions', 'rights', 'records', 'delays')",
            name=op.f("ck_cv_issue_category"),
        ),
        sa.CheckConstraint("severity IN ('low', 'medium', 'high', 'urgent')", name=op.f("ck_cv_issue_severity")),
        sa.CheckConstraint("status IN ('open', 'escalated', 'responded', 'closed')", name=op.f("ck_cv_issue_status")),
        sa.ForeignKeyConstraint(
            ["report_id"], ["cv_report.id"], name=op.f("fk_cv_issue_report_id_cv_report"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cv_issue")),
    )
    with op.batch_alter_table("cv_issue", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cv_issue_report_id"), ["report_id"], unique=False)

    op.create_table(
        "cv_unavailable",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "reason IN ('asleep', 'in_interview', 'with_legal_or_health', 'unfit', 'out_of_suite', 'risk', 'other')",
            name=op.f("ck_cv_unavailable_reason"),
        ),
        sa.CheckConstraint("count > 0", name=op.f("ck_cv_unavailable_count")),
        sa.ForeignKeyConstraint(
            ["report_id"], ["cv_report.id"], name=op.f("fk_cv_unavailable_report_id_cv_report"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("report_id", "reason", name=op.f("pk_cv_unavailable")),
    )


def downgrade() -> None:
    op.drop_table("cv_unavailable")
    with op.batch_alter_table("cv_issue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cv_issue_report_id"))

    op.drop_table("cv_issue")
    op.drop_table("cv_report")
    with op.batch_alter_table("cv_visit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cv_visit_visit_date"))
        batch_op.drop_index(batch_op.f("ix_cv_visit_suite_id"))
        batch_op.drop_index(batch_op.f("ix_cv_visit_panel_id"))

    op.drop_table("cv_visit")
    with op.batch_alter_table("cv_suite", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cv_suite_panel_id"))

    op.drop_table("cv_suite")
    op.drop_table("cv_panel_member")
    op.drop_table("cv_panel")
