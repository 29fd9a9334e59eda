"""Train a crevdet model (video-prediction pretraining or detection).

The tool itself is :mod:`crevdet.cli.train`: ``python -m crevdet.cli.train`` is the same command,
and what the experiment API runs. Usage: ``python tools/train.py --help``."""
from crevdet.cli.train import main

if __name__ == '__main__':
    main()
