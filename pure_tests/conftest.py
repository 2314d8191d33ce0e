"""The pure tier runs from a plain checkout: make the app package importable without installing it.

Property tests are deterministic: every run draws the same examples (derandomize), so a failure seen once is seen
again, and no example database is written. No deadline either: a loaded machine is not a failing test.
With XW_HYPOTHESIS_PROFILE=mutation (set by dev/mutation) a tenth of the examples run, since each mutant reruns the
tests. (An environment variable, because pytest reads --hypothesis-profile before it loads this file.)
"""

import os
import sys
from pathlib import Path

from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
	sys.path.insert(0, str(ROOT))

settings.register_profile("pure", derandomize=True, deadline=None, max_examples=100)
settings.register_profile("mutation", settings.get_profile("pure"), max_examples=10)
settings.load_profile(os.environ.get("XW_HYPOTHESIS_PROFILE", "pure"))
