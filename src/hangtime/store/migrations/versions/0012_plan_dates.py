"""plans' start and end dates as columns (copied out of the plan document), for the dashboard

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-24 16:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("plans") as batch:
        batch.add_column(sa.Column("start_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("end_date", sa.Date(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE plans SET start_date = (data->>'start_date')::date, end_date = (data->>'end_date')::date")
    else:
        op.execute(
            "UPDATE plans SET start_date = json_extract(data, '$.start_date'),"
            " end_date = json_extract(data, '$.end_date')"
        )


def downgrade() -> None:
    with op.batch_alter_table("plans") as batch:
        batch.drop_column("end_date")
        batch.drop_column("start_date")
