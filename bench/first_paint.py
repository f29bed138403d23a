"""`make bench`: the household page's first paint on weak 4G, in headless Chromium.

Run it from the repository root as ``.venv/bin/python -m bench.first_paint`` (bench/run.sh does).

1. the demo village on PostgreSQL + Redis, as for the household page benchmark (bench/dataset.py);
2. gunicorn (bench/server.py) on a free port; every household page is fetched once, so the
   server side is its steady state (cached pages) and what is measured is the network and the
   browser;
3. ``FIRST_PAINT_RUNS`` times: a fresh browser context (cold HTTP cache, new connections), the
   network throttled through the DevTools protocol (``Network.emulateNetworkConditions``:
   400 kbit/s down and up, 400 ms round trip: a weak 4G cell at the edge of a village), open
   one household page and read ``first-contentful-paint`` from the Paint Timing API, and the
   bytes that crossed the wire (``encodedDataLength`` of every response, headers included);
4. the median decides: first contentful paint ≤ 1.5 s and a first visit ≤ 60 KB transferred
   (issue 10, item 5). Exit 1 if a budget fails, 2 if the run itself failed.
"""

from __future__ import annotations

import shutil
import signal
import statistics
import tempfile
from pathlib import Path

from bench.dataset import prepare
from bench.server import free_port, start_gunicorn, stop_gunicorn, wait_ready, warm_pages
from bench.settings import BenchError, log, run, verdict

CHROMIUM = Path("/usr/bin/chromium")
RUNS = 5
# A weak 4G cell: 400 kbit/s each way, 400 ms round trip. CDP wants bytes per second.
THROTTLE = {"offline": False, "latency": 400, "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8}
MAX_FCP_MS = 1500.0
MAX_FIRST_VISIT_BYTES = 60 * 1024
PHONE = {"width": 390, "height": 844}
WECHAT_UA = (
    "Mozilla/5.0 (Linux; Android 12; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 "
    "Chrome/107.0.5304.141 Mobile Safari/537.36 MicroMessenger/8.0.34.2340 NetType/4G Language/zh_CN"
)


def _terminate(signum, _frame):
    raise SystemExit(128 + signum)


def visit(browser, url: str) -> tuple[float, int, int]:
    """One cold first visit under the throttle: (first contentful paint in ms, bytes, requests)."""
    context = browser.new_context(viewport=PHONE, user_agent=WECHAT_UA, locale="zh-CN")
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        sizes: dict[str, int] = {}
        cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])))
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", THROTTLE)
        response = page.goto(url, wait_until="load", timeout=60_000)
        if response is None or response.status != 200:
            raise BenchError(f"GET {url} gave {response and response.status}")
        page.wait_for_timeout(200)  # the last loadingFinished events
        fcp = page.evaluate(
            "() => (performance.getEntriesByType('paint')"
            ".find(e => e.name === 'first-contentful-paint') || {}).startTime || null"
        )
        if fcp is None:
            raise BenchError("the page reported no first-contentful-paint")
        return float(fcp), sum(sizes.values()), len(sizes)
    finally:
        context.close()


def main() -> int:
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _terminate)
    if not CHROMIUM.exists():
        raise BenchError(f"{CHROMIUM} is missing (make chromium)")
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="cwt-bench-"))
    gunicorn = None
    results = []
    try:
        env, codes = prepare(tmp / "instance")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        gunicorn = start_gunicorn(env, port, tmp / "gunicorn.log")
        wait_ready(base, gunicorn)
        warm_pages(base, [f"/h/{c}" for c in codes])
        url = f"{base}/h/{codes[0]}"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
            try:
                for n in range(1, RUNS + 1):
                    fcp, size, requests = visit(browser, url)
                    results.append((fcp, size, requests))
                    log(f"run {n}/{RUNS}: first contentful paint {fcp:.0f} ms, {size / 1024:.1f} KB, {requests} loads")
            finally:
                browser.close()
    finally:
        stop_gunicorn(gunicorn)
        shutil.rmtree(tmp, ignore_errors=True)

    fcp = statistics.median(r[0] for r in results)
    size = statistics.median(r[1] for r in results)
    print()
    print(
        f"村务通 first paint on weak 4G: one household page, {RUNS} cold visits in headless Chromium, "
        f"{THROTTLE['downloadThroughput'] * 8 / 1000:.0f} kbit/s, {THROTTLE['latency']} ms RTT; medians"
    )
    print()
    checks = [
        (f"first contentful paint = {fcp:.0f} ms (budget ≤ {MAX_FCP_MS:.0f} ms)", fcp <= MAX_FCP_MS),
        (
            f"first visit transferred = {size / 1024:.1f} KB (budget ≤ {MAX_FIRST_VISIT_BYTES // 1024} KB)",
            size <= MAX_FIRST_VISIT_BYTES,
        ),
    ]
    return verdict(checks, "BENCH")


if __name__ == "__main__":
    run(main)
