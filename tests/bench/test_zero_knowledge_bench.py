"""The zero-knowledge benchmark table: each ZK row carries its cost relative to the plain row before it."""

from __future__ import annotations

from bench.zero_knowledge import table


def test_table_reports_each_zk_row_against_its_plain_row() -> None:
    rows = [
        {"what": "session proof, plain", "cpu_s": 2.0, "bytes": 2048, "gate_rows": 100, "degree_bits": 8},
        {"what": "session proof, zero knowledge", "cpu_s": 2.2, "bytes": 3072, "gate_rows": 100, "degree_bits": 8},
        {"what": "aggregation, plain", "cpu_s": 4.0, "bytes": 1024, "gate_rows": 7000, "degree_bits": 13},
        {"what": "aggregation, zero knowledge", "cpu_s": 3.8, "bytes": 1024, "gate_rows": 7100, "degree_bits": 13},
    ]
    lines = table(rows).splitlines()
    assert len(lines) == 2 + len(rows)
    assert lines[2] == "| session proof, plain | 2.00 |  | 2 | 100 / 2^8 |"
    assert lines[3] == "| session proof, zero knowledge | 2.20 | +10% | 3 | 100 / 2^8 |"
    assert lines[5].split(" | ")[2] == "-5%"
