"""PDF builders for the extractor tests: plain functions, imported by the tests beside them.

Bad-input PDFs are written by hand here, byte by byte, so each test says exactly what is wrong
with its file; nothing is downloaded and no third-party PDF is copied into the repo.
"""

from __future__ import annotations

import zlib


def build_pdf(
    page_contents: list[bytes],
    *,
    extra_objects: dict[int, bytes] | None = None,
    trailer_extra: bytes = b"",
    filter_flate: bool = False,
    shared_content_pages: int = 0,
) -> bytes:
    """A minimal valid PDF: one page per content stream (Helvetica), correct xref offsets.

    ``shared_content_pages`` > 0 makes that many pages all pointing at the first content stream
    (a cheap 2,000-page file). ``extra_objects`` are appended verbatim (e.g. an /Encrypt dict).
    """
    objs: dict[int, bytes] = {}
    objs[1] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objs[3] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    next_id = 4
    page_ids: list[int] = []
    contents = page_contents
    content_ids: list[int] = []
    for c in contents:
        data = zlib.compress(c) if filter_flate else c
        filt = b" /Filter /FlateDecode" if filter_flate else b""
        objs[next_id] = b"<< /Length %d%s >>\nstream\n" % (len(data), filt) + data + b"\nendstream"
        content_ids.append(next_id)
        next_id += 1
    n_pages = shared_content_pages or len(contents)
    for i in range(n_pages):
        cid = content_ids[0] if shared_content_pages else content_ids[i]
        objs[next_id] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>"
            % cid
        )
        page_ids.append(next_id)
        next_id += 1
    kids = b" ".join(b"%d 0 R" % p for p in page_ids)
    objs[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_ids))
    for k, v in (extra_objects or {}).items():
        objs[k] = v
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for oid in sorted(objs):
        offsets[oid] = len(out)
        out += b"%d 0 obj\n" % oid + objs[oid] + b"\nendobj\n"
    size = max(objs) + 1
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for oid in range(1, size):
        out += (b"%010d 00000 n \n" % offsets[oid]) if oid in offsets else b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (size, trailer_extra, xref)
    return bytes(out)


def text_stream(lines: list[str]) -> bytes:
    """A content stream drawing ``lines`` of text top-down (ASCII only)."""
    parts = [b"BT /F1 11 Tf 14 TL 60 740 Td"]
    for line in lines:
        esc = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        parts.append(b"(%s) Tj T*" % esc.encode("latin-1"))
    parts.append(b"ET")
    return b"\n".join(parts)


PAPER_LINES = [
    "Tiny: A Test Paper About Model Sizes",
    "Abstract. We train Tiny, a 2.7B parameter language model, on 300B tokens.",
    "Tiny outperforms GPT-3 (Brown et al., 2020) with 175B parameters on our tasks.",
    "The training used 512 GPUs with 80GB of memory each for 2 weeks in 2021.",
] + ["This sentence is filler text so the page has a real text layer."] * 10


def text_pdf(lines: list[str] | None = None, pages: int = 1) -> bytes:
    return build_pdf([text_stream(lines or PAPER_LINES)] * pages)


def image_only_pdf() -> bytes:
    """A 'scanned' page: drawing operators only, no text objects."""
    return build_pdf([b"0.5 g 50 50 500 700 re f 0 G 60 60 m 500 700 l S"])


def encrypted_pdf() -> bytes:
    """A PDF with a Standard security handler whose user password is not empty."""
    enc = b"<< /Filter /Standard /V 1 /R 2 /Length 40 /P -44 /O <" + b"7a" * 32 + b"> /U <" + b"3c" * 32 + b"> >>"
    return build_pdf(
        [text_stream(PAPER_LINES)],
        extra_objects={90: enc},
        trailer_extra=b"/Encrypt 90 0 R /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>] ",
    )


def zero_page_pdf() -> bytes:
    out = bytearray(b"%PDF-1.4\n")
    offs = []
    for body in (b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"):
        offs.append(len(out))
        out += b"%d 0 obj\n" % len(offs) + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 3\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offs)
    out += b"trailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def bomb_pdf(inflated_mb: int = 2048) -> bytes:
    """A page whose FlateDecode content stream inflates to ``inflated_mb`` MB (of spaces)."""
    comp = zlib.compressobj(9)
    chunk = b" " * (1 << 20)
    data = bytearray()
    for _ in range(inflated_mb):
        data += comp.compress(chunk)
    data += comp.flush()
    stream = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + bytes(data) + b"\nendstream"
    pdf = build_pdf([b"BT ET"])
    # swap the page's content for the bomb: object 4 is the first content stream
    head, _, rest = pdf.partition(b"4 0 obj\n")
    _, _, tail = rest.partition(b"\nendobj\n")
    rebuilt = head + b"4 0 obj\n" + stream + b"\nendobj\n" + tail
    # offsets after object 4 moved; pdfium rebuilds a broken xref table by scanning, like real-world files
    return rebuilt


def positioned_stream(items: list[tuple[float, float, str]], size: float = 9) -> bytes:
    """A content stream drawing each (x, y, text) at that position (PDF points, y up), ASCII only.

    For table tests: a value's column is where it is drawn, exactly as in a typeset paper.
    """
    parts = []
    for x, y, text in items:
        esc = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        parts.append(b"BT /F1 %.1f Tf %.1f %.1f Td (%s) Tj ET" % (size, x, y, esc.encode("latin-1")))
    return b"\n".join(parts)


def table_page(
    title: str,
    header: list[tuple[float, str]],
    rows: list[list[tuple[float, str]]],
    *,
    caption: str | None = None,
    header2: list[tuple[float, str]] | None = None,
    top: float = 600,
    two_columns: bool = False,
) -> bytes:
    """One page: a title line, filler prose, a caption, a header (and a second header line), rows.

    ``two_columns`` sets the page in two columns, the table in the right one beside running prose
    in the left one (lines of both columns share their y, as in a typeset two-column paper).
    """
    items: list[tuple[float, float, str]] = [(60, 760, title)]
    filler = "This sentence is filler text so the page has a real text layer."
    left_prose = "running prose that says nothing of tables"
    table_ys = {top + 24, top, *(top - 12 * (i + 1) for i in range(len(rows) + (1 if header2 else 0)))}
    if two_columns:
        items += [(60, 740 - 12 * i, left_prose) for i in range(50)]
        items += [
            (320, 740 - 12 * i, "more words in the right column here")
            for i in range(50)
            if all(abs(740 - 12 * i - y) > 8 for y in table_ys)
        ]
    else:
        items += [(60, 740 - 12 * i, filler) for i in range(6)]
    y = top
    if caption:
        items.append((header[0][0], y + 24, caption))
    items += [(x, y, t) for x, t in header]
    if header2:
        y -= 12
        items += [(x, y, t) for x, t in header2]
    for row in rows:
        y -= 12
        items += [(x, y, t) for x, t in row]
    return positioned_stream(items)
