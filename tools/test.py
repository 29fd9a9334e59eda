"""Test a trained crevdet model.

The tool itself is :mod:`crevdet.cli.test`: ``python -m crevdet.cli.test`` is the same command,
and what the experiment API runs. Usage: ``python tools/test.py --help``."""
from crevdet.cli.test import main

if __name__ == '__main__':
    main()
