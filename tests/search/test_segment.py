"""Segmentation: pure, both segmenters, the user dictionary of government terms."""

from __future__ import annotations

import re

import pytest

from citybrain.search.config import Segmenter
from citybrain.search.segment import USER_DICTIONARY, index_terms, parse_query

TEXT = "网格员在南古镇发现占道经营，已通过12345热线上报一网统管平台，群众给出好差评。"


def test_jieba_finds_the_government_terms_as_words() -> None:
    terms = index_terms(TEXT, Segmenter.jieba)
    for word in ("网格员", "占道经营", "一网统管", "好差评", "12345"):
        assert word in terms, (word, terms)


def test_the_user_dictionary_is_what_keeps_a_term_whole() -> None:
    import jieba

    plain = jieba.Tokenizer()  # jieba's own dictionary only
    assert "占道经营" not in list(plain.cut("发现占道经营"))
    assert "占道经营" in index_terms("发现占道经营", Segmenter.jieba)


def test_a_long_word_also_yields_the_dictionary_words_inside_it() -> None:
    # jieba's search mode adds only 2- and 3-character parts; 政务服务 is four.
    assert "政务服务" in index_terms("政务服务中心", Segmenter.jieba)


def test_bigrams_cut_every_run_of_chinese_into_pairs() -> None:
    assert index_terms("网格员A3区", Segmenter.bigram) == ["网格", "格员", "a3", "区"]


@pytest.mark.parametrize("segmenter", list(Segmenter))
def test_terms_hold_only_letters_and_digits(segmenter: Segmenter) -> None:
    text = 'a"b* OR NEAR(x) 网格员——“占道”_下划线\t12345'
    for term in index_terms(text, segmenter):
        assert re.fullmatch(r"[^\W_]+", term), term


def test_a_jieba_query_wants_every_word_and_drops_stopwords() -> None:
    query = parse_query("网格员 的 占道经营", Segmenter.jieba)
    assert query.groups == (("网格员",), ("占道经营",))
    assert not query.phrase
    assert query.highlight == ("占道经营", "网格员")


def test_a_bigram_query_is_a_phrase_per_run() -> None:
    query = parse_query("网格员 占道经营", Segmenter.bigram)
    assert query.groups == (("网格", "格员"), ("占道", "道经", "经营"))
    assert query.phrase


def test_a_mixed_query_word_is_split_into_its_runs() -> None:
    assert parse_query("12345热线", Segmenter.jieba).groups == (("12345",), ("热线",))


@pytest.mark.parametrize("segmenter", list(Segmenter))
def test_punctuation_only_is_an_empty_query(segmenter: Segmenter) -> None:
    assert parse_query('"*()——', segmenter).empty


def test_the_user_dictionary_ships_the_terms_of_the_brief() -> None:
    words = {line.split()[0] for line in USER_DICTIONARY.read_text("utf-8").splitlines() if line}
    assert {"网格员", "占道经营", "一网统管", "好差评", "12345", "政务服务"} <= words
