"""take-object playbook: go to where an object of the target type was seen, open it if
closed, and take the object.

``next_command(view) -> str | None`` (stdlib only; the view is described in
find-object's playbook). The instance taken is the first one seen in ``search_order``
(the order memory ranked the receptacles in). Returns None when the object is held or
none is known.
"""
import json
import sys


def otype(name):
    head, _, tail = name.rpartition(" ")
    return head if tail.isdigit() else name


def choose(view):
    rank = {r: i for i, r in enumerate(view["search_order"])}
    best = None
    for recep, objs in view["contents"].items():
        for o in objs:
            if otype(o) == view["target"] and o not in view["exclude"]:
                key = (recep != view.get("location"), rank.get(recep, len(rank)))
                if best is None or key < best[0]:
                    best = (key, o, recep)
    return (best[1], best[2]) if best else (None, None)


def next_command(view):
    held = view.get("holding")
    if held and otype(held) == view["target"]:
        return None
    obj, recep = choose(view)
    if obj is None:
        return None
    adm = set(view["admissible"])
    if view.get("location") != recep:
        return f"go to {recep}"
    if recep in view["closed"] and f"open {recep}" in adm:
        return f"open {recep}"
    cmd = f"take {obj} from {recep}"
    return cmd if cmd in adm else None


if __name__ == "__main__":
    print(next_command(json.load(sys.stdin)) or "")
