#!/usr/bin/env python3
"""Writes a large synthetic export for the whole-import measurements in BENCHMARKS.md.

    python3 benches/make_export.py OUT.zip COPIES

The export is a Garmin-style zip: every FIT, GPX and TCX file of data/export, COPIES times,
half of the copies gzipped (`.fit.gz`...), a quarter inside nested `UploadedFiles_N.zip`
archives. Copy n is moved n days later (every FIT timestamp field and session / lap start time,
with the file CRC recomputed; every GPX / TCX time), so each copy is a distinct activity that
the import decodes and stores, as in a real multi-year export.
"""

import datetime
import gzip
import io
import pathlib
import re
import struct
import sys
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent / "data" / "export"
DAY = 86_400

def _table():
    out = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0xA001 if c & 1 else c >> 1
        out.append(c)
    return out


CRC_TABLE = _table()


def crc16(data: bytes) -> int:
    """CRC-16/ARC, the FIT file CRC, a byte at a time."""
    crc = 0
    t = CRC_TABLE
    for b in data:
        crc = (crc >> 8) ^ t[(crc ^ b) & 0xFF]
    return crc


# (global message, field) pairs holding a date_time, besides 253 everywhere:
# session / lap start_time (2), activity local_timestamp (5), file_id time_created (4).
TIME_FIELDS = {(18, 2), (19, 2), (34, 5), (0, 4)}


def shift_fit(data: bytes, seconds: int) -> bytes:
    """Adds `seconds` to every timestamp of every segment; returns the bytes unchanged when a
    segment does not parse (the broken and odd files stay as they are)."""
    out = bytearray(data)
    pos = 0
    while pos + 12 <= len(out):
        hsize = out[pos]
        if out[pos + 8:pos + 12] != b".FIT" or hsize not in (12, 14):
            break
        dsize = struct.unpack_from("<I", out, pos + 4)[0]
        end = pos + hsize + dsize
        if end + 2 > len(out):
            return data
        p = pos + hsize
        defs = {}
        while p < end:
            h = out[p]
            p += 1
            if h & 0x80 == 0 and h & 0x40:
                big = out[p + 1] == 1
                glob = struct.unpack_from(">H" if big else "<H", out, p + 2)[0]
                n = out[p + 4]
                p += 5
                fields, off = [], 0
                for i in range(n):
                    num, size, base = out[p + 3 * i:p + 3 * i + 3]
                    if size == 4 and (num == 253 or (glob, num) in TIME_FIELDS):
                        fields.append(off)
                    off += size
                p += 3 * n
                if h & 0x20:
                    nd = out[p]
                    p += 1
                    off += sum(out[p + 3 * i + 1] for i in range(nd))
                    p += 3 * nd
                defs[h & 0x0F] = (big, off, fields)
                continue
            local = (h >> 5) & 0x03 if h & 0x80 else h & 0x0F
            if local not in defs:
                return data
            big, size, fields = defs[local]
            fmt = ">I" if big else "<I"
            for off in fields:
                v = struct.unpack_from(fmt, out, p + off)[0]
                # Leave invalid values and times relative to power-on alone.
                if 0x10000000 <= v < 0xFFFFFFFF:
                    struct.pack_into(fmt, out, p + off, v + seconds)
            p += size
        if hsize == 14 and out[pos + 12:pos + 14] != b"\0\0":
            struct.pack_into("<H", out, pos + 12, crc16(bytes(out[pos:pos + 12])))
        struct.pack_into("<H", out, end, crc16(bytes(out[pos:end])))
        pos = end + 2
    return bytes(out)


TIME = re.compile(rb"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)")


def shift_xml(data: bytes, seconds: int) -> bytes:
    def move(m):
        t = datetime.datetime.fromisoformat(m.group(1).decode())
        return (t + datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S").encode()
    return TIME.sub(move, data)


def main() -> None:
    out, copies = sys.argv[1], int(sys.argv[2])
    files = sorted(p for p in ROOT.rglob("*") if p.suffix.lower() in {".fit", ".gpx", ".tcx"})
    sources = [(p.name, p.read_bytes()) for p in files]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for n in range(copies):
            nested_buf = io.BytesIO() if n % 4 == 3 else None
            nested = zipfile.ZipFile(nested_buf, "w", zipfile.ZIP_DEFLATED) if nested_buf else None
            for name, data in sources:
                shift = (n + 1) * DAY
                body = shift_fit(data, shift) if name.lower().endswith(".fit") else shift_xml(data, shift)
                member = f"copy{n:05d}/{name}"
                if n % 2 == 1:
                    body, member = gzip.compress(body, compresslevel=1), member + ".gz"
                (nested or z).writestr(member, body)
            if nested:
                nested.close()
                z.writestr(
                    f"DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_{n}.zip",
                    nested_buf.getvalue(),
                )


if __name__ == "__main__":
    main()
