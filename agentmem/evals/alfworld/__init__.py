"""ALFWorld: data (``data``), the TextWorld environment adapter (``env``), agents that play it
(``agents``, ``expert``), the memory they read (``memory``) and the evaluation harness (``harness``)."""
