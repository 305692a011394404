"""Following growing files: complete lines exactly once across rotation, truncation and restarts.

Owns file identity, rotated generations and the checkpoint of positions; imports only analyzer.lines.
"""
