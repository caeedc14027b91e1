"""interrupted sessions: ended_at marks that the person's survey was taken

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 06:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Before this revision the terminal asked an interrupted session's survey at once: those are answered.
    op.execute("UPDATE sessions SET ended_at = started_at WHERE status = 'interrupted' AND ended_at IS NULL")


def downgrade() -> None:
    """Nothing to undo: ended_at keeps its meaning."""
