"""examine-object-under-light playbook: holding the object, reach the lamp and switch it on.

``next_command(view) -> str | None`` (stdlib only; the view is described in find-object's
playbook, plus ``lamp``: the lamp type the goal names, e.g. "desklamp"). The lamp is used
where it stands (it is never taken). When its place is unknown the search follows
``lamp_order`` (the receptacles ranked by where memory saw lamps; room order when memory
knows nothing). Returns None once the lamp was switched on.
"""
import json
import sys


def otype(name):
    head, _, tail = name.rpartition(" ")
    return head if tail.isdigit() else name


def next_command(view):
    if view.get("lamp_on"):
        return None
    lamp = view["lamp"]
    adm = set(view["admissible"])
    for cmd in view["admissible"]:
        if cmd.startswith("use ") and otype(cmd[4:]) == lamp:
            return cmd
    here = view.get("location")
    for recep, objs in view["contents"].items():
        if any(otype(o) == lamp for o in objs) and recep != here and f"go to {recep}" in adm:
            return f"go to {recep}"
    if here and here in view["closed"] and f"open {here}" in adm:
        return f"open {here}"
    for recep in view.get("lamp_order") or view["search_order"]:
        if recep not in view["visited"] and recep != here and f"go to {recep}" in adm:
            return f"go to {recep}"
    return None


if __name__ == "__main__":
    print(next_command(json.load(sys.stdin)) or "")
