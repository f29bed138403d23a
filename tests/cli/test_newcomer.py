"""A newcomer does not trip (issue 10, item 11): the README stands alone in a clone, and
``make run PORT=…`` serves, prints and pushes on that port."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_on_another_port_serves_and_links_there():
    env = {k: v for k, v in os.environ.items() if k not in ("PUBLIC_BASE_URL", "PORT", "MAKEFLAGS")}
    # -n: print what would run, run nothing (no install, no server).
    plan = subprocess.run(["make", "-n", "-B", "run", "PORT=5001"], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=True, timeout=60).stdout  # fmt: skip
    assert "--bind 127.0.0.1:5001" in plan and "127.0.0.1:5000" not in plan
    assert "http://127.0.0.1:5001/admin/" in plan and "http://127.0.0.1:5001/sandbox/" in plan
    # The sandbox menu is pushed from the background, before gunicorn takes the foreground.
    push = plan.index("wechat menu push --sandbox-only --wait")
    assert push < plan.index("gunicorn --workers")
    # PUBLIC_BASE_URL reaches the commands (plaque links, the sandbox's base) through the environment.
    shown = subprocess.run(["make", "-s", "-f", "Makefile", "-f", "-", "show", "PORT=5001"], cwd=ROOT, env=env,
                           input="show:\n\t@echo $$PUBLIC_BASE_URL\n", capture_output=True, text=True,
                           check=True, timeout=60).stdout  # fmt: skip
    assert shown.strip() == "http://127.0.0.1:5001"


def test_the_readme_and_docs_send_readers_only_to_files_a_clone_has():
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = doc.read_text()
        assert "../shared" not in text, f"{doc.name} sends readers outside the repository"
        for named in re.findall(r"`((?:docs|wechat|app|tests|bench|scripts)/[^`\s]+\.(?:md|json|py))`", text):
            assert (ROOT / named).exists(), f"{doc.name} names {named}, which the repository does not have"
