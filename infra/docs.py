"""Write each module README's input and output tables from its variables.tf and outputs.tf.

    python infra/docs.py           # rewrite the tables between the markers (`make docs`)
    python infra/docs.py --check   # exit 1 and name the READMEs whose tables are stale

The tables sit between `<!-- BEGIN_TF_DOCS -->` and `<!-- END_TF_DOCS -->` (terraform-docs'
markers), after the hand-written part that says what each resource is for; a README without
the markers gets them at its end. tests/infra fails when a committed table is not current.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import hcl2

MODULES = Path(__file__).resolve().parent / "modules"
BEGIN, END = "<!-- BEGIN_TF_DOCS -->", "<!-- END_TF_DOCS -->"


def _unquote(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    if isinstance(value, dict):
        return {_unquote(k): _unquote(v) for k, v in value.items() if not str(k).startswith("__")}
    return value


def _blocks(path: Path, kind: str) -> dict[str, dict[str, Any]]:
    if not path.exists():
        return {}
    with path.open(encoding="utf-8") as handle:
        parsed = _unquote(hcl2.load(handle))
    found: dict[str, dict[str, Any]] = {}
    for block in parsed.get(kind, []):
        found.update(block)
    return found


def _expression(value: str) -> str:
    """`${map(string)}` -> `map(string)`, on one line."""
    text = value[2:-1] if value.startswith("${") and value.endswith("}") else value
    return re.sub(r"\s+", " ", text).replace("( ", "(").replace(" )", ")")


def _default(body: dict[str, Any]) -> str:
    if "default" not in body:
        return "required"
    value = body["default"]
    if isinstance(value, str) and value.startswith("${"):
        return f"`{_expression(value)}`"
    return f"`{json.dumps(value, separators=(', ', ' = ')) if value is not None else 'null'}`"


def _cell(text: str) -> str:
    return re.sub(r"\s+", " ", text).replace("|", "\\|").strip()


def tables(module: Path) -> str:
    lines = [BEGIN, "## Inputs", "", "| name | type | default | description |", "|---|---|---|---|"]
    for name, body in _blocks(module / "variables.tf", "variable").items():
        kind = _cell(_expression(str(body.get("type", "any"))))
        lines.append(
            f"| `{name}` | `{kind}` | {_default(body)} | {_cell(body.get('description', ''))} |"
        )
    lines += ["", "## Outputs", "", "| name | description |", "|---|---|"]
    for name, body in _blocks(module / "outputs.tf", "output").items():
        lines.append(f"| `{name}` | {_cell(body.get('description', ''))} |")
    return "\n".join([*lines, END]) + "\n"


def rendered(readme: Path) -> str:
    text = readme.read_text(encoding="utf-8")
    block = tables(readme.parent)
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        return head + block + rest.split(END, 1)[1].lstrip("\n")
    return text.rstrip("\n") + "\n\n" + block


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale READMEs")
    args = parser.parse_args(argv)
    stale = []
    for readme in sorted(MODULES.glob("*/README.md")):
        want = rendered(readme)
        if want != readme.read_text(encoding="utf-8"):
            stale.append(readme)
            if not args.check:
                readme.write_text(want, encoding="utf-8")
    for readme in stale:
        print(f"{'stale' if args.check else 'wrote'}: {readme.relative_to(MODULES.parent)}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
