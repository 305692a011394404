"""What the terminal shows: reports as plain text, the dashboard, log text made safe to display.

Pure but for the displays (display, terminal, dashboard), which write to it; imports only core.
"""
