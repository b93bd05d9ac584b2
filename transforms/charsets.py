"""Bytes that their declared charset (or UTF-8, when none is declared) cannot decode: how feeds
(`feeds.readable`) and pages (`extract.decode_text`) read them instead of falling back to
windows-1252 wholesale, which stored mojibake."""
from __future__ import annotations

import codecs
import re
from itertools import islice

import charset_normalizer

# the charset parameter of an HTTP Content-Type ("text/html; charset=\"utf-8\"")
CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
GUESS_MIN_BYTES = 16  # fewer non-ASCII bytes are too little to tell one legacy charset from another
_NON_ASCII = re.compile(rb"[\x80-\xff]")


def _windows_1252(error: UnicodeDecodeError) -> tuple[str, int]:
    """A decoding error handler: the bytes UTF-8 cannot read, read as windows-1252 one by one."""
    return error.object[error.start:error.end].decode("windows-1252", errors="replace"), error.end


codecs.register_error("newsflow-windows-1252", _windows_1252)


def is_utf8_name(name: str | None) -> bool:
    try:
        return name is not None and codecs.lookup(name).name == "utf-8"
    except LookupError:
        return False


def mostly_utf8(raw: bytes) -> bool:
    """More valid multi-byte UTF-8 characters than bytes UTF-8 cannot read: UTF-8 with a few stray
    windows-1252 bytes (a CMS that pasted a smart quote into a UTF-8 page), not a legacy charset."""
    text = raw.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - raw.count("\ufffd".encode())
    return len(text) - len(text.encode("ascii", errors="ignore")) - bad > bad


def decode_mixed(raw: bytes) -> str:
    """UTF-8, the bytes it cannot read read as windows-1252 ("Café “X”", not "CafÃ© ...")."""
    return raw.decode("utf-8", errors="newsflow-windows-1252")


# Scripts a legacy charset of their own is written in. A guess that reads the bytes as Latin script
# only (cp1250, cp852, mac_roman, ...) is not taken: windows-1252, the web's default, stays. Of the
# 195 labelled pages whose article text windows-1252 can hold, saved unlabelled in it, charset-normalizer
# took 1 for cp852 ("steinzeitwissen.de": German read as DOS Central European).
_OWN_CHARSET_SCRIPTS = ("Cyrillic", "Greek", "Hebrew", "Arabic", "Thai", "Hangul", "CJK", "Hiragana", "Katakana",
                        "Halfwidth", "Armenian", "Georgian")


def guess(raw: bytes) -> str | None:
    """The legacy charset of bytes that declare none (EUC-KR, KOI8-R, Shift_JIS, TIS-620,
    windows-1255, ...), by charset-normalizer, given at least GUESS_MIN_BYTES non-ASCII bytes, where
    it reads them as a script other than Latin."""
    if sum(1 for _ in islice(_NON_ASCII.finditer(raw), GUESS_MIN_BYTES)) < GUESS_MIN_BYTES:
        return None  # (counted up to the minimum: a megabyte of EUC-KR is no million-item list)
    best = charset_normalizer.from_bytes(raw).best()
    if best is None or not any(script in alphabet for alphabet in best.alphabets for script in _OWN_CHARSET_SCRIPTS):
        return None
    return best.encoding
