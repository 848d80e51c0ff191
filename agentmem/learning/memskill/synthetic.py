"""A synthetic memorisation task where the best memory skills for each span are known.

Eight kinds of span (a new fact, a correction, a retraction, small talk, a dated event, a
relationship, an object moved, a preference), each written from several templates with
random names, objects and places, together with the memories retrieval would return for it
(a related stored fact for corrections, retractions and moved objects; unrelated facts or none
otherwise). Each kind has a known best set of shipped memory skills, e.g. a dated event needs
``insert-memory`` and ``capture-temporal-context``.

Reward of a selection ``S`` for a span of kind ``t``: the fraction of ``best(t)`` that ``S``
contains (``|S & best(t)| / |best(t)|``). An *episode* is a short conversation of spans whose
reward is only revealed at the end (the mean span reward), as in MemSkill where the reward is
the downstream answer score after the whole conversation was memorised.

``split="train"`` and ``split="test"`` use disjoint names, objects and places, and
``heldout_templates=True`` also keeps one template per kind out of training, so held-out
spans are new texts.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel

BEST: dict[str, frozenset[str]] = {
    "new_fact": frozenset({"insert-memory"}),
    "correction": frozenset({"update-memory"}),
    "retraction": frozenset({"delete-memory"}),
    "small_talk": frozenset({"skip-memory"}),
    "dated_event": frozenset({"insert-memory", "capture-temporal-context"}),
    "relationship": frozenset({"insert-memory", "handle-entity-relationships"}),
    "object_moved": frozenset({"track-object-location"}),
    "preference": frozenset({"record-user-preferences"}),
}

TEMPLATES: dict[str, list[str]] = {
    "new_fact": ["{name} told me she started working as a {job} at the {place}.", "By the way, {name} just became a {job}; the job is at the {place}.",
                 "{name} mentioned that he now works as a {job} near the {place}.", "Big news: {name} got hired as a {job} at the {place} this month.",
                 "{name} is a {job} now, based at the {place}."],
    "correction": ["Actually I got that wrong earlier: {name} works at the {place}, not the {place2}.", "Correction: {name}'s sister lives near the {place}, not the {place2} like I said.",
                   "Sorry, I mixed it up, {name} is a {job}, not a {job2}.", "Wait, that's not right, the meeting with {name} is at the {place}, not the {place2}.",
                   "Let me fix what I said before: {name} moved to the {place}, not the {place2}."],
    "retraction": ["Forget what I said about {name} buying a boat, that never happened.", "Please ignore my earlier message, {name} is not getting a {object} after all.",
                   "Scratch that, {name} never adopted a dog, it was a rumour.", "That plan with {name} is cancelled, nothing of it is true anymore.",
                   "Disregard the thing about {name} and the {object}; it was a misunderstanding."],
    "small_talk": ["Haha, thanks so much! Have a lovely evening.", "Ok cool, talk soon then!", "Good morning! How are you doing today?",
                   "That's funny, lol. Anyway, see you around.", "Thanks, you too! Bye for now."],
    "dated_event": ["Last Saturday {name} ran her first marathon at the {place}.", "Two weeks ago {name} visited the {place} for a conference.",
                    "Yesterday {name} finally finished painting the {object}.", "Next Friday {name} is flying out to the {place}.",
                    "On 3 May {name} celebrated her birthday at the {place}."],
    "relationship": ["My cousin {name} just got engaged to {name2}.", "{name2} is {name}'s younger brother, they grew up together.",
                     "{name} introduced me to her colleague {name2} from work.", "{name} and {name2} are best friends since school.",
                     "{name2} became {name}'s business partner this year."],
    "object_moved": ["I put the {object} in the top drawer of the {room}.", "{name} borrowed my {object} and keeps it in her car.",
                     "The {object} is now on the shelf in the {room}.", "I moved the {object} from the garage to the {room}.",
                     "{name} has the {object} now, I lent it to her."],
    "preference": ["{name} can't stand horror films but loves comedies.", "{name} always drinks green tea, never coffee.",
                   "{name} really enjoys hiking early in the morning.", "{name} prefers jazz over pop music.",
                   "{name} hates crowded places and likes quiet cafes."],
}

FILLERS = {
    "train": {"name": ["Jordan", "Melanie", "Carlos", "Aisha", "Tom", "Priya", "Ken", "Sofia"], "job": ["nurse", "teacher", "plumber", "pilot", "chef"],
              "place": ["city hospital", "harbour", "old library", "train station", "museum"], "object": ["bicycle", "guitar", "laptop", "camera", "kayak"],
              "room": ["kitchen", "hallway", "garage loft", "study"]},
    "test": {"name": ["Lena", "Marcus", "Yuki", "Omar", "Grace"], "job": ["architect", "dentist", "baker"], "place": ["stadium", "airport", "botanical garden"],
             "object": ["telescope", "sewing machine", "drone"], "room": ["attic", "living room", "basement"]},
}

RELATED_MEMORY: dict[str, list[str]] = {
    "correction": ["{name} works at the {place2}.", "{name}'s sister lives near the {place2}.", "{name} is a {job2}.", "The meeting with {name} is at the {place2}.", "{name} moved to the {place2}."],
    "retraction": ["{name} is buying a boat.", "{name} is getting a {object}.", "{name} adopted a dog.", "{name} has a plan with me next week.", "{name} bought a {object}."],
    "object_moved": ["The {object} is in the garage.", "My {object} is at home.", "The {object} is under the bed.", "The {object} is in the garage.", "The {object} is in my bag."],
}
UNRELATED = ["{name} likes board games.", "{name} has a cat named Pixel.", "{name} grew up by the sea.", "{name} studies Spanish in the evenings."]


class SyntheticSpan(BaseModel):
    """One span of the synthetic task: its kind, text and the memories retrieved for it."""

    kind: str
    text: str
    memories: list[str]

    def reward(self, selected: list[str]) -> float:
        best = BEST[self.kind]
        return len(best & set(selected)) / len(best)


def make_span(rng: np.random.Generator, split: str = "train", heldout_templates: bool = False, kind: str | None = None) -> SyntheticSpan:
    """One random span of the given (or a random) kind."""
    kind = kind or sorted(BEST)[int(rng.integers(len(BEST)))]
    f = FILLERS[split]
    templates = TEMPLATES[kind]
    if heldout_templates:
        idx = len(templates) - 1 if split == "test" else int(rng.integers(len(templates) - 1))
    else:
        idx = int(rng.integers(len(templates)))

    def pick(key: str) -> str:
        return f[key][int(rng.integers(len(f[key])))]

    names = rng.permutation(f["name"])[:2]
    places = rng.permutation(f["place"])[:2]
    jobs = rng.permutation(f["job"])[:2]
    values = {"name": names[0], "name2": names[1], "place": places[0], "place2": places[1], "job": jobs[0], "job2": jobs[1], "object": pick("object"), "room": pick("room")}
    text = templates[idx].format(**values)
    if kind in RELATED_MEMORY:
        memories = [RELATED_MEMORY[kind][idx].format(**values)]
    else:
        memories = [UNRELATED[int(rng.integers(len(UNRELATED)))].format(**values)] if rng.random() < 0.5 else []
    return SyntheticSpan(kind=kind, text=text, memories=memories)


def make_episode(rng: np.random.Generator, length: int = 6, split: str = "train", heldout_templates: bool = False) -> list[SyntheticSpan]:
    return [make_span(rng, split, heldout_templates) for _ in range(length)]


class SyntheticResult(BaseModel):
    """Held-out mean span reward of each selector on the synthetic task."""

    trained: float
    untrained: float
    random: float
    seed_skills: float
    oracle: float
    updates: int
    history: list[float]


def train_and_evaluate(embedder, skills, *, k: int = 3, seed: int = 0, updates: int = 60, batch_episodes: int = 8, episode_length: int = 6,
                       test_spans: int = 200, heldout_templates: bool = False, config=None) -> SyntheticResult:  # noqa: ANN001
    """Train a :class:`SkillController` on the synthetic task (delayed episode reward) and compare it on held-out spans.

    Baselines: the untrained policy, uniformly random K skills, and "seed skills" (the first K of
    insert, update, delete, skip, i.e. only the four seed skills).
    """
    from .controller import SkillControllerConfig, SkillController, Transition, encode_state, skill_matrix

    names = [s.name for s in skills]
    K = skill_matrix(embedder, skills)
    cfg = (config or SkillControllerConfig()).model_copy(update={"top_k": k, "seed": seed})
    ctl = SkillController(embedder.dim, cfg)
    rng = np.random.default_rng(seed)
    test_rng = np.random.default_rng(10_000 + seed)
    test = [make_span(test_rng, "test", heldout_templates) for _ in range(test_spans)]
    embedder.embed(sorted({t for sp in test for t in [sp.text, *sp.memories]}))
    test_states = [encode_state(embedder, s.text, s.memories) for s in test]

    def evaluate(c: SkillController) -> float:
        return float(np.mean([s.reward([names[i] for i in c.select(sv, mv, K, k=k)[0]]) for s, (sv, mv) in zip(test, test_states)]))

    untrained = evaluate(ctl)
    episodes = [[make_episode(rng, episode_length, "train", heldout_templates) for _ in range(batch_episodes)] for _ in range(updates)]
    texts = sorted({t for batch in episodes for ep in batch for sp in ep for t in [sp.text, *sp.memories]})
    for i in range(0, len(texts), 256):
        embedder.embed(texts[i : i + 256])  # batch-embed once (MiniLM caches by content); per-span calls below then hit the cache
    history = []
    for batch_spans in episodes:
        batch = []
        for episode in batch_spans:
            steps, rewards = [], []
            for span in episode:
                sv, mv = encode_state(embedder, span.text, span.memories)
                acts, logp = ctl.select(sv, mv, K, k=k, sample=True)
                steps.append(Transition(span_vec=sv, mem_vec=mv, actions=acts, logp=logp))
                rewards.append(span.reward([names[i] for i in acts]))
            batch.append((steps, float(np.mean(rewards))))  # delayed: one reward for the whole episode
        ctl.update(batch, K)
        history.append(float(np.mean([r for _, r in batch])))
    rand_rng = np.random.default_rng(20_000 + seed)
    random_reward = float(np.mean([s.reward([names[i] for i in rand_rng.permutation(len(names))[:k]]) for s in test]))
    seeds = [n for n in ("insert-memory", "update-memory", "delete-memory", "skip-memory") if n in names][:k]
    seed_reward = float(np.mean([s.reward(seeds) for s in test]))
    oracle = float(np.mean([min(1.0, k / len(BEST[s.kind])) for s in test]))
    return SyntheticResult(trained=evaluate(ctl), untrained=untrained, random=random_reward, seed_skills=seed_reward, oracle=oracle, updates=updates, history=history)
