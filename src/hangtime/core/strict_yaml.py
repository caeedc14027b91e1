"""YAML as people write it: numbers are decimal. Pure: parses text, no I/O.

PyYAML follows YAML 1.1, where `0160` is an octal 112 and `1:30` a sexagesimal 90. A height or an age typed with a
leading zero must never change value, so integers with leading zeros are read as decimal and sexagesimal forms
are left as text (which the models then refuse with a clear message).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

_DECIMAL_WITH_LEADING_ZEROS = re.compile(r"^[-+]?0[0-9_]+$")
_SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")


class StrictLoader(yaml.SafeLoader):
    """SafeLoader whose integers are decimal and which has no sexagesimal numbers."""


def _construct_int(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    text = str(loader.construct_scalar(node))  # type: ignore[arg-type]
    if _DECIMAL_WITH_LEADING_ZEROS.match(text):
        return int(text.replace("_", ""), 10)
    return yaml.SafeLoader.construct_yaml_int(loader, node)  # type: ignore[arg-type]


def _construct_float(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    text = str(loader.construct_scalar(node))  # type: ignore[arg-type]
    if _SEXAGESIMAL.match(text):
        return text
    return yaml.SafeLoader.construct_yaml_float(loader, node)  # type: ignore[arg-type]


def _construct_int_or_text(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    text = str(loader.construct_scalar(node))  # type: ignore[arg-type]
    if _SEXAGESIMAL.match(text):
        return text
    return _construct_int(loader, node)


StrictLoader.add_constructor("tag:yaml.org,2002:int", _construct_int_or_text)
StrictLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def load(text: str) -> Any:
    """Parse one YAML (or JSON) document; raises yaml.YAMLError on bad syntax."""
    return yaml.load(text, Loader=StrictLoader)  # StrictLoader is a SafeLoader
