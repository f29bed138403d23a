"""Static files and the household page for weak 4G (issue 10, item 5): compressed, long-cached.

WhiteNoise serves /static from the precompressed copies `make assets` writes; the household
page is compressed by Flask-Compress; the back office's pages are not (BREACH, app/extensions.py).
The browser side (bytes of a first visit, ECharts on the charts page only) is in
test_first_visit_browser.py and tests/admin/test_echarts_browser.py.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import brotli
import pytest
from flask import url_for

from tests.helpers import award, code_of, make_household

STATIC = Path(__file__).resolve().parents[2] / "app" / "static"
# What the pages actually link: the back office's styles and scripts, ECharts, our own script.
LINKED = ["vendor/bootstrap/bootstrap.min.css", "vendor/echarts/echarts.min.js", "admin/charts.js", "css/admin.css"]
YEAR = 365 * 24 * 3600


def static_url(app, filename: str) -> str:
    with app.test_request_context():
        return url_for("static", filename=filename)


@pytest.mark.parametrize("filename", LINKED)
def test_static_files_come_compressed_with_a_far_future_cache(app, client, filename):
    url = static_url(app, filename)
    source = (STATIC / filename).read_bytes()
    # The URL carries the file's version, so a year's cache cannot serve an old copy after an upgrade.
    assert re.fullmatch(rf"/static/{re.escape(filename)}\?v=[0-9a-f]{{12}}", url), url

    for asked, encoding, decode in (
        ("gzip, deflate", "gzip", gzip.decompress),
        ("gzip, deflate, br", "br", brotli.decompress),
    ):
        response = client.get(url, headers={"Accept-Encoding": asked})
        assert response.status_code == 200
        assert response.headers.get("Content-Encoding") == encoding, (filename, asked, response.headers)
        assert len(response.data) < len(source) * 0.6  # really compressed
        assert decode(response.data) == source  # and it is this file, not a stale copy
        cache = response.headers["Cache-Control"]
        assert "immutable" in cache and int(re.search(r"max-age=(\d+)", cache).group(1)) >= YEAR, cache
        assert "Accept-Encoding" in response.headers.get("Vary", "")
        assert response.headers["X-Content-Type-Options"] == "nosniff"

    plain = client.get(url)  # a client that accepts no encoding gets the file itself
    assert plain.headers.get("Content-Encoding") is None and plain.data == source


def test_every_precompressed_copy_matches_its_source():
    """WhiteNoise serves a .gz/.br as it finds it: one left from an older version of its file
    would serve old code to every browser that accepts compression."""
    copies = [p for p in STATIC.rglob("*") if p.suffix in (".gz", ".br")]
    assert any(p.name == "echarts.min.js.gz" for p in copies), "no precompressed copies: run `make assets`"
    for copy in copies:
        decode = gzip.decompress if copy.suffix == ".gz" else brotli.decompress
        assert decode(copy.read_bytes()) == copy.with_suffix("").read_bytes(), f"{copy} is stale: run `make assets`"


def test_the_household_page_comes_compressed_and_still_revalidates(client, db):
    home = make_household(members=4, motto="勤俭持家，孝老爱亲")
    for i in range(20):
        award(home, 2, reason=f"清理老水渠第{i + 1}段", place="老水渠", category="志愿服务")
    url = f"/h/{code_of(home)}"
    plain = client.get(url)
    page = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
    assert page.status_code == 200 and page.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(page.data) == plain.data
    assert len(page.data) < len(plain.data) / 3
    assert page.headers["Cache-Control"] == "no-cache"
    # An unchanged page costs a 304 on the next visit, with the compressed copy's ETag too.
    again = client.get(url, headers={"Accept-Encoding": "gzip, deflate", "If-None-Match": page.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_back_office_pages_are_not_compressed(client, db):
    """They carry a CSRF token beside text a visitor can put there: compressed over HTTPS, their
    length would leak it (BREACH). Only their static files are compressed."""
    response = client.get("/admin/login", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.status_code == 200 and "Content-Encoding" not in response.headers


def test_each_version_of_a_household_page_is_compressed_once(client, db, monkeypatch):
    """Compressing on every visit would cost more than serving the cached page; a new version
    (an award) is compressed afresh, never served from the old copy."""
    import flask_compress.flask_compress as library

    calls = []
    real = library._compress_data
    monkeypatch.setattr(library, "_compress_data", lambda *a: calls.append(a[2]) or real(*a))
    home = make_household(members=3)
    award(home, 2, reason="清理老水渠", category="志愿服务")
    url, br = f"/h/{code_of(home)}", {"Accept-Encoding": "br"}
    first, second = client.get(url, headers=br), client.get(url, headers=br)
    assert first.headers["Content-Encoding"] == "br" and second.data == first.data
    assert calls == ["br"]
    award(home, 3, reason="照看留守儿童", category="公德美德")
    third = client.get(url, headers=br)
    assert calls == ["br", "br"] and "照看留守儿童" in brotli.decompress(third.data).decode()
