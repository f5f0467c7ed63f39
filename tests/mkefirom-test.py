#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""scripts/mkefirom: pack a made-up PE32+ driver, compare the header byte for byte with
the layout, read the ROM back as the firmware's PCI bus driver does, and make it refuse
bad drivers and bad ROMs. Argument: the script."""
import importlib.machinery
import importlib.util
import os
import struct
import subprocess
import sys
import tempfile

script = sys.argv[1]
loader = importlib.machinery.SourceFileLoader("mkefirom", script)
spec = importlib.util.spec_from_loader("mkefirom", loader)
m = importlib.util.module_from_spec(spec)
loader.exec_module(m)

failures = 0


def expect(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL:", what)


def refused(fn, what, needle):
    try:
        fn()
    except m.RomError as e:
        expect(needle in str(e), "%s: message %r lacks %r" % (what, str(e), needle))
        return
    expect(False, what + ": accepted")


def pe(machine=0x8664, magic=0x20B, subsystem=11, body=1000):
    """A PE file as far as the headers the packer reads: DOS stub, COFF header, the
    start of a PE32+ optional header (subsystem at 0x44), then filler."""
    b = bytearray(0x40 + 24 + 240 + body)
    b[0:2] = b"MZ"
    struct.pack_into("<I", b, 0x3C, 0x40)
    b[0x40:0x44] = b"PE\0\0"
    struct.pack_into("<HH", b, 0x44, machine, 0)
    struct.pack_into("<H", b, 0x54, 240)		# SizeOfOptionalHeader
    struct.pack_into("<H", b, 0x58, magic)
    struct.pack_into("<H", b, 0x58 + 0x44, subsystem)
    for i in range(0x40 + 24 + 240, len(b)):
        b[i] = (i * 7) & 0xFF
    return bytes(b)


# --- a good driver ------------------------------------------------------------------
drv = pe()
rom = m.pack(drv, 0x1414, 0xB007, 0x088000, 0x0102)
blocks = (0x38 + len(drv) + 511) // 512
expect(len(rom) == blocks * 512, "size %d, %d blocks" % (len(rom), blocks))
want = (b"\x55\xAA" + struct.pack("<H", blocks) + struct.pack("<I", 0x0EF1) +
        struct.pack("<HHH", 11, 0x8664, 0) + bytes(8) + struct.pack("<HHH", 0x38, 0x1C, 0) +
        b"PCIR" + struct.pack("<HHHH", 0x1414, 0xB007, 0, 0x1C) + b"\x03" + b"\x00\x80\x08" +
        struct.pack("<HH", blocks, 0x0102) + b"\x03\x80" + bytes(6))
expect(len(want) == 0x38, "layout table is 0x38 bytes")
expect(rom[:0x38] == want, "header bytes:\n %s\n %s" % (rom[:0x38].hex(), want.hex()))
expect(rom[0x38:0x38 + len(drv)] == drv, "the PE follows at 0x38")
expect(rom[0x38 + len(drv):] == bytes(len(rom) - 0x38 - len(drv)), "zero padding")
found = m.check(rom)
expect(len(found) == 1 and found[0][0]["offset"] == 0 and found[0][2] == 11, "one boot service driver")
img = m.walk(rom)[0]
expect((img["vendor"], img["device"], img["class_code"]) == (0x1414, 0xB007, 0x088000), "PCIR ids")
pe_bytes, subsys, machine = m.efi_image(rom, img)
expect(pe_bytes[:len(drv)] == drv and len(pe_bytes) == blocks * 512 - 0x38, "LoadFile2 hands over the PE")
expect(m.check(m.pack(pe(subsystem=12), 1, 2, 3, 0))[0][2] == 12, "runtime driver")
# Exactly filling a block: no extra block.
exact = pe(body=512 * 3 - 0x38 - (0x40 + 24 + 240))
expect(len(m.pack(exact, 1, 2, 3, 0)) == 512 * 3, "exact fit")

# --- drivers the packer refuses -----------------------------------------------------
refused(lambda: m.pack(pe(subsystem=10), 1, 2, 3, 0), "application", "application")
refused(lambda: m.pack(pe(subsystem=2), 1, 2, 3, 0), "subsystem 2", "not an EFI driver")
refused(lambda: m.pack(pe(machine=0x14C), 1, 2, 3, 0), "i386", "not x64")
refused(lambda: m.pack(pe(magic=0x10B), 1, 2, 3, 0), "PE32", "not PE32+")
refused(lambda: m.pack(b"ZM" + pe()[2:], 1, 2, 3, 0), "no MZ", "no MZ")
refused(lambda: m.pack(pe()[:0x60], 1, 2, 3, 0), "truncated", "outside the file")
bad = bytearray(pe())
bad[0x40] = ord("X")
refused(lambda: m.pack(bytes(bad), 1, 2, 3, 0), "no PE signature", "no PE signature")
refused(lambda: m.pack(pe(body=0xFFFF * 512), 1, 2, 3, 0), "too large", "too large")


# --- ROMs the firmware would not load a driver from ---------------------------------
def patched(off, fmt, val):
    b = bytearray(rom)
    struct.pack_into(fmt, b, off, val)
    return bytes(b)


refused(lambda: m.check(patched(0, "<H", 0xAA56)), "no 55 AA", "not a PCI expansion ROM")
refused(lambda: m.check(patched(0x18, "<H", 0)), "PCIR offset 0", "not a PCI expansion ROM")
# A PCI data structure that is there, but at an offset that is not a multiple of 4.
mis = bytearray(patched(0x18, "<H", 0x1E))
mis[0x1E:0x1E + 0x1C] = rom[0x1C:0x38]
refused(lambda: m.check(bytes(mis)), "PCIR misaligned", "not a PCI expansion ROM")
refused(lambda: m.check(patched(0x18, "<H", len(rom) - 0x14)), "PCIR past the end", "not a PCI expansion ROM")
refused(lambda: m.check(patched(0x1C, "<I", 0x52494351)), "PCIR signature", "not a PCI expansion ROM")
refused(lambda: m.check(patched(0x2C, "<H", blocks + 1)), "image longer than the ROM", "not a PCI expansion ROM")
refused(lambda: m.check(rom[:512]), "truncated ROM", "not a PCI expansion ROM")
refused(lambda: m.check(patched(0x30, "<B", 0)), "legacy code type", "no EFI image")
refused(lambda: m.check(patched(0x04, "<I", 0x0EF0)), "EFI signature", "EFI signature")
refused(lambda: m.check(patched(0x08, "<H", 10)), "application in the header", "not a driver")
refused(lambda: m.check(patched(0x08, "<H", 12)), "header and PE disagree", "PE subsystem 11")
refused(lambda: m.check(patched(0x0C, "<H", 2)), "compression 2", "compression type 2")
refused(lambda: m.check(patched(0x0C, "<H", 1)), "compressed", "compressed")
refused(lambda: m.check(patched(0x02, "<H", blocks + 1)), "init size > image", "initialization size")
refused(lambda: m.check(patched(0x16, "<H", blocks * 512)), "PE past init size", "initialization size")
refused(lambda: m.check(patched(0x0A, "<H", 0xAA64)), "ROM machine", "not x64")
refused(lambda: m.check(patched(0x16, "<H", 0x40)), "PE offset off the PE", "no MZ")

# --- the walk: a legacy image first, a gap block, then the driver --------------------
legacy = bytearray(1024)
legacy[0:2] = b"\x55\xAA"
struct.pack_into("<H", legacy, 0x18, 0x20)
legacy[0x20:0x24] = b"PCIR"
struct.pack_into("<H", legacy, 0x20 + 0x10, 2)
two = bytes(legacy) + bytes(512) + rom
imgs = m.walk(two)
expect([i["offset"] for i in imgs] == [0, 1536], "walk offsets %r" % [i["offset"] for i in imgs])
expect(len(m.check(two)) == 1 and m.check(two)[0][0]["offset"] == 1536, "the driver after a legacy image")
# The last-image indicator on the legacy image hides the driver.
legacy[0x20 + 0x15] = 0x80
refused(lambda: m.check(bytes(legacy) + rom), "after the last image", "no EFI image")

# --- the command line ---------------------------------------------------------------
with tempfile.TemporaryDirectory() as d:
    src, out = os.path.join(d, "drv.efi"), os.path.join(d, "drv.rom")
    with open(src, "wb") as f:
        f.write(drv)
    r = subprocess.run([script, "--vendor", "0x1414", "--device", "0xb007", "--revision", "0x0102", src, out],
                       capture_output=True, text=True)
    expect(r.returncode == 0 and open(out, "rb").read() == rom, "cli pack: %r" % (r,))
    r = subprocess.run([script, "--check", out], capture_output=True, text=True)
    expect(r.returncode == 0 and "EFI image at 0x0" in r.stdout and "1414:b007" in r.stdout
           and "subsystem 11" in r.stdout, "cli check: %r" % (r,))
    with open(src, "wb") as f:
        f.write(pe(subsystem=10))
    r = subprocess.run([script, src, out], capture_output=True, text=True)
    expect(r.returncode == 1 and "application" in r.stderr, "cli refuses an application: %r" % (r,))
    r = subprocess.run([script, "--check", src], capture_output=True, text=True)
    expect(r.returncode == 1 and "not a PCI expansion ROM" in r.stderr, "cli check of a PE: %r" % (r,))
    r = subprocess.run([script, "--vendor", "0x10000", src, out], capture_output=True, text=True)
    expect(r.returncode == 2, "cli: vendor out of range: %r" % (r,))

if failures:
    print("%d failures" % failures)
    sys.exit(1)
print("ok")
