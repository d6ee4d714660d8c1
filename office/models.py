"""Imports every module that defines tables, so Alembic and `create_all` see the whole schema."""
from office import audit, outbox, staff  # noqa: F401
from office.booking import models as booking_models  # noqa: F401
from office.kb import store  # noqa: F401
from office.kb import answer_log  # noqa: F401
from office.complaints import models as complaint_models  # noqa: F401
from office import handoff  # noqa: F401
from office.survey import models as survey_models  # noqa: F401
from office import holidays  # noqa: F401
from office import privacy_requests, retention  # noqa: F401
from office import consent  # noqa: F401
from office.outreach import event_models as outreach_event_models  # noqa: F401
from office.outreach import announcement_models  # noqa: F401
