"""``python -m align_theory.llm llm run …`` (the same commands as ``align llm …``)."""

import sys

from align_theory.llm.cli import main

sys.exit(main())
