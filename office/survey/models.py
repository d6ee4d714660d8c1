"""Tables of the satisfaction survey.

An invitation belongs to one service event (a served visit or a closed complaint) and to the citizen's
conversation, so each event is surveyed once. The response holds the answers; when it is completed the
link to the invitation is cut, so a finished response cannot be traced back to the person (the survey is
anonymous by default).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from office.db import Base

ELEMENT_COLUMNS = ("u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9")


class SurveyInvitation(Base):
    __tablename__ = "survey_invitation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # "visit:<queue ticket id>" or "complaint:<ticket code>": unique, so one survey per service event.
    event_key: Mapped[str] = mapped_column(String(80), unique=True)
    event_kind: Mapped[str] = mapped_column(String(16), index=True)  # visit | complaint
    service_code: Mapped[str | None] = mapped_column(String(40), nullable=True)  # booking service or category
    sender_id: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    channel: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # pending (to send) | invited | in_progress | completed | declined | expired
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    invited_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SurveyResponse(Base):
    __tablename__ = "survey_response"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Set while the citizen is answering; cleared (NULL) when the response is completed.
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("survey_invitation.id"), nullable=True,
                                                      unique=True)
    event_kind: Mapped[str] = mapped_column(String(16), index=True)  # visit | complaint
    service_code: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    channel: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(16), default="in_progress", index=True)  # in_progress | completed
    # Local (Asia/Jakarta) date the response was completed: the period it counts in.
    period_day: Mapped[dt.date | None] = mapped_column(Date, nullable=True, index=True)
    # The nine elements (unsur) on the 1-4 scale; NULL means skipped or not yet answered.
    u1: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    u2: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    u3: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    u4: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    u5: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    u6: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    u7: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    u8: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    u9: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    # How far the citizen got (index of the next question, 0-9; 9 = the comment).
    position: Mapped[int] = mapped_column(Integer, default=0)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    def scores(self) -> list[int | None]:
        """The nine answers in element order (None = skipped)."""
        return [getattr(self, column) for column in ELEMENT_COLUMNS]
