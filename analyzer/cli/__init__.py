"""The command line: argument parsing and one module per command, a thin layer over the library.

May import every stage below it; nothing imports it but `python -m analyzer`.
"""
