"""Run the worker: `python -m worker` (started by `make run` through the Procfile)."""
from __future__ import annotations

import logging
import signal
import time

import httpx

from worker.announcement_jobs import run_announcement_jobs
from worker.complaint_jobs import run_complaint_jobs
from worker.booking_jobs import run_booking_jobs
from worker.delivery import deliver_due
from worker.evidence_jobs import run_evidence_jobs
from worker.outreach_jobs import run_outreach_jobs
from worker.privacy_jobs import run_privacy_jobs
from worker.retention import purge_expired
from worker.survey_jobs import run_survey_jobs

log = logging.getLogger("worker")
POLL_SECONDS = 2.0
PURGE_EVERY_SECONDS = 3600.0


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    stopping = False

    def stop(*_args: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    last_purge = 0.0
    log.info("worker started: outbox delivery every %.0f s, retention purge hourly", POLL_SECONDS)
    with httpx.Client() as client:
        while not stopping:
            try:
                deliver_due(client)
                run_complaint_jobs(client)
                run_evidence_jobs(client)
                run_booking_jobs()
                run_outreach_jobs()
                run_survey_jobs()
                run_announcement_jobs()
                run_privacy_jobs(client)
                if time.monotonic() - last_purge > PURGE_EVERY_SECONDS:
                    purge_expired()
                    last_purge = time.monotonic()
            except Exception:  # keep the worker alive; the next pass retries
                log.exception("worker pass failed")
            time.sleep(POLL_SECONDS)
    log.info("worker stopped")


if __name__ == "__main__":
    main()
