"""One module per command group; each defines click commands that ``podpath.cli`` loads lazily."""
