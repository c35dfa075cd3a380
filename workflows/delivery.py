"""归集共享: one delivery of one change to one receiving platform, tried until the receiver's signed receipt
comes back (activities/push.py). A retraction has a deadline (the profile's notify_platforms period): past it
the credit office and the admins are told, and the delivery goes on trying."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.push import mark_delivery_overdue, push_delivery
    from activities.transitions import apply_transition
    from domain.events import Event
    from domain.messages import SYSTEM, DeliveryStart, NoticeRequest, Transition

from workflows.common import DB_ACTIVITY, PROGRAMMING_ERRORS, Notifier


@workflow.defn
class DeliveryWorkflow:
    @workflow.run
    async def run(self, start: DeliveryStart) -> None:
        notifier = Notifier()
        sending = workflow.start_activity(
            push_delivery, start.delivery_id, start_to_close_timeout=timedelta(seconds=60),
            retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
                                     maximum_interval=timedelta(seconds=start.max_interval_seconds),
                                     non_retryable_error_types=PROGRAMMING_ERRORS))
        if start.due_at is not None:
            try:
                await workflow.wait_condition(sending.done, timeout=max(
                    (start.due_at - workflow.now()).total_seconds(), 0.001))
            except TimeoutError:
                await self._overdue(start, notifier)
        await sending
        await notifier.drain()

    async def _overdue(self, start: DeliveryStart, notifier: Notifier) -> None:
        if not await workflow.execute_activity(mark_delivery_overdue, start.delivery_id, **DB_ACTIVITY):
            return
        reason = f"撤回信息未能在时限内送达{start.platform}，仍在重试"
        await workflow.execute_activity(apply_transition, Transition(
            case=start.case, event_key=f"push-overdue:{start.uid}", action=Event.push_overdue.value,
            from_state=None, to_state=None, actor=SYSTEM, reason=reason, at=workflow.now(),
            data={"platform": start.platform, "delivery": start.uid}), **DB_ACTIVITY)
        await notifier.notify(NoticeRequest(
            case=start.case, event_key=f"push-overdue:{start.uid}", template="push_overdue",
            recipients=["credit_office", "admins"], at=workflow.now(),
            context={"platform": start.platform, "title": start.title, "case_type": start.case.case_type,
                     "case_id": start.case.case_id, "due_at": start.due_at.isoformat(sep=" ")[:16]
                     if start.due_at else ""}))
