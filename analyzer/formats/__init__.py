"""Bytes of complete lines to the request frame: Common/Combined, W3C, custom formats, detection.

Owns columns, sections and reject reasons; pure (no files, no clock); imports only analyzer.lines.
"""
