"""Mail the followers of a public item about one change: one outbox row per (change, address), written by
this activity after the audit event, delivered by the case's workflow like any notice.

An address that follows both the item and its department gets one mail (the outbox key is the change and
the address), naming the follow it came from and carrying that follow's unsubscribe link, also in its
List-Unsubscribe header. A retried activity finds its rows and returns those still to deliver; a row
already sent is never returned again."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from temporalio import activity

from activities.notify import insert_outbox_once, queued_unless_sent, render
from domain.calendar import TZ
from domain.events import Event, is_public_change
from domain.follow_links import unsubscribe_url
from domain.messages import QueuedNotice, Transition
from domain.record import CATEGORIES
from store.db import session_scope
from store.models import Commitment, Department, Follower, Outbox, Record

TEMPLATE = "follow_change"
FOLLOWED_CASES = ("commitment", "record")


def event_key(t: Transition) -> str:
    return f"follow:{t.event_key}"


def _item(session: Session, t: Transition) -> tuple[str, str] | None:
    """(department code, title) of the changed item, when the public may see this change on its page."""
    if t.case.case_type == "commitment":
        c = session.get(Commitment, t.case.case_id)
        return (c.department_code, f"“{c.title}”") if c is not None and c.state != "draft" else None
    if t.case.case_type == "record":
        r = session.get(Record, t.case.case_id)
        # a record that has just left publicity (repaired, expired...) tells its followers so, then nothing more
        if r is None or r.published_at is None or not (r.public or t.to_state):
            return None
        dept = session.get(Department, r.department_code)
        name = dept.name if dept else r.department_code
        return r.department_code, f"“{name}：{CATEGORIES.get(r.category, r.category)}”"
    return None


def _followers(session: Session, t: Transition, department: str) -> list[Follower]:
    """The confirmed, not unsubscribed followers, one per address: the item's own follow before its
    department's."""
    rows = session.exec(select(Follower).where(
        col(Follower.confirmed_at).is_not(None), col(Follower.unsubscribed_at).is_(None),
        ((col(Follower.target_type) == t.case.case_type) & (col(Follower.target_id) == str(t.case.case_id)))
        | ((col(Follower.target_type) == "department") & (col(Follower.target_id) == department)),
    ).order_by(col(Follower.target_type) == "department", col(Follower.id))).all()
    seen: dict[str, Follower] = {}
    for f in rows:
        seen.setdefault(f.email_hash, f)
    return list(seen.values())


def _followed_zh(session: Session, f: Follower) -> str:
    if f.target_type == "department":
        dept = session.get(Department, f.target_id)
        return f"单位“{dept.name if dept else f.target_id}”"
    return ("政务承诺" if f.target_type == "commitment" else "失信记录") + f" {f.target_id}"


def _mails(session: Session, t: Transition) -> list[tuple[str, str, tuple[str, str, str]]]:
    """(address, unsubscribe link, rendered mail) per follower of this change; none when it is not public."""
    if t.case.case_type not in FOLLOWED_CASES or not is_public_change(t.action, t.to_state):
        return []
    item = _item(session, t)
    if item is None:
        return []
    department, title = item
    mails: list[tuple[str, str, tuple[str, str, str]]] = []
    for f in _followers(session, t, department):
        assert f.id is not None
        unsubscribe = unsubscribe_url(f.id, f.unsubscribe_nonce)
        context: dict[str, Any] = {
            "kind": "政务承诺" if t.case.case_type == "commitment" else "失信记录", "case_id": t.case.case_id,
            "title": title, "label": Event.label_of(t.action), "reason": t.reason or "",
            "at": t.at.astimezone(TZ).strftime("%Y-%m-%d %H:%M"), "followed": _followed_zh(session, f),
            "link_path": f"/{t.case.case_type}s/{t.case.case_id}", "unsubscribe_url": unsubscribe}
        mails.append((f.email, unsubscribe, render(TEMPLATE, context)))
    return mails


def queue_follower_mail_in(session: Session, t: Transition) -> list[QueuedNotice]:
    """The change mails in the caller's transaction (activities/step.py), after the change is written in it."""
    queued: list[QueuedNotice] = []
    for address, unsubscribe, (subject, text, html) in _mails(session, t):
        new = insert_outbox_once(session, case_type=t.case.case_type, case_id=t.case.case_id,
                                 event_key=event_key(t), recipient=address, template=TEMPLATE, subject=subject,
                                 text=text, html=html, deliver_at=t.at, created_at=t.at, list_unsubscribe=unsubscribe)
        if new is not None:
            queued.append(QueuedNotice(outbox_id=new, deliver_at=t.at))
        else:
            queued += queued_unless_sent(session, t.case, event_key(t), address, still=("pending", "sending"))
    return queued


def queue_follower_mail(t: Transition) -> list[QueuedNotice]:
    with session_scope() as session:
        mails = _mails(session, t)
    queued: list[QueuedNotice] = []
    for address, unsubscribe, (subject, text, html) in mails:
        key: dict[str, Any] = dict(case_type=t.case.case_type, case_id=t.case.case_id, event_key=event_key(t),
                                   recipient=address)
        with session_scope() as session:
            row = session.exec(select(Outbox).filter_by(**key)).first()
            if row is not None:
                if row.status in ("pending", "sending"):
                    queued.append(QueuedNotice(outbox_id=row.id or 0, deliver_at=row.deliver_at))
                continue
        try:
            with session_scope() as session:
                row = Outbox(**key, template=TEMPLATE, subject=subject, text=text, html=html, deliver_at=t.at,
                             created_at=t.at, list_unsubscribe=unsubscribe)
                session.add(row)
                session.flush()
                queued.append(QueuedNotice(outbox_id=row.id or 0, deliver_at=t.at))
        except IntegrityError:  # a concurrent attempt inserted it first: it delivers
            continue
    return queued


@activity.defn
def mail_followers(t: Transition) -> list[QueuedNotice]:
    """Queue the change mails of one public change (nothing for an internal step or a non-public item)."""
    return queue_follower_mail(t)
