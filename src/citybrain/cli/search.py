"""``citybrain search``: rebuild the global search index from its providers."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from citybrain import domains
from citybrain.cli.context import cli_session, console
from citybrain.search import service
from citybrain.search.kinds import kind_title

app = typer.Typer(help="全局检索")


@app.command("reindex")
def reindex(
    kind: Annotated[
        list[str] | None, typer.Option("--kind", help="只重建这几类 (缺省: 全部)")
    ] = None,
) -> None:
    """从数据目录、专报等来源重建检索索引 (更换分词方式后必须执行)."""
    providers = domains.search_providers()
    unknown = sorted(set(kind or []) - set(providers))
    if unknown:
        console.print(f"[red]未知的类别: {', '.join(unknown)}[/red] (可选: {', '.join(providers)})")
        raise typer.Exit(code=2)
    with console.status("重建索引中…"), cli_session() as session:
        counts = service.reindex(session, providers=providers, kinds=kind or None)
    table = Table(title="检索索引")
    table.add_column("类别")
    table.add_column("文档数", justify="right")
    for name, count in counts.items():
        table.add_row(kind_title(name), str(count))
    console.print(table)
