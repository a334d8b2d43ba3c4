"""delivery queue index: claim due rows in send order without sorting the queue

Revision ID: 0002_delivery
Revises: 0001
Create Date: 2026-11-27 08:15:00

The claim reads pending rows one priority level at a time in (sort_at, id)
order; with this index it reads one batch of the index instead of sorting
every pending row, so a claim costs the same with 100 or 100,000 rows queued.
"""

from __future__ import annotations

from alembic import op

revision = "0002_delivery"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_deliveries_queue",
        "deliveries",
        ["status", "priority", "sort_at", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_deliveries_queue", table_name="deliveries")
