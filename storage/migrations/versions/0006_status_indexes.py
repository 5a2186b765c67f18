"""indexes for the org-wide /status: latest record per branch, one type over a long unit,
active members per branch, commitments made or due in a period

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_activity_branch_day", "activity", ["branch_id", "held_on"])
    op.create_index("ix_activity_org_type_day", "activity", ["org_id", "type_code", "held_on"])
    op.create_index("ix_member_org_active_branch", "member", ["org_id", "active", "branch_id"])
    op.create_index("ix_commitment_org_made", "commitment", ["org_id", "made_on"])
    op.create_index("ix_commitment_org_due", "commitment", ["org_id", "due_on"])


def downgrade() -> None:
    op.drop_index("ix_commitment_org_due", table_name="commitment")
    op.drop_index("ix_commitment_org_made", table_name="commitment")
    op.drop_index("ix_member_org_active_branch", table_name="member")
    op.drop_index("ix_activity_org_type_day", table_name="activity")
    op.drop_index("ix_activity_branch_day", table_name="activity")
