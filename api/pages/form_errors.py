"""A refusal (a pydantic ValidationError or a Problem) as Chinese messages by form field, for every form page."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from api.problems import Problem, message_zh


def field_messages(exc: ValidationError) -> dict[str, str]:
    """Chinese messages keyed by the form field (the first part of the error's location)."""
    out: dict[str, str] = {}
    for e in exc.errors():
        loc = e.get("loc", ())
        out.setdefault(str(loc[0]) if loc else "form", message_zh(dict(e)))
    return out


def form_errors(err: ValidationError | Problem, names: set[str] | None = None) -> dict[str, str]:
    """A refusal as messages by form field. With `names`, anything not about one of them goes to "form"
    (shown at the top of the form)."""
    if isinstance(err, ValidationError):
        found = field_messages(err)
    else:
        found = {str(e["field"]).split(".")[0]: e["message"] for e in (err.errors or [])} or {"form": err.detail}
    if names is None:
        return found
    out = {k: v for k, v in found.items() if k in names}
    general = [v for k, v in found.items() if k not in names]
    if general:
        out["form"] = "；".join(general)
    return out


def refuse_unless_filled(errors: dict[str, str]) -> None:
    """Refuse a form the page's own checks found unfinished, as the API refuses (so it shows the same way)."""
    if errors:
        raise Problem(422, "请按提示修改后重新提交", errors=[{"field": k, "message": v} for k, v in errors.items()])


# the API's terse messages, said as what to do (GOV.UK: "Enter your full name")
INSTRUCTIONS = {"必填": "请填写{name}", "不能为空": "请填写{name}",
                "日期格式无效，应为 YYYY-MM-DD": "请输入 2026-12-31 这样的日期"}


def error_text(label: str, message: str) -> str:
    """A field's message as the page shows it: an instruction (请填写理由) as it is, anything else after the
    field's name (核验意见：不通过须说明理由), so the line makes sense in the error summary too."""
    name = label.split("（", 1)[0]
    if message in INSTRUCTIONS:
        return INSTRUCTIONS[message].format(name=name)
    return message if message.startswith("请") else f"{name}：{message}"


def named_items(errors: dict[str, str], labels: dict[str, str]) -> list[tuple[str, str]]:
    """(link, text) of each problem of a form whose inputs are named by their field (id = name)."""
    return [(f"#{name}", error_text(labels[name], message)) if name in labels else ("#main", message)
            for name, message in errors.items()]


def summary_items(fields: Any, errors: dict[str, str], prefix: str, form_id: str) -> list[tuple[str, str]]:
    """(link, text) of each problem of a staff form for the error summary: a field's problem links to its
    input (`{prefix}-{name}`), a problem of the whole form or of its buttons to the form."""
    items = [(f"#{prefix}-{f.name}" if f.kind != "buttons" else f"#{form_id}", error_text(f.label, errors[f.name]))
             for f in fields if errors.get(f.name)]
    if errors.get("form"):
        items.append((f"#{form_id}", errors["form"]))
    return items
