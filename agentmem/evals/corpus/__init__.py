"""Retrieval on any corpus: a documented JSONL format (:mod:`.format`), scoring and proxy training (:mod:`.run`)."""
