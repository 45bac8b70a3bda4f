"""The shape tree the validators are compiled from: `shapes.json` (built by
`tools/gen_shapes.py` from botocore's model corrected with dynalite's per-operation specs),
which sits beside this package in `api/request/`, loaded once: `SHAPES` by shape name, and
each operation's input shape and rule tree under "operations".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

Json = Any

DOC: Final[dict[str, Any]] = json.loads((Path(__file__).parents[1] / "shapes.json").read_text())
SHAPES: Final[dict[str, dict[str, Any]]] = DOC["shapes"]
