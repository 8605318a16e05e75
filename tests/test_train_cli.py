"""One command line for every trainer, and sweeps of independent runs (one process per device or job)."""

import json
import sys

import pytest

from eqrep.train import cli, sweep
from eqrep.train.overrides import OverrideError


def test_every_system_has_the_trainer_interface():
    for system in cli.SYSTEMS:
        module = cli.trainer(system)
        assert module.SYSTEM == system
        assert ("default" in module.CONFIGS) == (system != "latent-representation")  # there: one per experiment
        assert callable(module.experiment) and callable(module.ship_name)
    with pytest.raises(SystemExit, match="unknown system 'gan'"):
        cli.trainer("gan")


def test_usage_and_bad_options(capsys):
    assert cli.main([]) == 2 and "usage: python -m eqrep train" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.main(["graph-vae", "--config", "tiny", "--set", "model.widht=3"])
    assert "has no field 'widht'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["graph-vae", "--config", "huge"])


def test_the_recorded_command_reproduces_the_run():
    command = cli.canonical_command("equivae", "default-semi", ["labels=600", "epochs=25"], "data/runs/x",
                                    ["--no-progress"])
    assert command == ("python -m eqrep train equivae --config default-semi --set labels=600 --set epochs=25 "
                       "--out data/runs/x --no-progress")


def test_a_sweep_plans_one_run_per_combination(tmp_path):
    runs = sweep.plan("penalty", "default", ["epochs=3"], [["group", "C4", "D1"], ["seed", "0", "1"]], tmp_path)
    assert [folder.name for folder, _ in runs] == ["group=C4,seed=0", "group=C4,seed=1", "group=D1,seed=0",
                                                   "group=D1,seed=1"]
    words = runs[3][1]
    assert words[:5] == ["python", "-m", "eqrep", "train", "penalty"] and "--no-progress" in words
    assert words[words.index("--out") + 1] == str(tmp_path / "group=D1,seed=1")
    assert " ".join(words).count("--set") == 3
    with pytest.raises(OverrideError, match="unknown group"):
        sweep.plan("penalty", "default", [], [["group", "C5"]], tmp_path)
    with pytest.raises(OverrideError, match="unknown config 'huge'"):
        sweep.plan("penalty", "huge", [], [], tmp_path)


def test_runs_go_one_per_device_with_their_own_logs(tmp_path):
    probe = "import os, sys; print(os.environ.get('CUDA_VISIBLE_DEVICES'), os.environ.get('OMP_NUM_THREADS'))"
    commands = [(tmp_path / f"r{i}", [sys.executable, "-c", probe]) for i in range(4)]
    assert sweep.run_all(commands, devices=["0", "1"]) == []
    devices = sorted((tmp_path / f"r{i}" / "log.txt").read_text().split()[0] for i in range(4))
    assert devices == ["0", "0", "1", "1"]
    failing = [(tmp_path / "bad", [sys.executable, "-c", "raise SystemExit(3)"])]
    assert sweep.run_all(failing, jobs=2) == [tmp_path / "bad"]
    assert sweep.run_all([(tmp_path / "cpu", [sys.executable, "-c", probe])], jobs=2) == []
    cuda, threads = (tmp_path / "cpu" / "log.txt").read_text().split()
    assert cuda == "None" and int(threads) >= 1


def test_a_commands_file_and_a_dry_run(tmp_path, capsys):
    listing = tmp_path / "runs.txt"
    listing.write_text(f"# two runs\n{sys.executable} -c 'print(1)' --out {tmp_path / 'a'}\n"
                       f"{sys.executable} -c 'print(2)'   # a comment\n")
    assert sweep.main(["--commands", str(listing), "--jobs", "1"]) == 0
    assert (tmp_path / "a" / "log.txt").read_text().strip() == "1"
    assert sweep.main(["penalty", "--vary", "seed", "0", "1", "--out", str(tmp_path / "s"), "--dry-run"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[1].endswith(f"--out {tmp_path / 's' / 'seed=1'} --no-progress")


def test_a_tiny_sweep_trains_collects_and_records_the_command(tmp_path, monkeypatch):
    monkeypatch.setattr(sweep, "run_all", lambda runs, devices, jobs: [
        folder for folder, words in runs if cli.main(words[4:]) != 0])  # in this process, one after the other
    out = tmp_path / "sweep"
    args = ["latent-representation", "--config", "c2-typeface-tiny", "--set", "steps=3", "--vary", "seed", "0", "1",
            "--out", str(out)]
    assert sweep.main(args) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert [r["name"] for r in manifest["runs"]] == ["seed=0", "seed=1"]
    assert manifest["command"] == "python -m eqrep sweep " + " ".join(args)
