"""Evidence files through failures: an API process killed in the middle of storing an upload leaves no row
behind, and a worker that is down when a step names its files leaves them unbound until the step really
happens; in both cases the user simply sends again."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap

import pytest
from sqlmodel import func, select

from api import temporal_errors
from domain.settings import ROOT
from store.db import session_scope
from store.models import Attachment, AuditEvent, Blob, BlobChunk
from tests.api.test_attachments import PDF
from tests.faults.conftest import Stack, until
from tests.faults.test_faults import _published, _register, _state

# Stores a 3 MB PDF the way POST /api/attachments does, but stalls after ten 256 KB slices (two flushes of
# chunks into the open transaction) and says so: the test kills it there, as a crashed replica.
STALLING_UPLOAD = textwrap.dedent("""
    import io, sys, time
    from api.services import attachments as service

    class Stalling(io.BytesIO):
        checking = True
        reads = 0

        def read(self, n=-1):
            if not self.checking:
                self.reads += 1
                if self.reads == 10:
                    print("MID", flush=True)
                    time.sleep(600)
            return super().read(n)

    data = Stalling(b"%PDF-1.4\\n" + b"0" * (3 * 1024 * 1024))
    checked = service._check([service.Upload("整改报告.pdf", data)])
    data.checking = False
    service._store(checked, "fgw")
""")


def _count(model: type) -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(model)).one()


async def test_an_api_process_killed_mid_upload_leaves_nothing_and_the_retry_works(stack: Stack, api,
                                                                                   staff) -> None:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", STALLING_UPLOAD, cwd=ROOT,
                                                stdout=asyncio.subprocess.PIPE,
                                                env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 60)
    assert line.strip() == b"MID", line
    proc.send_signal(signal.SIGKILL)
    await asyncio.wait_for(proc.wait(), 10)
    assert _count(Attachment) == _count(Blob) == _count(BlobChunk) == 0  # the open transaction died with it

    r = await api.post("/api/attachments", files=[("files", ("整改报告.pdf", PDF, "application/pdf"))],
                       headers=staff["fgw"])
    assert r.status_code == 201, r.text
    assert _count(Attachment) == _count(Blob) == 1


async def test_a_step_sent_while_the_worker_is_down_binds_its_files_once_when_it_happens(
        stack: Stack, api, staff, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(temporal_errors, "UPDATE_WAIT_SECONDS", 5.0)
    cid = await _register(api, staff["fgw"], "企业开办一日办结")
    await _published([cid])
    file_id = (await api.post("/api/attachments", files=[("files", ("办件清单.pdf", PDF, "application/pdf"))],
                              headers=staff["fgw"])).json()["attachments"][0]["id"]
    stack.kill_worker()
    keyed = {**staff["fgw"], "Idempotency-Key": "report-with-files"}
    body = {"report": "已按期办结", "attachments": [file_id]}
    r = await api.post(f"/api/commitments/{cid}/fulfilment", json=body, headers=keyed)
    assert r.status_code == 503, r.text
    with session_scope() as session:
        row = session.get(Attachment, file_id)
        assert row is not None and row.case_id is None  # no case references a file of a step not taken
    assert (await api.get(f"/api/commitments/{cid}", headers=staff["xyb"])).json()["attachments"] == []

    stack.start_worker()
    for _ in range(10):  # the same request again, as Retry-After says
        r = await api.post(f"/api/commitments/{cid}/fulfilment", json=body, headers=keyed)
        if r.status_code != 503:
            break
    assert r.status_code == 200 and r.json()["state"] == "fulfilment_reported", r.text
    await until(lambda: _state(cid) == "fulfilment_reported", 30, "the report written")
    with session_scope() as session:
        row = session.get(Attachment, file_id)
        assert row is not None and (row.case_type, row.case_id, row.step) == ("commitment", cid,
                                                                             "fulfilment_reported")
        events = session.exec(select(AuditEvent).where(AuditEvent.case_id == cid,
                                                       AuditEvent.action == "fulfilment_reported")).all()
        assert len(events) == 1 and events[0].data["attachments"] == [{"id": file_id, "sha256": row.sha256}]
    listed = (await api.get(f"/api/commitments/{cid}", headers=staff["xyb"])).json()["attachments"]
    assert [a["name"] for a in listed] == ["办件清单.pdf"]
