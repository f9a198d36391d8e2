#!/usr/bin/env python3
"""Writes a large synthetic export for the whole-import measurements in BENCHMARKS.md.

    python3 benches/make_export.py OUT.zip COPIES

The export is a Garmin-style zip: every FIT, GPX and TCX file of data/export, COPIES times,
half of the copies gzipped (`.fit.gz`...), a quarter inside nested `UploadedFiles_N.zip`
archives. Each copy gets its own trailing zero bytes, so every file has its own content hash
and is decoded (the decoder reports the padding as a warning; the activities themselves are the
same, so all but the first copy of each are recorded as duplicates after decoding).
"""

import gzip
import io
import pathlib
import sys
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent / "data" / "export"


def main() -> None:
    out, copies = sys.argv[1], int(sys.argv[2])
    files = sorted(p for p in ROOT.rglob("*") if p.suffix.lower() in {".fit", ".gpx", ".tcx"})
    sources = [(p.name, p.read_bytes()) for p in files]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        nested = None
        nested_buf = None
        for n in range(copies):
            if n % 4 == 3 and nested is None:
                nested_buf = io.BytesIO()
                nested = zipfile.ZipFile(nested_buf, "w", zipfile.ZIP_DEFLATED)
            for name, data in sources:
                # Padding that keeps each file valid: zeros after a FIT file, white space after
                # an XML document.
                pad = (b"\0" if name.lower().endswith(".fit") else b" ") * (n + 1)
                body = data + pad
                member = f"copy{n:05d}/{name}"
                if n % 2 == 1:
                    body, member = gzip.compress(body, compresslevel=1), member + ".gz"
                if nested is not None:
                    nested.writestr(member, body)
                else:
                    z.writestr(member, body)
            if nested is not None:
                nested.close()
                z.writestr(
                    f"DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_{n}.zip",
                    nested_buf.getvalue(),
                )
                nested = None


if __name__ == "__main__":
    main()
