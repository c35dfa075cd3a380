"""What the sandbox used to refuse at run time, checked in the source: the worker runs workflow code unsandboxed
(activities/worker.py), so no module under workflows/ may read a clock, the environment, a file or a random
source. workflow.now(), workflow.random() and activities are the deterministic ways."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

WORKFLOWS = sorted((Path(__file__).resolve().parents[2] / "workflows").glob("*.py"))
FORBIDDEN_CALLS = {
    "datetime.now", "datetime.utcnow", "datetime.today", "date.today", "time.time", "time.time_ns", "time.monotonic",
    "time.perf_counter", "time.sleep", "os.getenv", "uuid.uuid1", "uuid.uuid4", "open", "input", "get_settings",
    "asyncio.wait", "asyncio.as_completed",  # the sandbox's own list: workflow.wait(), workflow.as_completed()
}
FORBIDDEN_MODULES = {"random", "secrets", "os", "socket", "subprocess", "threading", "sqlmodel", "sqlalchemy", "store",
                     "jinja2", "aiosmtplib", "httpx"}


def dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    return ""


def offences(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = dotted(node.func)
            if name in FORBIDDEN_CALLS or any(name.endswith(f".{c}") and "." in c for c in FORBIDDEN_CALLS):
                found.append(f"line {node.lineno}: {name}()")
        elif isinstance(node, ast.Attribute) and dotted(node) == "os.environ":
            found.append(f"line {node.lineno}: os.environ")
        elif isinstance(node, ast.Import | ast.ImportFrom):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found += [f"line {node.lineno}: import {m}" for m in modules if m.split(".")[0] in FORBIDDEN_MODULES]
    return sorted(found, key=lambda f: int(f.split(":")[0].split()[1]))


@pytest.mark.parametrize("path", WORKFLOWS, ids=[p.name for p in WORKFLOWS])
def test_workflow_module_reads_no_clock_environment_file_or_random_source(path: Path) -> None:
    assert offences(path.read_text(encoding="utf-8")) == []


def test_the_check_finds_what_the_sandbox_refused() -> None:
    source = ("import random\nfrom datetime import datetime\nimport os\n"
              "def f():\n    datetime.now()\n    open('x')\n    os.environ['A']\n    random.random()\n")
    assert offences(source) == ["line 1: import random", "line 3: import os", "line 5: datetime.now()",
                                "line 6: open()", "line 7: os.environ"]
