"""What the window shows about the learnt taste: plain data, safe to hand to the GUI thread."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TasteState:
    learnt: bool  # a taste model was fitted (offered or not)
    offered: bool  # "sort by your taste" is available
    reason: str  # why it is offered (with the numbers), or why not
    explanation: str = ""  # "You value Environment and Outfit more than the average rater."
    emphasis: dict[str, float] = field(default_factory=dict)  # dimension key -> signed share
    rated: int = 0


NOT_LEARNT = TasteState(
    False, False, "No taste learnt yet: rate photos (stars, picks, rejects) and it learns them."
)
