"""Offline over historical logs: reading plain and gzip files in pieces, the backtest, the doctor.

Imports core, formats, outputs, ui (text only) and lines; never the live monitor.
"""
