"""Presentation: terminal tables and matplotlib figures of results."""
