"""Two Chengxin instances on one machine, as a county and a city run them: two databases, one Temporal dev
server with a namespace each, each instance's own worker and web process on its own port, and the same
software on both sides. The county pushes to the city (归集共享): a published record arrives with its receipt,
a push made while the city is down arrives once after it returns, a repair removes the record at the city
within the period, a forged or replayed push is refused, and an audit row edited in the database makes
`chengxin audit verify` fail at that row."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import pytest_asyncio
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from api.validation import today_local
from domain.settings import ROOT, get_settings
from domain.sharing import KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from tests.api.test_records_api import LETTER, record_body
from tests.conftest import free_port

PASSWORD = "Cx-e2e-Pass-2026!"
USERS = (("admin", "admin", None), ("xyb", "credit_office", None), ("fgw", "department", "fgw"))


def _database(name: str, tmp: Path) -> str:
    """A database of the instance's own: on PostgreSQL when the suite runs there (CI), else a SQLite file."""
    url = get_settings().database_url
    if not url.startswith("postgresql"):
        return f"sqlite:///{tmp / f'{name}.db'}"
    admin = make_url(url)
    db = f"cx_e2e_{name}"
    with psycopg.connect(host=admin.host, port=admin.port or 5432, user=admin.username, dbname=admin.database,
                         autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db}"')
    return admin.set(database=db).render_as_string(hide_password=False)


@dataclass
class Instance:
    name: str
    label: str
    env: dict[str, str]
    port: int
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, *args], env=self.env, cwd=ROOT, capture_output=True, text=True,
                              timeout=120, check=False)

    def start(self, what: str) -> None:
        cmd = {"worker": ["-m", "activities.worker"],
               "web": ["-m", "uvicorn", "api.app:app", "--host", "127.0.0.1", "--port", str(self.port),
                       "--no-proxy-headers", "--log-level", "warning"]}[what]
        self.procs[what] = subprocess.Popen([sys.executable, *cmd], env=self.env, cwd=ROOT,
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self, what: str) -> None:
        proc = self.procs.pop(what)
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()

    async def up(self) -> None:
        async with httpx.AsyncClient() as c:
            for _ in range(300):
                try:
                    if (await c.get(f"{self.url}/healthz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        raise AssertionError(f"{self.name} web did not start")

    async def token(self, user: str) -> dict[str, str]:
        async with httpx.AsyncClient(base_url=self.url) as c:
            r = await c.post("/api/auth/token", data={"username": user, "password": PASSWORD})
            assert r.status_code == 200, r.text
            return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture(scope="module")
def temporal_with_namespaces() -> Iterator[str]:
    binary = shutil.which("temporal", path=os.path.dirname(sys.executable)) or shutil.which("temporal")
    assert binary
    port = free_port()
    proc = subprocess.Popen([binary, "server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", str(port),
                             "--http-port", str(free_port()), "--metrics-port", str(free_port()),
                             "--namespace", "county", "--namespace", "city", "--log-level", "error"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(15)


@pytest_asyncio.fixture
async def levels(temporal_with_namespaces: str, smtp_sink: Any) -> AsyncIterator[tuple[Instance, Instance]]:
    tmp = Path(tempfile.mkdtemp(prefix="cx-e2e-"))
    instances = []
    for name, label in (("county", "某某县政务诚信平台"), ("city", "某某市公共信用信息平台")):
        port = free_port()
        env = {**os.environ, "DATABASE_URL": _database(name, tmp), "TEMPORAL_ADDRESS": temporal_with_namespaces,
               "TEMPORAL_NAMESPACE": name, "TASK_QUEUE": "chengxin", "SECRET_KEY": secrets.token_hex(32),
               "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "INSTANCE_NAME": label,
               "PUSH_MAX_INTERVAL_SECONDS": "2", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": os.environ["SMTP_PORT"],
               "CREDIT_OFFICE_EMAIL": f"xyb@{name}.test"}
        inst = Instance(name, label, env, port)
        for args in (("-m", "api.cli", "migrate"),
                     ("-m", "api.cli", "department", "add", "fgw", "--name", f"{label[:3]}发展和改革委员会",
                      "--email", f"fgw@{name}.test"),
                     *(("-m", "api.cli", "user", "add", user, "--role", role, "--password", PASSWORD,
                        *(("--department", dept) if dept else ())) for user, role, dept in USERS)):
            done = inst.run(*args)
            assert done.returncode == 0, (args, done.stdout, done.stderr)
        inst.start("worker")
        inst.start("web")
        instances.append(inst)
    for inst in instances:
        await inst.up()
    yield instances[0], instances[1]
    for inst in instances:
        for what in list(inst.procs):
            inst.stop(what)
    shutil.rmtree(tmp, ignore_errors=True)


async def _until(url: str, predicate: Any, headers: dict[str, str] | None = None, seconds: float = 60) -> Any:
    body: Any = None
    async with httpx.AsyncClient() as c:
        for _ in range(int(seconds * 5)):
            try:
                body = (await c.get(url, headers=headers or {})).json()
                if predicate(body):
                    return body
            except (httpx.HTTPError, ValueError):
                pass
            await asyncio.sleep(0.2)
    raise AssertionError(f"{url} never matched: {body}")


def _shared_ids(body: dict[str, Any]) -> set[int]:
    return {i["remote_id"] for i in body["items"]}


async def test_a_county_reports_to_its_city(levels: tuple[Instance, Instance]) -> None:
    county, city = levels
    city_admin, county_admin = await city.token("admin"), await county.token("admin")
    xyb, fgw = await county.token("xyb"), await county.token("fgw")
    async with httpx.AsyncClient(base_url=city.url) as c:
        key = (await c.post("/api/sharing/senders", json={"code": "county", "name": county.label},
                            headers=city_admin)).json()
    async with httpx.AsyncClient(base_url=county.url) as c:
        r = await c.post("/api/sharing/platforms", headers=county_admin, json={
            "name": city.label, "url": f"{city.url}/api/sharing/v1/deliveries", "sender_code": "county",
            "key_id": key["key_id"], "secret": key["secret"]})
        assert r.status_code == 201, r.text
        platform = r.json()["id"]

        # 1. a record published at the county appears at the city, with the city's signed receipt
        first = (await c.post("/api/records", json=record_body(shared_with=["fgw"]), headers=xyb)).json()["id"]
        shared = await _until(f"{city.url}/api/shared", lambda b: _shared_ids(b) == {first})
        assert shared["items"][0]["source"] == county.label
        assert county.label in (await c.get(f"{city.url}/shared")).text
        rows = await _until(f"{county.url}/api/sharing/platforms/{platform}/deliveries",
                            lambda b: b["items"] and b["items"][0]["receipt"], county_admin)
        assert rows["items"][0]["receipt"]["receiver"] == city.label

        # 2. the city is down: the push waits and arrives once after it returns
        city.stop("web")
        second = (await c.post("/api/records", json=record_body(shared_with=["fgw"]), headers=xyb)).json()["id"]
        failing = await _until(f"{county.url}/api/sharing/platforms", lambda b: b["items"][0]["failing"] >= 1,
                               county_admin)
        assert failing["items"][0]["pending"] == 1
        await asyncio.sleep(3)
        city.start("web")
        await city.up()
        await _until(f"{city.url}/api/shared", lambda b: _shared_ids(b) == {first, second})
        done = await _until(f"{county.url}/api/sharing/platforms/{platform}/deliveries",
                            lambda b: all(d["delivered_at"] for d in b["items"]), county_admin)
        late = next(d for d in done["items"] if d["item_id"] == second)
        assert late["attempts"] >= 2 and late["receipt"]["status"] == "applied"
        city_db = create_engine(city.env["DATABASE_URL"])
        with city_db.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM inbounddelivery WHERE uid = :u"),
                                {"u": late["uid"]}).scalar() == 1

        # 3. a repair at the county removes the record at the city within the period
        for who, action, payload in [
            (fgw, "explanation", {"explanation": "财政资金拨付滞后所致"}),
            (fgw, "rectification", {"description": "已于本月全额支付", "evidence": ["付款凭证.pdf"]}),
            (xyb, "rectification-verification", {"accepted": True, "reason": "核实已付清"}),
            (fgw, "repair", {"commitment_letter": LETTER}),
            (xyb, "repair-decision", {"approved": True, "reason": "整改到位"}),
        ]:
            r = await c.post(f"/api/records/{first}/{action}", json=payload, headers=who)
            assert r.status_code == 200, (action, r.text)
        await _until(f"{city.url}/api/shared", lambda b: _shared_ids(b) == {second})
        rows = (await c.get(f"/api/sharing/platforms/{platform}/deliveries", headers=county_admin)).json()["items"]
        retraction = next(d for d in rows if d["retract"])
        assert retraction["delivered_at"] < retraction["due_at"]
        assert retraction["due_at"][:10] > (today_local() + timedelta(days=2)).isoformat()

    # 4. a forged push and a replayed one are refused; nothing changes at the city
    body = json.dumps({"delivery_id": "forged-0001", "sender": "county", "item_type": "record", "item_id": first,
                       "version": 10**9, "change": "published", "change_label": "公开",
                       "changed_at": "2026-12-01T10:00:00+08:00", "retract": False,
                       "item": {"title": "伪造", "department_code": "fgw", "department_name": "伪造",
                                "state": "published", "state_label": "公示中", "fields": {}}}).encode()
    url = f"{city.url}/api/sharing/v1/deliveries"
    now = int(time.time())
    forged = {KEY_HEADER: key["key_id"], TIMESTAMP_HEADER: str(now), SIGNATURE_HEADER: sign("guessed" * 6, now, body)}
    stale = now - 3600  # a request signed an hour ago, sent again now
    replayed = {KEY_HEADER: key["key_id"], TIMESTAMP_HEADER: str(stale), SIGNATURE_HEADER: sign(key["secret"], stale,
                                                                                               body)}
    async with httpx.AsyncClient() as c:
        for headers in (forged, replayed):
            r = await c.post(url, content=body, headers={"Content-Type": "application/json", **headers})
            assert r.status_code == 401, r.text
    assert _shared_ids(await _until(f"{city.url}/api/shared", lambda b: True)) == {second}

    # 5. both audit logs verify; an audit row edited in the county's database makes `audit verify` fail there
    for inst in (county, city):
        done = inst.run("-m", "api.cli", "audit", "verify")
        assert done.returncode == 0, (inst.name, done.stdout, done.stderr)
        assert "审计链完整" in done.stdout
    county_db = create_engine(county.env["DATABASE_URL"])
    with county_db.begin() as conn:
        row = conn.execute(text("SELECT id FROM audit_event WHERE case_type = 'record' AND case_id = :c "
                                "AND reason IS NOT NULL ORDER BY id LIMIT 1"), {"c": first}).scalar_one()
        conn.execute(text("UPDATE audit_event SET reason = '改写过的理由' WHERE id = :i"), {"i": row})
    done = county.run("-m", "api.cli", "audit", "verify")
    assert done.returncode == 1, (done.stdout, done.stderr)
    first_line = done.stderr.splitlines()[0]
    assert f"第一处在审计记录 id={row}" in first_line and "内容被改动" in first_line, done.stderr
