"""MemSkill controller benchmark (LLM-free): held-out reward of the PPO-trained policy vs baselines.

Task: :mod:`agentmem.learning.memskill.synthetic`. Eight kinds of conversational span (new
fact, correction, retraction, small talk, dated event, relationship, moved object,
preference), each with a known best set of the shipped memory skills; the controller selects
K of the 8 shipped skills per span, and the reward of a selection is the fraction of the best
set it contains. Training episodes are conversations of 6 spans whose reward arrives only at
the end (the mean over spans), spread back over the spans by the controller's returns.
Held-out spans use names, places and objects never seen in training and (with
``--heldout-templates``, the default) one phrasing per span kind that training never saw.

Baselines on the same held-out spans: the untrained policy, K uniformly random skills, and
"seed skills" (always the first K of insert, update, delete, skip -- the four seed skills).
The oracle's reward is 1.0 whenever K >= the size of the best set (always here).

Run::

    python benchmarks/memskill_controller_bench.py --seeds 5               # MiniLM (default)
    python benchmarks/memskill_controller_bench.py --embedder hash --seeds 2
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from agentmem.learning.memskill import MemorySkillBank  # noqa: E402
from agentmem.learning.memskill.synthetic import train_and_evaluate  # noqa: E402

METHODS = ("trained", "untrained", "random", "seed_skills")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--k", default="2,3", help="Comma-separated K values (skills selected per span).")
    ap.add_argument("--embedder", choices=["minilm", "hash"], default="minilm")
    ap.add_argument("--updates", type=int, default=60, help="PPO updates (each from --batch episodes).")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--episode-length", type=int, default=6)
    ap.add_argument("--test-spans", type=int, default=300)
    ap.add_argument("--no-heldout-templates", action="store_true")
    ap.add_argument("--tag", default="", help="Suffix of the result files (e.g. 'long' -> memskill_controller_long.md).")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    if args.embedder == "minilm":
        from agentmem.retrieval.embedder import MiniLMEmbedder

        embedder = MiniLMEmbedder()
    else:
        from agentmem.testing import HashEmbedder

        embedder = HashEmbedder()
    bank = MemorySkillBank(Path(tempfile.mkdtemp()) / "bank")
    skills = bank.skills()
    ks = [int(x) for x in args.k.split(",")]
    t0 = time.time()
    results: dict[str, list[dict]] = {}
    for k in ks:
        for seed in range(args.seeds):
            r = train_and_evaluate(embedder, skills, k=k, seed=seed, updates=args.updates, batch_episodes=args.batch, episode_length=args.episode_length,
                                   test_spans=args.test_spans, heldout_templates=not args.no_heldout_templates)
            results.setdefault(str(k), []).append(r.model_dump())
            print(f"K={k} seed {seed}: " + ", ".join(f"{m} {getattr(r, m):.3f}" for m in METHODS), flush=True)
    summary = {k: {m: {"mean": float(np.mean([r[m] for r in runs])), "std": float(np.std([r[m] for r in runs]))} for m in (*METHODS, "oracle")}
               for k, runs in results.items()}
    out = {"benchmark": "memskill_controller", "embedder": embedder.name, "seeds": args.seeds, "skills": [s.name for s in skills], "updates": args.updates,
           "batch_episodes": args.batch, "episode_length": args.episode_length, "test_spans": args.test_spans,
           "heldout_templates": not args.no_heldout_templates, "seconds": time.time() - t0, "summary": summary, "runs": results}
    args.out.mkdir(parents=True, exist_ok=True)
    stem = "memskill_controller" + ("" if args.embedder == "minilm" else f"_{args.embedder}") + (f"_{args.tag}" if args.tag else "")
    (args.out / f"{stem}.json").write_text(json.dumps(out, indent=2) + "\n")
    labels = {"trained": "Controller trained with PPO (this work)", "untrained": "Untrained controller", "random": "Random K skills",
              "seed_skills": "Always the seed skills (first K of insert/update/delete/skip)"}
    lines = ["# MemSkill controller benchmark (synthetic, LLM-free)", "",
             f"Held-out mean span reward (fraction of the known best skill set selected), {args.seeds} seeds (mean ± std). "
             f"{len(skills)} shipped memory skills; {args.updates} PPO updates x {args.batch} episodes x {args.episode_length} spans, delayed episode reward; "
             f"{args.test_spans} held-out spans with unseen names{' and unseen phrasings' if not args.no_heldout_templates else ''}. Embedder `{embedder.name}`.", "",
             "| Method | " + " | ".join(f"K={k}" for k in summary) + " |", "|---|" + "---|" * len(summary)]
    for m in METHODS:
        lines.append(f"| {labels[m]} | " + " | ".join(f"{summary[k][m]['mean']:.3f} ± {summary[k][m]['std']:.3f}" for k in summary) + " |")
    lines.append("| Oracle | " + " | ".join(f"{summary[k]['oracle']['mean']:.3f}" for k in summary) + " |")
    lines += ["", f"Wall time {out['seconds']:.0f} s on a shared 2-core CPU (noisy).", "",
              f"Reproduce: `python benchmarks/memskill_controller_bench.py --seeds {args.seeds} --k {args.k} --updates {args.updates}" + (" --embedder hash" if args.embedder == "hash" else "") + (f" --tag {args.tag}" if args.tag else "") + "`", ""]
    (args.out / f"{stem}.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
