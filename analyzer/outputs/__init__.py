"""The output files under --out: the rows of alerts.csv, stats.csv and sections.csv, and their sinks.

Imports only core (transitions, reports, times).
"""
