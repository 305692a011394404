"""The live monitor: the imperative shell that follows files, feeds the engine, writes outputs and screen.

Owns the clock and the warm start; imports follow, formats, core, outputs, ui; never offline.
"""
