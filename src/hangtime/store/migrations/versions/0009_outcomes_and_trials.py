"""weekly PEG-3, the Patient Global Impression of Change, and personal trials

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 15:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _owner() -> sa.Column[int]:
    return sa.Column(
        "owner_id", sa.Integer(), sa.ForeignKey("owners.id", ondelete="CASCADE"), nullable=False, index=True
    )


def upgrade() -> None:
    op.create_table(
        "peg_scores",
        sa.Column("id", sa.Integer(), primary_key=True),
        _owner(),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column("pain", sa.Integer(), nullable=False),
        sa.Column("enjoyment", sa.Integer(), nullable=False),
        sa.Column("activity", sa.Integer(), nullable=False),
        sa.UniqueConstraint("owner_id", "entry_date", name="uq_peg_owner_date"),
    )
    op.create_table(
        "global_impressions",
        sa.Column("id", sa.Integer(), primary_key=True),
        _owner(),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column("plan_week", sa.Integer(), nullable=False),
        sa.Column("answer", sa.Integer(), nullable=False),
        sa.UniqueConstraint("owner_id", "plan_week", name="uq_pgic_owner_week"),
    )
    op.create_table(
        "trials",
        sa.Column("id", sa.Integer(), primary_key=True),
        _owner(),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("pairs", sa.Integer(), nullable=False),
        sa.Column("block_days", sa.Integer(), nullable=False),
        sa.Column("washout_days", sa.Integer(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("stopped_on", sa.Date(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("trials")
    op.drop_table("global_impressions")
    op.drop_table("peg_scores")
