"""Break an ACC-1 binary in one way, for the loader's fault tests.

  corrupt.py HOW IN OUT
    truncate        keep the first half of the file
    machine         e_machine 0x3e (x86-64) instead of 0xacc1
    section-offset  move .acc.text's data past the end of the file
    tile-program    tile 0 runs program 9
    send-tile       the last destination tile of .acc.exchange becomes 99
"""
import struct
import sys


def section(data, name):
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shnum, shstrndx = struct.unpack_from("<HH", data, 0x3c)
    stroff, = struct.unpack_from("<Q", data, shoff + 64 * shstrndx + 24)
    for i in range(shnum):
        hdr = shoff + 64 * i
        nameoff, = struct.unpack_from("<I", data, hdr)
        end = data.index(b"\0", stroff + nameoff)
        if data[stroff + nameoff:end].decode() == name:
            return hdr
    raise SystemExit("no section " + name)


how, src, dst = sys.argv[1:4]
data = bytearray(open(src, "rb").read())
if how == "truncate":
    data = data[:len(data) // 2]
elif how == "machine":
    struct.pack_into("<H", data, 18, 0x3e)
elif how == "section-offset":
    struct.pack_into("<Q", data, section(data, ".acc.text") + 24, len(data) + 64)
elif how == "tile-program":
    off, = struct.unpack_from("<Q", data, section(data, ".acc.tiles") + 24)
    struct.pack_into("<I", data, off, 9)
elif how == "send-tile":
    hdr = section(data, ".acc.exchange")
    off, size = struct.unpack_from("<QQ", data, hdr + 24)
    struct.pack_into("<I", data, off + size - 4, 99)
else:
    raise SystemExit("unknown corruption " + how)
open(dst, "wb").write(data)
