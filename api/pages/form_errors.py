"""A refusal (a pydantic ValidationError or a Problem) as Chinese messages by form field, for every form page."""

from __future__ import annotations

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
