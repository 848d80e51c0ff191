"""Skill router benchmark (LLM-free): does training on outcomes learn what similarity cannot?

World
-----
Six task families (tabular data cleaning, web scraping, charts, SQL, unit tests, API
integration). Each family has four skills whose descriptions are written to look *equally*
relevant to every task of the family (paraphrases of the family's job; none mentions the
details below). Each family's tasks come in three hidden *variants* that show up only as
details in the task text (a 40 GB file vs a garbled legacy encoding vs mixed date formats). A
hidden compatibility matrix, drawn per seed, gives each (variant, skill) pair a success
probability: one skill per variant succeeds with p=0.85, the others with p ~ U(0.05, 0.45).
The descriptions never reveal it; only outcomes do.

Protocol (per seed)
-------------------
* N training tasks (600, 1200, 2400: a learning curve; random family, variant, phrasing and
  filler words) are routed in two rounds of N/2 by a simulated agent that logs every run's outcome through
  :meth:`SkillRouter.record_outcome` (outcome log + usage sidecar). Round 1 (warm-up, no
  trained router yet): uniform exploration over the 8 hybrid candidates; then the router is
  trained from the log; round 2: the trained router with epsilon=0.2; then it is retrained on all rows.
* 300 held-out tasks use phrasings (task openings and variant cues) and filler words never
  seen in training.
* Recall@1 = fraction of held-out tasks whose top-1 skill is the hidden best skill for the
  task's variant. We also report the mean true success probability of the top-1 skill.

Baselines: BM25 top-1, dense embedding similarity top-1 (MiniLM), hybrid RRF top-1, and
"global utility" (among the hybrid candidates, the skill with the best smoothed logged success
rate, i.e. usage statistics without the task state).

Run::

    python benchmarks/skill_router_bench.py --seeds 5            # MiniLM (default)
    python benchmarks/skill_router_bench.py --embedder hash --seeds 2   # quick smoke run
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

from agentmem.learning.outcome_log import OutcomeLog  # noqa: E402
from agentmem.learning.skill_cards import SkillCard  # noqa: E402
from agentmem.learning.skill_router import RouterConfig, SkillRouter, SkillUsageLedger  # noqa: E402

# family -> (skills {name: description}, task openings with {x}, variants {variant: cues}, fillers)
WORLD: dict[str, dict] = {
    "tabular": {
        "skills": {
            "tabular-cleaner": "Clean tabular data files: fix headers, column types and missing values before analysis.",
            "dataframe-wrangler": "Wrangle a data table into shape: tidy columns, coerce types, fill or drop gaps.",
            "spreadsheet-normaliser": "Normalise spreadsheet or CSV exports so every column has one consistent type and name.",
            "csv-repair-kit": "Repair and tidy CSV tables: consistent headers, typed columns, handled blanks.",
        },
        "openings": ["clean up the {x} csv export", "tidy the {x} table before we analyse it", "fix the columns of the {x} spreadsheet",
                     "prepare the {x} data file for analysis", "get the {x} export into a usable table", "normalise the {x} csv so the columns are usable"],
        "variants": {
            "huge": ["the file is about 40 GB", "it has several hundred million rows", "it does not fit in memory", "the export is far bigger than RAM"],
            "encoding": ["accented names come out garbled", "it was exported from an old Windows system in Latin-1", "there are mojibake characters in the text fields", "some bytes are not valid UTF-8"],
            "dates": ["dates are written in mixed formats", "some dates are day-first and some month-first", "timestamps mix time zones", "dates appear as text like 3rd of May"],
        },
        "fillers_train": ["sales", "payroll", "inventory", "survey", "clinic", "shipping"],
        "fillers_test": ["census", "warehouse", "ticketing"],
    },
    "scraping": {
        "skills": {
            "page-scraper": "Scrape pages of a website and extract the fields you need into structured records.",
            "html-extractor": "Extract structured data from web pages: locate the elements and pull out their values.",
            "site-crawler": "Crawl a site's pages and collect the listed items as structured rows.",
            "dom-harvester": "Harvest fields from a website's pages into clean records for later use.",
        },
        "openings": ["collect the {x} listings from the website", "scrape the {x} prices from the site", "extract every {x} entry from the web pages",
                     "pull the {x} records off the site", "gather the {x} items shown on the website", "build a table of {x} entries from the site"],
        "variants": {
            "javascript": ["the content only appears after scripts run", "the page is a single-page app", "the html is empty until javascript loads", "items load when you scroll"],
            "blocked": ["the site blocks us after a few requests", "requests start returning 429 errors", "a captcha appears after a while", "the server bans fast clients"],
            "paged": ["results are split over hundreds of pages", "there is a next button at the bottom", "each page shows only twenty items", "the listing continues with page numbers"],
        },
        "fillers_train": ["apartment", "job", "used car", "conference", "recipe", "hotel"],
        "fillers_test": ["bicycle", "concert", "laptop"],
    },
    "charts": {
        "skills": {
            "chart-builder": "Build a chart from numeric data for a report or presentation.",
            "plot-composer": "Compose a clear plot of the numbers with labelled axes and a legend.",
            "figure-maker": "Make a figure that shows the data's trend or comparison at a glance.",
            "visual-summary": "Summarise numbers visually with a well-labelled chart.",
        },
        "openings": ["make a chart of the {x} numbers", "plot the {x} figures for the report", "draw a graph of the {x} data",
                     "visualise the {x} results", "produce a figure of the {x} statistics", "chart the {x} values for the slides"],
        "variants": {
            "timeseries": ["the values were recorded every minute for a year", "it is a long series over time", "there is one value per day since 2015", "readings come with timestamps"],
            "geo": ["each value belongs to a country", "the rows are regions of the map", "there is a value per US state", "the data are indexed by postcode"],
            "print": ["it goes into a journal paper", "the figure must print in black and white", "the publisher wants vector graphics", "it will be printed at column width"],
        },
        "fillers_train": ["rainfall", "revenue", "latency", "enrolment", "traffic", "energy"],
        "fillers_test": ["vaccination", "ridership", "turnout"],
    },
    "sql": {
        "skills": {
            "sql-writer": "Write SQL queries that answer questions about data in a relational database.",
            "query-crafter": "Craft database queries to retrieve and aggregate the rows a question needs.",
            "database-analyst": "Answer questions from a relational database by writing and checking queries.",
            "relational-query-helper": "Help get answers out of database tables with correct SQL.",
        },
        "openings": ["write a query for the {x} question", "get the {x} numbers out of the database", "query the {x} tables for the report",
                     "answer the {x} question from the database", "find the {x} figures in our postgres tables", "pull the {x} totals with sql"],
        "variants": {
            "window": ["we need a running total per customer", "it asks for the rank within each group", "compare each row to the previous one", "a moving average over rows is needed"],
            "slow": ["the current query takes twenty minutes", "the database times out on it", "the tables have billions of rows", "it does a full scan every time"],
            "migration": ["the schema changed last week", "two columns were renamed recently", "the old tables were split in two", "the column types were altered"],
        },
        "fillers_train": ["churn", "orders", "refund", "signup", "billing", "stock"],
        "fillers_test": ["subscription", "delivery", "loyalty"],
    },
    "tests": {
        "skills": {
            "unit-test-writer": "Write unit tests for a piece of code so that its behaviour is checked automatically.",
            "test-suite-builder": "Build a suite of automated tests that pin down what the code does.",
            "coverage-improver": "Add automated tests to code until its important behaviour is covered.",
            "regression-guard": "Guard code against regressions by adding automated tests.",
        },
        "openings": ["write tests for the {x} module", "add unit tests to the {x} code", "cover the {x} functions with tests",
                     "make sure the {x} module is tested", "create a test suite for {x}", "test the {x} component properly"],
        "variants": {
            "async": ["the code uses asyncio everywhere", "most functions are coroutines", "it talks to an event loop", "calls are awaited in parallel"],
            "flaky": ["the current tests fail randomly", "the ci passes only sometimes", "results depend on timing", "a test breaks about one run in ten"],
            "legacy": ["the code is fifteen years old", "nothing in it was written to be testable", "functions read global state", "it has no tests at all and huge functions"],
        },
        "fillers_train": ["billing", "parser", "scheduler", "auth", "export", "cache"],
        "fillers_test": ["invoice", "tokenizer", "uploader"],
    },
    "api": {
        "skills": {
            "api-connector": "Connect to a third-party web API and fetch or send the data you need.",
            "rest-client-helper": "Call a remote REST service correctly and handle its responses.",
            "integration-builder": "Build an integration between our system and an external service's API.",
            "service-bridge": "Bridge our application to an outside web service through its API.",
        },
        "openings": ["connect our app to the {x} api", "fetch data from the {x} service", "integrate with the {x} platform",
                     "sync our records with the {x} api", "call the {x} web api from our backend", "hook up the {x} service"],
        "variants": {
            "oauth": ["it requires oauth2 login", "users must grant access through a consent screen", "tokens expire every hour", "it needs a refresh token flow"],
            "webhook": ["it pushes events to our endpoint", "they notify us with callbacks", "we must receive their event notifications", "updates arrive as webhooks"],
            "bulk": ["we need all two million records", "the responses are paginated with cursors", "we must download the whole history", "the export endpoint returns large batches"],
        },
        "fillers_train": ["payments", "calendar", "crm", "weather", "mapping", "shipping"],
        "fillers_test": ["accounting", "messaging", "ticketing"],
    },
}
N_TRAIN_OPENINGS, N_TRAIN_CUES = 4, 3  # openings[:4] and cues[:3] for training; the rest held out


def skills() -> list[SkillCard]:
    return [SkillCard(name=n, description=d) for fam in WORLD.values() for n, d in fam["skills"].items()]


def compatibility(rng: np.random.Generator) -> dict[tuple[str, str], dict[str, float]]:
    """Hidden P(success) per (family, variant) and skill: one good skill (0.85), the rest U(0.05, 0.45)."""
    out = {}
    for fam, spec in WORLD.items():
        names = list(spec["skills"])
        for var in spec["variants"]:
            best = names[int(rng.integers(len(names)))]
            out[(fam, var)] = {n: (0.85 if n == best else float(rng.uniform(0.05, 0.45))) for n in names}
    return out


def sample_tasks(rng: np.random.Generator, n: int, split: str) -> list[tuple[str, str, str]]:
    """``(family, variant, text)`` tasks; ``split`` 'train' or 'test' picks disjoint phrasings and fillers."""
    out = []
    fams = list(WORLD)
    for _ in range(n):
        fam = fams[int(rng.integers(len(fams)))]
        spec = WORLD[fam]
        var = list(spec["variants"])[int(rng.integers(3))]
        openings = spec["openings"][:N_TRAIN_OPENINGS] if split == "train" else spec["openings"][N_TRAIN_OPENINGS:]
        cues = spec["variants"][var][:N_TRAIN_CUES] if split == "train" else spec["variants"][var][N_TRAIN_CUES:]
        fillers = spec["fillers_train"] if split == "train" else spec["fillers_test"]
        opening = openings[int(rng.integers(len(openings)))].format(x=fillers[int(rng.integers(len(fillers)))])
        cue = cues[int(rng.integers(len(cues)))]
        out.append((fam, var, f"{opening}; {cue}."))
    return out


def run_seed(seed: int, embedder, n_train: int, n_test: int, epochs: int) -> dict:
    rng = np.random.default_rng(seed)
    compat = compatibility(rng)
    train_tasks = sample_tasks(rng, n_train, "train")
    test_tasks = sample_tasks(rng, n_test, "test")
    texts = sorted({t for *_, t in train_tasks + test_tasks})
    for i in range(0, len(texts), 256):
        embedder.embed(texts[i : i + 256])  # batch-embed once; MiniLM's content cache serves the per-task calls
    with tempfile.TemporaryDirectory() as tmp:
        outcome_log = OutcomeLog(Path(tmp) / "outcomes.sqlite")
        usage = SkillUsageLedger(Path(tmp) / "usage.json")
        router = SkillRouter(skills(), embedder, checkpoint_dir=Path(tmp) / "ckpt", outcome_log=outcome_log, usage=usage,
                             config=RouterConfig(epochs=epochs, seed=seed, candidates=8))
        half = n_train // 2
        successes = []
        for round_no, (tasks, eps) in enumerate(((train_tasks[:half], 1.0), (train_tasks[half:], 0.2))):
            for i, (fam, var, text) in enumerate(tasks):
                cands = [n for n, _ in router.candidates(text, k=8)]
                if rng.random() < eps:
                    skill = cands[int(rng.integers(len(cands)))]
                else:
                    skill = router.route(text, k=1)[0].name
                ok = bool(rng.random() < compat[(fam, var)].get(skill, 0.0))
                successes.append(ok)
                router.record_outcome(text, skill, reward=float(ok), success=ok, run_id=f"s{seed}-r{round_no}-{i}")
            report = router.train()
        stats = usage.load()

    def utility(name: str) -> float:
        s = stats.get(name)
        return (s.successes + 1) / (s.uses + 2) if s else 0.5

    picks: dict[str, list[str | None]] = {m: [] for m in ("bm25", "dense", "hybrid", "global_utility", "trained_router")}
    cand_recall = []
    for fam, var, text in test_tasks:
        for mode in ("bm25", "dense", "hybrid"):
            c = router.candidates(text, k=1, mode=mode)
            picks[mode].append(c[0][0] if c else None)
        cands = [n for n, _ in router.candidates(text)]
        best = max(compat[(fam, var)], key=compat[(fam, var)].get)
        cand_recall.append(best in cands)
        picks["global_utility"].append(max(cands, key=lambda n: (utility(n), -cands.index(n))) if cands else None)
        picks["trained_router"].append(router.route(text, k=1)[0].name)
    out = {"seed": seed, "train_rows": report.rows, "train_pairs": report.pairs, "final_loss": report.final_loss,
           "logged_success_rate": float(np.mean(successes)), "candidate_recall": float(np.mean(cand_recall)), "methods": {}}
    for method, chosen in picks.items():
        hits, probs = [], []
        for (fam, var, _), name in zip(test_tasks, chosen):
            table = compat[(fam, var)]
            best = max(table, key=table.get)
            hits.append(name == best)
            probs.append(table.get(name, 0.0) if name else 0.0)
        out["methods"][method] = {"recall_at_1": float(np.mean(hits)), "expected_success": float(np.mean(probs))}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--embedder", choices=["minilm", "hash"], default="minilm")
    ap.add_argument("--train", default="600,1200,2400", help="Comma-separated numbers of logged training runs (a learning curve).")
    ap.add_argument("--test", type=int, default=300)
    ap.add_argument("--epochs", type=int, default=150)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    args = ap.parse_args(argv)

    import logging

    import torch

    torch.set_num_threads(1)
    logging.getLogger("agentmem.learning.skill_router").setLevel(logging.ERROR)  # "no checkpoint yet" is expected here
    if args.embedder == "minilm":
        from agentmem.retrieval.embedder import MiniLMEmbedder

        embedder = MiniLMEmbedder()
    else:
        from agentmem.testing import HashEmbedder

        embedder = HashEmbedder()
    sizes = [int(x) for x in args.train.split(",")]
    t0 = time.time()
    runs: dict[int, list[dict]] = {}
    for n_train in sizes:
        for seed in range(args.seeds):
            r = run_seed(seed, embedder, n_train, args.test, args.epochs)
            runs.setdefault(n_train, []).append(r)
            print(f"train={n_train} seed {seed}: " + ", ".join(f"{m} {v['recall_at_1']:.3f}" for m, v in r["methods"].items()), flush=True)
    methods = list(runs[sizes[0]][0]["methods"])
    summary = {n: {m: {k: {"mean": float(np.mean([r["methods"][m][k] for r in rs])), "std": float(np.std([r["methods"][m][k] for r in rs]))}
                       for k in ("recall_at_1", "expected_success")} for m in methods} for n, rs in runs.items()}
    result = {
        "benchmark": "skill_router", "embedder": embedder.name, "seeds": args.seeds, "train_sizes": sizes, "test_tasks": args.test,
        "epochs": args.epochs, "skills": len(skills()), "families": len(WORLD), "seconds": time.time() - t0, "summary": {str(n): v for n, v in summary.items()},
        "runs": {str(n): v for n, v in runs.items()},
        "candidate_recall": float(np.mean([r["candidate_recall"] for rs in runs.values() for r in rs])),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stem = "skill_router" if args.embedder == "minilm" else f"skill_router_{args.embedder}"
    (args.out / f"{stem}.json").write_text(json.dumps(result, indent=2) + "\n")
    labels = {"bm25": "BM25 top-1", "dense": f"Embedding similarity top-1 (`{embedder.name}`)", "hybrid": "Hybrid RRF top-1",
              "global_utility": "Global utility (usage stats, no task state)", "trained_router": "**Trained router (this work)**"}
    lines = [
        "# Skill router benchmark (LLM-free)", "",
        f"Held-out Recall@1 of the routed skill against the hidden best skill, {args.seeds} seeds (mean ± std), "
        f"{len(WORLD)} task families, {len(skills())} skills (4 per family with equally relevant descriptions), "
        f"{args.test} held-out tasks per seed (phrasings and filler words unseen in training). Columns: number of logged "
        f"training runs. Embedder: `{embedder.name}`. Chance among the right family's 4 skills: 0.25.", "",
        "| Method | " + " | ".join(f"{n} runs" for n in sizes) + " |", "|---|" + "---|" * len(sizes),
    ]
    for m in methods:
        lines.append(f"| {labels[m]} | " + " | ".join(f"{summary[n][m]['recall_at_1']['mean']:.3f} ± {summary[n][m]['recall_at_1']['std']:.3f}" for n in sizes) + " |")
    lines += ["", "True success probability of the top-1 skill (mean ± std):", "",
              "| Method | " + " | ".join(f"{n} runs" for n in sizes) + " |", "|---|" + "---|" * len(sizes)]
    for m in methods:
        lines.append(f"| {labels[m]} | " + " | ".join(f"{summary[n][m]['expected_success']['mean']:.3f} ± {summary[n][m]['expected_success']['std']:.3f}" for n in sizes) + " |")
    lines += [
        "", f"Hidden best skill among the router's 8 hybrid candidates: {result['candidate_recall']:.3f} of held-out tasks (an upper bound for every reranker).",
        "Baselines that do not learn (BM25, dense, hybrid) do not depend on the number of runs; they differ across columns only through the seeds' sampled tasks.",
        "Success rate of the simulated agent while logging (exploring): " + ", ".join(f"{np.mean([r['logged_success_rate'] for r in runs[n]]):.3f} ({n} runs)" for n in sizes) + ".",
        f"Wall time {result['seconds']:.0f} s on a shared 2-core CPU under heavy load from other jobs (noisy).", "",
        f"Reproduce: `python benchmarks/skill_router_bench.py --seeds {args.seeds} --train {args.train}" + (" --embedder hash" if args.embedder == "hash" else "") + "`", "",
    ]
    (args.out / f"{stem}.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
