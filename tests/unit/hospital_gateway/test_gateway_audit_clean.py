"""What may enter an audit row: header tokens only, ID numbers masked when unverified."""

from __future__ import annotations

from hospital_gateway.audit import UNREADABLE, AuditEntry, clean


def test_verified_token_is_kept_as_written() -> None:
    msg_id = "CLOUD20261126142600123456789012abcd"
    assert clean(msg_id, 64, verified=True) == msg_id


def test_unverified_id_card_number_is_masked() -> None:
    assert "110105198001010016" not in clean("CLOUD110105198001010016", 64, verified=False)


def test_names_and_free_text_are_never_stored() -> None:
    assert clean("CLOUD张伟", 64, verified=True) == UNREADABLE
    assert clean({"name": "张伟"}, 64, verified=False) == UNREADABLE
    assert clean(None, 64, verified=False) == ""


def test_values_are_cut_to_the_column() -> None:
    assert clean("A" * 40, 16, verified=True) == "A" * 16
    assert clean("A" * 100, 64, verified=True) == UNREADABLE


def test_entry_takes_routing_facts_from_the_header_only() -> None:
    head = {
        "trade_code": "1001",
        "msg_id": "M1",
        "trace_id": "T1",
        "sender": "CLOUD",
        "receiver": "HIP",
        "id_card_no": "110105198001010016",
    }
    entry = AuditEntry.of(
        "IN",
        head,
        receiver=head["receiver"],
        reply_msg_id=None,
        result_code="0000",
        latency_ms=3,
        verified=True,
    )
    row = entry.row("2026-11-26T14:00:00.000+08:00")
    assert set(row) == {
        "at",
        "direction",
        "trade_code",
        "msg_id",
        "reply_msg_id",
        "trace_id",
        "sender",
        "receiver",
        "result_code",
        "latency_ms",
    }
    assert row["reply_msg_id"] is None
