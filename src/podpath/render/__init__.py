"""Renderers: plain data -> text, one module per format. Renderers never compute semantics."""
