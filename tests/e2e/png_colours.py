#!/usr/bin/env python3
"""Decodes an 8-bit RGB or RGBA PNG (as Chromium writes screenshots) with
zlib alone and prints JSON: its size, how many distinct colours it has, and
how many pixels have each colour named on the command line.

    png_colours.py shot.png c62828 1565c0
    {"width": 1200, "height": 2000, "colours": 1234, "found": {"c62828": 900, ...}}

Used by tests/e2e/report_html_spec.lua to tell a rendered page from a blank one."""
import json
import struct
import sys
import zlib


def decode(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit(f"{path}: not a PNG (bad signature)")
    pos, idat, header = 8, [], None
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if len(body) != length:
            raise SystemExit(f"{path}: chunk {kind!r} at offset {pos} is cut short")
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    if header is None:
        raise SystemExit(f"{path}: no IHDR chunk")
    width, height, depth, ctype, _, _, interlace = header
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise SystemExit(f"{path}: only 8-bit RGB/RGBA non-interlaced PNGs (depth {depth}, type {ctype})")
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    if len(raw) != height * (stride + 1):
        raise SystemExit(f"{path}: {len(raw)} bytes of pixel data, expected {height * (stride + 1)}")
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            elif f != 0:
                raise SystemExit(f"{path}: row {y} has filter type {f}")
        rows.append(line)
        prev = line
    return width, height, bpp, rows


def main():
    width, height, bpp, rows = decode(sys.argv[1])
    wanted = {h.lower(): 0 for h in sys.argv[2:]}
    colours = set()
    for line in rows:
        for x in range(0, len(line), bpp):
            rgb = bytes(line[x:x + 3]).hex()
            colours.add(rgb)
            if rgb in wanted:
                wanted[rgb] += 1
    print(json.dumps({"width": width, "height": height, "colours": len(colours), "found": wanted}))


main()
