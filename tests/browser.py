"""Debian's Chromium driven by Playwright: one browser process for the whole test session.

Playwright's sync API runs its own event loop, so two ``sync_playwright()`` sessions cannot be
open at once; every browser test shares the ``chromium`` fixture defined here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .services import missing

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
# Without the background-networking flags Chromium keeps dialling Google on a closed network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        missing("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
