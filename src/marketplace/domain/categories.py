"""Who may serve what is filed under a category of the tree: the one rule the matcher, the reassign
check and the staff's list of candidates share. Pure: it works on a map of each category's parent."""

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Reach:
    """The categories whose providers serve a need (or order) filed under one category."""

    path: tuple[int, ...]  # the category first, then each category above it
    below: frozenset[int]  # every category under it (a need under a domain reaches its sub-categories)

    @property
    def ids(self) -> frozenset[int]:
        """A provider serves it when one of their categories is among these."""
        return frozenset(self.path) | self.below


def reach(category_id: int, parents: Mapping[int, int | None]) -> Reach:
    """The reach of a category, given every category's parent (None for a domain)."""
    path: list[int] = []
    current: int | None = category_id
    while current is not None and current not in path:  # a cycle cannot hang it
        path.append(current)
        current = parents.get(current)
    children: dict[int, list[int]] = {}
    for child, parent in parents.items():
        if parent is not None:
            children.setdefault(parent, []).append(child)
    below: set[int] = set()
    todo = list(children.get(category_id, ()))
    while todo:
        child = todo.pop()
        if child not in below and child != category_id:
            below.add(child)
            todo.extend(children.get(child, ()))
    return Reach(tuple(path), frozenset(below))


def domain_of(category_id: int, parents: Mapping[int, int | None]) -> int:
    """The domain (root) above a category, itself for a domain; a cycle or a missing parent stops the climb."""
    return reach(category_id, parents).path[-1]
