#!/usr/bin/env python
"""Print a fairseq-train YAML config (``configs/*.yaml``) as command-line flags.

Keys are flag names without the leading ``--`` (``max-tokens: 20000``); ``true`` gives a
bare flag, ``false``/``null`` omit it; lists are joined with commas. Extra ``KEY=VALUE``
arguments override the file. Output is one flag or value per line (for ``mapfile``).

A ``polynomial_decay`` learning-rate schedule without ``total-num-update`` decays over
``max-update`` (fairseq has no default for it): a ``max-update=N`` override then also moves the end
of the schedule, so the learning rate reaches ``end-learning-rate`` at the last update of the
budget, whatever the budget.
"""
import sys

import yaml


def to_args(cfg: dict) -> list:
    """Flatten ``{flag: value}`` into ``["--flag", "value", ...]`` (see module docstring)."""
    out = []
    for key, value in cfg.items():
        if value is None or value is False:
            continue
        out.append(f"--{key}")
        if value is True:
            continue
        out.append(",".join(map(str, value)) if isinstance(value, list) else str(value))
    return out


def apply_schedule_end(cfg: dict) -> dict:
    """Set ``total-num-update`` to ``max-update`` for a ``polynomial_decay`` schedule that has none
    (see the module docstring); returns ``cfg``, changed in place."""
    if cfg.get("lr-scheduler") == "polynomial_decay" and cfg.get("total-num-update") is None and cfg.get("max-update"):
        cfg["total-num-update"] = cfg["max-update"]
    return cfg


def main(argv):
    if not argv:
        sys.exit("usage: yaml_to_args.py CONFIG.yaml [key=value ...]")
    with open(argv[0]) as fh:
        cfg = yaml.safe_load(fh) or {}
    for item in argv[1:]:
        key, _, value = item.partition("=")
        cfg[key] = yaml.safe_load(value)
    apply_schedule_end(cfg)
    print("\n".join(to_args(cfg)))


if __name__ == "__main__":
    main(sys.argv[1:])
