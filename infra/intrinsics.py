"""One evaluator of the long-form intrinsics the templates use (Ref, Fn::Sub, Fn::GetAtt, Fn::Join, Fn::If,
Fn::Select, Fn::Split).

What a name means differs by reader: the local stack (infra/local/stack.py) asks the emulator for physical ids; the
least-privilege proof (tests/iam_proof.py) names one canonical deployment. Each gives its own `ref` and `get_att`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

SUB_VARIABLE = re.compile(r"\$\{([^}!]+)\}")


def resolve(value: Any, ref: Callable[[str], Any], get_att: Callable[[str, str], Any]) -> Any:
    """`value` with every intrinsic evaluated. Fn::If takes its true branch (the templates' conditions are optional
    extras, such as a certificate)."""

    def walk(item: Any) -> Any:
        if isinstance(item, list):
            return [walk(element) for element in item]
        if not isinstance(item, dict):
            return item
        if len(item) == 1:
            ((key, argument),) = item.items()
            if key == "Ref":
                return ref(str(argument))
            if key == "Fn::GetAtt":
                logical, attribute = argument if isinstance(argument, list) else str(argument).split(".", 1)
                return get_att(logical, attribute)
            if key == "Fn::Sub":
                return substitute(argument)
            if key == "Fn::Join":
                separator, items = argument
                return str(separator).join(str(element) for element in walk(items))
            if key == "Fn::If":
                return walk(argument[1])
            if key == "Fn::Split":
                separator, text = argument
                return str(walk(text)).split(str(separator))
            if key == "Fn::Select":
                index, items = argument
                return walk(items)[int(walk(index))]
        return {key: walk(element) for key, element in item.items()}

    def substitute(argument: Any) -> str:
        text, variables = (argument[0], argument[1]) if isinstance(argument, list) else (argument, {})

        def variable(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(walk(variables[name]))
            if "." in name:
                return str(get_att(*name.split(".", 1)))
            return str(ref(name))

        return SUB_VARIABLE.sub(variable, str(text))

    return walk(value)
