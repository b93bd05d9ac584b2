"""What users read stays true: SPEC.md's contract columns exist with their
types, the README's table of tables names every stored table and column and nothing that is not
stored, and its example queries run; every command and option in the README's and SPEC.md's
command tables exists; the README names every NEWSFLOW_ variable the code reads."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from tests.conftest import REPO, SHARED
from transforms.records import Article, Entity, Removal
from warehouse import db as wdb
from warehouse import store
from warehouse.query import run_query

NOW = datetime(2024, 1, 1, tzinfo=timezone.utc)
SQL_TYPES = {"VARCHAR": "VARCHAR", "TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE"}


def top_level(text: str) -> str:
    """The text without its parenthesised asides (which name values, not columns)."""
    while (shorter := re.sub(r"\([^()]*\)", "", text)) != text:
        text = shorter
    return text


def names(text: str) -> list[str]:
    """The backticked names of a list such as "`a` (aside), `b`: what they are", up to its colon."""
    return re.findall(r"`(\w+)`", top_level(text).split(":", 1)[0])


def columns(db) -> dict[str, dict[str, str]]:
    with wdb.connect(db, read_only=True) as conn:
        rows = conn.execute("""SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
                               JOIN information_schema.tables t USING (table_name)
                               WHERE t.table_type = 'BASE TABLE'""").fetchall()
    found: dict[str, dict[str, str]] = {}
    for table, column, kind in rows:
        found.setdefault(table, {})[column] = kind
    return found


@pytest.fixture
def warehouse(db):
    """A migrated warehouse holding an article and its copy, as a load stores them."""
    stored = [Article(article_id=f"id{i}", url=f"https://example.org/{i}", feed_url="https://example.org/feed",
                      title="Storm hits the coast", text="A storm hit the coast on Monday.", published_at=NOW,
                      text_source="page", content_hash="h", story_id="id0", duplicate_of="id0" if i else None,
                      entities=[Entity("Maria Lopez", "PERSON", 0, 11)], removals=[Removal("byline", "By X")],
                      band_keys=[7]) for i in range(2)]
    with wdb.connect(db) as conn:
        wdb.migrate(conn)
        store.load_batch(conn, stored, [], [], now=NOW)
    return db


def test_spec_contract_columns_exist_with_their_types(warehouse) -> None:
    spec = SHARED / "SPEC.md"
    if not spec.exists():
        pytest.skip(f"{spec} not available")
    section = spec.read_text(encoding="utf-8").split("## Warehouse", 1)[1].split("\n## ", 1)[0]
    contract = {m.group(1): m.group(2) for m in re.finditer(r"^- `(\w+)`: (.*?)(?=^- |^\S|\Z)", section, re.M | re.S)}
    assert set(contract) >= {"articles", "entities", "feeds"}
    found = columns(warehouse)
    for table, text in contract.items():
        missing = set(names(text)) - set(found.get(table, {}))
        assert not missing, f"SPEC.md's {table} columns not in the warehouse: {sorted(missing)}"
        for column, kind in re.findall(r"`(\w+)` \((VARCHAR|TIMESTAMPTZ)\b", text):
            assert found[table][column] == SQL_TYPES[kind], (table, column)
    with wdb.connect(warehouse, read_only=True) as conn:
        keys = conn.execute("SELECT constraint_column_names FROM duckdb_constraints()"
                            " WHERE table_name = 'articles' AND constraint_type = 'PRIMARY KEY'").fetchall()
    assert keys == [(["article_id"],)]


def test_readme_documents_every_stored_table_and_column_and_no_other(warehouse) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    documented = {m.group(1): names(m.group(2)) for m in re.finditer(r"^\| `(\w+)` \| (.*) \|$", readme, re.M)}
    found = columns(warehouse)
    assert set(documented) == set(found), "tables: README vs warehouse"
    for table, stored in found.items():
        assert sorted(documented[table]) == sorted(stored), f"README's columns of {table}"
    views = re.search(r"^\| views \| (.*) \|$", readme, re.M)
    assert views and set(names(views.group(1))) == {"unique_articles", "story_summary"}


def test_readme_example_queries_run(warehouse) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Querying", 1)[1].split("\n## ", 1)[0]
    queries = re.findall(r'^newsflow sql "(.*?)"', section, re.M)
    assert len(queries) >= 5
    results = {sql: run_query(warehouse, sql) for sql in queries}
    titles = next(rows for sql, rows in results.items() if "FROM unique_articles" in sql)[1]
    assert [row[0] for row in titles] == ["Storm hits the coast"]  # the copy is not an unique article
    people = next(rows for sql, rows in results.items() if "FROM entities" in sql)[1]
    assert people == [("Maria Lopez", 2)]


def command_rows(markdown: str) -> list[str]:
    """The commands of a `| command | does |` table: "newsflow run [--feeds FILE] ..." per row."""
    return re.findall(r"^\| `(newsflow [^|]*?)` \|", markdown.replace("\\|", "¦"), re.M)


@pytest.mark.parametrize("document", ["README.md", "SPEC.md"])
def test_every_documented_command_and_option_exists(document) -> None:
    import typer.main

    from newsflow.cli import app

    path = REPO / document if document == "README.md" else SHARED / document
    if not path.exists():
        pytest.skip(f"{path} not available")
    rows = command_rows(path.read_text(encoding="utf-8"))
    assert len(rows) >= 6
    commands = typer.main.get_command(app).commands
    for row in rows:
        name = row.split()[1]
        assert name in commands, f"{document}: no command {name!r}"
        command = commands[name]
        if hasattr(command, "commands"):  # a group: `feeds list ¦ add URL [--name N] ¦ ...`
            parts = [part.strip() for part in re.sub(r"^newsflow \w+ ", "", row).split("¦")]
            pairs = [(command.commands.get(part.split()[0]), part) for part in parts]
            assert all(sub for sub, _ in pairs), f"{document}: newsflow {name} lacks one of {parts}"
        else:
            pairs = [(command, row)]
        for sub, text in pairs:
            options = {opt for param in sub.params for opt in getattr(param, "opts", ())}
            missing = set(re.findall(r"--[\w-]+", text)) - options
            assert not missing, f"{document}: {text!r} has no {sorted(missing)}"


def test_every_environment_variable_is_documented_and_every_documented_one_is_read() -> None:
    readme = set(re.findall(r"NEWSFLOW_[A-Z_]+", (REPO / "README.md").read_text(encoding="utf-8")))

    def read_in(*patterns: str) -> set[str]:
        return {name for pattern in patterns for path in REPO.glob(pattern)
                for name in re.findall(r"NEWSFLOW_[A-Z_]+", path.read_text(encoding="utf-8"))}
    product = read_in("flows/*.py", "transforms/*.py", "warehouse/*.py", "newsflow/*.py", "connectors/*.py")
    assert len(product) >= 5
    assert product <= readme, f"read by the code, not in the README: {sorted(product - readme)}"
    everywhere = product | read_in("tests/*.py", "bench/*.py", "docker-compose.yml", "Dockerfile", ".ci/run")
    assert readme <= everywhere, f"in the README, read nowhere: {sorted(readme - everywhere)}"
