"""The web console: server-rendered release pages, gates and history, as the person using it."""
