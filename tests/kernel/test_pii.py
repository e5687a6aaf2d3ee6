import pytest

from huikuan.kernel.names import honorific
from huikuan.kernel.pii import (
    cn_id_check_char,
    hash_id_number,
    mask_email,
    mask_id_number,
    mask_phone,
    phone_tail,
    validate_cn_id,
    validate_uscc,
)


def test_phone_masks() -> None:
    assert mask_phone("13812341234") == "138****1234"
    assert phone_tail("13812341234") == "尾号1234"
    assert mask_email("zhangsan@qq.com") == "z***@qq.com"


def test_id_numbers_show_their_last_four_characters_only() -> None:
    assert mask_id_number("11010519491231002X") == "**************002X"
    assert mask_id_number(" 1234 ") == "****"
    assert mask_id_number("") == ""


def test_resident_id_checksum() -> None:
    # 11010519491231002X is the standard's own worked example (GB 11643-1999).
    assert validate_cn_id("11010519491231002X") is None
    assert validate_cn_id("110105194912310021") == "check character does not match"
    assert validate_cn_id("11010519491331002X") is not None  # month 13
    assert validate_cn_id("1101051949") is not None
    assert cn_id_check_char("11010519491231002") == "X"


def test_credit_code_checksum() -> None:
    # A published code (国家市场监督管理总局's own example format): 91350100M000100Y43.
    assert validate_uscc("91350100M000100Y43") is None
    assert validate_uscc("91350100M000100Y44") is not None
    assert validate_uscc("91350100M000100YI3") is not None  # I is not in the charset


def test_id_hash_is_keyed_and_normalised() -> None:
    assert hash_id_number("11010519491231002x", "k") == hash_id_number(" 11010519491231002X", "k")
    assert hash_id_number("11010519491231002X", "k") != hash_id_number("11010519491231002X", "other")


@pytest.mark.parametrize(
    ("name", "gender", "company", "lang", "expected"),
    [
        ("张伟", "male", False, "zh-hans", "张先生"),
        ("李娜", "female", False, "zh-hans", "李女士"),
        ("欧阳娜娜", "female", False, "zh-hans", "欧阳女士"),
        ("王芳", "unknown", False, "zh-hans", "王芳"),
        ("深圳市某某科技有限公司", "unknown", True, "zh-hans", "深圳市某某科技有限公司"),
        ("张伟", "male", False, "en", "Mr 张"),
    ],
)
def test_honorific(name: str, gender: str, company: bool, lang: str, expected: str) -> None:
    assert honorific(name, gender, company=company, lang=lang) == expected
