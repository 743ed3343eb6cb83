"""Analyses: questions answered over the resolved cluster and the engines (no I/O)."""
