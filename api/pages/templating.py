"""The pages' one Jinja2 environment (templates/), shared by every page module."""

from __future__ import annotations

from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader

from api.pages.form_errors import error_text, named_items, summary_items
from api.pages.track_view import plain_receipt
from domain.attachments import ACCEPT
from domain.settings import ROOT

# Autoescape every template: Starlette's default only escapes *.html, and ours end in .j2.
templates = Jinja2Templates(env=Environment(loader=FileSystemLoader(str(ROOT / "templates")), autoescape=True))
# Public pages explain a deadline in sentences, without calendar versions or profile jargon (staff pages keep
# the full receipt text).
templates.env.filters["plain_receipt"] = plain_receipt
templates.env.globals["accept"] = ACCEPT  # every file input offers the types the upload accepts
# the GOV.UK error pattern (api/pages/form_errors.py)
templates.env.globals.update(error_text=error_text, summary_items=summary_items, named_items=named_items)
