"""What the terminal shows: reports as plain text, the dashboard, log text made safe to display.

Pure where it can be (render, layout and what it draws with: lines from a report, a status and
a size); the displays (`display`, `terminal`, `dashboard`) write to the terminal. Imports only
core.
"""
