"""Every shipped model loads, has a manifest, and a command of today's command line that trains it again."""

import shlex

import pytest

from eqrep.shipped import REPRODUCE, reproduce_command, shipped
from eqrep.train import cli, sweep
from eqrep.train.checkpoints import read_manifest
from eqrep.train.overrides import apply_overrides

from conftest import ROOT

SHIPPED = sorted(p.name for p in (ROOT / "src" / "eqrep" / "shipped").iterdir() if (p / "best.pt").exists())


def test_every_shipped_model_has_a_reproduce_command_and_no_other():
    assert SHIPPED == sorted(REPRODUCE)


@pytest.mark.parametrize("name", SHIPPED)
def test_the_reproduce_command_is_valid_and_ships_under_its_name(name, tmp_path):
    words = shlex.split(reproduce_command(name))
    assert words[:4] == ["python", "-m", "eqrep", words[3]] and words[words.index("--ship") + 1] == name
    if words[3] == "train":
        module = cli.trainer(words[4])
        args = cli.parser(words[4], module.CONFIGS).parse_args(words[5:])
        apply_overrides(module.CONFIGS[args.config], args.set)
    else:
        root, runs = sweep.runs_of(sweep.parser().parse_args(words[4:]))
        assert runs and root is not None
    manifest = read_manifest(shipped(name))
    assert manifest["history"] if "history" in manifest else manifest["runs"]  # a run, or a sweep's summary


def test_readme_lists_the_same_commands():
    readme = (ROOT / "README.md").read_text()
    for name, command in REPRODUCE.items():
        assert command in readme, f"README lacks the reproduce command of {name}"
    with pytest.raises(KeyError, match="no reproduce command"):
        reproduce_command("nothing")
