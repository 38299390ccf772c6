"""Print the counts in an ACC-1 binary's .acc.exchange header."""
import struct
import sys

data = open(sys.argv[1], "rb").read()
shoff, = struct.unpack_from("<Q", data, 0x28)
shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)


def section(i):
    name, _type, _flags, _addr, off, size = struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize)
    return name, off, size


_, stroff, _ = section(shstrndx)
for i in range(shnum):
    name, off, size = section(i)
    if data[stroff + name:].split(b"\0", 1)[0] == b".acc.exchange":
        tables, slots, sends, dests, recvs = struct.unpack_from("<5I", data, off)
        print("sends %d destinations %d receives %d" % (sends, dests, recvs))
