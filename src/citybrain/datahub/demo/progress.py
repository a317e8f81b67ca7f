"""A Rich progress display behind the demo's ``(step, done, total)`` callback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from citybrain.datahub.demo.load import DemoProgress

STEP_LABELS = {
    "catalog": "登记演示目录",
    "generate": "生成部门源数据",
    "persons": "构建人口库",
    "entities": "构建法人库",
}


def label(step: str) -> str:
    """The Chinese label of a step (``ingest <resource>`` → 归集 <resource>)."""
    if step.startswith("ingest "):
        return f"归集 {step.removeprefix('ingest ')}"
    return STEP_LABELS.get(step, step)


@contextmanager
def rich_progress(console: Console) -> Iterator[DemoProgress]:
    """A callback that draws one bar per step on ``console`` while the block runs."""
    tasks: dict[str, TaskID] = {}
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console
    ) as bars:

        def update(step: str, done: int, total: int | None) -> None:
            if step not in tasks:
                tasks[step] = bars.add_task(label(step), total=total)
            bars.update(tasks[step], completed=done, total=total)

        yield update
