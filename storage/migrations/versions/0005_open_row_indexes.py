"""open-row indexes: the queue's indexes hold the rows of one status only

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 01:00:00

The claim's queue and due-time indexes covered every delivery, the settled
ledger included, and each status change moved a row along them. Now they hold
pending rows only, rows in flight and failed rows have an index each, and a
settled row leaves them: the trees a claim and an outcome touch stay the size
of the open queue (bench/RESULTS.md, ninth pass). Building them reads the
table once; the bot upgrades before it starts sending.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# name: (columns, the one status the index holds)
_PARTIAL = {
    "ix_deliveries_queue": (["priority", "sort_at", "id"], "pending"),
    "ix_deliveries_due": (["next_attempt_at"], "pending"),
    "ix_deliveries_claims": (["claimed_by", "claimed_at"], "sending"),
    "ix_deliveries_failed": (["created_at"], "failed"),
}
# The indexes 0001 and 0002 made, over every row.
_FULL = {
    "ix_deliveries_queue": ["status", "priority", "sort_at", "id"],
    "ix_deliveries_due": ["status", "next_attempt_at"],
}


def upgrade() -> None:
    for name in _FULL:
        op.drop_index(name, table_name="deliveries")
    for name, (columns, status) in _PARTIAL.items():
        where = sa.text(f"status = '{status}'")
        op.create_index(name, "deliveries", columns, sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for name in _PARTIAL:
        op.drop_index(name, table_name="deliveries")
    for name, columns in _FULL.items():
        op.create_index(name, "deliveries", columns)
