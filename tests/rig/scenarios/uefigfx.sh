#!/bin/bash
# rig: firmware
# The firmware's screen and keyboard are hvkvm's synthetic video and keyboard: OVMF loads
# hvkvm's UEFI driver from the option ROM, which gives the firmware EFI graphics output on
# the synthetic video device (VRAM at 0xFD000000) and simple text input on the synthetic
# keyboard, and makes them consoles of the firmware. The guest boots a CD made by
# grub-mkrescue (uefigfx.drive) whose GRUB menu uses the firmware's consoles. While the
# menu waits, screen.screenshot of the management socket shows it (tesseract reads an
# entry's name), and input.send_keys (Down, then Return) picks its second entry, whose
# line with a random token the serial console shows; Linux then starts, and its
# hyperv_drm and hyperv_keyboard bind the devices after the driver's UNLOAD at
# ExitBootServices.
. "$(dirname "$0")/../lib.sh"
L2_KERNEL=
code=/usr/share/OVMF/OVMF_CODE_4M.fd
rom=$(dirname "$HVKVM")/firmware/hvkvm-vmbus.rom
fbpattern=$(dirname "$HVKVM")/tests/fbpattern
iso=$(dirname "$OUT")/gfx-cd.iso
token=$(cat "$(dirname "$OUT")/gfx-token" 2>/dev/null)
checkx "OVMF is installed ($code)" '[ -r "$code" ] && [ -r /usr/share/OVMF/OVMF_VARS_4M.fd ]'
checkx "the driver ROM was built ($rom; gnu-efi)" '[ -r "$rom" ]'
checkx "the CD image was made ($iso)" '[ -r "$iso" ] && [ -n "$token" ]'
checkx "tesseract and fbpattern are there" 'command -v tesseract > /dev/null && [ -x "$fbpattern" ]'
img=/tmp/uefigfx
mkdir -p "$img"
# screen.screenshot wants an absolute path (hvkvm's working directory is not ours)
out=$(cd "$OUT" && pwd)
sock=$img/api.sock
rm -f "$sock"
ctl() { "$HVKVM" ctl --socket "$sock" "$@"; }
json() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null; }

GUEST_TIMEOUT=${UEFIGFX_TIMEOUT:-1500}
guest_start gfx1 --firmware uefi --option-rom "$rom" --cpus 2 --memory 1G --stats --cdrom "$iso" \
	--api-socket "$sock"
s=$OUT/gfx1.serial
# L1 has one (emulated) CPU, shared by the guest and this script: the waits below poll
# once a second, and the screen is read (PNG, tesseract) only once GRUB's menu is there.
slow_wait() {	# slow_wait REGEX SECONDS: until the serial console has it (1 s polls)
	local end=$(( $(date +%s) + $2 ))
	while [ "$(date +%s)" -lt "$end" ] && kill -0 "$pid" 2>/dev/null; do
		grep -aqE "$1" "$s" 2>/dev/null && return 0
		sleep 1
	done
	grep -aqE "$1" "$s" 2>/dev/null
}
slow_wait 'hvkvm-vmbus: console:' 300
t_console=$(date +%s)
# Until GRUB's menu is on the serial console; screen.info's update count every 30 s.
n=0
while [ $n -lt 30 ] && ! slow_wait 'HVKVM SECOND ENTRY' 30; do
	ctl screen.info > "$OUT/wait.json" 2>&1
	n=$((n + 1))
	echo "# gfx1: +$(( $(date +%s) - t_console ))s after the driver's console line: serial $(stat -c %s "$s") bytes, screen updates $(json "$OUT/wait.json" 'd["updates"]'), mode $(json "$OUT/wait.json" '"%dx%d" % (d["mode"]["width"], d["mode"]["height"])')"
done
echo "# gfx1: GRUB's menu on the serial console $(( $(date +%s) - t_console ))s after the driver's console line"
grep -a 'hvkvm-vmbus' "$s" | tr -d '\r' | sed 's/^/# /'
check "gfx1: the driver gave the firmware graphics output on the synthetic video device" \
	grep -aqE 'hvkvm-vmbus: synthetic video relid [0-9]+: graphics output, VRAM at 0xfd000000' "$s"
check "gfx1: and simple text input on the synthetic keyboard" \
	grep -aqE 'hvkvm-vmbus: synthetic keyboard relid [0-9]+: simple text input' "$s"
check "gfx1: and made both consoles of the firmware" grep -aq 'hvkvm-vmbus: console: screen keyboard' "$s"
ctl screen.info > "$OUT/screen-fw.json" 2>&1
echo "# gfx1: screen.info at GRUB's menu: $(tr -d '\n ' < "$OUT/screen-fw.json")"
check "gfx1: at GRUB's menu the firmware's client is connected to the video device (3.5)" \
	[ "$(json "$OUT/screen-fw.json" 'd["connected"], d["version"]')" = "(True, '3.5')" ]
check "gfx1: VRAM where the driver put it, 0xFD000000" \
	[ "$(json "$OUT/screen-fw.json" 'd["vram_gpa"]')" = 0xfd000000 ]
check "gfx1: the firmware's mode, 1024x768 of 32 bits" \
	[ "$(json "$OUT/screen-fw.json" 'd["mode"]["width"], d["mode"]["height"], d["mode"]["depth"]')" = "(1024, 768, 32)" ]
# The whole screen, doubled, dark on light, read by tesseract.
ocr_menu() {
	ctl screen.screenshot path="$out/menu.png" > "$OUT/menu.json" 2>&1 &&
		"$fbpattern" ocr 2 768 "$OUT/menu.png" "$OUT/menu.pgm" > "$OUT/menu-ocr.err" 2>&1 &&
		tesseract "$OUT/menu.pgm" - --psm 6 > "$OUT/menu-ocr.txt" 2>> "$OUT/menu-ocr.err" &&
		grep -q 'SECOND ENTRY' "$OUT/menu-ocr.txt"
}
r=1
for i in 1 2 3 4 5 6; do
	ocr_menu && { r=0; break; }
	sleep 5
done
check "gfx1: screen.screenshot shows GRUB's menu (OCR: $(grep -E 'ENTRY|GRUB' "$OUT/menu-ocr.txt" 2>/dev/null | tr '\n' '|' | cut -c1-120))" [ $r = 0 ]
check "gfx1: GRUB's menu reached the serial console too (the firmware's ConOut)" grep -aq 'HVKVM SECOND ENTRY' "$s"
ctl input.send_keys keys=Down > "$OUT/keys1.json" 2>&1; r1=$?
ctl input.send_keys keys=Return > "$OUT/keys2.json" 2>&1; r2=$?
check "gfx1: input.send_keys answers with the firmware's keyboard client connected ($(tr -d '\n ' < "$OUT/keys1.json"))" \
	sh -c "[ $r1 = 0 ] && [ $r2 = 0 ]"
slow_wait "rig: gfx entry=second token=$token" 300; r=$?
check "gfx1: Down and Return picked GRUB's second entry (its token $token on the serial console)" [ $r = 0 ]
check "gfx1: not the default entry" sh -c "! grep -aq 'rig: gfx entry=first' '$s'"
guest_wait gfx1
check "gfx1: hvkvm exits 0 after the guest powers off" [ "$rc" = 0 ]
check "gfx1: Linux ran its test to the end" grep -a -q 'RIG-END uefigfx rc=0' "$s"
check "gfx1: UEFI started Linux ($(val gfx1 efi))" [ "$(val gfx1 efi)" = yes ]
grep -a -E '^(video-|drm-|fb0=|input-driver=)' "$s" | tr -d '\r' | sed 's/^/# /'
check "gfx1: Linux's hyperv_drm bound the video device after the firmware used it" \
	grep -aq '^video-driver=hyperv_drm devices=1' "$s"
check "gfx1: and has a DRM card for it" grep -aq '^drm-cards=card0' "$s"
check "gfx1: Linux's hyperv_keyboard bound the keyboard after the firmware used it" \
	grep -aq '^input-driver=hyperv_keyboard devices=1' "$s"
seq=$(grep -o -E 'vmbus: guest (connected|unloaded)' "$OUT/gfx1.err" |
	sed -e 's/.*connected/C/' -e 's/.*unloaded/U/' | tr -d '\n')
check "gfx1: firmware contact, UNLOAD, Linux's contact ($seq)" eval '[[ $seq =~ ^CUCU?$ ]]'
check "gfx1: no hypercall or SynIC error in hvkvm's log" \
	sh -c "! grep -a '^hvkvm:' '$OUT/gfx1.err' | grep -iE 'synic|hypercall' | grep -qiE 'error|refus|fail'"
finish
