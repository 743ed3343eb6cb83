"""``python -m podpath`` and the ``podpath`` / ``kubectl-podpath`` scripts.

``--version`` alone is answered here, before the command line (click) is imported, so that it
stays instant (bench/bench_startup.py); everything else goes to :func:`podpath.cli.main`.
"""

from __future__ import annotations

import sys
from typing import Any


def main(argv: list[str] | None = None) -> Any:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:
        from podpath import __version__

        sys.stdout.write(f"podpath, version {__version__}\n")
        return None
    from podpath.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    main()
