"""Notification adapters: the buddy alert over a webhook, an ntfy topic or email."""
