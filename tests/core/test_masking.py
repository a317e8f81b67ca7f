"""Masking rules and pseudonyms for shared data."""

from __future__ import annotations

import secrets

import pytest

from citybrain.core.crypto import CryptoError, hmac_sm3
from citybrain.core.masking import (
    COMPOUND_SURNAMES,
    MaskKind,
    mask_address,
    mask_id_number,
    mask_mobile,
    mask_name,
    mask_value,
    pseudonymise,
)

# --- ID numbers and mobiles ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("62072219900101123X", "620722********123X"),
        (" 360426199101010071 ", "360426********0071"),
        ("150102880730303", "150102*****0303"),
        ("1234567890", "**********"),  # too short to keep 6 + 4: all masked
        ("", ""),
    ],
)
def test_mask_id_number(value: str, masked: str) -> None:
    assert mask_id_number(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13800138000", "138****8000"),
        ("+86 138-0013-8000", "138****8000"),
        ("0086 13800138000", "138****8000"),
        ("1380013", "*******"),
        ("", ""),
    ],
)
def test_mask_mobile(value: str, masked: str) -> None:
    assert mask_mobile(value) == masked


# --- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("张三", "张*"),
        ("王小明", "王**"),
        ("欧阳修远", "欧阳**"),
        ("欧阳修", "欧阳*"),
        ("司马光", "司马*"),
        ("诸葛亮", "诸葛*"),
        ("上官婉儿", "上官**"),
        ("夏侯惇", "夏侯*"),
        ("欧阳", "欧*"),  # two characters: surname 欧, given name 阳
        ("王", "*"),  # one character: nothing can be kept
        ("夏雨", "夏*"),  # 夏 alone is a surname; only 夏侯 is compound
        ("单于飞", "单**"),  # 单于 left out of the table: 单 + 于飞 is the likelier reading
        (" 李四 ", "李*"),
        ("", ""),
    ],
)
def test_mask_name(value: str, masked: str) -> None:
    assert mask_name(value) == masked


def test_required_compound_surnames_are_in_the_table() -> None:
    required = (
        "欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 钟离 澹台"
    )
    assert set(required.split()) <= COMPOUND_SURNAMES
    for surname in required.split():
        assert mask_name(surname + "一二") == surname + "**"


# --- addresses -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("甘肃省张掖市民乐县洪水镇新庄村3社12号", "甘肃省张掖市民乐县洪水镇"),
        ("甘肃省张掖市民乐县城关镇市场路5号", "甘肃省张掖市民乐县城关镇"),
        ("湖南省娄底市涟源市蓝田街道民主路12号", "湖南省娄底市涟源市蓝田街道"),
        ("四川省遂宁市船山区南津路街道新区社区5栋", "四川省遂宁市船山区南津路街道"),
        ("北京市朝阳区建国门外街道光华路1号", "北京市朝阳区建国门外街道"),
        ("上海市浦东新区陆家嘴街道世纪大道100号", "上海市浦东新区陆家嘴街道"),
        ("山东省济南市市中区舜耕街道经十路", "山东省济南市市中区舜耕街道"),
        ("新疆维吾尔自治区阿克苏地区库车市乌恰镇团结村", "新疆维吾尔自治区阿克苏地区库车市乌恰镇"),
        (
            "内蒙古自治区锡林郭勒盟苏尼特右旗赛汉塔拉镇1号",
            "内蒙古自治区锡林郭勒盟苏尼特右旗赛汉塔拉镇",
        ),
        (
            "内蒙古自治区呼伦贝尔市鄂温克族自治旗巴彦托海镇",
            "内蒙古自治区呼伦贝尔市鄂温克族自治旗巴彦托海镇",
        ),
        (
            "内蒙古自治区兴安盟科尔沁右翼前旗满族屯满族乡",
            "内蒙古自治区兴安盟科尔沁右翼前旗满族屯满族乡",
        ),
        (
            "内蒙古自治区通辽市科尔沁左翼后旗巴嘎塔拉苏木",
            "内蒙古自治区通辽市科尔沁左翼后旗巴嘎塔拉苏木",
        ),
        ("广东省东莞市虎门镇连升路", "广东省东莞市虎门镇"),
        # county names with 镇 or 乡 in them
        ("甘肃省庆阳市镇原县屯字镇包庄村", "甘肃省庆阳市镇原县屯字镇"),
        ("四川省甘孜藏族自治州乡城县香巴拉镇1号", "四川省甘孜藏族自治州乡城县香巴拉镇"),
        ("湖南省常德市安乡县深柳镇书院路", "湖南省常德市安乡县深柳镇"),
        ("甘肃省临夏回族自治州东乡族自治县锁南镇2号", "甘肃省临夏回族自治州东乡族自治县锁南镇"),
        # no township right after the county: keep the administrative part only
        ("甘肃省张掖市民乐县生态工业园区永固路8号", "甘肃省张掖市民乐县"),
        ("甘肃省张掖市民乐县人民政府", "甘肃省张掖市民乐县"),
        ("湖南省涟源市新城小区8栋", "湖南省涟源市"),
        ("甘肃省张掖市民乐县", "甘肃省张掖市民乐县"),
        # known limit, failing closed: 湘乡市 ends the kept part after 湘乡
        ("湖南省湘潭市湘乡市月山镇", "湖南省湘潭市湘乡"),
        # nothing administrative recognised: everything masked
        ("洪水镇新庄村3社", ""),
        ("民主路12号", ""),
        ("", ""),
    ],
)
def test_mask_address(value: str, kept: str) -> None:
    masked = mask_address(value)
    assert masked == kept + "*" * (len(value.strip()) - len(kept))


def test_mask_address_never_keeps_house_numbers() -> None:
    for address in [
        "甘肃省张掖市民乐县洪水镇新庄村3社12号",
        "甘肃省张掖市民乐县永固路8号",
        "北京市朝阳区光华路1号",
        "甘肃省张掖市民乐县城关镇",
    ]:
        assert not any(ch.isdigit() for ch in mask_address(address))


# --- pseudonyms and the dispatcher -------------------------------------------------------------


def test_pseudonymise_is_deterministic_per_consumer_and_unlinkable_across() -> None:
    key_a, key_b = secrets.token_bytes(32), secrets.token_bytes(32)
    value = "62072219900101123X"
    assert pseudonymise(value, key_a) == pseudonymise(value, key_a)
    assert pseudonymise(value, key_a) != pseudonymise(value, key_b)
    assert pseudonymise(value, key_a) != pseudonymise("620722199001011230", key_a)
    assert pseudonymise(value, key_a) == hmac_sm3(key_a, value.encode()).hex()
    assert len(pseudonymise(value, key_a)) == 64


def test_pseudonymise_refuses_short_keys() -> None:
    with pytest.raises(CryptoError, match="bad_key_length"):
        pseudonymise("x", b"short")


@pytest.mark.parametrize(
    ("kind", "value", "masked"),
    [
        (MaskKind.id_number, "62072219900101123X", "620722********123X"),
        ("mobile", "13800138000", "138****8000"),
        ("name", "欧阳修远", "欧阳**"),
        (MaskKind.address, "甘肃省张掖市民乐县洪水镇新庄村", "甘肃省张掖市民乐县洪水镇***"),
        (MaskKind.none, "公开数据", "公开数据"),
        (MaskKind.name, None, None),
    ],
)
def test_mask_value(kind: MaskKind | str, value: str | None, masked: str | None) -> None:
    assert mask_value(kind, value) == masked


def test_mask_value_refuses_unknown_kind() -> None:
    with pytest.raises(ValueError, match="bank_card"):
        mask_value("bank_card", "6222020200000000000")


@pytest.mark.parametrize("kind", [k for k in MaskKind if k is not MaskKind.none])
def test_masking_keeps_length(kind: MaskKind) -> None:
    samples = [
        "62072219900101123X",
        "13800138000",
        "欧阳修远",
        "甘肃省张掖市民乐县洪水镇新庄村",
        "a",
    ]
    for sample in samples:
        assert len(mask_value(kind, sample)) == len(sample)
