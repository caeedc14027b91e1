"""a person's unit system (what they typed heights and weights in), used to show them back

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 15:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("profiles") as batch:
        batch.add_column(sa.Column("units", sa.String(10), nullable=False, server_default="metric"))


def downgrade() -> None:
    with op.batch_alter_table("profiles") as batch:
        batch.drop_column("units")
