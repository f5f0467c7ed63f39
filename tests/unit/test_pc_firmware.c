/* SPDX-License-Identifier: MIT */
/*
 * The firmware's view of the PC: where the two flash images go, and the kernel, initrd
 * and command line as QEMU's kernel loader items, read back through the fw_cfg ports
 * the way OVMF reads them.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fw_cfg_fixture.h"
#include "pc_firmware.h"
#include "testutil.h"

START_TEST(flash_layout)
{
	uint64_t code, vars;

	/* Debian's OVMF_CODE_4M.fd and OVMF_VARS_4M.fd: 4 MiB that end at 4 GiB. */
	ck_assert_int_eq(pc_fw_flash_layout(3653632, 540672, &code, &vars), 0);
	ck_assert_uint_eq(code, 0xffc84000ull);
	ck_assert_uint_eq(vars, 0xffc00000ull);
	/* The 2 MiB build: 1920 KiB of code, 128 KiB of variables. */
	ck_assert_int_eq(pc_fw_flash_layout(1966080, 131072, &code, &vars), 0);
	ck_assert_uint_eq(code, 0xffe20000ull);
	ck_assert_uint_eq(vars, 0xffe00000ull);
	/* KVM's pages stay below the largest layout. */
	ck_assert_int_eq(pc_fw_flash_layout(CONFIG_FIRMWARE_MAX - 4096, 4096, &code, &vars), 0);
	ck_assert_uint_eq(vars, PC_FW_IDENTITY_MAP_END);
	ck_assert_uint_le(PC_FW_IDENTITY_MAP_ADDR + 0x4000, vars);

	ck_assert_int_eq(pc_fw_flash_layout(0, 4096, &code, &vars), -EINVAL);
	ck_assert_int_eq(pc_fw_flash_layout(4096, 0, &code, &vars), -EINVAL);
	ck_assert_int_eq(pc_fw_flash_layout(4097, 4096, &code, &vars), -EINVAL);
	ck_assert_int_eq(pc_fw_flash_layout(4096, 2048, &code, &vars), -EINVAL);
	ck_assert_int_eq(pc_fw_flash_layout(CONFIG_FIRMWARE_MAX, 4096, &code, &vars), -EINVAL);
	ck_assert_int_eq(pc_fw_flash_layout(UINT64_MAX & ~0xfffull, 4096, &code, &vars), -EINVAL);
	ck_assert_int_eq(pc_fw_flash_layout(4096, UINT64_MAX & ~0xfffull, &code, &vars), -EINVAL);
}
END_TEST

static struct fw_cfg_fx fx;

static void setup(void)
{
	fw_cfg_fx_init(&fx, 0x10000);
}

static void teardown(void)
{
	fw_cfg_fx_fini(&fx);
}

/* Item key as the firmware reads it: selected, then byte by byte from the data port. */
static void read_item(uint16_t key, void *dst, size_t n)
{
	fw_cfg_fx_select(&fx, key);
	fw_cfg_fx_read(&fx, dst, n);
}

static uint32_t read_u32(uint16_t key)
{
	uint8_t b[4];

	read_item(key, b, 4);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static int file_with(const void *data, size_t len)
{
	int fd = memfd_create("test", MFD_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	return fd;
}

/* A bzImage's first bytes: setup_sects at 0x1F1 and "HdrS" at 0x202; the rest a
 * pattern so that the split is visible. */
static uint8_t *fake_bzimage(size_t len, uint8_t setup_sects)
{
	uint8_t *k = malloc(len);

	ck_assert_ptr_nonnull(k);
	for (size_t i = 0; i < len; i++)
		k[i] = (uint8_t)(i * 7 + 3);
	k[0x1f1] = setup_sects;
	memcpy(k + 0x202, "HdrS", 4);
	return k;
}

START_TEST(kernel_items)
{
	size_t klen = 9000, setup = (3 + 1) * 512;
	uint8_t *k = fake_bzimage(klen, 3), *got = malloc(klen);
	const char initrd[] = "an initrd of a few bytes";
	const char *cmdline = "console=ttyS0 rig.test=uefi";
	struct boot_files f = { file_with(k, klen), file_with(initrd, sizeof(initrd)), "vmlinuz", "initrd" };
	char err[256] = "", line[64];

	ck_assert_int_eq(pc_fw_add_kernel(fx.fc, &f, cmdline, err, sizeof(err)), 0);
	ck_assert_uint_eq(read_u32(FW_CFG_SETUP_SIZE), setup);
	ck_assert_uint_eq(read_u32(FW_CFG_KERNEL_SIZE), klen - setup);
	read_item(FW_CFG_SETUP_DATA, got, setup);
	ck_assert(!memcmp(got, k, setup));
	read_item(FW_CFG_KERNEL_DATA, got, klen - setup);
	ck_assert(!memcmp(got, k + setup, klen - setup));
	ck_assert_uint_eq(read_u32(FW_CFG_INITRD_SIZE), sizeof(initrd));
	read_item(FW_CFG_INITRD_DATA, got, sizeof(initrd));
	ck_assert(!memcmp(got, initrd, sizeof(initrd)));
	/* The command line's size counts its NUL, which OVMF checks for. */
	ck_assert_uint_eq(read_u32(FW_CFG_CMDLINE_SIZE), strlen(cmdline) + 1);
	read_item(FW_CFG_CMDLINE_DATA, line, strlen(cmdline) + 1);
	ck_assert_str_eq(line, cmdline);
	close(f.kernel_fd);
	close(f.initrd_fd);
	free(k);
	free(got);
}
END_TEST

START_TEST(kernel_without_initrd)
{
	size_t klen = 4096;
	uint8_t *k = fake_bzimage(klen, 0);	/* 0: four setup sectors */
	struct boot_files f = { file_with(k, klen), -1, "vmlinuz", NULL };
	char err[256] = "";

	ck_assert_int_eq(pc_fw_add_kernel(fx.fc, &f, "", err, sizeof(err)), 0);
	ck_assert_uint_eq(read_u32(FW_CFG_SETUP_SIZE), 5 * 512);
	ck_assert_uint_eq(read_u32(FW_CFG_KERNEL_SIZE), klen - 5 * 512);
	ck_assert_uint_eq(read_u32(FW_CFG_INITRD_SIZE), 0);
	ck_assert_uint_eq(read_u32(FW_CFG_CMDLINE_SIZE), 1);
	close(f.kernel_fd);
	free(k);
}
END_TEST

START_TEST(kernel_refused)
{
	uint8_t *k = fake_bzimage(4096, 3);
	struct boot_files f = { -1, -1, "vmlinuz", NULL };
	char err[256] = "";

	/* An ELF (no "HdrS"), a file shorter than the header, setup as long as the file. */
	memcpy(k + 0x202, "ELF!", 4);
	f.kernel_fd = file_with(k, 4096);
	ck_assert_int_eq(pc_fw_add_kernel(fx.fc, &f, "", err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "vmlinuz: not a bzImage"), "%s", err);
	close(f.kernel_fd);
	memcpy(k + 0x202, "HdrS", 4);
	f.kernel_fd = file_with(k, 0x200);
	ck_assert_int_eq(pc_fw_add_kernel(fx.fc, &f, "", err, sizeof(err)), -EINVAL);
	close(f.kernel_fd);
	k[0x1f1] = 7;	/* 4 KiB of setup in a 4 KiB file */
	f.kernel_fd = file_with(k, 4096);
	ck_assert_int_eq(pc_fw_add_kernel(fx.fc, &f, "", err, sizeof(err)), -EINVAL);
	close(f.kernel_fd);
	/* Nothing was given to the firmware. */
	ck_assert_uint_eq(read_u32(FW_CFG_KERNEL_SIZE), 0);
	free(k);
}
END_TEST

/* --boot as OVMF's "bootorder": one OpenFirmware path a line in the order asked, the
 * disks in the order given, the CD at the LUN it gets, a NUL at the end. */
START_TEST(bootorder_file)
{
	struct vm_config cfg;
	struct disk_config d[2] = { { .controller = 1, .lun = 2 }, { .controller = 0, .lun = 0 } };
	char buf[512];
	long n;

	config_init(&cfg);
	cfg.disks = d;
	cfg.ndisks = 2;
	cfg.cdrom = true;
	cfg.boot[0] = CONFIG_BOOT_CDROM;
	cfg.boot[1] = CONFIG_BOOT_DISK;
	cfg.nboot = 2;
	n = pc_fw_bootorder(&cfg, PCI_DEVFN(3, 0), buf, sizeof(buf));
	ck_assert_str_eq(buf, "/pci@i0cf8/pci-bridge@3/scsi@0/channel@0/disk@0,1\n"
			 "/pci@i0cf8/pci-bridge@3/scsi@1/channel@0/disk@0,2\n"
			 "/pci@i0cf8/pci-bridge@3/scsi@0/channel@0/disk@0,0\n");
	ck_assert_int_eq(n, (long)strlen(buf) + 1);
	cfg.boot[0] = CONFIG_BOOT_DISK;
	cfg.boot[1] = CONFIG_BOOT_CDROM;
	d[0].lun = 10;
	n = pc_fw_bootorder(&cfg, PCI_DEVFN(0x1f, 2), buf, sizeof(buf));
	ck_assert_str_eq(buf, "/pci@i0cf8/pci-bridge@1f,2/scsi@1/channel@0/disk@0,a\n"
			 "/pci@i0cf8/pci-bridge@1f,2/scsi@0/channel@0/disk@0,0\n"
			 "/pci@i0cf8/pci-bridge@1f,2/scsi@0/channel@0/disk@0,1\n");
	ck_assert_int_eq(n, (long)strlen(buf) + 1);
	cfg.nboot = 1;
	n = pc_fw_bootorder(&cfg, PCI_DEVFN(3, 0), buf, sizeof(buf));
	ck_assert_uint_eq(strlen(buf), 2 * strlen("/pci@i0cf8/pci-bridge@3/scsi@0/channel@0/disk@0,0\n"));
	/* too short: refused, never cut */
	ck_assert_int_eq(pc_fw_bootorder(&cfg, PCI_DEVFN(3, 0), buf, 60), -ENOSPC);
	ck_assert_int_eq(pc_fw_bootorder(&cfg, PCI_DEVFN(3, 0), buf, 0), -ENOSPC);
	ck_assert_int_eq(pc_fw_bootorder(&cfg, PCI_DEVFN(3, 0), buf, (size_t)n), n);
	ck_assert_int_eq(pc_fw_bootorder(&cfg, PCI_DEVFN(3, 0), buf, (size_t)n - 1), -ENOSPC);
	cfg.disks = NULL;
	cfg.ndisks = 0;
	config_free(&cfg);
}
END_TEST

static Suite *pc_firmware_suite(void)
{
	Suite *s = suite_create("pc_firmware");
	TCase *tc = tcase_create("layout");
	TCase *tk = tcase_create("kernel");

	tcase_add_test(tc, flash_layout);
	tcase_add_test(tc, bootorder_file);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tk, setup, teardown);
	tcase_add_test(tk, kernel_items);
	tcase_add_test(tk, kernel_without_initrd);
	tcase_add_test(tk, kernel_refused);
	suite_add_tcase(s, tk);
	return s;
}

int main(void)
{
	return test_main(pc_firmware_suite());
}
