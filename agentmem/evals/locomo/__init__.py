"""LoCoMo: data (``data``), retrieval evaluation (``retrieval``, ``proxy_data`` for proxy training),
QA (``qa``), MemSkill fact memory (``memskill``) and the evaluation harness (``harness``)."""
