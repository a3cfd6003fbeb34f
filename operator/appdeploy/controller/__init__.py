"""The operator's glue: kopf watches feed a keyed work queue that drives ``reconcile``.

Watches only enqueue keys and update in-memory caches; one worker at a time
handles a key (bursts coalesce), reads fresh state, plans, applies, and
schedules the next time-based look.
"""
