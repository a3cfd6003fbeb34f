"""Console bench: the releases list with 1,000 releases, and live updates in a real browser."""
