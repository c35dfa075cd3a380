"""What a decided objection makes a commitment's public status, and which profiles run 第36条's periods."""

from __future__ import annotations

from domain.commitment_status import decision_zh, disputed_status_zh, status_changes
from domain.events import Event
from domain.messages import Actor, CommitmentStatusDecision
from domain.profiles import load_profile

CREDIT = Actor(username="xyb", role="credit_office")


def test_revoked_and_corrected_status_say_what_replaces_the_disputed_one() -> None:
    revoked = CommitmentStatusDecision(objection_id=4, outcome="revoked", reason="办结凭证齐全",
                                       disputed=disputed_status_zh("breached", False), record_id=9, actor=CREDIT)
    changes = status_changes(revoked)
    assert changes["status_decision"] == {
        "outcome": "revoked", "outcome_label": "撤销", "status_label": "“未践诺”认定已撤销", "disputed_label": "未践诺",
        "reason": "办结凭证齐全", "correction": None, "objection_id": 4, "record_id": 9}
    assert changes["correction_note"] == decision_zh(revoked) == (
        "经异议（编号 4）核实撤销承诺状态“未践诺”：“未践诺”认定已撤销（理由：办结凭证齐全）")
    corrected = revoked.model_copy(update={"outcome": "corrected", "correction": "已践诺",
                                           "disputed": disputed_status_zh("published", True)})
    assert status_changes(corrected)["status_decision"]["status_label"] == "已更正：已践诺"  # type: ignore[index]
    assert corrected.disputed == "逾期" and disputed_status_zh("published", False) == "履行中"
    assert Event.commitment_status_corrected.public and Event.commitment_status_revoked.public


def test_only_shanghai_runs_the_forward_and_decision_periods() -> None:
    shanghai, henan, shenzhen = (load_profile(n) for n in ("shanghai", "henan", "shenzhen"))
    assert shanghai.tracked("objection_forward").working_days == 2  # type: ignore[union-attr]
    assert shanghai.tracked("objection_platform_check").working_days == 5  # type: ignore[union-attr]
    assert henan.tracked("objection_forward") is None  # not in henan's regulation
    assert henan.tracked("objection_platform_check") is None and shenzhen.tracked("objection_forward") is None
    assert shenzhen.tracked("objection_source_verify").working_days == 2  # type: ignore[union-attr]
