"""What the terminal shows: reports rendered as strings, log text made safe to display.

Pure (returns strings; only the live shell writes them); imports only core.
"""
