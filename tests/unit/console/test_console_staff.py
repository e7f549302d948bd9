"""Console staff, roles and the money typed by staff."""

from __future__ import annotations

import pytest
from werkzeug.security import generate_password_hash

from cloud_service.console import ops
from cloud_service.console.staff import authenticate, parse_users
from cloud_service.console.timeline import gateway_base
from cloud_service.errors import CloudError

HASH = generate_password_hash("s3cret", method="pbkdf2:sha256:1000")


def test_users_are_parsed_with_their_roles_and_hashes_containing_colons() -> None:
    users = parse_users(f"ann:ADMIN:{HASH}, bob:VIEWER:{HASH}")
    assert users["ann"].role == "ADMIN" and users["ann"].password_hash == HASH
    assert users["bob"].may("VIEWER") and not users["bob"].may("OPERATOR")
    assert users["ann"].may("OPERATOR")
    assert parse_users("") == {}


@pytest.mark.parametrize("value", [f"ann:ROOT:{HASH}", "ann:ADMIN:", f":ADMIN:{HASH}"])
def test_a_malformed_user_entry_stops_the_start(value: str) -> None:
    with pytest.raises(ValueError, match="name:ROLE:hash"):
        parse_users(value)


def test_only_the_right_password_signs_in() -> None:
    users = parse_users(f"ann:OPERATOR:{HASH}")
    assert authenticate(users, "ann", "s3cret") == users["ann"]
    assert authenticate(users, "ann", "wrong") is None
    assert authenticate(users, "ann", "") is None
    assert authenticate(users, "nobody", "s3cret") is None


@pytest.mark.parametrize(("text", "fen"), [("12.50", 1250), ("0.01", 1), ("3", 300)])
def test_yuan_typed_by_staff_becomes_integer_fen(text: str, fen: int) -> None:
    assert ops.yuan_to_fen(text) == fen


@pytest.mark.parametrize("text", ["", "abc", "0", "-1", "1.234", "NaN", "Infinity"])
def test_an_amount_that_is_not_money_is_refused_with_1009(text: str) -> None:
    with pytest.raises(CloudError) as refused:
        ops.yuan_to_fen(text)
    assert refused.value.result_code == "1009"


def test_the_gateway_base_drops_the_envelope_path() -> None:
    assert gateway_base("http://127.0.0.1:8100/gateway") == "http://127.0.0.1:8100"
    assert gateway_base("http://gw.example/") == "http://gw.example"
