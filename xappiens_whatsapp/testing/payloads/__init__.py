"""Sample provider payloads, shared by both test tiers and the simulator."""

import json
from pathlib import Path

from xappiens_whatsapp.core.signatures import serialise as compact

HERE = Path(__file__).parent


def inbox_hub(name: str) -> dict:
	return json.loads((HERE / "inbox_hub" / f"{name}.json").read_text())


def inbox_hub_names() -> list[str]:
	return sorted(p.stem for p in (HERE / "inbox_hub").glob("*.json"))


__all__ = ["compact", "inbox_hub", "inbox_hub_names"]
