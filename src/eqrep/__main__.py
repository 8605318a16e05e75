"""Command line of the book's package: ``python -m eqrep <command>``.

Commands: ``bench`` (benchmarks), ``chapters`` (sync/check/execute the chapters),
``train graph-vae`` (train the QM9 graph VAE; see :mod:`eqrep.train.graph_vae`),
``train mnist-classifier`` (the rotated-MNIST classifiers; see :mod:`eqrep.train.mnist_classifiers`),
``train equivae`` (EquiVAE; see :mod:`eqrep.train.equivae`),
``train latent-representation`` (learning the latent representation; see
:mod:`eqrep.train.latent_representation`), ``train penalty`` (the regular-representation penalty on
double-digit MNIST; see :mod:`eqrep.train.penalty`).
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {"bench": "eqrep.bench", "chapters": "eqrep.chapters"}
    trainers = {"graph-vae": "eqrep.train.graph_vae", "mnist-classifier": "eqrep.train.mnist_classifiers",
                "equivae": "eqrep.train.equivae", "latent-representation": "eqrep.train.latent_representation",
                "penalty": "eqrep.train.penalty"}
    usage = f"usage: python -m eqrep {{{','.join(commands)}}} [options] | python -m eqrep train {{{','.join(trainers)}}} [options]"
    if argv and argv[0] == "train":
        if len(argv) < 2 or argv[1] not in trainers:
            print(usage)
            return 2
        return __import__(trainers[argv[1]], fromlist=["main"]).main(argv[2:])
    if not argv or argv[0] not in commands:
        print(usage)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    return __import__(commands[argv[0]], fromlist=["main"]).main(argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
