"""Typed --set overrides: every field type of the trainers' configs, nested keys, clear errors."""

import dataclasses

import pytest

from eqrep.train.overrides import OverrideError, apply_overrides, field_names, parse_value


@dataclasses.dataclass(frozen=True)
class Inner:
    hidden: int = 20
    shape: tuple[int, ...] = (1, 28, 28)
    dense: tuple[int, int] = (128, 64)


@dataclasses.dataclass(frozen=True)
class Outer:
    model: Inner = dataclasses.field(default_factory=Inner)
    lr: float = 1e-3
    labels: int | None = None
    name: str = "default"
    rotated: bool = False
    weight: float | None = None

    def __post_init__(self):
        if self.lr <= 0:
            raise ValueError(f"lr must be positive, got {self.lr}")


def test_values_are_parsed_by_the_field_type():
    config = apply_overrides(Outer(), ["lr=3e-4", "labels=100", "name=paper", "rotated=true", "model.hidden=32",
                                       "model.shape=1,29,29", "model.dense=(64, 32)", "weight=none"])
    assert config == Outer(model=Inner(hidden=32, shape=(1, 29, 29), dense=(64, 32)), lr=3e-4, labels=100,
                           name="paper", rotated=True, weight=None)
    assert apply_overrides(config, ["labels=None"]).labels is None
    assert apply_overrides(Outer(), []) == Outer() and apply_overrides(Outer(), None) == Outer()
    assert isinstance(apply_overrides(Outer(), ["weight=2"]).weight, float)


@pytest.mark.parametrize("item, message", [
    ("lr", "expected KEY=VALUE"),
    ("learning_rate=1", "has no field 'learning_rate'; settable keys: model.hidden, model.shape"),
    ("model.width=3", "Inner has no field 'width'"),
    ("lr.x=3", "'lr' is not a nested config"),
    ("model=3", "'model' is a config; set one of its fields"),
    ("labels=ten", "expected int | None"),
    ("rotated=maybe", "expected true or false"),
    ("model.dense=1,2,3", "expected 2 comma-separated values"),
    ("lr=-1", "lr must be positive"),  # the config's own validation runs
])
def test_bad_overrides_name_the_problem(item, message):
    with pytest.raises(OverrideError, match=message.replace("(", r"\(").replace("|", r"\|")):
        apply_overrides(Outer(), [item])


def test_every_trainer_config_field_can_be_set_from_the_command_line():
    from eqrep.train.cli import SYSTEMS, trainer

    for system in SYSTEMS:
        for name, config in trainer(system).CONFIGS.items():
            for key in field_names(config):
                value = config
                for part in key.split("."):
                    value = getattr(value, part)
                text = ("none" if value is None else ",".join(map(str, value)) if isinstance(value, tuple)
                        else str(value))
                assert apply_overrides(config, [f"{key}={text}"]) == config, (system, name, key)


def test_parse_value_directly():
    assert parse_value("0.5", float, "x") == 0.5 and parse_value("yes", bool, "x") is True
    with pytest.raises(OverrideError, match="cannot be set from the command line"):
        parse_value("x", dict, "x")
