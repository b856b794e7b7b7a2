"""Serving the app: what it answers besides pages, and what it leaves in the checkout."""

import subprocess
import urllib.request

import pytest

from tests.browser.conftest import PROJECT_ROOT

pytestmark = pytest.mark.browser

# Everything `reflex run` may write in the project folder outside its ignored build directories.
REFLEX_WRITES = ["reflex.lock", "assets", "rxconfig.py", ".gitignore", "requirements.txt", "AGENTS.md", "CLAUDE.md"]


def test_the_favicon_is_served(app_url):
    with urllib.request.urlopen(app_url + "/favicon.ico", timeout=10) as response:
        assert response.status == 200
        assert response.read() == (PROJECT_ROOT / "assets" / "favicon.ico").read_bytes()


def test_serving_leaves_the_checkout_as_committed(app_url):
    # app_url has built and started the app: nothing tracked may have been rewritten, nothing added.
    changed = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all", "--", *REFLEX_WRITES],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert changed == "", f"serving changed the checkout:\n{changed}"
