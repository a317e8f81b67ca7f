from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from ingest_fixtures import HEADER, fake_people, people_csv

from citybrain.datahub.ingest.connectors import ConnectorError, CsvConnector, SourceRecord


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_gbk_file_with_chinese_header_is_decoded_as_gb18030(tmp_path: Path) -> None:
    people = fake_people(5)
    path = write(tmp_path, "低保对象.csv", people_csv(people).encode("gbk"))
    connector = CsvConnector(path)
    assert connector.encoding == "gb18030"
    assert connector.columns() == HEADER
    records = list(connector.iter_records())
    assert records == [SourceRecord(row, person) for row, person in enumerate(people, start=2)]


def test_gb18030_only_characters_survive(tmp_path: Path) -> None:
    # 䶮 is outside GBK; a file written by a GB18030 system must still read back exactly.
    path = write(tmp_path, "a.csv", "姓名,备注\n刘䶮,𠀾\n".encode("gb18030"))
    assert [r.values for r in CsvConnector(path).iter_records()] == [{"姓名": "刘䶮", "备注": "𠀾"}]


def test_utf8_with_bom_has_no_bom_in_first_column_name(tmp_path: Path) -> None:
    people = fake_people(2, seed=1)
    path = write(tmp_path, "bom.csv", b"\xef\xbb\xbf" + people_csv(people).encode("utf-8"))
    connector = CsvConnector(path)
    assert connector.encoding == "utf-8"
    assert connector.columns()[0] == "姓名"
    assert [r.values for r in connector.iter_records()] == people


def test_utf8_without_bom(tmp_path: Path) -> None:
    people = fake_people(3, seed=2)
    path = write(tmp_path, "plain.csv", people_csv(people).encode("utf-8"))
    connector = CsvConnector(path)
    assert (connector.encoding, connector.delimiter) == ("utf-8", ",")
    assert [r.values["户籍地址"] for r in connector.iter_records()] == [
        p["户籍地址"] for p in people
    ]


@pytest.mark.parametrize("delimiter", ["\t", ";", "|", ","])
def test_delimiter_is_detected(tmp_path: Path, delimiter: str) -> None:
    people = fake_people(4, seed=3)
    path = write(tmp_path, "d.csv", people_csv(people, delimiter).encode("gbk"))
    connector = CsvConnector(path)
    assert connector.delimiter == delimiter
    assert [r.values for r in connector.iter_records()] == people


def test_quoted_delimiter_and_newline_inside_a_field_keep_line_numbers(tmp_path: Path) -> None:
    text = (
        '姓名,户籍地址,备注\n张伟,"甘肃省张掖市民乐县, 洪水镇",\n'
        '\n李娜,"一行\n两行",好\n王芳,南丰乡,\n'
    )
    records = list(CsvConnector(write(tmp_path, "q.csv", text.encode("utf-8"))).iter_records())
    assert records == [
        SourceRecord(2, {"姓名": "张伟", "户籍地址": "甘肃省张掖市民乐县, 洪水镇", "备注": None}),
        SourceRecord(4, {"姓名": "李娜", "户籍地址": "一行\n两行", "备注": "好"}),
        SourceRecord(6, {"姓名": "王芳", "户籍地址": "南丰乡", "备注": None}),
    ]


def test_blank_and_comma_only_lines_are_skipped_and_header_names_trimmed(tmp_path: Path) -> None:
    text = "\n 姓名 , 性别\t\n\n张伟,男\n,\n ,  \n李娜,女\n"
    connector = CsvConnector(write(tmp_path, "b.csv", text.encode("gbk")), delimiter=",")
    assert connector.columns() == ["姓名", "性别"]
    assert [(r.row, r.values["姓名"]) for r in connector.iter_records()] == [
        (4, "张伟"),
        (7, "李娜"),
    ]


def test_row_with_too_few_fields_names_line_and_first_missing_field(tmp_path: Path) -> None:
    text = "姓名,公民身份号码,性别\n张伟,620722199001011234,男\n\n李娜,620722199202021222\n"
    connector = CsvConnector(write(tmp_path, "r.csv", text.encode("gbk")))
    with pytest.raises(ConnectorError) as caught:
        list(connector.iter_records())
    assert (caught.value.code, caught.value.row, caught.value.field) == ("ragged_row", 4, "性别")
    assert "第 4 行有 2 个字段，表头有 3 个" in caught.value.message_zh


def test_row_with_too_many_fields(tmp_path: Path) -> None:
    text = "姓名,性别\n张伟,男\n李娜,女,多余\n"
    with pytest.raises(ConnectorError) as caught:
        list(CsvConnector(write(tmp_path, "r.csv", text.encode("utf-8"))).iter_records())
    assert (caught.value.code, caught.value.row, caught.value.field) == ("ragged_row", 3, None)


def test_ragged_rows_can_be_recorded_for_quarantine(tmp_path: Path) -> None:
    text = "姓名,性别\n张伟\n李娜,女\n"
    connector = CsvConnector(write(tmp_path, "r.csv", text.encode("utf-8")), row_errors="record")
    first, second = connector.iter_records()
    assert first.values == {"姓名": "张伟", "性别": None}
    assert first.error is not None
    assert (first.error.code, first.error.row) == ("ragged_row", 2)
    assert second == SourceRecord(3, {"姓名": "李娜", "性别": "女"})


def test_byte_of_another_encoding_after_the_sample_is_reported_with_its_line(
    tmp_path: Path,
) -> None:
    lines = ["编号,姓名"] + [f"{i},张伟{i}" for i in range(1, 8001)]  # about 100 KiB of UTF-8
    data = ("\n".join(lines) + "\n").encode("utf-8") + "8001,李娜\n".encode("gbk")
    connector = CsvConnector(write(tmp_path, "mixed.csv", data))
    assert connector.encoding == "utf-8"
    with pytest.raises(ConnectorError) as caught:
        list(connector.iter_records())
    assert (caught.value.code, caught.value.row) == ("bad_encoding", 8002)


def test_declared_encoding_that_does_not_fit(tmp_path: Path) -> None:
    path = write(tmp_path, "g.csv", "姓名,性别\n张伟,男\n".encode("gbk"))
    with pytest.raises(ConnectorError) as caught:
        CsvConnector(path, encoding="utf-8").columns()
    assert (caught.value.code, caught.value.row) == ("bad_encoding", 1)


def test_undetectable_bytes_are_a_bad_encoding(tmp_path: Path) -> None:
    path = write(tmp_path, "x.csv", b"\x81\x30" * 3 + b"\xff\xfe\xfd" * 10)
    with pytest.raises(ConnectorError) as caught:
        CsvConnector(path).columns()
    assert caught.value.code == "bad_encoding"


@pytest.mark.parametrize(
    ("header", "code", "field"),
    [("姓名,性别,姓名", "duplicate_header", "姓名"), ("姓名,性别, ,住址", "missing_header", "C")],
)
def test_bad_header(tmp_path: Path, header: str, code: str, field: str) -> None:
    path = write(tmp_path, "h.csv", f"{header}\n".encode("gbk"))
    with pytest.raises(ConnectorError) as caught:
        CsvConnector(path).columns()
    assert (caught.value.code, caught.value.row, caught.value.field) == (code, 1, field)


def test_empty_file_has_no_header(tmp_path: Path) -> None:
    with pytest.raises(ConnectorError) as caught:
        CsvConnector(write(tmp_path, "e.csv", b"\n\n")).columns()
    assert caught.value.code == "missing_header"


def test_oversized_field_is_a_csv_error_with_line(tmp_path: Path) -> None:
    path = write(tmp_path, "n.csv", b"a,b\n1,2\n3," + b"x" * 200_000 + b"\n4,5\n")
    with pytest.raises(ConnectorError) as caught:
        list(CsvConnector(path).iter_records())
    assert (caught.value.code, caught.value.row) == ("bad_csv", 3)


def test_million_rows_stream_in_constant_memory(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import resource, sys
        from citybrain.datahub.ingest.connectors import CsvConnector
        count = 0
        for record in CsvConnector(sys.argv[1]).iter_records():
            count += 1
            last = record
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(count, last.row, last.values["姓名"], peak_kib)
        """
    )

    def run(rows: int) -> list[str]:
        path = tmp_path / f"{rows}.csv"
        with path.open("w", encoding="gb18030", newline="") as out:
            out.write("编号,姓名,金额\n")
            out.writelines(f"{i},张伟{i % 100},{i * 3}\n" for i in range(rows))
        src = str(Path(__file__).resolve().parents[3] / "src")
        done = subprocess.run(  # noqa: S603 - argv is this interpreter and our own script
            [sys.executable, "-c", script, str(path)],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONPATH": src},
        )
        return done.stdout.split()

    small, big = run(10), run(1_000_000)
    assert big[:3] == ["1000000", "1000001", "张伟99"]
    # Holding the rows would take hundreds of MB; streaming stays within a few MB of a 10-row run.
    assert int(big[3]) - int(small[3]) < 20 * 1024
