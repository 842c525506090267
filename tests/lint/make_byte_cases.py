#!/usr/bin/env python3
"""Writes the lint cases whose exact bytes matter (CRLF, raw CR, invalid UTF-8, BOM, sizes).

Run from anywhere: `python3 tests/lint/make_byte_cases.py`. The files are checked in; this
script documents how they were made and rewrites them identically. Their .expected files are
produced by `MTAROUTE_UPDATE_GOLDEN=1 python3 tests/integration/test_lint_suite.py` and then
reviewed by eye like the others.
"""
from pathlib import Path

CASES = Path(__file__).resolve().parent / "cases"
GOOD = Path(__file__).resolve().parent / "good"


def policy(*route_lines, extra=b""):
    return (b'{\n  "version": 1,\n' + extra + b'  "routes": [\n' + b",\n".join(route_lines) +
            b"\n  ]\n}\n")


FILES = {
    # Windows line endings: lines are counted by LF, the CR is not a column of the next line.
    "crlf-line-endings.json": policy(
        b'    { "domains": ["gmail.com"], "relay": "direct" }',
        b'    { "domains": ["gmail.com"], "relay": "clen-relay" }').replace(b"\n", b"\r\n"),
    # A raw (unescaped) CR inside a string is a control character: JSON forbids it.
    "json-syntax-raw-cr-in-string.json": policy(
        b'    { "domains": ["gmail.com\rX"], "relay": "direct" }'),
    # Invalid UTF-8: a lone continuation byte, a truncated sequence, an overlong encoding of
    # "/", a surrogate encoded in UTF-8, and 0xFF. Each file holds one, in a string.
    "invalid-utf8-lone-continuation.json": policy(b'    { "domains": ["gm\x80il.com"], "relay": "direct" }'),
    "invalid-utf8-truncated-sequence.json": policy(b'    { "domains": ["b\xc3"], "relay": "direct" }'),
    "invalid-utf8-overlong.json": policy(b'    { "domains": ["gmail.com\xc0\xaf"], "relay": "direct" }'),
    "invalid-utf8-surrogate.json": policy(b'    { "domains": ["gmail.com\xed\xa0\x80"], "relay": "direct" }'),
    "invalid-utf8-in-key.json": policy(b'    { "domains": ["gmail.com"], "rel\xffay": "direct" }'),
    # Outside strings, any byte that starts no token is a syntax error, invalid UTF-8 included.
    "invalid-utf8-outside-string.json": policy(b'    { "domains": ["gmail.com"], "relay": "direct" } \xff'),
    # Invalid UTF-8 inside a comment is skipped with the comment; the error after it is found
    # at the right column (columns count code points, an invalid byte counts as one).
    "invalid-utf8-in-comment.json": policy(
        b'    /* caf\xe9 */ { "domains": ["gmail.com"], "relay": "clen-relay" }'),
    # A UTF-8 byte order mark before the document is accepted; it is one column of line 1.
    "bom-then-error.json": b'\xef\xbb\xbf{ "version": 2 }\n',
    # Multi-byte characters before an error on the same line: columns count code points
    # (2-, 3- and 4-byte sequences before the bad relay name).
    "multibyte-before-error.json": policy(
        '    { "domains": ["bücher.example", "例え.jp", "😀😀"], "relay": "clen-relay" }'.encode()),
    # The 4 KiB string limit: 4096 bytes pass the parser, 4097 stop it (a fatal error: no
    # other rule runs, so the 4096-byte note is not reported as too long for a comment).
    "string-too-long.json": policy(
        b'    { "domains": ["a.example"], "relay": "direct", "note": "' + b"n" * 4096 + b'" }',
        b'    { "domains": ["b.example"], "relay": "direct", "note": "' + b"n" * 4097 + b'" }'),
    # Nesting: 64 levels are accepted, the 65th container is too deep.
    "too-deep.json": b'{\n  "version": 1,\n  "x-deep": ' + b"[" * 63 + b"]" * 63 + b',\n  "x-deeper": ' +
                     b"[" * 64 + b"]" * 64 + b"\n}\n",
}


# Good policies whose bytes matter: they must lint clean.
GOOD_FILES = {
    # A byte order mark, CRLF line endings, comments holding quotes, braces and non-ASCII text.
    "bom-crlf-comments.json": (
        '\ufeff// Windows editor, "quoted" {braces} [brackets] and ümlauts in a comment\n'
        '{\n'
        '  /* block\n     comment */ "version": 1,\n'
        '  "routes": [ { "domains": ["gmail.com"], "relay": "direct", "note": "CRLF // not a comment" } ]\n'
        '}\n// the end, no newline after this comment').encode().replace(b"\n", b"\r\n"),
}


def main():
    CASES.mkdir(exist_ok=True)
    for name, content in FILES.items():
        (CASES / name).write_bytes(content)
    for name, content in GOOD_FILES.items():
        (GOOD / name).write_bytes(content)


if __name__ == "__main__":
    main()
