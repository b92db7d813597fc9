"""Write `hybrid_sessions/models.py`, the Python client's wire types, from the OpenAPI document.

    python clients/python/tools/generate_models.py           # rewrite the file (make clients)
    python clients/python/tools/generate_models.py --check   # exit 1 if it is stale

Every schema of `components.schemas` becomes a `TypedDict` (objects), a `Literal` alias
(string enums) or a plain alias. TypedDicts cost nothing at import time and keep answers the
plain dicts existing callers index (`message["role"]`), yet a type checker knows every key.
Inline objects get a name of their own (`Analytics` + `totals` -> `AnalyticsTotals`). A
construct this generator does not know fails loudly instead of being typed `Any` in silence.
Only the standard library and PyYAML (a dev dependency of the repository) are needed.
"""

from __future__ import annotations

import argparse
import difflib
import keyword
import re
import sys
import textwrap
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[3]
SPEC = REPO / "infra" / "api" / "openapi.yaml"
OUT = REPO / "clients" / "python" / "src" / "hybrid_sessions" / "models.py"
WIDTH = 100

# Keywords of a schema that only constrain values, not their type: safe to leave out of a type.
_VALUE_ONLY = {
    "description",
    "example",
    "examples",
    "format",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "multipleOf",
    "default",
    "readOnly",
    "writeOnly",
    "deprecated",
    "title",
    "externalDocs",
    "xml",
}
# Keywords this generator turns into types.
_TYPED = {
    "$ref",
    "type",
    "nullable",
    "enum",
    "items",
    "properties",
    "required",
    "additionalProperties",
    "allOf",
    "oneOf",
    "anyOf",
    "discriminator",
}


class UnsupportedSchema(ValueError):
    pass


class _Yaml12Loader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false. PyYAML follows YAML 1.1, where an unquoted `off`,
    `no` or `on` is a boolean; the TypeScript generator reads them as strings, and so do we."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _first in "tTfF":
    _Yaml12Loader.add_implicit_resolver(
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), [_first]
    )


class Generator:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.schemas: dict[str, Any] = spec["components"]["schemas"]
        self.blocks: list[str] = []
        self.emitted: set[str] = set()

    # --- entry --------------------------------------------------------------------------------
    def render(self) -> str:
        for name in self.schemas:
            self.define(name, self.schemas[name])
        version = str(self.spec["info"]["version"])
        head = [
            '"""Wire types of the hybrid-sessions API, generated from infra/api/openapi.yaml.',
            "",
            "Do not edit: `make clients` rewrites this file and a test fails when it is stale.",
            '"""',
            "",
            "from __future__ import annotations",
            "",
            "from typing import Any, Literal, NotRequired, TypeAlias, TypedDict",
            "",
            "API_VERSION = " + _quote(version),
            '"""`info.version` of the OpenAPI document these types were generated from."""',
        ]
        return "\n".join(head) + "\n\n\n" + "\n\n\n".join(self.blocks) + "\n"

    # --- definitions --------------------------------------------------------------------------
    def define(self, name: str, schema: dict[str, Any]) -> None:
        if name in self.emitted:
            return
        self.emitted.add(name)
        doc = schema.get("description")
        if _is_object(schema) and schema.get("properties"):
            self.blocks.append(self.typed_dict(name, schema, doc))
        else:
            alias = f"{name}: TypeAlias = {self.type_of(schema, name)}"
            self.blocks.append(_comment(doc) + alias if doc else alias)

    def typed_dict(self, name: str, schema: dict[str, Any], doc: str | None) -> str:
        required = set(schema.get("required", []))
        lines = [f"class {name}(TypedDict):"]
        if doc:
            lines += [_docstring(doc), ""]  # ruff format's blank line after a class docstring
        for field, prop in schema["properties"].items():
            if not field.isidentifier() or keyword.iskeyword(field):
                raise UnsupportedSchema(f"{name}.{field}: not a Python identifier")
            child = name + _camel(field)
            annotation = self.type_of(prop, name + "Body" if child == name * 2 else child)
            if field not in required:
                annotation = f"NotRequired[{annotation}]"
            line = f"    {field}: {annotation}"
            if len(line) > WIDTH:
                raise UnsupportedSchema(f"{name}.{field}: annotation longer than {WIDTH}")
            lines.append(line)
        return "\n".join(lines)

    # --- types ----------------------------------------------------------------------------------
    def type_of(self, schema: dict[str, Any], name: str) -> str:
        """The annotation of `schema`; inline objects are defined under `name`."""
        inner = self.bare_type(schema, name)
        if schema.get("nullable") and not inner.endswith("| None") and inner != "Any":
            return f"{inner} | None"
        return inner

    def bare_type(self, schema: dict[str, Any], name: str) -> str:
        unknown = set(schema) - _VALUE_ONLY - _TYPED
        unknown = {key for key in unknown if not key.startswith("x-")}
        if unknown:
            raise UnsupportedSchema(f"{name}: unsupported keywords {sorted(unknown)}")
        if "$ref" in schema:
            return self.ref(schema["$ref"])
        for combiner in ("oneOf", "anyOf"):
            if combiner in schema:
                parts = [self.type_of(s, f"{name}{i}") for i, s in enumerate(schema[combiner])]
                return " | ".join(dict.fromkeys(parts))
        if "allOf" in schema:
            if len(schema["allOf"]) != 1:
                raise UnsupportedSchema(f"{name}: allOf of more than one schema")
            return self.bare_type(schema["allOf"][0], name)
        kind = schema.get("type")
        if "enum" in schema:
            values = schema["enum"]
            if not all(isinstance(v, str) for v in values):
                raise UnsupportedSchema(f"{name}: enum of non-strings")
            return "Literal[" + ", ".join(_quote(v) for v in values) + "]"
        if kind == "string":
            return "str"
        if kind == "integer":
            return "int"
        if kind == "number":
            return "float"
        if kind == "boolean":
            return "bool"
        if kind == "array":
            return f"list[{self.type_of(schema['items'], name + 'Item')}]"
        if _is_object(schema):
            if schema.get("properties"):
                self.define(name, schema)
                return name
            extra = schema.get("additionalProperties", True)
            if extra is True or extra == {}:
                return "dict[str, Any]"
            return f"dict[str, {self.type_of(extra, name + 'Value')}]"
        if kind is None and not schema:
            return "Any"
        raise UnsupportedSchema(f"{name}: unsupported type {kind!r}")

    def ref(self, ref: str) -> str:
        prefix = "#/components/schemas/"
        if not ref.startswith(prefix):
            raise UnsupportedSchema(f"unsupported $ref {ref}")
        target = ref[len(prefix) :]
        self.define(target, self.schemas[target])
        return target


def _is_object(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "object" or (
        "type" not in schema and ("properties" in schema or "additionalProperties" in schema)
    )


def _camel(field: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in field.split("_"))


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _paragraphs(text: str, indent: str) -> list[str]:
    out: list[str] = []
    for paragraph in text.strip().split("\n\n"):
        flat = " ".join(paragraph.split())
        out += textwrap.wrap(flat, WIDTH - len(indent) - 2) or [""]
        out.append("")
    return out[:-1]


def _docstring(text: str) -> str:
    lines = _paragraphs(text.replace('"""', "'''"), "    ")
    if len(lines) == 1 and len(lines[0]) + 10 <= WIDTH:
        return f'    """{lines[0]}"""'
    body = "\n".join(f"    {line}".rstrip() for line in lines)
    return f'    """\n{body}\n    """'


def _comment(text: str) -> str:
    return "".join(f"# {line}".rstrip() + "\n" for line in _paragraphs(text, "# "))


def load(text: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.load(text, Loader=_Yaml12Loader)
    return document


def render(spec_path: Path = SPEC) -> str:
    with open(spec_path, encoding="utf-8") as fh:
        return Generator(load(fh.read())).render()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    args = parser.parse_args(argv)
    fresh = render()
    if not args.check:
        OUT.write_text(fresh, encoding="utf-8")
        return 0
    current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
    if current == fresh:
        return 0
    diff = difflib.unified_diff(current.splitlines(), fresh.splitlines(), "committed", "fresh")
    print("\n".join(diff), file=sys.stderr)
    print(f"{OUT.relative_to(REPO)} is stale: run `make clients`", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
