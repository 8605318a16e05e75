"""The list of chapter 9's EquiVAE runs: one command per run, folders named after the run and seed, at
the default scale (the offline sample) and at the paper's (full MNIST, seed 0 trained too)."""

from pathlib import Path

import pytest

from eqrep.analysis import equivae_tables as E
from eqrep.train.equivae import CONFIGS
from eqrep.train.overrides import apply_overrides


def test_one_command_per_run_and_seed():
    lines = E.commands(Path("runs"))
    assert len(lines) == sum(len(seeds) for *_, seeds in E.RUNS.values()) == len(set(lines))
    assert ("python -m eqrep train equivae --config default --set model.v_dim=32 --set seed=2 --out runs/v32_s2 "
            "--no-progress") in lines
    # seed 0 of the paper-size runs is the shipped checkpoint, trained by the README's command
    assert not any(line.endswith(("full_s0 --no-progress", "semi100_s0 --no-progress")) for line in lines)
    for family, sets, _ in E.RUNS.values():  # every override fits its config
        for scale in E.SCALES.values():
            apply_overrides(CONFIGS[scale[family]], list(sets))


def test_the_paper_scale_trains_seed_0_too_and_keeps_its_runs_apart():
    lines = E.commands(Path("runs"), "paper")
    assert len(lines) == len(E.commands(Path("runs"))) + 2
    assert "python -m eqrep train equivae --config paper --set seed=0 --out runs/paper/full_s0 --no-progress" in lines
    assert any("--config paper-semi --set labels=600 --set epochs=25 --set seed=1" in line for line in lines)
    with pytest.raises(ValueError, match="unknown scale"):
        E.commands(Path("runs"), "huge")


def test_run_folders_and_unknown_runs():
    assert E.run_dir("semi600", 1, Path("r")) == Path("r/semi600_s1")
    assert E.run_dir("full", 0, Path("r"), "paper") == Path("r/paper/full_s0")
    with pytest.raises(KeyError, match="no run semi600 with seed 7"):
        E.run_dir("semi600", 7)
    with pytest.raises(KeyError, match="no run"):
        E.run_dir("full", 0)  # shipped at the default scale
    with pytest.raises(KeyError, match="no run"):
        E.run_dir("nope", 0)


def test_record_stores_each_experiment_under_its_key(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(E, "record_replicates", lambda run, reps, head, bench, benchmark_seeds=None, command=None,
                        store_in=None, keys=("replicates",): calls.append((run, reps, head, benchmark_seeds,
                                                                           store_in or run, keys)))
    monkeypatch.setattr(E, "record_control", lambda run, dirs, name, which="best": calls.append((run, dirs, name,
                                                                                                   which)))
    sup, semi, root = tmp_path / "equivae", tmp_path / "semi", tmp_path / "runs"
    E.record_supervised(root, sup)
    stored = {c[-1]: c for c in calls}
    assert set(stored) == {("replicates",), ("variants", "v_dim 32"), ("v_dim_sweep", "4"), ("v_dim_sweep", "64"),
                           ("v_dim_sweep", "128"), ("train_sizes", "1000"), ("train_sizes", "2000")}
    assert all(c[4] == sup for c in calls)  # everything lands in the shipped supervised manifest
    table1 = stored[("replicates",)]
    assert table1[0] == sup and table1[1] == [root / "full_s1", root / "full_s2"] and table1[3] == [0, 1, 2, 3, 4]
    assert stored[("train_sizes", "1000")][:2] == (root / "n1000_s0", [root / "n1000_s1"])
    assert stored[("train_sizes", "1000")][3] is None  # the benchmark on the same digits, same seeds
    calls.clear()
    E.record_semi(root, semi)
    assert calls[1] == (semi, [root / f"control100_s{s}" for s in range(5)], "warm-up only", "last")
    counts = {c[-1]: c for c in calls if len(c) == 6}
    assert counts[("label_counts", "3000")][:2] == (root / "semi3000_s0", [root / "semi3000_s1"])
    assert counts[("replicates",)][2] == E.SEMI_CLASSIFIER and counts[("replicates",)][4] == semi
    calls.clear()
    E.record_supervised(root, scale="paper")  # at the paper's scale, seed 0 of "full" holds the tables
    paper = root / "paper"
    assert calls[0][:2] == (paper / "full_s0", [paper / "full_s1", paper / "full_s2"])
    assert all(c[4] == paper / "full_s0" for c in calls)
