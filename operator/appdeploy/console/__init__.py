"""The web console: see a release, and decide its gates as yourself (docs/console.md)."""
