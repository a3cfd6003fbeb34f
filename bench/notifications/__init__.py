"""Notifications bench: many gates open at once, their channel answers slowly."""
