"""One run on two processes (torchrun, gloo on the CPU) follows the one-process run with the same
global batch: the same loss trajectory and the same final weights, within float rounding (in
float64 with SGD; tests/scripts/ddp_graph_vae.py says why)."""

import os
import socket
import subprocess
import sys

import pytest
import torch

from eqrep.train.checkpoints import load_checkpoint, read_manifest

from conftest import ROOT

SCRIPT = ROOT / "tests" / "scripts" / "ddp_graph_vae.py"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(args: list[str], out) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, *args, str(SCRIPT), str(out)], capture_output=True, text=True, env=env,
                          timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]


def test_two_processes_follow_one_process_with_the_same_global_batch(tmp_path):
    _run([], tmp_path / "one")
    _run(["-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
          "--master_port", str(_free_port())], tmp_path / "two")
    one, two = read_manifest(tmp_path / "one"), read_manifest(tmp_path / "two")
    assert (one["processes"], two["processes"]) == (1, 2)
    assert one["steps_done"] == two["steps_done"] == 6  # 24 graphs, global batch 8, 2 epochs
    for a, b in zip(one["history"], two["history"], strict=True):
        for key in ("train_loss", "train_kl", "val_loss", "val_edges"):
            assert b[key] == pytest.approx(a[key], rel=1e-9), key
    w1 = load_checkpoint(tmp_path / "one" / "last.pt")["model"]
    w2 = load_checkpoint(tmp_path / "two" / "last.pt")["model"]
    for key in w1:
        torch.testing.assert_close(w2[key], w1[key], rtol=1e-9, atol=1e-10)
    assert not list((tmp_path / "two").glob("*.tmp"))  # rank 0 alone wrote, atomically
