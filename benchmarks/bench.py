"""Benchmarks printed by ``make bench`` (speed is measured here, never in timed tests).

Book tooling, not part of the installed package: ``python benchmarks/bench.py``.

* Part I: the fused permutation-equivariant layers against the naive stacked-basis form,
  forward + backward with a dense upstream gradient, same weights and same outputs;
* Part II: full-QM9 preprocessing (from scratch, then from the cache) and graph-VAE training
  throughput in graphs/s with the ``default`` config (batch 256, 20 channels) on the CPU, side by
  side: the bare optimiser step (the inner loop of the trainer before the shared loop existed)
  and the book's loop (:func:`eqrep.train.loop.fit`, with its checkpoints and bookkeeping);
* Part III: training throughput (images/s) of the escnn SO(2) classifier and the augmentation CNN
  (``default`` configs, batch 64, CPU) and the rotated-MNIST test accuracy of the shipped
  checkpoints for each data source that is reachable.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from collections.abc import Callable

import torch

from eqrep.layers import permutation as P

__all__ = ["time_forward_backward", "bench_layers", "bench_qm9_preprocessing", "bench_graph_vae",
           "bench_so2_classifiers", "mnist_accuracies", "main"]


def time_forward_backward(fn: Callable[..., torch.Tensor], inputs: tuple[torch.Tensor, ...],
                          grad: torch.Tensor, repeats: int = 20, warmup: int = 3) -> float:
    """Median seconds of one ``fn(*inputs).backward(grad)``."""
    for _ in range(warmup):
        fn(*inputs).backward(grad)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(*inputs).backward(grad)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_layers(batch: int = 256, nodes: int = 9, channels: int = 64, repeats: int = 20) -> dict[str, tuple]:
    """Time fused vs naive forms of the four maps; returns ``{name: (naive_s, fused_s, max_abs_diff)}``."""
    gen = torch.Generator().manual_seed(0)
    results = {}
    for name, order_in, order_out in [("edge_to_edge", 2, 2), ("node_to_edge", 1, 2),
                                      ("edge_to_node", 2, 1), ("node_to_node", 1, 1)]:
        shape_in = (batch, nodes, channels) if order_in == 1 else (batch, nodes, nodes, channels)
        shape_out = (batch, nodes, channels) if order_out == 1 else (batch, nodes, nodes, channels)
        x = torch.randn(*shape_in, generator=gen).requires_grad_()
        w = (torch.randn(P.NUM_BASIS[name], channels, channels, generator=gen) / channels).requires_grad_()
        b = torch.zeros(channels, requires_grad=True)
        grad = torch.randn(*shape_out, generator=gen)
        fused, naive = getattr(P, name), getattr(P, f"{name}_naive")
        with torch.no_grad():
            diff = float((fused(x, w, b) - naive(x, w, b)).abs().max())
        t_naive = time_forward_backward(naive, (x, w, b), grad, repeats)
        t_fused = time_forward_backward(fused, (x, w, b), grad, repeats)
        results[name] = (t_naive, t_fused, diff)
    return results


def bench_qm9_preprocessing() -> tuple[float, float]:
    """Seconds to build the full QM9 cache from ``qm9pack`` in a fresh folder, and to load it again."""
    import tempfile

    from eqrep.data.qm9 import load_qm9

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        load_qm9(tmp, verbose=False)
        build = time.perf_counter() - start
        start = time.perf_counter()
        load_qm9(tmp, verbose=False)
        return build, time.perf_counter() - start


def bench_graph_vae(steps: int = 30, rounds: int = 3) -> tuple[float, float, int]:
    """Training throughput of the graph VAE (default config, CPU), graphs/s over ``steps + 3`` steps:
    the bare optimiser step and the book's loop (one epoch), alternated ``rounds`` times so that both
    see the same machine load; returns ``(bare, loop, training-set size)`` (medians over rounds)."""
    import tempfile

    from eqrep.data.qm9 import load_qm9, one_hot_graphs
    from eqrep.models.graph_vae import GraphVAE, elbo_terms, negative_elbo
    from eqrep.train.graph_vae import CONFIGS, GraphVAEExperiment
    from eqrep.train.loop import fit

    config = CONFIGS["default"]
    data = load_qm9(verbose=False)
    nodes, edges = data.tensors("train")
    n_train = (steps + 3) * config.batch_size
    subset = dataclasses.replace(data, split={**data.split, "train": data.split["train"][:n_train],
                                              "val": data.split["val"][:config.batch_size]})

    def bare() -> float:
        torch.manual_seed(0)
        model = GraphVAE(config.model)
        optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
        order = torch.randperm(len(nodes))
        times = []
        for i in range(steps + 3):
            start = time.perf_counter()
            idx = order[i * config.batch_size:(i + 1) * config.batch_size]
            v, e = one_hot_graphs(nodes[idx], edges[idx])
            loss = negative_elbo(elbo_terms(model(v, e), nodes[idx], edges[idx]), config.kl_weight)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            times.append(time.perf_counter() - start)
        return config.batch_size * len(times) / sum(times)  # as the loop measures an epoch: all its steps

    def loop() -> float:
        with tempfile.TemporaryDirectory() as tmp:  # one epoch: steps + 3 batches, then a small validation
            manifest = fit(GraphVAEExperiment(dataclasses.replace(config, epochs=1), subset), tmp, device="cpu",
                           progress=False)
        return manifest["history"][-1]["graphs_per_second"]

    results = [(bare(), loop()) for _ in range(rounds)]
    return (statistics.median(r[0] for r in results), statistics.median(r[1] for r in results), len(nodes))


def bench_so2_classifiers(steps: int = 10) -> dict[str, float]:
    """Training throughput (images/s, median over ``steps``) of both rotated-MNIST classifiers, CPU."""
    import torch.nn.functional as F

    from eqrep.train.so2_classifier import CONFIGS, MODELS

    rates = {}
    for kind in ("so2", "cnn"):
        batch = CONFIGS["default" if kind == "so2" else "cnn"].batch_size
        torch.manual_seed(0)
        model = MODELS[kind]()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        x, y = torch.rand(batch, 1, 29, 29), torch.randint(0, 10, (batch,))
        times = []
        for i in range(steps + 2):
            start = time.perf_counter()
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if i >= 2:
                times.append(time.perf_counter() - start)
        rates[kind] = batch / statistics.median(times)
    return rates


def mnist_accuracies() -> list[str]:
    """Rotated-MNIST test accuracy of the shipped checkpoints, and whether full MNIST is reachable."""
    from eqrep.data.download import DownloadError
    from eqrep.data.mnist import load_mnist
    from eqrep.shipped import shipped
    from eqrep.train.checkpoints import read_manifest

    lines = []
    for kind in ("so2", "cnn"):
        manifest = read_manifest(shipped("so2_classifier" if kind == "so2" else "so2_classifier_cnn"))
        lines.append(f"  {kind}: {manifest['test_accuracy']:.2%} on the rotated test split of "
                     f"'{manifest['data_source'].split(':')[0]}' ({manifest['train_size']:,} training digits, "
                     f"{manifest['epochs_done']} epochs)")
    try:
        load_mnist("full", verbose=False)
        lines.append("  full MNIST is reachable: train with --config paper to report it (a GPU is advised)")
    except DownloadError as err:
        lines.append(f"  full MNIST: not reachable from this machine ({str(err).splitlines()[0][:80]}...)")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python benchmarks/bench.py", description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device cpu")
    print("Permutation-equivariant layers: fused vs naive stacked basis "
          "(batch 256, 9 nodes, 64 -> 64 channels, forward + backward)")
    print(f"{'map':<14}{'naive ms':>10}{'fused ms':>10}{'speed-up':>10}{'max |diff|':>12}")
    for name, (t_naive, t_fused, diff) in bench_layers(repeats=args.repeats).items():
        print(f"{name:<14}{t_naive * 1e3:>10.2f}{t_fused * 1e3:>10.2f}{t_naive / t_fused:>9.1f}x{diff:>12.1e}")
    print("  target: edge_to_edge fused >= 6x the naive form")
    build, reload = bench_qm9_preprocessing()
    print(f"\nQM9 preprocessing (130,831 molecules, qm9pack -> dense tensors): {build:.1f} s from scratch "
          f"(target <= 60 s), {reload:.2f} s from the cache (target < 5 s)")
    bare, loop, n_train = bench_graph_vae()
    print(f"Graph-VAE training, default config (batch 256, 20 channels, CPU): book's loop {loop:,.0f} graphs/s "
          f"(target >= 3,000), bare optimiser step {bare:,.0f} graphs/s in the same run (loop / bare "
          f"{loop / bare:.2f}); one epoch of {n_train:,} training graphs ~ {n_train / loop:.0f} s")
    rates = bench_so2_classifiers()
    print(f"\nRotated-MNIST training, default configs (batch 64, CPU): SO(2) escnn classifier "
          f"{rates['so2']:,.0f} images/s, augmentation CNN {rates['cnn']:,.0f} images/s "
          f"(ratio {rates['cnn'] / rates['so2']:.1f}x)")
    print("Rotated-MNIST test accuracy of the shipped checkpoints:")
    print("\n".join(mnist_accuracies()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
