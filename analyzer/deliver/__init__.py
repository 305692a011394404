"""Alerts that reach people: a command, a webhook, Alertmanager; kept in an outbox until delivered.
Imports ui, outputs, core, formats, follow and lines; never live, offline or serve."""
