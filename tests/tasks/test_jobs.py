"""Task plumbing: backoff with jitter, bounded, below the broker's visibility timeout."""

from __future__ import annotations

from tasks.jobs import MAX_RETRIES, backoff


def test_backoff_doubles_with_jitter_and_stays_below_the_visibility_timeout(app):
    for retries in range(MAX_RETRIES + 1):
        base = min(240, 10 * 2**retries)
        waits = {backoff(retries) for _ in range(20)}
        assert all(base <= w <= base * 1.3 for w in waits)
        assert len(waits) > 1  # jittered: workers do not retry in step
    assert max(backoff(r) for r in range(MAX_RETRIES + 1)) < app.config["CELERY_VISIBILITY_TIMEOUT"]
    assert backoff(1, first=0.2) <= 0.4 * 1.3
