"""Which text encoding a department file uses.

Files from Chinese government systems come as UTF-8 (often with the BOM that Excel writes),
or as GBK/GB2312, which we decode as GB18030 (a strict superset, so nothing GBK can encode is
lost). A strict decode of the first bytes settles almost every file; charset-normalizer is asked
only when neither decodes, because on short Chinese samples it often confuses GBK with Big5.
"""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

from .base import BAD_ENCODING, BAD_OPTION, ConnectorError

SAMPLE_BYTES = 64 * 1024

# (BOM, codec to decode the rest with): longest first, UTF-32 LE starts like UTF-16 LE.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_ALIASES = {"gbk": "gb18030", "gb2312": "gb18030", "cp936": "gb18030", "ascii": "utf-8"}


def detect_encoding(sample: bytes, *, at_eof: bool) -> tuple[str, int]:
    """Return (codec name, BOM length to skip) for a file whose first bytes are `sample`.

    `at_eof` says the sample is the whole file, so a multi-byte sequence cut at its end is an
    error rather than a sample boundary. Raises ConnectorError(bad_encoding).
    """
    for bom, codec in _BOMS:
        if sample.startswith(bom):
            return codec, len(bom)
    for codec in ("utf-8", "gb18030"):
        if _decodes(sample, codec, at_eof=at_eof):
            return codec, 0
    best = from_bytes(sample).best()
    if best is not None and best.encoding:
        return normalise_codec(best.encoding), 0
    raise ConnectorError(BAD_ENCODING, "无法识别文件编码，请另存为 UTF-8 或 GBK 编码后重新上传")


def normalise_codec(name: str) -> str:
    """Canonical codec name; GBK and GB2312 widen to GB18030. Raises ConnectorError(bad_option)."""
    try:
        canonical = codecs.lookup(name).name
    except LookupError as exc:
        raise ConnectorError(BAD_OPTION, f"不支持的编码“{name}”") from exc
    return _ALIASES.get(canonical, canonical)


def _decodes(sample: bytes, codec: str, *, at_eof: bool) -> bool:
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    try:
        decoder.decode(sample, final=at_eof)
    except UnicodeDecodeError:
        return False
    return True


def encoding_label(codec: str) -> str:
    """The name a user recognises, for messages."""
    return {"utf-8": "UTF-8", "gb18030": "GBK/GB18030"}.get(codec, codec)
