import os
from pathlib import Path

import pytest
from django.db import connections

from tests.casework.conftest import default_protocols  # noqa: F401 (a fixture)
from tests.conftest import REQUIRE_SERVICES

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
]


def _missing(message: str) -> None:
    # CI installs Chromium (.ci/run); there a missing browser is a failure, since a
    # skip would hide that the reviewers' path was never driven end to end.
    if REQUIRE_SERVICES:
        pytest.fail(f"{message} (REQUIRE_SERVICES=1)")
    pytest.skip(message)


@pytest.fixture
def browser_page():
    if not CHROMIUM.exists():
        _missing(
            "needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("needs the playwright package (pip install -r requirements.txt)")

    # Playwright's sync API runs an event loop in this thread; the test's own ORM
    # calls between browser steps are still plain synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1366, "height": 768})
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            # With Playwright's loop running, the ORM calls of the test got their own
            # connection (asgiref keys connections by context); close it here, in that
            # context, or it keeps the test database open past its teardown.
            connections.close_all()
            context.close()
            browser.close()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
