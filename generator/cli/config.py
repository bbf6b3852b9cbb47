"""`sovereign config`: every setting, its value and what it does."""

from __future__ import annotations

import argparse

from generator.cli.common import EXIT_OK, settings_of


def cmd_config(args: argparse.Namespace) -> int:
    """Print every setting with its current value and description."""
    from pydantic import BaseModel

    def show(model: BaseModel, indent: str) -> None:
        for key, info in type(model).model_fields.items():
            value = getattr(model, key)
            note = f"  # {info.description}" if info.description else ""
            if isinstance(value, BaseModel):
                print(f"{indent}{key}:{note}")
                show(value, indent + "  ")
            else:
                print(f"{indent}{key}: {yaml_value(value)}{note}")

    show(settings_of(args), "")
    return EXIT_OK


def yaml_value(value: object) -> str:
    """A setting's value as it would be written in sovereign.yml (null, true, [a, b])."""
    import yaml

    plain = list(value) if isinstance(value, tuple) else value
    text = yaml.safe_dump(plain, default_flow_style=True, allow_unicode=True, width=10_000)
    return text.strip().removesuffix("...").strip()


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("config", help="print every setting, its value and what it does")
    p.set_defaults(func=cmd_config)
