"""Engines: the rules of each network layer, pure functions over the resolved cluster."""
