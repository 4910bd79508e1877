"""Reading a file of accounts to enrol: the header, odd rows, a byte-order mark."""

from __future__ import annotations

from rekap.capture.access import Role
from rekap.capture.enrolment import read_enrolment


def _known(code: str) -> bool:
    return code.startswith("7471")


def test_a_byte_order_mark_capitals_and_spaces_are_read() -> None:
    read = read_enrolment("\ufeffName , ROLE,Scope\n A ,OFFICER, 7471011005001 \n", _known)
    assert read.problems == () and read.wanted == (("A", Role.OFFICER, "7471011005001"),)
    lacking = read_enrolment("nama,role,scope\n", _known).problems
    assert lacking == (
        "line 1: the header lacks the column(s) name (it needs name, role and scope, in any order)",
    )


def test_rows_that_cannot_be_accounts_are_named() -> None:
    text = "scope,name,role\n7471,V,verifier,extra\n,Admin,admin\n9999,V,verifier\n"
    read = read_enrolment(text, _known)
    assert read.wanted == (("Admin", Role.ADMIN, ""),)
    assert read.problems == (
        "line 2: more cells than the header names",
        "line 4: no region 9999 in the 2024 region tree",
    )


def test_an_empty_file_names_no_account() -> None:
    assert read_enrolment("name,role,scope\n", _known).problems == ("the file names no account",)
    assert read_enrolment("", _known).problems[0].startswith("line 1: the header lacks")
