#!/usr/bin/env python3
"""Copy the front-end files the app serves from node_modules/ into app/static/vendor/.

Run after ``npm ci --no-audit --no-fund``::

    python scripts/vendor_assets.py

Only the files listed in MANIFEST are copied; each package gets its own directory under
app/static/vendor/ that this script owns: files in it that are not in the manifest are
removed, files already identical are left untouched (so running twice changes nothing).
Other directories under app/static/vendor/ are never touched.

Then every file under app/static (ours and the vendored ones) gets precompressed copies beside
it, ``name.gz`` and ``name.br``, which WhiteNoise serves to browsers that accept them
(app/static_files.py). A copy is rewritten only when it is missing or its source changed (the
copies carry their source's modification time); a copy whose source is gone is removed.

Exits non-zero with a message when node_modules is missing, a package is not installed, the
installed version differs from package-lock.json (stale node_modules: run ``npm ci``), or a
listed file is absent.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import logging
import os
import shutil
import sys
from pathlib import Path

from whitenoise.compress import Compressor

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
            f"{name} {installed} is installed but package-lock.json pins {want}: run `npm ci --no-audit --no-fund`"
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
        if entry.name not in sources and not is_compressed_copy(entry):
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


COMPRESSED_SUFFIXES = (".gz", ".br")


def is_compressed_copy(path: Path) -> bool:
    return path.suffix in COMPRESSED_SUFFIXES and path.with_suffix("").is_file()


def precompress(static: Path) -> tuple[int, int]:
    """Write fresh .gz/.br copies of every compressible file under ``static``; (written, removed)."""
    compressor = Compressor(quiet=True)
    written = removed = 0
    for path in sorted(p for p in static.rglob("*") if p.is_file()):
        if path.suffix in COMPRESSED_SUFFIXES:
            source = path.with_suffix("")
            if not source.is_file() or not compressor.should_compress(source.name):
                path.unlink()
                removed += 1
            continue
        if not compressor.should_compress(path.name):
            continue
        mtime = path.stat().st_mtime
        copies = [c for s in COMPRESSED_SUFFIXES if (c := Path(f"{path}{s}")).is_file()]
        # (a copy that would not be smaller is never written: such files are simply retried)
        if copies and all(c.stat().st_mtime == mtime for c in copies):
            continue
        for suffix in COMPRESSED_SUFFIXES:  # a copy the compressor finds not worth it must not stay stale
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        written += len(compressor.compress(os.fspath(path)))
    return written, removed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node-modules", type=Path, default=ROOT / "node_modules")
    parser.add_argument("--dest", type=Path, default=ROOT / "app" / "static" / "vendor")
    parser.add_argument("--static", type=Path, default=ROOT / "app" / "static", help="precompress every file under it")
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
    written, removed = precompress(args.static)
    if not args.quiet:
        log.info("%s: %d compressed copies written, %d stale ones removed", args.static, written, removed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
