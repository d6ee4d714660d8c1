"""The satisfaction survey's life cycle: invitation -> start/resume -> answers -> comment -> completed.

Why the state lives here (in the database) and not in the conversation: a survey may be answered over
days, across Rasa restarts, session expiry and channels that resend button presses. Every step is a
conditional update on the stored position, so a double tap or a replayed button changes nothing twice.

Anonymity: while answering, the response points to its invitation (which holds the sender id). On
completion the link is cut, the invitation forgets the sender id and keeps only the date it finished,
so no row ties a finished response to a person. Declining deletes any partial answers (the citizen
said no); an unfinished survey that expires keeps what was answered as an anonymous response (the
unanswered elements count as skipped, which the IKM leaves out per element) and drops an empty one.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from office import clock
from office.privacy import mask_personal_data
from office.senders import channel_of
from office.survey.models import ELEMENT_COLUMNS, SurveyInvitation, SurveyResponse
from office.survey.questions import SCALE, Element, element_at, settings

VISIT = "visit"
COMPLAINT = "complaint"
OPEN_STATUSES = ("pending", "invited", "in_progress")
FINAL_STATUSES = ("completed", "declined", "expired")
QUESTION_COUNT = len(ELEMENT_COLUMNS)
COMMENT_POSITION = QUESTION_COUNT  # position 9: the optional comment

# what happened to an answer
RECORDED = "recorded"
STALE = "stale"      # a replay of a button for a question already answered: nothing changed
INVALID = "invalid"  # not 1-4
NO_SURVEY = "no_survey"


class SurveyError(ValueError):
    """A survey operation that cannot apply (unknown event kind, bad score)."""


@dataclass(frozen=True)
class Progress:
    """Where a citizen's open survey stands. `element` is None at the comment step."""
    response_id: int
    invitation_id: int
    event_kind: str
    event_key: str
    position: int
    element: Element | None
    resumed: bool = False

    @property
    def number(self) -> int:
        """1-based number of the question being asked (10 at the comment step)."""
        return self.position + 1

    @property
    def at_comment(self) -> bool:
        return self.position >= COMMENT_POSITION

    @property
    def ticket_code(self) -> str | None:
        return event_reference(self.event_key) if self.event_kind == COMPLAINT else None


@dataclass(frozen=True)
class AnswerResult:
    status: str  # RECORDED | STALE | INVALID | NO_SURVEY
    progress: Progress | None = None


def visit_event_key(queue_ticket_id: int) -> str:
    return f"{VISIT}:{queue_ticket_id}"


def complaint_event_key(ticket_code: str) -> str:
    return f"{COMPLAINT}:{ticket_code}"


def event_reference(event_key: str) -> str:
    """The part after the kind: the queue ticket id or the complaint code."""
    return event_key.split(":", 1)[1] if ":" in event_key else event_key


# ------------------------------------------------------------------------------------------------
# invitations
# ------------------------------------------------------------------------------------------------
def create_invitation(session: Session, *, event_key: str, event_kind: str, sender_id: str | None,
                      service_code: str | None = None, now: dt.datetime | None = None) -> SurveyInvitation | None:
    """The invitation for one service event, created once (a second call returns the first row).
    None when the citizen cannot be reached (no sender id: a counter walk-in, an anonymous complaint)."""
    if event_kind not in (VISIT, COMPLAINT):
        raise SurveyError(f"unknown event kind {event_kind!r}")
    if not sender_id:
        return None
    existing = session.scalar(select(SurveyInvitation).where(SurveyInvitation.event_key == event_key))
    if existing is not None:
        return existing
    invitation = SurveyInvitation(event_key=event_key, event_kind=event_kind, service_code=service_code,
                                  sender_id=sender_id, channel=channel_of(sender_id), status="pending",
                                  created_at=clock.to_utc(now or clock.now()))
    try:
        with session.begin_nested():
            session.add(invitation)
    except IntegrityError:  # another worker created it at the same moment
        return session.scalar(select(SurveyInvitation).where(SurveyInvitation.event_key == event_key))
    return invitation


def _open_query(sender_id: str):  # type: ignore[no-untyped-def]
    return select(SurveyInvitation).where(SurveyInvitation.sender_id == sender_id,
                                          SurveyInvitation.status.in_(OPEN_STATUSES))


def open_invitation_of(session: Session, sender_id: str) -> SurveyInvitation | None:
    """The survey this citizen should answer now: the one in progress, else the oldest invited, else the
    oldest pending (one at a time, oldest first)."""
    if not sender_id:
        return None
    rows = list(session.scalars(_open_query(sender_id).order_by(SurveyInvitation.created_at, SurveyInvitation.id)))
    for status in OPEN_STATUSES[::-1]:  # in_progress, invited, pending
        for row in rows:
            if row.status == status:
                return row
    return None


def open_count(session: Session, sender_id: str) -> int:
    return len(list(session.scalars(_open_query(sender_id))))


def expires_on(invitation: SurveyInvitation) -> dt.date:
    """The last local day the invitation can be answered."""
    end = clock.to_utc(invitation.created_at) + dt.timedelta(days=settings().expiry_days)
    return end.astimezone(clock.office_tz()).date()


def due_invitations(session: Session, now: dt.datetime | None = None, limit: int = 50) -> list[SurveyInvitation]:
    """Pending invitations whose delay has passed, at most one per citizen and only for citizens with
    no survey already invited or in progress (oldest first)."""
    now_utc = clock.to_utc(now or clock.now())
    delay = dt.timedelta(minutes=settings().invitation_delay_minutes)
    busy = set(session.scalars(select(SurveyInvitation.sender_id).where(
        SurveyInvitation.status.in_(("invited", "in_progress")))))
    rows = session.scalars(select(SurveyInvitation).where(SurveyInvitation.status == "pending")
                           .order_by(SurveyInvitation.created_at, SurveyInvitation.id))
    chosen: list[SurveyInvitation] = []
    for row in rows:
        if row.sender_id in busy or clock.to_utc(row.created_at) + delay > now_utc:
            continue
        busy.add(row.sender_id)
        chosen.append(row)
        if len(chosen) >= limit:
            break
    return chosen


def mark_invited(session: Session, invitation: SurveyInvitation, now: dt.datetime | None = None) -> bool:
    """pending -> invited, once (False when another process or the citizen got there first)."""
    done = session.execute(update(SurveyInvitation)
                           .where(SurveyInvitation.id == invitation.id, SurveyInvitation.status == "pending")
                           .values(status="invited", invited_at=clock.to_utc(now or clock.now())),
                           execution_options={"synchronize_session": False})
    if done.rowcount == 1:
        session.refresh(invitation)
        return True
    return False


def _finish_invitation(invitation: SurveyInvitation, status: str, now: dt.datetime) -> None:
    """Close the invitation and forget who it was for. A completed one keeps only the local date, so its
    time cannot be matched to the anonymous response's completion time."""
    invitation.status = status
    invitation.sender_id = None
    local = now.astimezone(clock.office_tz())
    invitation.finished_at = clock.to_utc(dt.datetime.combine(local.date(), dt.time(0, 0), tzinfo=local.tzinfo)) \
        if status == "completed" else clock.to_utc(now)


def decline(session: Session, sender_id: str, now: dt.datetime | None = None) -> SurveyInvitation | None:
    """'Tidak, terima kasih': the current survey is closed and any partial answers are deleted.
    Returns the declined invitation (None when there was nothing to decline)."""
    invitation = open_invitation_of(session, sender_id)
    if invitation is None:
        return None
    session.execute(delete(SurveyResponse).where(SurveyResponse.invitation_id == invitation.id))
    _finish_invitation(invitation, "declined", clock.to_utc(now or clock.now()))
    session.flush()
    return invitation


# ------------------------------------------------------------------------------------------------
# answering
# ------------------------------------------------------------------------------------------------
def _response_of(session: Session, invitation: SurveyInvitation) -> SurveyResponse | None:
    return session.scalar(select(SurveyResponse).where(SurveyResponse.invitation_id == invitation.id))


def _progress(invitation: SurveyInvitation, response: SurveyResponse, resumed: bool = False) -> Progress:
    position = min(response.position, COMMENT_POSITION)
    return Progress(response_id=response.id, invitation_id=invitation.id, event_kind=invitation.event_kind,
                    event_key=invitation.event_key, position=position,
                    element=None if position >= COMMENT_POSITION else element_at(position), resumed=resumed)


def start(session: Session, sender_id: str, now: dt.datetime | None = None) -> Progress | None:
    """Start the citizen's current survey, or resume it where it stopped. None when none is open."""
    invitation = open_invitation_of(session, sender_id)
    if invitation is None:
        return None
    response = _response_of(session, invitation)
    if response is not None:
        return _progress(invitation, response, resumed=True)
    now_utc = clock.to_utc(now or clock.now())
    response = SurveyResponse(invitation_id=invitation.id, event_kind=invitation.event_kind,
                              service_code=invitation.service_code, channel=invitation.channel,
                              status="in_progress", position=0, started_at=now_utc)
    try:
        with session.begin_nested():
            session.add(response)
    except IntegrityError:  # a double tap on "Isi survei": the first one created it
        response = _response_of(session, invitation)
        if response is None:
            raise
        return _progress(invitation, response, resumed=True)
    invitation.status = "in_progress"
    invitation.invited_at = invitation.invited_at or now_utc
    session.flush()
    return _progress(invitation, response)


def current(session: Session, sender_id: str) -> Progress | None:
    """The survey this citizen is answering (started and not finished), without starting one."""
    invitation = open_invitation_of(session, sender_id)
    if invitation is None or invitation.status != "in_progress":
        return None
    response = _response_of(session, invitation)
    return _progress(invitation, response) if response is not None else None


def _advance(session: Session, sender_id: str, score: int | None, element_key: str | None) -> AnswerResult:
    progress = current(session, sender_id)
    if progress is None:
        return AnswerResult(NO_SURVEY)
    if progress.at_comment or (element_key is not None and element_key != progress.element.key):
        return AnswerResult(STALE, progress)
    column = ELEMENT_COLUMNS[progress.position]
    done = session.execute(update(SurveyResponse)
                           .where(SurveyResponse.id == progress.response_id,
                                  SurveyResponse.position == progress.position)
                           .values({column: score, "position": progress.position + 1}),
                           execution_options={"synchronize_session": False})
    if done.rowcount != 1:  # the same answer arrived twice at once: the other one counted
        return AnswerResult(STALE, current(session, sender_id))
    session.expire_all()
    return AnswerResult(RECORDED, current(session, sender_id))


def record_answer(session: Session, sender_id: str, score: int | str | None,
                  element_key: str | None = None) -> AnswerResult:
    """Store a 1-4 answer to the current question and move on. `element_key` (u1..u9, sent by the
    buttons) makes replays harmless: an answer meant for another question changes nothing."""
    try:
        value = int(str(score).strip())
    except (TypeError, ValueError):
        return AnswerResult(INVALID, current(session, sender_id))
    if value not in SCALE:
        return AnswerResult(INVALID, current(session, sender_id))
    return _advance(session, sender_id, value, element_key)


def skip(session: Session, sender_id: str, element_key: str | None = None) -> AnswerResult:
    """'Lewati': the element stays NULL (left out of the IKM for this element) and the next is asked."""
    return _advance(session, sender_id, None, element_key)


def _complete(session: Session, invitation: SurveyInvitation, response: SurveyResponse, now: dt.datetime) -> None:
    response.status = "completed"
    response.position = COMMENT_POSITION
    response.completed_at = clock.to_utc(now)
    response.period_day = now.astimezone(clock.office_tz()).date()
    response.invitation_id = None
    _finish_invitation(invitation, "completed", now)


def clean_comment(text: str | None) -> str | None:
    """The comment as stored: personal numbers masked, cut to the configured length, None when empty."""
    value = " ".join((text or "").split())
    if not value:
        return None
    return mask_personal_data(value)[: settings().comment_max_chars]


def finish(session: Session, sender_id: str, comment: str | None = None,
           now: dt.datetime | None = None) -> AnswerResult:
    """At the comment step: store the optional comment and complete the response (anonymous from now)."""
    progress = current(session, sender_id)
    if progress is None:
        return AnswerResult(NO_SURVEY)
    if not progress.at_comment:
        return AnswerResult(STALE, progress)
    invitation = session.get(SurveyInvitation, progress.invitation_id)
    response = session.get(SurveyResponse, progress.response_id)
    now_aware = now or clock.now()
    response.comment = clean_comment(comment)
    _complete(session, invitation, response, now_aware)
    session.flush()
    return AnswerResult(RECORDED, None)


# ------------------------------------------------------------------------------------------------
# expiry and retention
# ------------------------------------------------------------------------------------------------
def _expire_before(session: Session, cutoff: dt.datetime, now: dt.datetime) -> int:
    rows = list(session.scalars(select(SurveyInvitation).where(SurveyInvitation.status.in_(OPEN_STATUSES))))
    expired = 0
    for invitation in rows:
        if clock.to_utc(invitation.created_at) >= clock.to_utc(cutoff):
            continue
        response = _response_of(session, invitation)
        if response is not None:
            if any(v is not None for v in response.scores()) or response.comment:
                _complete(session, invitation, response, now)
            else:
                session.delete(response)
        _finish_invitation(invitation, "expired", clock.to_utc(now))
        expired += 1
    session.flush()
    return expired


def expire_old(session: Session, now: dt.datetime | None = None) -> int:
    """Close invitations older than `expiry_days`. An unfinished response with answers is kept as an
    anonymous response (unanswered elements = skipped); one with nothing in it is deleted."""
    now_aware = now or clock.now()
    return _expire_before(session, clock.to_utc(now_aware) - dt.timedelta(days=settings().expiry_days), now_aware)


def purge_invitations(session: Session, cutoff: dt.datetime, now: dt.datetime | None = None) -> int:
    """Retention: delete invitations created before `cutoff`. Open ones are expired first (as above), so
    nothing holding a sender id outlives the retention period; anonymous responses are kept."""
    now_aware = now or clock.now()
    expire_old(session, now_aware)
    _expire_before(session, cutoff, now_aware)
    old = select(SurveyInvitation.id).where(SurveyInvitation.created_at < clock.to_utc(cutoff))
    session.execute(update(SurveyResponse).where(SurveyResponse.invitation_id.in_(old)).values(invitation_id=None),
                    execution_options={"synchronize_session": False})
    return session.execute(delete(SurveyInvitation).where(SurveyInvitation.created_at < clock.to_utc(cutoff)),
                           execution_options={"synchronize_session": False}).rowcount or 0
