"""Entry point for ``python -m workbench``."""

from workbench.cli import entry

if __name__ == "__main__":  # not when a worker process started with spawn imports it
    entry()
