"""find-object playbook: the next command that searches for an object type.

``next_command(view) -> str | None`` (stdlib only). ``view`` is the agent's state of the game
(see ``agentmem/evals/alfworld/playbook.py``): ``target`` (object type sought), ``contents``
(receptacle -> objects seen in it), ``location``, ``closed`` (receptacles seen closed and not
opened yet), ``visited``, ``search_order`` (every receptacle of the room, best first: the
agent orders it from memory, room order when memory knows nothing), ``exclude`` (objects
already delivered) and ``admissible``. Returns None once an instance of the target is seen.

Run as a script it reads the view as JSON on stdin and prints the command.
"""
import json
import sys


def otype(name):
    """'mug 2' -> 'mug'."""
    head, _, tail = name.rpartition(" ")
    return head if tail.isdigit() else name


def found(view):
    """Objects of the target type seen somewhere and not excluded, as (object, receptacle)."""
    out = []
    for recep, objs in view["contents"].items():
        for o in objs:
            if otype(o) == view["target"] and o not in view["exclude"] and o != view.get("holding"):
                out.append((o, recep))
    return out


def next_command(view):
    if found(view):
        return None
    adm = set(view["admissible"])
    here = view.get("location")
    if here and here in view["closed"] and f"open {here}" in adm:
        return f"open {here}"
    for recep in view["search_order"]:
        if recep in view["visited"] or recep == here:
            continue
        cmd = f"go to {recep}"
        if cmd in adm:
            return cmd
    return None


if __name__ == "__main__":
    print(next_command(json.load(sys.stdin)) or "")
