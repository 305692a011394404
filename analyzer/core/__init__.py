"""The pure state of a monitor: the alert fold, the trimmed window, summary statistics, the engine.

Explicit times in, transitions and reports out; imports only analyzer.formats (the request frame).
"""
