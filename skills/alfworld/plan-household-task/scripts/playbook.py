"""plan-household-task playbook: parse the goal sentence, then pick the skill to run next.

* ``parse_goal(sentence) -> dict``: task type (alfworld's six), ``object``, ``receptacle``,
  ``lamp``, ``count`` (2 for "two X"), ``treatment`` (clean/heat/cool or None), and the
  ``skills`` the task needs in order. Raises ValueError for a sentence it cannot read.
* ``next_skill(view) -> str | None``: which skill's playbook produces the next command
  (find-object, take-object, clean/heat/cool-object, examine-object-under-light,
  put-object-in-receptacle), from what is held, treated, delivered and seen.

stdlib only; run as a script it reads {"goal": ...} as JSON on stdin and prints the plan.
"""
import json
import re
import sys

_A = r"(?:a |an |some |the )?"
PATTERNS = [
    ("pick_two_obj_and_place", re.compile(rf"^(?:put|find) two (\w+) (?:and put them )?(?:in|on|in/on) {_A}(\w+)")),
    ("look_at_obj_in_light", re.compile(rf"^(?:look at|examine) {_A}(\w+) (?:under|with) {_A}(\w+)")),
    ("pick_clean_then_place", re.compile(rf"^(?:put {_A}clean (\w+) (?:in|on|in/on) {_A}(\w+)|clean {_A}(\w+) and put it (?:in|on|in/on) {_A}(\w+))")),
    ("pick_heat_then_place", re.compile(rf"^(?:put {_A}hot (\w+) (?:in|on|in/on) {_A}(\w+)|heat {_A}(\w+) and put it (?:in|on|in/on) {_A}(\w+))")),
    ("pick_cool_then_place", re.compile(rf"^(?:put {_A}cool (\w+) (?:in|on|in/on) {_A}(\w+)|cool {_A}(\w+) and put it (?:in|on|in/on) {_A}(\w+))")),
    ("pick_and_place", re.compile(rf"^put {_A}(\w+) (?:in|on|in/on) {_A}(\w+)")),
]
TREATMENT = {"pick_clean_then_place": "clean", "pick_heat_then_place": "heat", "pick_cool_then_place": "cool"}


def parse_goal(sentence):
    text = " ".join(sentence.lower().strip().rstrip(".").split())
    for task_type, pat in PATTERNS:
        m = pat.match(text)
        if not m:
            continue
        groups = [g for g in m.groups() if g]
        obj, second = groups[0], groups[1]
        treatment = TREATMENT.get(task_type)
        if task_type == "look_at_obj_in_light":
            skills = ["find-object", "take-object", "examine-object-under-light"]
            return {"type": task_type, "object": obj, "receptacle": None, "lamp": second, "count": 1, "treatment": None, "skills": skills}
        skills = ["find-object", "take-object"] + ([f"{treatment}-object"] if treatment else []) + ["put-object-in-receptacle"]
        count = 2 if task_type == "pick_two_obj_and_place" else 1
        return {"type": task_type, "object": obj, "receptacle": second, "lamp": None, "count": count, "treatment": treatment, "skills": skills * count}
    raise ValueError(f"cannot read the goal {sentence!r}")


def otype(name):
    head, _, tail = name.rpartition(" ")
    return head if tail.isdigit() else name


def next_skill(view):
    goal = view["goal"]
    held = view.get("holding")
    if goal["type"] == "look_at_obj_in_light":
        if view.get("lamp_on") and held:
            return None
        return "examine-object-under-light" if held and otype(held) == goal["object"] else ("take-object" if _seen(view) else "find-object")
    if len(view["exclude"]) >= goal["count"]:
        return None
    if held and otype(held) == goal["object"]:
        if goal["treatment"] and held not in view["treated"]:
            return f"{goal['treatment']}-object"
        return "put-object-in-receptacle"
    return "take-object" if _seen(view) else "find-object"


def _seen(view):
    return any(otype(o) == view["target"] and o not in view["exclude"] for objs in view["contents"].values() for o in objs)


if __name__ == "__main__":
    print(json.dumps(parse_goal(json.load(sys.stdin)["goal"])))
