#!/usr/bin/env python3
"""Copy the front-end files the app serves from node_modules/ into app/static/vendor/.

Run after ``npm ci --no-audit --no-fund``::

    python scripts/vendor_assets.py

Only the files listed in MANIFEST are copied; each package gets its own directory under
app/static/vendor/ that this script owns: files in it that are not in the manifest are
removed, files already identical are left untouched (so running twice changes nothing).
Other directories under app/static/vendor/ are never touched.

Exits non-zero with a message when node_modules is missing, a package is not installed, the
installed version differs from package-lock.json (stale node_modules: run ``npm ci``), or a
listed file is absent.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import logging
import shutil
import sys
from pathlib import Path

log = logging.getLogger("vendor_assets")

ROOT = Path(__file__).resolve().parent.parent

# package name -> (destination directory under app/static/vendor, files relative to the package)
MANIFEST: dict[str, tuple[str, list[str]]] = {
    "bootstrap": (
        "bootstrap",
        [
            "dist/css/bootstrap.min.css",
            "dist/js/bootstrap.bundle.min.js",
            "LICENSE",
        ],
    ),
    "echarts": (
        "echarts",
        [
            "dist/echarts.min.js",
            "LICENSE",
        ],
    ),
    "weui": (
        "weui",
        [
            "dist/style/weui.min.css",
            "LICENSE.txt",
        ],
    ),
    "swagger-ui-dist": (
        "swagger-ui",
        [
            "swagger-ui.css",
            "swagger-ui-bundle.js",
            "swagger-ui-standalone-preset.js",
            "index.css",
            "favicon-16x16.png",
            "favicon-32x32.png",
            "oauth2-redirect.html",
            "oauth2-redirect.js",
            "LICENSE",
            "NOTICE",
        ],
    ),
}


class VendorError(Exception):
    pass


def locked_versions(root: Path) -> dict[str, str]:
    lock = root / "package-lock.json"
    if not lock.is_file():
        return {}
    packages = json.loads(lock.read_text(encoding="utf-8")).get("packages", {})
    return {
        key[len("node_modules/") :]: meta.get("version", "")
        for key, meta in packages.items()
        if key.startswith("node_modules/")
    }


def check_package(node_modules: Path, name: str, locked: dict[str, str]) -> Path:
    pkg_dir = node_modules / name
    pkg_json = pkg_dir / "package.json"
    if not pkg_json.is_file():
        raise VendorError(f"{name} is not installed in {node_modules}: run `npm ci --no-audit --no-fund`")
    installed = json.loads(pkg_json.read_text(encoding="utf-8")).get("version", "")
    want = locked.get(name)
    if want and installed != want:
        raise VendorError(
            f"{name} {installed} is installed but package-lock.json pins {want}: "
            "run `npm ci --no-audit --no-fund`"
        )
    return pkg_dir


def sync_package(pkg_dir: Path, dest: Path, files: list[str]) -> tuple[int, int]:
    """Make dest hold exactly the basenames of `files`; return (copied, removed)."""
    sources = {}
    for rel in files:
        src = pkg_dir / rel
        if not src.is_file():
            raise VendorError(f"{src} is missing (package layout changed?)")
        sources[Path(rel).name] = src

    dest.mkdir(parents=True, exist_ok=True)
    copied = removed = 0
    for entry in dest.iterdir():
        if entry.name not in sources:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed += 1
    for name, src in sources.items():
        target = dest / name
        if target.is_file() and not target.is_symlink() and filecmp.cmp(src, target, shallow=False):
            continue
        if target.is_symlink() or target.exists():
            target.unlink()
        tmp = dest / f".{name}.tmp"
        shutil.copyfile(src, tmp)
        tmp.replace(target)  # atomic: the app never serves a half-written file
        copied += 1
    return copied, removed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node-modules", type=Path, default=ROOT / "node_modules")
    parser.add_argument("--dest", type=Path, default=ROOT / "app" / "static" / "vendor")
    parser.add_argument("-q", "--quiet", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="vendor_assets: %(message)s")

    node_modules: Path = args.node_modules
    if not node_modules.is_dir():
        log.error("%s not found. Install the front-end packages first:\n    npm ci --no-audit --no-fund", node_modules)
        return 2

    locked = locked_versions(ROOT)
    try:
        for name, (subdir, files) in MANIFEST.items():
            pkg_dir = check_package(node_modules, name, locked)
            copied, removed = sync_package(pkg_dir, args.dest / subdir, files)
            if not args.quiet:
                log.info("%s -> %s: %d copied, %d removed", name, args.dest / subdir, copied, removed)
    except VendorError as exc:
        log.error("%s", exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
