"""Imports every module that defines tables, so Alembic and `create_all` see the whole schema."""
from office import audit, outbox, staff  # noqa: F401
from office.kb import store  # noqa: F401
