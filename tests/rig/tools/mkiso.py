#!/usr/bin/env python3
"""A minimal ISO 9660 image (ECMA-119, level 1, no extensions) holding files in its root
directory, for the CD/DVD drive checks when no ISO tool is installed.

Usage: mkiso.py OUT VOLUME-ID NAME=SRC [NAME=SRC ...]
NAME is the file's name on the disc (8.3, upper case, e.g. HELLO.TXT; Linux's isofs shows
it in lower case). Prints the image's size in bytes.
"""
import sys
import time

SECTOR = 2048


def both16(v):
    return v.to_bytes(2, 'little') + v.to_bytes(2, 'big')


def both32(v):
    return v.to_bytes(4, 'little') + v.to_bytes(4, 'big')


def padded(s, n):
    b = s.encode('ascii')
    assert len(b) <= n
    return b + b' ' * (n - len(b))


def dir_record(extent, size, ident, is_dir, when):
    rec = bytearray(33)
    rec[1] = 0                                   # extended attribute record length
    rec[2:10] = both32(extent)
    rec[10:18] = both32(size)
    rec[18:25] = bytes([when.tm_year - 1900, when.tm_mon, when.tm_mday, when.tm_hour, when.tm_min,
                        when.tm_sec, 0])
    rec[25] = 2 if is_dir else 0                 # flags: directory
    rec[28:32] = both16(1)                       # volume sequence number
    rec[32] = len(ident)
    rec += ident
    if len(ident) % 2 == 0:
        rec += b'\0'                             # the record's length is even
    rec[0] = len(rec)
    return bytes(rec)


def date17(when):
    return time.strftime('%Y%m%d%H%M%S00', when).encode('ascii') + b'\0'


def main():
    out, volid, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
    when = time.gmtime()
    files = []
    for spec in specs:
        name, src = spec.split('=', 1)
        with open(src, 'rb') as f:
            files.append((name.upper() + ';1', f.read()))
    # Layout: 16 system sectors, the primary descriptor (16), the terminator (17), the
    # L and M path tables (18, 19), the root directory (20), then the files' data.
    root = 20
    nxt = root + 1
    extents = []
    for name, data in files:
        extents.append(nxt)
        nxt += max(1, (len(data) + SECTOR - 1) // SECTOR)
    total = nxt

    rootdir = dir_record(root, SECTOR, b'\0', True, when) + dir_record(root, SECTOR, b'\1', True, when)
    for (name, data), ext in zip(files, extents):
        rootdir += dir_record(ext, len(data), name.encode('ascii'), False, when)
    assert len(rootdir) <= SECTOR, 'too many files for one directory sector'

    def path_table(order):
        return (bytes([1, 0]) + root.to_bytes(4, order) + (1).to_bytes(2, order) + b'\0\0')

    pvd = bytearray(SECTOR)
    pvd[0] = 1
    pvd[1:6] = b'CD001'
    pvd[6] = 1
    pvd[8:40] = padded('LINUX', 32)
    pvd[40:72] = padded(volid, 32)
    pvd[80:88] = both32(total)
    pvd[120:124] = both16(1)
    pvd[124:128] = both16(1)
    pvd[128:132] = both16(SECTOR)
    pvd[132:140] = both32(10)
    pvd[140:144] = (18).to_bytes(4, 'little')
    pvd[148:152] = (19).to_bytes(4, 'big')
    pvd[156:190] = dir_record(root, SECTOR, b'\0', True, when)
    pvd[190:318] = padded('', 128)
    pvd[318:446] = padded('', 128)
    pvd[446:574] = padded('', 128)
    pvd[574:702] = padded('', 128)
    pvd[702:813] = padded('', 111)
    pvd[813:830] = date17(when)
    pvd[830:847] = date17(when)
    pvd[847:864] = b'0' * 16 + b'\0'
    pvd[864:881] = b'0' * 16 + b'\0'
    pvd[881] = 1

    term = bytearray(SECTOR)
    term[0] = 255
    term[1:6] = b'CD001'
    term[6] = 1

    img = bytearray(total * SECTOR)
    img[16 * SECTOR:17 * SECTOR] = pvd
    img[17 * SECTOR:18 * SECTOR] = term
    img[18 * SECTOR:18 * SECTOR + 10] = path_table('little')
    img[19 * SECTOR:19 * SECTOR + 10] = path_table('big')
    img[root * SECTOR:root * SECTOR + len(rootdir)] = rootdir
    for (name, data), ext in zip(files, extents):
        img[ext * SECTOR:ext * SECTOR + len(data)] = data
    with open(out, 'wb') as f:
        f.write(img)
    print(len(img))


if __name__ == '__main__':
    main()
