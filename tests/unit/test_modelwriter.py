"""Tag replacement over text (smartsim._core.generation.modelwriter), no files involved."""

from __future__ import annotations

import pytest

from smartsim._core.generation.modelwriter import decode_text, replace_tags, tag_pattern


def test_single_tag_replaced_and_recorded() -> None:
    result = replace_tags("thermo ;THERMO;\n", {"THERMO": 10})
    assert result.text == "thermo 10\n"
    assert result.used == {"THERMO": "10"}
    assert result.unused == {}


def test_several_tags_on_one_line_and_at_line_ends() -> None:
    text = ";a; x=;b; y=;c;\n;c;\n"
    result = replace_tags(text, {"a": 1, "b": 2.5, "c": "three"})
    assert result.text == "1 x=2.5 y=three\nthree\n"
    assert list(result.used) == ["a", "b", "c"]


def test_adjacent_tags() -> None:
    assert replace_tags(";a;;b;", {"a": 1, "b": 2}).text == "12"


def test_last_line_without_newline() -> None:
    assert replace_tags("first\nlast ;a;", {"a": "x"}).text == "first\nlast x"


def test_unknown_tag_left_as_it_is_with_line_numbers() -> None:
    text = "x = ;nope;\ny = ;a;\nz = ;nope; ;nope;\n"
    result = replace_tags(text, {"a": 1})
    assert result.text == "x = ;nope;\ny = 1\nz = ;nope; ;nope;\n"
    assert result.unused == {"nope": [1, 3]}


def test_unknown_tag_does_not_hide_a_later_tag() -> None:
    assert replace_tags("v=;nope; w=;a;", {"a": 1}).text == "v=;nope; w=1"


def test_plain_semicolons_are_not_reported() -> None:
    result = replace_tags("cd run; make; echo ;a;\n", {"a": "done"})
    assert result.text == "cd run; make; echo done\n"
    assert result.unused == {}


def test_values_are_written_literally() -> None:
    params = {"path": r"C:\new\data\1", "ref": r"\g<0> \1 $0"}
    result = replace_tags("p=;path; r=;ref;", params)
    assert result.text == r"p=C:\new\data\1 r=\g<0> \1 $0"


def test_replaced_values_are_not_scanned_again() -> None:
    assert replace_tags(";a;", {"a": ";b;", "b": "X"}).text == ";b;"


def test_custom_tag() -> None:
    result = replace_tags("@a@ and ;a;", {"a": 1}, tag="@")
    assert result.text == "1 and ;a;"


@pytest.mark.parametrize("tag", [".", "$", "*", "((", "{{"])
def test_custom_tag_is_regex_escaped(tag: str) -> None:
    text = f"x{tag}a{tag}y xQaQy"
    assert replace_tags(text, {"a": 1}, tag=tag).text == "x1y xQaQy"


def test_line_endings_are_kept() -> None:
    assert replace_tags("a=;a;\r\nb\r\n", {"a": 1}).text == "a=1\r\nb\r\n"


def test_param_name_with_spaces_still_replaced() -> None:
    assert replace_tags("v=;my param;", {"my param": 3}).text == "v=3"


def test_no_params_leaves_text_unchanged() -> None:
    text = "a ;x; b\n;y;"
    result = replace_tags(text, {})
    assert result.text == text
    assert result.unused == {"x": [1], "y": [2]}


@pytest.mark.parametrize("tag", ["", "a\nb"])
def test_invalid_tag(tag: str) -> None:
    with pytest.raises(ValueError, match="tag"):
        tag_pattern(tag)


def test_decode_text() -> None:
    assert decode_text("héllo ;a;".encode()) == "héllo ;a;"
    assert decode_text(b"ab\0cd") is None
    assert decode_text(b"\xff\xfe\xfa") is None
