"""Scheduled work (APScheduler): reminder lists, nudges, deadlines, quarterly summaries.

Jobs compute their messages through ``core`` services and hand them to an outbox that the
adapter owning each chat delivers (see ``core.notify.Notifier``). The jobs themselves arrive
with the scheduling issue; this package is where they live.
"""
