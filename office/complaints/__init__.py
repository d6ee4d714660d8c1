"""Complaints (issue 5): routing configuration, tickets, SLA, escalation and staff notifications."""
from office.complaints import models  # noqa: F401  (register the tables)
