"""In Lambda each worker, schedule and receipt handler is loaded from its own module, without app.py (that is what
`chalice package` writes as its Handler): the app's middleware must wrap it all the same, or its logs lose their
context and its metrics are never flushed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FUNCTIONS_DIR = Path(__file__).resolve().parents[2] / "functions"


def _handler_strings() -> list[str]:
    script = ("import json, sys; sys.path.insert(0, '.'); from app import app;"
              "print(json.dumps([s.handler_string for s in app.event_sources]"
              " + [f.handler_string for f in app.pure_lambda_functions]))")
    result = subprocess.run([sys.executable, "-c", script], cwd=FUNCTIONS_DIR, capture_output=True, text=True,
                            check=True, env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "eu-west-2"})
    return list(json.loads(result.stdout.strip().splitlines()[-1]))


def test_every_handler_loaded_alone_is_wrapped_in_the_log_context_and_the_metrics_flush() -> None:
    handlers = _handler_strings()
    assert len(handlers) >= 10
    for handler in handlers:
        module, _, name = handler.rpartition(".")
        # A fresh interpreter that imports only what Lambda imports for this function.
        script = (f"import sys; sys.path.insert(0, '.'); import importlib; h = getattr(importlib.import_module("
                  f"{module!r}), {name!r}); assert 'app' not in sys.modules; "
                  "print(' '.join(getattr(m._wrapper, '__qualname__', '?') for m in h.middleware_handlers))")
        result = subprocess.run([sys.executable, "-c", script], cwd=FUNCTIONS_DIR, capture_output=True, text=True,
                                env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "eu-west-2",
                                     "POWERTOOLS_TRACE_DISABLED": "true"})
        assert result.returncode == 0, result.stderr[-2000:]
        wrappers = result.stdout.split()
        # The logger's context (inject_lambda_context's inner decorator) first, the metrics flush last.
        assert len(wrappers) == 2 and wrappers[-1] == "Metrics.log_metrics", (handler, wrappers)
