"""editions and topics from the entries: a feed's edition and category map, readers' editions

Revision ID: 0003
Revises: 0002_delivery
Create Date: 2026-12-01 09:00:00

A feed gets the edition set in the settings (``language``), the edition in
effect (``edition``, learnt from the feed's <language> when not set) and the
map from its entries' categories to topics (``topic_map``). A reader's chosen
editions are rows of ``chat_editions``; a reader with none gets the default.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002_delivery"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feeds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("topic_map", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("edition", sa.String(length=8), nullable=True))
    op.create_table(
        "chat_editions",
        sa.Column("chat_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"],
            ["chats.id"],
            name=op.f("fk_chat_editions_chat_id_chats"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("chat_id", "language", name=op.f("pk_chat_editions")),
    )


def downgrade() -> None:
    op.drop_table("chat_editions")
    with op.batch_alter_table("feeds", schema=None) as batch_op:
        batch_op.drop_column("edition")
        batch_op.drop_column("language")
        batch_op.drop_column("topic_map")
