"""put-object-in-receptacle playbook: carry the held object to an instance of the target
receptacle type, open it if closed, and put the object in or on it.

``next_command(view) -> str | None`` (stdlib only; the view is described in find-object's
playbook, plus ``receptacle``: the target type from the goal). Any instance of the type
satisfies the goal; the first in the room's order is used, one already known to be open
preferred (it saves the "open" step). Returns None when nothing is held.
"""
import json
import sys


def otype(name):
    head, _, tail = name.rpartition(" ")
    return head if tail.isdigit() else name


def next_command(view):
    obj = view.get("holding")
    if not obj:
        return None
    adm = set(view["admissible"])
    here = view.get("location")
    target = view["receptacle"]
    if here and otype(here) == target:
        if here in view["closed"] and f"open {here}" in adm:
            return f"open {here}"
        for cmd in view["admissible"]:
            if cmd.startswith(f"put {obj} in") and cmd.endswith(f" {here}"):
                return cmd
    places = [r for r in view["receptacles"] if otype(r) == target and r != here and f"go to {r}" in adm]
    places.sort(key=lambda r: r in view["closed"])
    return f"go to {places[0]}" if places else None


if __name__ == "__main__":
    print(next_command(json.load(sys.stdin)) or "")
