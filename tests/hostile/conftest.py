"""Hostile-input tests run the app over real HTTP (uvicorn), with the real Temporal dev server, worker,
SMTP sink and database of the API tests."""

from tests.api.conftest import api, temporal_client, temporal_dev_server, tokens, worker  # noqa: F401
from tests.browser.conftest import site  # noqa: F401
