"""The ``citybrain`` command line (Typer + Rich)."""
