"""What the app writes under instance/ is readable by its owner only (issue 9, item 7).

Run in a fresh process started with the usual umask 022 and an empty instance folder, so the
test sees what a real start under systemd or a shell would leave on disk.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

SCRIPT = r"""
import os, sys
from pathlib import Path
os.umask(0o022)
from app import create_app
from app.extensions import db
from app.services import register_import_files
from app.services.plaques import write_pdf
from PIL import Image

app = create_app()  # embedded default: generates secret_key and data_encryption.key
with app.app_context():
    db.create_all()  # the SQLite database file
    db.session.commit()
    register_import_files.save(7, 1, "名册.xlsx", b"an upload holding ID numbers")
    folder = Path(app.instance_path) / "plaques"
    folder.mkdir(parents=True, exist_ok=True)
    write_pdf([Image.new("RGB", (20, 28), "white")], folder / "1.pdf")
"""


def _modes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): stat.S_IMODE(p.stat().st_mode) for p in [root, *root.rglob("*")]}


def test_instance_files_and_folders_are_owner_only(tmp_path):
    instance = tmp_path / "instance"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "APP_ENV")}
    env["INSTANCE_PATH"] = str(instance)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=env,
        cwd=Path(__file__).parents[2],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    modes = _modes(instance)
    assert {"secret_key", "data_encryption.key", "cunwutong.db", "plaques/1.pdf"} <= set(modes)
    assert any(name.startswith("register_imports/7/") for name in modes)
    loose = {name: oct(mode) for name, mode in modes.items() if mode & 0o077}
    assert loose == {}
