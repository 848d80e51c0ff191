"""cool-object playbook: carry the held object to a fridge and cool it there.

``next_command(view) -> str | None`` (stdlib only; the view is described in find-object's
playbook, plus ``appliances``: receptacle types to try for "cool", best first: the agent
takes them from memory when it has learned where "cool" worked, else this skill's
default, [\"fridge\"]). Returns None once the held object is cooled
(``view["treated"]`` lists the objects already treated).
"""
import json
import sys

VERB = "cool"
DEFAULT_APPLIANCES = ["fridge"]


def otype(name):
    head, _, tail = name.rpartition(" ")
    return head if tail.isdigit() else name


def next_command(view):
    obj = view.get("holding")
    if not obj or obj in view["treated"]:
        return None
    adm = set(view["admissible"])
    here = view.get("location")
    for cmd in view["admissible"]:  # standing at a usable appliance: use it
        if cmd.startswith(f"{VERB} {obj} with "):
            return cmd
    kinds = view.get("appliances") or DEFAULT_APPLIANCES
    for kind in kinds:
        for recep in view["search_order"]:
            if otype(recep) == kind and recep != here and f"go to {recep}" in adm and f"{VERB} {obj} with {recep}" not in view["failed"]:
                return f"go to {recep}"
    return None


if __name__ == "__main__":
    print(next_command(json.load(sys.stdin)) or "")
