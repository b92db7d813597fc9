"""Extract the Terraform providers' resource schemas from CDK Terrain's jsii assemblies, offline.

Providers cannot be downloaded here, so `terraform providers schema` cannot run. The PyPI
packages `cdktn-provider-google`, `-google-beta` and `-time` are generated from the providers'
own schemas and ship them in `_jsii/*.jsii.tgz` (one JSON assembly, about 130 MB unpacked): a
class per resource and data source naming its Terraform type and provider version, a config
struct per block whose properties are the arguments and nested blocks, each with its registry
anchor (`...#generation`), which is the argument's Terraform name.

    python infra/provider_schema.py --site-packages DIR --out FILE.json.gz

writes, per provider, its version and for every resource and data source
`{"attributes": [...], "required": [...], "blocks": {name: <same shape>}}`: a few MB, which
tests/infra reads (`make schema` runs this after installing the pinned packages).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_KINDS = {"cdktn.TerraformResource": "resource", "cdktn.TerraformDataSource": "data"}
_LINK = re.compile(
    r"registry\.terraform\.io/providers/hashicorp/(?P<provider>[a-z-]+)/(?P<version>[\d.]+)/docs/"
    r"(?P<kind>resources|data-sources)/\S+ (?P<type>[a-z0-9_]+)\}"
)
_ANCHOR = re.compile(r"#(?P<name>[a-z0-9_]+) ")
_META = "cdktn.TerraformMetaArguments"


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _assemblies(site_packages: Path) -> Iterator[dict[str, Any]]:
    for archive in sorted(site_packages.glob("cdktn_provider_*/_jsii/*.jsii.tgz")):
        with tarfile.open(archive) as tar:
            member = tar.extractfile("package/.jsii")
            assert member is not None, archive
            yield json.load(member)


def _struct_of(type_ref: dict[str, Any], types: dict[str, Any]) -> str | None:
    """The fqn of the config struct a property holds (a nested block), or None (an argument)."""
    if "fqn" in type_ref:
        target = types.get(type_ref["fqn"])
        return type_ref["fqn"] if target and target.get("datatype") else None
    if "collection" in type_ref:
        return _struct_of(type_ref["collection"]["elementtype"], types)
    if "union" in type_ref:
        for option in type_ref["union"]["types"]:
            found = _struct_of(option, types)
            if found:
                return found
    return None


def _properties(fqn: str, types: dict[str, Any]) -> Iterator[dict[str, Any]]:
    struct = types[fqn]
    yield from struct.get("properties", [])
    for parent in struct.get("interfaces", []):
        if parent != _META and parent in types:
            yield from _properties(parent, types)


def _block(fqn: str, types: dict[str, Any]) -> dict[str, Any]:
    attributes: list[str] = []
    required: list[str] = []
    blocks: dict[str, Any] = {}
    for prop in _properties(fqn, types):
        anchor = _ANCHOR.search(prop.get("docs", {}).get("remarks", ""))
        name = anchor.group("name") if anchor else snake(prop["name"])
        nested = _struct_of(prop["type"], types)
        if nested:
            blocks[name] = _block(nested, types)
        else:
            attributes.append(name)
        if not prop.get("optional"):
            required.append(name)
    return {"attributes": sorted(attributes), "required": sorted(required), "blocks": blocks}


def extract(site_packages: Path) -> dict[str, Any]:
    providers: dict[str, Any] = {}
    for assembly in _assemblies(site_packages):
        types = assembly["types"]
        for cls in types.values():
            kind = _KINDS.get(cls.get("base", ""))
            link = _LINK.search(cls.get("docs", {}).get("summary", ""))
            if not kind or not link:
                continue
            config = next(p for p in cls["initializer"]["parameters"] if p["name"] == "config")
            provider = providers.setdefault(
                link.group("provider"),
                {"version": link.group("version"), "resource": {}, "data": {}},
            )
            provider[kind][link.group("type")] = _block(config["type"]["fqn"], types)
    return providers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site-packages", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    providers = extract(args.site_packages)
    if not providers:
        print(f"no cdktn provider assembly under {args.site_packages}", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(args.out, "wt", encoding="utf-8") as handle:
        json.dump(providers, handle, separators=(",", ":"), sort_keys=True)
    for name, provider in sorted(providers.items()):
        print(
            f"{name} {provider['version']}: {len(provider['resource'])} resources, "
            f"{len(provider['data'])} data sources -> {args.out}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
