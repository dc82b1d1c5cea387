"""An import-linter contract of our own: every module has a layer across the project, imports only go
down the layers, inside one layer the apps import each other without a cycle, and no modules import
each other round (inside one app either).

An app is not one block: its views sit above its services, which sit above the access rules, which
read every app's models. So "no cycles between apps" is checked one layer at a time, with the layers
themselves ordered; together the two checks mean that no chain of imports leaves an app and comes
back to it (imports inside a function count, imports under `if TYPE_CHECKING:` do not when the
session excludes them).

Configuration (pyproject.toml, [tool.importlinter]):

    contract_types = ["app_layers: tools.import_contracts.AppLayersContract"]

    [[tool.importlinter.contracts]]
    type = "app_layers"
    root = "careplus"
    layers = ["web", "logic", "gate", "rules", "models", "core"]   # top to bottom
    default = "logic"                                      # the layer of a module no member names
    members = ["web: careplus.*.views", "models: careplus.*.models", ...]
    skip = ["careplus.*.tests.**", "careplus.*.migrations.**"]

The first member naming a module decides its layer (so "core: careplus.core.**" comes first and
core's own forms are not web); a member naming no module is a configuration error.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable

import grimp
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck

Import = tuple[str, str]


class AppLayersContract(Contract):
    """Modules in ordered layers across the apps; no upward import, no cycle between apps in a layer."""

    type_name = "app_layers"

    root = fields.StringField()
    layers = fields.ListField(subfield=fields.StringField())
    default = fields.StringField()
    members = fields.ListField(subfield=fields.StringField())
    skip = fields.ListField(subfield=fields.StringField(), required=False)

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        layer_of = self._layer_of_each_module(graph)
        rank = {name: index for index, name in enumerate(self._layers())}
        upward: list[tuple[str, str, str, str]] = []
        same_layer: dict[str, list[Import]] = defaultdict(list)
        edges: dict[str, set[str]] = defaultdict(set)
        for importer in sorted(layer_of):
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                if imported not in layer_of:
                    continue
                edges[importer].add(imported)
                low, high = layer_of[importer], layer_of[imported]
                if rank[high] < rank[low]:
                    upward.append((importer, low, imported, high))
                elif low == high and self._app(importer) != self._app(imported):
                    same_layer[low].append((importer, imported))
        cycles = {layer: found for layer, imports in same_layer.items() if (found := _cycles(imports, self._app))}
        # Modules importing each other round, inside one app too (a function-local import included).
        rounds = sorted(sorted(group) for group in _strongly_connected(edges) if len(group) > 1)
        return ContractCheck(
            kept=not upward and not cycles and not rounds,
            metadata={"upward": upward, "cycles": cycles, "rounds": rounds},
        )

    def render_broken_contract(self, check: ContractCheck) -> None:
        for importer, low, imported, high in check.metadata["upward"]:
            output.print_error(f"{importer} ({low}) imports {imported} ({high}), a higher layer.")
            output.new_line()
        for layer, cycles in sorted(check.metadata["cycles"].items()):
            for apps, imports in cycles:
                output.print_error(f"Apps {' <-> '.join(apps)} import each other in the {layer} layer:")
                for importer, imported in imports:
                    output.print(f"- {importer} -> {imported}")
                output.new_line()
        for modules in check.metadata["rounds"]:
            output.print_error(f"Modules import each other round: {', '.join(modules)}.")
            output.new_line()

    # --- configuration -------------------------------------------------------------------------

    def _layers(self) -> list[str]:
        return _strings(self.layers)

    def _app(self, module: str) -> str:
        return module.split(".")[len(str(self.root).split("."))]

    def _layer_of_each_module(self, graph: grimp.ImportGraph) -> dict[str, str]:
        root = str(self.root)
        layers = self._layers()
        default = str(self.default)
        if default not in layers:
            raise ValueError(f"default layer {default!r} is not one of the layers {layers}")
        modules = graph.find_descendants(root)
        skipped = _expand(modules, _strings(self.skip))
        named: dict[str, str] = {}
        for member in _strings(self.members):
            layer, _, expression = member.partition(":")
            layer, expression = layer.strip(), expression.strip()
            if layer not in layers or not expression:
                raise ValueError(f"member {member!r} must read 'layer: module expression', layer one of {layers}")
            found = _expand(modules, [expression])
            if not found:
                raise ValueError(f"member {member!r} names no module")
            for module in found:
                named.setdefault(module, layer)
        apps = {f"{root}.{app}" for app in (child.rsplit(".", 1)[1] for child in graph.find_children(root))}
        return {
            module: named.get(module, default) for module in modules if module not in skipped and module not in apps
        }


def _strings(value: object) -> list[str]:
    """A list option as the contract read it (the fields hold what was parsed; None when left out)."""
    return [str(item) for item in value] if isinstance(value, list) else []


def _pattern(expression: str) -> re.Pattern[str]:
    """A module expression as a pattern: `*` inside a name matches within that name (`views_*`),
    a whole `**` any number of names below."""
    parts = []
    for part in expression.split("."):
        if part == "**":
            parts.append(r"[^.]+(?:\.[^.]+)*")
        else:
            parts.append(re.escape(part).replace(r"\*", "[^.]*"))
    return re.compile(r"\.".join(parts) + r"\Z")


def _expand(modules: Iterable[str], expressions: Iterable[str]) -> set[str]:
    patterns = [_pattern(expression) for expression in expressions]
    return {module for module in modules if any(pattern.match(module) for pattern in patterns)}


def _cycles(imports: list[Import], app: Callable[[str], str]) -> list[tuple[tuple[str, ...], list[Import]]]:
    """The groups of apps that import each other round (strongly connected), with the imports inside each."""
    edges: dict[str, set[str]] = defaultdict(set)
    for importer, imported in imports:
        edges[app(importer)].add(app(imported))
    groups = [group for group in _strongly_connected(edges) if len(group) > 1]
    found = []
    for group in groups:
        inside = [(a, b) for a, b in imports if app(a) in group and app(b) in group]
        found.append((tuple(sorted(group)), inside))
    return sorted(found)


def _strongly_connected(edges: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative (the graph is a few dozen apps)."""
    nodes = sorted(set(edges) | {b for targets in edges.values() for b in targets})
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[set[str]] = []
    counter = 0
    for start in nodes:
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = counter
                    counter += 1
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(edges.get(target, ())))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == node:
                            break
                    groups.append(group)
    return groups
