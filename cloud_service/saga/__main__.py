"""``python -m cloud_service.saga``: print the life-cycle table (saga.states.LIFE_CYCLE)."""

from __future__ import annotations

import sys
from typing import TextIO

from cloud_service.saga.states import FINAL, LIFE_CYCLE


def print_table(out: TextIO) -> None:
    """Every state, in life-cycle order: label, allowed moves, next step, what undoes it."""
    out.write("Order life cycle (DESIGN §5) 订单生命周期\n\n")
    for state, stage in LIFE_CYCLE.items():
        final = "  [final 终态]" if state in FINAL else ""
        out.write(f"{state}  {stage.label}{final}\n")
        out.write(f"  moves to 可转到 : {', '.join(sorted(stage.moves)) or '-'}\n")
        out.write(f"  next step 下一步: {' / '.join(stage.steps) or '-'}\n")
        undo = f"{stage.undo} - {stage.undo_how}" if stage.undo else stage.undo_how
        out.write(f"  undo 撤销       : {undo}\n\n")


if __name__ == "__main__":
    print_table(sys.stdout)
