"""Programs that run inside step Jobs: health measurements and store actions (docs/rollouts.md)."""
