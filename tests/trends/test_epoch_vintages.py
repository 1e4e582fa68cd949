"""Epoch's CSVs: every vintage parses (numbers, dates, links, domains, and why a row is skipped),
and importing one into the curated ``models`` table is an idempotent upsert in which the newest
vintage's row of a system counts."""

from __future__ import annotations

from datetime import date

import pytest

from paramtrack.core.domains import DOMAINS
from paramtrack.trends.epoch_csv import (
    arxiv_id_from_links,
    parse_date,
    parse_epoch_csv,
    parse_number,
    primary_domain,
)
from paramtrack.warehouse.models_store import read_curated
from paramtrack.warehouse.trends_store import recompute_due


def test_number_and_date_formats():
    assert parse_number("3.40E+08") == 3.4e8
    assert parse_number("340000000.0") == 3.4e8
    assert parse_number("1,000") == 1000
    assert parse_number("N/A") is None and parse_number("") is None and parse_number(None) is None
    with pytest.raises(ValueError):
        parse_number("about 3B")
    assert parse_date("02/07/1950") == date(1950, 7, 2)
    assert parse_date("2025-03-14") == date(2025, 3, 14)
    assert parse_date("2023-11-21 01:39") == date(2023, 11, 21)
    assert parse_date("") is None
    with pytest.raises(ValueError):
        parse_date("2019")


def test_links_and_domains():
    assert arxiv_id_from_links("https://arxiv.org/abs/2204.02311v2") == "2204.02311"
    assert (
        arxiv_id_from_links(
            "https://blog.x/post, https://arxiv.org/pdf/2005.14165.pdf; https://arxiv.org/abs/1706.03762"
        )
        == "2005.14165"
    )
    assert arxiv_id_from_links("https://papers.nips.cc/paper/7181") is None
    assert arxiv_id_from_links("http://arxiv.org/abs/hep-th/9901001") == "hep-th/9901001"
    assert primary_domain("Language") == "language"
    assert primary_domain("VIsion") == "vision"
    assert primary_domain("Drawing") == "vision"
    assert primary_domain("Language,Vision") == "multimodal"
    assert primary_domain("Multimodal,Language,Vision") == "multimodal"
    assert primary_domain("Vision,Image generation") == "vision"
    assert primary_domain("Biology,Language") == "language"
    assert primary_domain("Biology") == "other"
    assert primary_domain("") is None


def test_skip_reasons_and_kept_rows_without_parameters(tmp_path):
    csv = (
        "System,Domain,Publication date,Parameters,Link\n"
        "A,Language,01/02/2020,3.40E+08,https://arxiv.org/abs/2001.00001\n"
        ",Vision,01/02/2020,1.00E+06,\n"  # no name
        "B,Vision,,1.00E+06,\n"  # no date
        "C,Vision,2020,1.00E+06,\n"  # bare year: unparseable
        "D,Games,05/06/2019,N/A,\n"  # no parameters: kept
        "E,Games,05/06/2019,lots,\n"  # garbage parameters
        "F,Speech,05/06/2019,0.00E+00,\n"  # zero = unknown: kept, NULL
    )
    r = parse_epoch_csv(tmp_path / "t.csv", text=csv)
    assert [row["system"] for row in r.rows] == ["A", "D", "F"]
    assert r.rows[0]["arxiv_id"] == "2001.00001" and r.rows[0]["source_row"] == 1
    assert r.rows[1]["parameters"] is None and r.rows[2]["parameters"] is None
    reasons = {s.row: s.reason for s in r.skipped}
    assert reasons[2] == "missing system name"
    assert reasons[3] == "missing publication date"
    assert reasons[4].startswith("unparseable publication date")
    assert reasons[6].startswith("unparseable parameters")


def test_every_vintage_parses(epoch_dir, vintage):
    r = parse_epoch_csv(epoch_dir / vintage)
    assert len(r.rows) > 300
    assert sum(row["parameters"] is not None for row in r.rows) > 200
    assert sum(row["arxiv_id"] is not None for row in r.rows) > 100
    assert all(row["publication_date"] is not None for row in r.rows)
    assert {row["domain"] for row in r.rows} <= {None, *DOMAINS}


def test_import_is_idempotent_and_upserts(warehouse, import_epoch, pcd_csv):
    path = pcd_csv
    parsed, first = import_epoch(warehouse, path)
    assert first.inserted == len(parsed.rows) == 362 and first.skipped == 150
    assert first.skip_reasons == {"missing system name": 150}
    with warehouse.read() as con:
        n_models = con.execute("SELECT count(*) FROM models").fetchone()[0]
        n_events = con.execute("SELECT count(*) FROM dataset_events").fetchone()[0]
        snapshot = con.execute("SELECT * FROM models ORDER BY model_id").fetchall()
        gpt3 = con.execute(
            "SELECT arxiv_id, parameters, domain, source_row FROM models WHERE system = 'GPT-3 175B'"
        ).fetchall()
    assert n_models == 362 and n_events == 1
    assert gpt3 and gpt3[0][0] == "2005.14165" and gpt3[0][1] == 1.75e11 and gpt3[0][2] == "language"
    # same file again: nothing changes, no dataset event
    _, again = import_epoch(warehouse, path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 362)
    with warehouse.read() as con:
        assert con.execute("SELECT * FROM models ORDER BY model_id").fetchall() == snapshot
        assert con.execute("SELECT count(*) FROM dataset_events").fetchone()[0] == 1
    # an edited copy with the same name: the changed (file, row) is updated in place
    text = path.read_text(encoding="utf-8-sig").replace("1.75E+11", "1.76E+11", 1)
    _, edited = import_epoch(warehouse, path, text=text)
    assert edited.updated >= 1 and edited.inserted == 0
    with warehouse.read() as con:
        assert con.execute("SELECT count(*) FROM models").fetchone()[0] == 362
        assert con.execute("SELECT count(*) FROM dataset_events").fetchone()[0] == 2


def test_two_vintages_do_not_double_count(warehouse, import_epoch, epoch_dir):
    import_epoch(warehouse, epoch_dir / "pcd_notable_ml_systems_2022-09.csv")
    import_epoch(warehouse, epoch_dir / "pcd_all_ml_systems_2023-03.csv")
    with warehouse.read() as con:
        df = read_curated(con)
        due = recompute_due(con)
    assert due
    assert df["system"].str.lower().duplicated().sum() < 5  # only genuine same-name rows in one file
    old = {r["system"].lower() for r in parse_epoch_csv(epoch_dir / "pcd_notable_ml_systems_2022-09.csv").rows}
    new = {r["system"].lower() for r in parse_epoch_csv(epoch_dir / "pcd_all_ml_systems_2023-03.csv").rows}
    both = df[df["system"].str.lower().isin(old & new)]
    assert len(old & new) > 300
    assert set(both["source_file"]) == {"pcd_all_ml_systems_2023-03.csv"}  # newest import wins
