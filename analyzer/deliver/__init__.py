"""Alerts that reach people: a command, a webhook, Alertmanager; kept in an outbox until delivered."""
