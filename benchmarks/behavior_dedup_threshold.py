"""How similar are duplicate behaviors? Picks the handbook's merge threshold from a measurement.

Embeds hand-written pairs of behaviors in the format the handbook indexes
(``name: instruction``) with the packaged MiniLM and compares the cosine of *paraphrase*
pairs (the same behavior, reworded and renamed; these should merge) with *distinct* pairs
(different behaviors from the same domain; these should not). Prints both distributions and
the accuracy of each threshold, and writes ``benchmarks/results/behavior_dedup_threshold.md``.

    python benchmarks/behavior_dedup_threshold.py
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PARAPHRASES = [
    ("behavior_inclusion_exclusion: count the union by adding the parts and subtracting the overlaps", "behavior_union_counting: to count a union, add the sizes of the sets and subtract what they share"),
    ("behavior_try_small_cases: work out the smallest instances by hand first and look for the pattern", "behavior_small_examples_first: solve tiny versions of the problem by hand to spot the pattern"),
    ("behavior_check_units: carry units through every step and check the final units", "behavior_unit_consistency: keep track of units in each step and verify the answer's units"),
    ("behavior_verify_on_examples: run the candidate solution on every given example before answering", "behavior_test_against_examples: check the proposed solution against all provided examples first"),
    ("behavior_restate_goal: restate exactly what is asked before solving", "behavior_clarify_question: rephrase the question precisely before starting"),
    ("behavior_complementary_counting: count the complement and subtract from the total", "behavior_count_the_opposite: compute total minus the cases that do not satisfy the condition"),
    ("behavior_parity_check: use parity to rule out impossible cases", "behavior_odd_even_argument: eliminate cases by looking at whether quantities are odd or even"),
    ("behavior_draw_diagram: sketch a diagram of the geometry before computing", "behavior_sketch_figure: draw the figure first to see the geometric relations"),
    ("behavior_symmetry_reduction: exploit symmetry to reduce the number of cases", "behavior_use_symmetry: use symmetric cases to cut down the casework"),
    ("behavior_search_receptacles: when an object is missing, check likely receptacles and open closed ones", "behavior_look_in_containers: search the probable containers for a missing object, opening any that are closed"),
    ("behavior_recent_statement_wins: prefer the most recent statement when facts in a conversation conflict", "behavior_latest_fact: if the dialogue contradicts itself, trust the newest mention"),
    ("behavior_edge_cases: test empty and single-element inputs", "behavior_boundary_inputs: check the code on empty inputs and inputs with one element"),
    ("behavior_modular_arithmetic: reduce large powers modulo n step by step", "behavior_mod_reduction: compute big exponents mod n by reducing after each multiplication"),
    ("behavior_telescoping: rewrite terms as differences so the sum telescopes", "behavior_telescoping_sum: express each term as a difference of consecutive values so most cancel"),
    ("behavior_object_segmentation: split the grid into connected components before reasoning about it", "behavior_find_components: identify connected objects in the grid first"),
    ("behavior_compare_grid_sizes: compare input and output grid dimensions to guess the transformation", "behavior_size_ratio_hint: look at how output dimensions relate to input dimensions to infer the rule"),
    ("behavior_estimate_first: estimate the magnitude of the answer before computing exactly", "behavior_sanity_estimate: make a rough estimate to check the exact result against"),
    ("behavior_work_backwards: start from the goal and reason backwards to the given", "behavior_reverse_reasoning: reason from the desired result back to the starting conditions"),
    ("behavior_invariant: find a quantity that does not change under the allowed moves", "behavior_find_invariant: look for something preserved by every operation"),
    ("behavior_pigeonhole: if more items than boxes, some box has two", "behavior_pigeonhole_principle: when objects outnumber containers, two share a container"),
]

DISTINCT = [
    ("behavior_inclusion_exclusion: count the union by adding the parts and subtracting the overlaps", "behavior_complementary_counting: count the complement and subtract from the total"),
    ("behavior_try_small_cases: work out the smallest instances by hand first and look for the pattern", "behavior_work_backwards: start from the goal and reason backwards to the given"),
    ("behavior_check_units: carry units through every step and check the final units", "behavior_estimate_first: estimate the magnitude of the answer before computing exactly"),
    ("behavior_verify_on_examples: run the candidate solution on every given example before answering", "behavior_edge_cases: test empty and single-element inputs"),
    ("behavior_parity_check: use parity to rule out impossible cases", "behavior_invariant: find a quantity that does not change under the allowed moves"),
    ("behavior_draw_diagram: sketch a diagram of the geometry before computing", "behavior_symmetry_reduction: exploit symmetry to reduce the number of cases"),
    ("behavior_search_receptacles: when an object is missing, check likely receptacles and open closed ones", "behavior_heat_with_microwave: to heat an object, put it in the microwave and toggle it"),
    ("behavior_recent_statement_wins: prefer the most recent statement when facts in a conversation conflict", "behavior_resolve_relative_dates: convert 'last week' into a date using the session timestamp"),
    ("behavior_modular_arithmetic: reduce large powers modulo n step by step", "behavior_telescoping: rewrite terms as differences so the sum telescopes"),
    ("behavior_object_segmentation: split the grid into connected components before reasoning about it", "behavior_compare_grid_sizes: compare input and output grid dimensions to guess the transformation"),
    ("behavior_pigeonhole: if more items than boxes, some box has two", "behavior_inclusion_exclusion: count the union by adding the parts and subtracting the overlaps"),
    ("behavior_restate_goal: restate exactly what is asked before solving", "behavior_verify_on_examples: run the candidate solution on every given example before answering"),
    ("behavior_recolor_by_size: colour each object according to its size rank", "behavior_object_segmentation: split the grid into connected components before reasoning about it"),
    ("behavior_mirror_completion: complete a half pattern by reflecting it", "behavior_tile_output: build the output by repeating the input in a grid"),
    ("behavior_edge_cases: test empty and single-element inputs", "behavior_off_by_one: check loop bounds for off-by-one errors"),
    ("behavior_estimate_first: estimate the magnitude of the answer before computing exactly", "behavior_sanity_check_sign: check that the sign of the result makes sense"),
    ("behavior_complementary_counting: count the complement and subtract from the total", "behavior_stars_and_bars: count distributions of identical items with stars and bars"),
    ("behavior_invariant: find a quantity that does not change under the allowed moves", "behavior_extremal_principle: consider the largest or smallest element"),
    ("behavior_search_receptacles: when an object is missing, check likely receptacles and open closed ones", "behavior_clean_in_sink: clean an object by putting it in the sink basin"),
    ("behavior_latest_fact: if the dialogue contradicts itself, trust the newest mention", "behavior_cite_evidence: answer from the turns that mention the entity"),
]


def main() -> None:
    import numpy as np
    import torch

    torch.set_num_threads(1)
    from agentmem.retrieval.embedder import MiniLMEmbedder

    emb = MiniLMEmbedder()

    def cos(pairs: list[tuple[str, str]]) -> np.ndarray:
        a = emb.embed([p[0] for p in pairs])
        b = emb.embed([p[1] for p in pairs])
        return (a * b).sum(axis=1)

    para, dist = cos(PARAPHRASES), cos(DISTINCT)
    rows = []
    for t in np.round(np.arange(0.50, 0.951, 0.05), 2):
        merged_para = float((para >= t).mean())
        merged_dist = float((dist >= t).mean())
        rows.append((float(t), merged_para, merged_dist, (float((para >= t).sum()) + float((dist < t).sum())) / (len(para) + len(dist))))
    best = max(rows, key=lambda r: (r[3], r[0]))
    lines = [
        "# Behavior merge threshold: MiniLM cosine of duplicate vs distinct behaviors",
        "",
        f"{len(PARAPHRASES)} paraphrase pairs (same behavior, reworded and renamed) and {len(DISTINCT)} distinct pairs "
        "(different behaviors of the same domain), embedded as `name: instruction` with the packaged all-MiniLM-L6-v2. "
        "Command: `python benchmarks/behavior_dedup_threshold.py`.",
        "",
        "| pairs | min | mean | max |",
        "|---|---:|---:|---:|",
        f"| paraphrase | {para.min():.3f} | {para.mean():.3f} | {para.max():.3f} |",
        f"| distinct | {dist.min():.3f} | {dist.mean():.3f} | {dist.max():.3f} |",
        "",
        "| threshold | paraphrases merged | distinct merged (false merges) | accuracy |",
        "|---:|---:|---:|---:|",
        *[f"| {t:.2f} | {mp:.2f} | {md:.2f} | {acc:.3f} |" for t, mp, md, acc in rows],
        "",
        f"Best accuracy: threshold {best[0]:.2f} ({best[3]:.3f}).",
        "",
        f"Most similar distinct pair ({dist.max():.3f}): `{DISTINCT[int(dist.argmax())][0]}` / `{DISTINCT[int(dist.argmax())][1]}`.",
        "",
        f"Least similar paraphrase pair ({para.min():.3f}): `{PARAPHRASES[int(para.argmin())][0]}` / `{PARAPHRASES[int(para.argmin())][1]}`.",
    ]
    text = "\n".join(lines) + "\n"
    out = REPO / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "behavior_dedup_threshold.md").write_text(text)
    (out / "behavior_dedup_threshold.json").write_text(json.dumps({"paraphrase": para.tolist(), "distinct": dist.tolist(), "sweep": rows}, indent=1))
    print(text)


if __name__ == "__main__":
    main()
