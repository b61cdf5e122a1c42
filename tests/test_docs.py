"""The documentation names what the code reads."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# A variable the settings module reads: the name passed as a string to one of its parsers.
READ = re.compile(r'\(\s*(?:env,\s*)?"((?:GATEWAY|AT)_[A-Z_]+|DATABASE_URL|REDIS_URL|SECRET_KEY)"')


def test_configuration_page_lists_every_setting() -> None:
    """An operator finds every setting the gateway reads, and no other, in docs/configuration.md."""
    read = set(READ.findall((ROOT / "gateway" / "settings.py").read_text(encoding="utf-8")))
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    table = page.split("## Settings", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `([A-Z_]+)` \|", table, re.MULTILINE))
    assert len(read) > 30
    assert listed == read
