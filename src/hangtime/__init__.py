"""Hangtime: safe, measurable inversion therapy."""

__version__ = "0.1.0"
