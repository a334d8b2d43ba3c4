"""follow updates: articles count their revisions, and an edit queue beside the delivery queue

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 10:00:00

An article corrected at the source gets a new revision; every copy of its post
that was sent gets one ``edits`` row for that revision, claimed and settled
like a delivery, so a change is edited once in each chat across restarts.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "edits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "delivery_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("new_photo", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["deliveries.id"],
            name=op.f("fk_edits_delivery_id_deliveries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_edits_post_id_posts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edits")),
        sa.UniqueConstraint("delivery_id", "revision", name="uq_edits_delivery_revision"),
    )
    with op.batch_alter_table("edits", schema=None) as batch_op:
        batch_op.create_index("ix_edits_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_edits_post_id"), ["post_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_edits_done_at"), ["done_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("edits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_edits_done_at"))
        batch_op.drop_index(batch_op.f("ix_edits_post_id"))
        batch_op.drop_index("ix_edits_due")
    op.drop_table("edits")
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("revision")
