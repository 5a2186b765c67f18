"""APScheduler wiring: each job checked daily at its time, the outbox drained every minute,
and on start a catch-up of pushes missed while the bot was down (within the window)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from core.notify import Notifier
from jobs.outbox import Deliverer
from jobs.schedule import Jobs

log = logging.getLogger(__name__)
DRAIN_SECONDS = 60  # how often due and retried outbox rows are looked for
SHUTDOWN_WAIT_SECONDS = 20  # how long a stop waits for a push being sent


class Pushes:
    """Runs inside the chat adapter's event loop (PTB's), next to the updates."""

    def __init__(self, jobs: Jobs, notifiers: Mapping[str, Notifier], max_attempts: int):
        self.jobs = jobs
        max_age = timedelta(days=max(1, jobs.settings.catch_up_days))
        self.deliverer = Deliverer(
            jobs.engine, jobs.clock, notifiers, max_attempts, max_age=max_age
        )
        self.scheduler = AsyncIOScheduler(timezone=jobs.tz)
        self._lock = asyncio.Lock()  # one drain at a time in this process

    async def start(self) -> None:
        for name, job in self.jobs.jobs.items():
            trigger = CronTrigger(hour=job.at.hour, minute=job.at.minute, timezone=self.jobs.tz)
            self.scheduler.add_job(
                self.fire, trigger, args=[name], id=name, misfire_grace_time=3600
            )
        self.scheduler.add_job(self.drain, IntervalTrigger(seconds=DRAIN_SECONDS), id="outbox")
        self.scheduler.start()
        caught = await asyncio.to_thread(self.jobs.catch_up, self.jobs.clock())
        if any(caught.values()):
            log.info("caught up on pushes missed while down: %s", caught)
        await self.drain()

    async def fire(self, name: str) -> None:
        """The daily check of one job: run it if today is one of its days, then deliver."""
        now = self.jobs.clock().astimezone(self.jobs.tz)
        if self.jobs.jobs[name].fires_on(now.date()):
            added = await asyncio.to_thread(self.jobs.run, name, now)
            log.info("job %s enqueued %d messages", name, added)
            await self.drain()

    async def drain(self) -> None:
        async with self._lock:
            try:
                await self.deliverer.deliver_due()
            except Exception:  # the next drain tries again; the rows are safe in the outbox
                log.exception("delivering the outbox failed")

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def stop_and_wait(self) -> None:
        """Stop firing, and let a delivery in progress finish while the chat client is still
        open: a send cut off half-way would stay claimed and go out again later."""
        self.stop()
        try:
            await asyncio.wait_for(self._lock.acquire(), SHUTDOWN_WAIT_SECONDS)
        except TimeoutError:  # a send stuck in rate limits: its claim runs out, it is retried
            log.warning("stopping with a push still being sent")
        else:
            self._lock.release()
