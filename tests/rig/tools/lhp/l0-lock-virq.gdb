# An experiment on one running L0 (the rig's patched QEMU 7.2 build, with symbols), not a
# fix: QEMU's helper_vmrun() sets CPU_INTERRUPT_VIRQ (0x100) in cpu->interrupt_request
# with a plain read-modify-write ("orl $0x100, interrupt_request", not under the iothread
# lock), while the iothread sets CPU_INTERRUPT_POLL in the same word when L1's local APIC
# timer fires. This makes that one instruction atomic in the process's memory:
# "lock orw $0x100, interrupt_request", the same 10 bytes long. If the freeze is that
# lost update, the process so changed no longer freezes.
# Run as: gdb -p QEMU-PID -batch -x l0-lock-virq.gdb
set pagination off
python
import gdb, re
inf = gdb.selected_inferior()
blk = gdb.block_for_pc(int(gdb.parse_and_eval("(long) &helper_vmrun")))
while blk.function is None:
    blk = blk.superblock
start, end = blk.start, blk.end
code = bytes(inf.read_memory(start, end - start))
# orl $0x100, disp32(%rbx): 81 8b <disp32> 00 01 00 00
hits = [m.start() for m in re.finditer(re.escape(b"\x81\x8b") + b"(....)" + re.escape(b"\x00\x01\x00\x00"), code, re.S)]
if len(hits) != 1:
    raise gdb.GdbError("l0-lock-virq: %d candidate instructions in helper_vmrun, not 1: not changing anything" % len(hits))
at = start + hits[0]
disp = code[hits[0] + 2:hits[0] + 6]
gdb.execute("x/1i %d" % at)
inf.write_memory(at, b"\x66\xf0\x81\x8b" + disp + b"\x00\x01")
gdb.execute("x/2i %d" % at)
print("l0-lock-virq: helper_vmrun+%d is now a locked or" % (at - start))
end
detach
quit
