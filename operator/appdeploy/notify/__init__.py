"""Transports: deliver one outbox record to Slack, a webhook, PagerDuty, Teams or e-mail.

An I/O layer beside ``appdeploy.k8s``: it knows providers' wire shapes and
nothing about Kubernetes. The controller's delivery workers choose what to send
and record what happened (docs/notifications.md).
"""
