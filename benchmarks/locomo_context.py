"""LoCoMo QA context check (LLM-free): what the answering model would see per question.

For every QA item of locomo10.json this builds the QA harness's context exactly as
``agentmem eval locomo`` does, without calling a model, and reports per category:
memory tokens in context per question and the share of evidence turns inside that context,
for the raw-turn memory (``--mode rag``: hybrid BM25 + MiniLM search, top-k turns under a
token budget) against the full-context baseline (``--mode full-context``).

    python benchmarks/locomo_context.py                   # k=10, budget 2000, packaged MiniLM
    python benchmarks/locomo_context.py --k 25 --budget 4000
    python benchmarks/locomo_context.py --embedder hash   # no model download (fake embedder)

Writes ``benchmarks/results/locomo_context.{json,md}`` (with non-default options, a suffixed name).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main(argv: list[str] | None = None) -> int:
    from agentmem.environment import TaskSpec
    from agentmem.evals.locomo.data import CATEGORY_NAMES, load_locomo
    from agentmem.evals.locomo.qa import FullContextMemory, TurnMemory, item_id
    from agentmem.fileio import atomic_write_json, atomic_write_text

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=None, help="path of locomo10.json")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--budget", type=int, default=2000)
    ap.add_argument("--embedder", default="minilm", choices=["minilm", "hash"])
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = ap.parse_args(argv)

    if args.embedder == "hash":
        from agentmem.testing import HashEmbedder

        embedder = HashEmbedder()
    else:
        import torch

        torch.set_num_threads(1)
        from agentmem.retrieval.embedder import MiniLMEmbedder

        embedder = MiniLMEmbedder()
    t0 = time.perf_counter()
    convs = load_locomo(args.data)
    rows = []
    for conv in convs:
        mem = TurnMemory(conv, embedder, k=args.k, budget_tokens=args.budget)
        full = FullContextMemory(conv)
        for i, qa in enumerate(conv.qa):
            ctx = mem.before_task(TaskSpec(id=item_id(conv, i), instruction=qa.question))
            ids = set(ctx.item_ids)
            valid = [e for e in qa.evidence if e in conv.turn_ids()]
            rows.append({"category": qa.category, "rag_tokens": ctx.tokens, "full_tokens": full.tokens, "evidence": len(valid), "evidence_in": (sum(e in ids for e in valid) / len(valid)) if valid else None})
        print(f"{conv.sample_id}: {len(conv.turns)} turns, {len(conv.qa)} questions, full context {full.tokens} tokens", flush=True)
    seconds = time.perf_counter() - t0

    def agg(rs: list[dict]) -> dict:
        ev = [r["evidence_in"] for r in rs if r["evidence_in"] is not None]
        return {"n": len(rs), "rag_tokens": sum(r["rag_tokens"] for r in rs) / len(rs), "full_tokens": sum(r["full_tokens"] for r in rs) / len(rs),
                "evidence_in_context": sum(ev) / len(ev) if ev else None, "all_evidence_in_context": sum(e == 1.0 for e in ev) / len(ev) if ev else None}

    groups = {f"{c} {CATEGORY_NAMES[c]}": [r for r in rows if r["category"] == c] for c in (1, 2, 3, 4)}
    groups["overall (1-4)"] = [r for r in rows if r["category"] in (1, 2, 3, 4)]
    groups["5 adversarial"] = [r for r in rows if r["category"] == 5]
    table = {g: agg(rs) for g, rs in groups.items() if rs}
    name = getattr(embedder, "name", args.embedder)
    lines = [
        f"# LoCoMo QA context: raw-turn memory (hybrid, k={args.k}, budget {args.budget}) vs full context",
        "",
        f"All {len(rows)} QA items of locomo10.json, {len(convs)} conversations; embedder `{name}`; tokens = ceil(chars / 4).",
        "",
        "| group | n | memory tokens/q (rag) | tokens/q (full context) | evidence turns in context (rag, mean) | all evidence in context (rag) |",
        "|---|---|---|---|---|---|",
    ]
    for g, v in table.items():
        ev = "-" if v["evidence_in_context"] is None else f"{100 * v['evidence_in_context']:.1f}%"
        allev = "-" if v["all_evidence_in_context"] is None else f"{100 * v['all_evidence_in_context']:.1f}%"
        lines.append(f"| {g} | {v['n']} | {v['rag_tokens']:.0f} | {v['full_tokens']:.0f} | {ev} | {allev} |")
    lines += ["", f"Command: `python benchmarks/locomo_context.py --k {args.k} --budget {args.budget} --embedder {args.embedder}`. "
              f"Wall time {seconds:.0f} s on a shared 2-core CPU (noisy). Full context holds every evidence turn by construction."]
    md = "\n".join(lines) + "\n"
    print(md)
    out = Path(args.out)
    stem = "locomo_context" if (args.k, args.budget, args.embedder) == (10, 2000, "minilm") else f"locomo_context_k{args.k}_b{args.budget}_{args.embedder}"
    atomic_write_json(out / f"{stem}.json", {"k": args.k, "budget": args.budget, "embedder": name, "seconds": round(seconds, 1), "table": table})
    atomic_write_text(out / f"{stem}.md", md)
    print(f"wrote {out / (stem + '.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
