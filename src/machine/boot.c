/* SPDX-License-Identifier: MIT */
#include "boot.h"
#include "util.h"

#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE_PRESENT	0x1ull
#define PAGE_RW		0x2ull
#define PAGE_PS		0x80ull

/* Where a kernel without a preferred address goes: the classic 1 MiB. */
#define BOOT_DEFAULT_LOAD	0x100000ull
/* Linux's COMMAND_LINE_SIZE on x86, for images that do not state their own. */
#define BOOT_ELF_CMDLINE_SIZE	2048
/* A bzImage's 64-bit entry point within its protected-mode code. */
#define BOOT_BZ_ENTRY_64	0x200ull

/* Where an image's bytes come from: the file the user named, or a buffer. */
struct image_src {
	int fd;			/* -1: buf */
	const uint8_t *buf;
	uint64_t size;
	const char *name;	/* for messages */
};

static int read_at(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;	/* the file shrank under us */
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

static int file_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	*size = (uint64_t)st.st_size;
	return 0;
}

static int src_read(const struct image_src *src, void *dst, uint64_t len, uint64_t off)
{
	if (src->fd >= 0)
		return read_at(src->fd, dst, len, off);
	if (len == 0)
		return 0;
	if (off > src->size || src->size - off < len)
		return -EIO;
	memcpy(dst, src->buf + off, len);
	return 0;
}

/* len bytes of src at off straight into guest RAM at gpa. */
static int src_into_guest(const struct gmem *m, const struct image_src *src, uint64_t off, uint64_t gpa,
			  uint64_t len)
{
	void *dst = gmem_ptr(m, gpa, len);

	if (!dst)
		return -ENOSPC;
	return src_read(src, dst, len, off);
}

static int load_bzimage(const struct gmem *m, const struct image_src *f, const uint8_t *head,
			size_t headlen, struct boot_kernel *k, char *err, size_t errlen)
{
	struct setup_header h;
	uint64_t setup_size, load, kernel_size;
	size_t hdr_len;
	int r;

	if (headlen < 0x202 + 1)
		return util_fail(err, errlen, -EINVAL, "--kernel %s: too small for a bzImage", f->name);
	/* The header's own length is stated by the jump at 0x200. */
	hdr_len = 0x202 + head[0x201] - BOOT_HDR_OFFSET;
	if (hdr_len > sizeof(h))
		hdr_len = sizeof(h);
	if (BOOT_HDR_OFFSET + hdr_len > headlen)
		return util_fail(err, errlen, -EINVAL, "--kernel %s: truncated setup header", f->name);
	memset(&h, 0, sizeof(h));
	memcpy(&h, head + BOOT_HDR_OFFSET, hdr_len);
	if (h.version < 0x020c || !(h.xloadflags & BOOT_XLF_KERNEL_64))
		return util_fail(err, errlen, -EINVAL,
				 "--kernel %s: boot protocol %u.%02u without a 64-bit entry point (needs 2.12+)",
				 f->name, h.version >> 8, h.version & 0xff);

	setup_size = ((uint64_t)(h.setup_sects ? h.setup_sects : 4) + 1) * 512;
	if (setup_size >= f->size)
		return util_fail(err, errlen, -EINVAL, "--kernel %s: no protected-mode kernel after the setup code",
				 f->name);
	kernel_size = f->size - setup_size;
	/* The 64-bit entry point, startup_64, is 0x200 bytes into the protected-mode code. */
	if (kernel_size <= BOOT_BZ_ENTRY_64)
		return util_fail(err, errlen, -EINVAL,
				 "--kernel %s: the protected-mode kernel (%llu bytes) ends before its 64-bit entry point",
				 f->name, (unsigned long long)kernel_size);

	load = BOOT_DEFAULT_LOAD;
	if (h.pref_address >= BOOT_HIGH_MEM && h.pref_address < GMEM_LOW_LIMIT &&
	    (!h.kernel_alignment || h.pref_address % h.kernel_alignment == 0))
		load = h.pref_address;

	k->end = load + (h.init_size > kernel_size ? h.init_size : kernel_size);
	if (k->end > gmem_low_end(m))
		return util_fail(err, errlen, -ENOSPC,
				 "--kernel %s needs %llu MiB of RAM below 3 GiB to unpack; give more --memory",
				 f->name, (unsigned long long)((k->end + (1 << 20) - 1) >> 20));
	r = src_into_guest(m, f, setup_size, load, kernel_size);
	if (r < 0)
		return util_fail(err, errlen, r, "--kernel %s: %s", f->name, strerror(-r));

	k->entry = load + BOOT_BZ_ENTRY_64;
	/* The header states the limit without the NUL; protocols before 2.06 allow 255. */
	k->cmdline_size = (uint64_t)(h.cmdline_size ? h.cmdline_size : 255) + 1;
	k->initrd_addr_max = h.initrd_addr_max ? h.initrd_addr_max : 0x37ffffff;
	h.type_of_loader = BOOT_LOADER_UNDEFINED;
	h.loadflags |= BOOT_CAN_USE_HEAP;
	h.heap_end_ptr = 0xfe00;
	h.vid_mode = 0xffff;	/* "normal": no video mode change */
	h.code32_start = (uint32_t)load;
	k->hdr = h;
	return 0;
}

static int load_elf(const struct gmem *m, const struct image_src *f, const uint8_t *head,
		    size_t headlen, struct boot_kernel *k, char *err, size_t errlen)
{
	Elf64_Ehdr eh;
	uint64_t entry_phys = 0;
	bool found_entry = false;
	int r;

	if (headlen < sizeof(eh))
		return util_fail(err, errlen, -EINVAL, "--kernel %s: truncated ELF header", f->name);
	memcpy(&eh, head, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_machine != EM_X86_64 || eh.e_type != ET_EXEC)
		return util_fail(err, errlen, -EINVAL, "--kernel %s: not an x86-64 executable ELF vmlinux",
				 f->name);
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > 64 ||
	    eh.e_phoff > f->size || f->size - eh.e_phoff < (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr))
		return util_fail(err, errlen, -EINVAL, "--kernel %s: bad program headers", f->name);

	k->end = 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		void *dst;

		r = src_read(f, &ph, sizeof(ph), eh.e_phoff + (uint64_t)i * sizeof(ph));
		if (r < 0)
			return util_fail(err, errlen, r, "--kernel %s: %s", f->name, strerror(-r));
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (ph.p_filesz > ph.p_memsz || ph.p_offset > f->size || f->size - ph.p_offset < ph.p_filesz)
			return util_fail(err, errlen, -EINVAL, "--kernel %s: segment %u lies outside the file",
					 f->name, i);
		if (ph.p_paddr < BOOT_HIGH_MEM || !(dst = gmem_ptr(m, ph.p_paddr, ph.p_memsz)) ||
		    ph.p_paddr + ph.p_memsz > gmem_low_end(m))
			return util_fail(err, errlen, -ENOSPC,
					 "--kernel %s: segment %u at 0x%llx+0x%llx does not fit in guest RAM below 3 GiB",
					 f->name, i, (unsigned long long)ph.p_paddr,
					 (unsigned long long)ph.p_memsz);
		r = src_read(f, dst, ph.p_filesz, ph.p_offset);
		if (r < 0)
			return util_fail(err, errlen, r, "--kernel %s: %s", f->name, strerror(-r));
		memset((uint8_t *)dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
		if (ph.p_paddr + ph.p_memsz > k->end)
			k->end = ph.p_paddr + ph.p_memsz;
		/* The entry may be given as a virtual address: translate it through its segment. */
		if (eh.e_entry >= ph.p_paddr && eh.e_entry - ph.p_paddr < ph.p_memsz) {
			entry_phys = eh.e_entry;
			found_entry = true;
		} else if (!found_entry && eh.e_entry >= ph.p_vaddr && eh.e_entry - ph.p_vaddr < ph.p_memsz) {
			entry_phys = ph.p_paddr + (eh.e_entry - ph.p_vaddr);
			found_entry = true;
		}
	}
	if (!found_entry)
		return util_fail(err, errlen, -EINVAL, "--kernel %s: entry point 0x%llx is in no loadable segment",
				 f->name, (unsigned long long)eh.e_entry);
	k->entry = entry_phys;
	k->cmdline_size = BOOT_ELF_CMDLINE_SIZE;
	k->initrd_addr_max = 0x7fffffff;
	/* A vmlinux has no setup header: describe the loader the way a bzImage's would. */
	memset(&k->hdr, 0, sizeof(k->hdr));
	k->hdr.boot_flag = BOOT_FLAG_MAGIC;
	k->hdr.header = BOOT_HDRS_MAGIC;
	k->hdr.version = 0x020f;
	k->hdr.type_of_loader = BOOT_LOADER_UNDEFINED;
	k->hdr.loadflags = BOOT_LOADED_HIGH | BOOT_CAN_USE_HEAP;
	k->hdr.heap_end_ptr = 0xfe00;
	k->hdr.vid_mode = 0xffff;
	k->hdr.kernel_alignment = 0x1000000;
	k->hdr.cmdline_size = BOOT_ELF_CMDLINE_SIZE - 1;
	k->hdr.initrd_addr_max = k->initrd_addr_max;
	return 0;
}

static void e820_add(struct boot_e820_entry *tab, unsigned max, unsigned *n, uint64_t addr,
		     uint64_t size, uint32_t type)
{
	if (*n < max && size)
		tab[(*n)++] = (struct boot_e820_entry){ addr, size, type };
}

unsigned boot_build_e820(const struct gmem *m, struct boot_e820_entry *tab, unsigned max)
{
	uint64_t low = gmem_low_end(m);
	unsigned n = 0;

	e820_add(tab, max, &n, 0, low < BOOT_EBDA_START ? low : BOOT_EBDA_START, E820_RAM);
	/* EBDA, VGA hole and BIOS area: the ACPI tables live at 0xE0000. */
	if (low > BOOT_EBDA_START)
		e820_add(tab, max, &n, BOOT_EBDA_START, BOOT_HIGH_MEM - BOOT_EBDA_START, E820_RESERVED);
	if (low > BOOT_HIGH_MEM)
		e820_add(tab, max, &n, BOOT_HIGH_MEM, low - BOOT_HIGH_MEM, E820_RAM);
	for (unsigned i = 0; i < m->nregions; i++)
		if (m->region[i].gpa >= GMEM_HIGH_BASE)
			e820_add(tab, max, &n, m->region[i].gpa, m->region[i].size, E820_RAM);
	return n;
}

long boot_build_fw_e820(const struct gmem *m, uint8_t *buf, size_t size)
{
	size_t len = 0;

	for (unsigned i = 0; i < m->nregions; i++) {
		uint8_t *e = buf + len;

		if (!m->region[i].size)
			continue;
		if (size - len < BOOT_FW_E820_ENTRY_LEN)
			return -ENOSPC;
		for (int b = 0; b < 8; b++) {
			e[b] = (uint8_t)(m->region[i].gpa >> (8 * b));
			e[8 + b] = (uint8_t)(m->region[i].size >> (8 * b));
		}
		for (int b = 0; b < 4; b++)
			e[16 + b] = (uint8_t)(E820_RAM >> (8 * b));
		len += BOOT_FW_E820_ENTRY_LEN;
	}
	return (long)len;
}

int boot_fill_params(const struct gmem *m, struct boot_params *bp, uint64_t cmdline_addr,
		     uint64_t initrd_addr, uint64_t initrd_size, uint64_t rsdp)
{
	bp->hdr.cmd_line_ptr = (uint32_t)cmdline_addr;
	bp->ext_cmd_line_ptr = (uint32_t)(cmdline_addr >> 32);
	bp->hdr.ramdisk_image = (uint32_t)initrd_addr;
	bp->ext_ramdisk_image = (uint32_t)(initrd_addr >> 32);
	bp->hdr.ramdisk_size = (uint32_t)initrd_size;
	bp->ext_ramdisk_size = (uint32_t)(initrd_size >> 32);
	bp->acpi_rsdp_addr = rsdp;
	bp->e820_entries = (uint8_t)boot_build_e820(m, bp->e820_table, E820_MAX_ENTRIES);
	return bp->e820_entries ? 0 : -EINVAL;
}

/* Identity-map the first 4 GiB with 2 MiB pages: enough for the kernel, its
 * boot_params, command line and initrd, which is all the 64-bit entry may touch. */
static int build_page_tables(const struct gmem *m)
{
	uint64_t *pml4 = gmem_ptr(m, BOOT_PML4_ADDR, 6 * GMEM_PAGE_SIZE);
	uint64_t *pdpt, *pd;

	if (!pml4)
		return -ENOSPC;
	pdpt = pml4 + 512;
	pd = pdpt + 512;
	memset(pml4, 0, 6 * GMEM_PAGE_SIZE);
	pml4[0] = (BOOT_PML4_ADDR + GMEM_PAGE_SIZE) | PAGE_PRESENT | PAGE_RW;
	for (unsigned i = 0; i < 4; i++)
		pdpt[i] = (BOOT_PML4_ADDR + (2 + i) * GMEM_PAGE_SIZE) | PAGE_PRESENT | PAGE_RW;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | PAGE_PRESENT | PAGE_RW | PAGE_PS;
	return 0;
}

static int build_gdt(const struct gmem *m)
{
	static const uint64_t gdt[4] = {
		0,
		0,
		0x00af9b000000ffffull,	/* 0x10: 64-bit code, DPL 0 */
		0x00cf93000000ffffull,	/* 0x18: flat data */
	};

	return gmem_write(m, BOOT_GDT_ADDR, gdt, sizeof(gdt));
}

static int place_initrd(const struct gmem *m, const struct boot_files *f, const struct boot_kernel *k,
			uint64_t *addr, uint64_t *size, char *err, size_t errlen)
{
	struct image_src src = { f->initrd_fd, NULL, 0, f->initrd_name };
	uint64_t limit, at;
	int r;

	*addr = *size = 0;
	if (f->initrd_fd < 0)
		return 0;
	r = file_size(f->initrd_fd, &src.size);
	if (r < 0)
		return util_fail(err, errlen, r, "--initrd %s: %s", f->initrd_name, strerror(-r));
	if (src.size == 0)
		return 0;
	limit = gmem_low_end(m);
	if ((uint64_t)k->initrd_addr_max + 1 < limit)
		limit = (uint64_t)k->initrd_addr_max + 1;
	at = limit >= src.size ? (limit - src.size) & ~(GMEM_PAGE_SIZE - 1) : 0;
	if (limit < src.size || at < k->end)
		return util_fail(err, errlen, -ENOSPC,
				 "--initrd %s (%llu MiB) does not fit in guest RAM below %llu MiB beside the kernel; give more --memory",
				 f->initrd_name, (unsigned long long)(src.size >> 20),
				 (unsigned long long)(limit >> 20));
	r = src_into_guest(m, &src, 0, at, src.size);
	if (r < 0)
		return util_fail(err, errlen, r, "--initrd %s: %s", f->initrd_name, strerror(-r));
	*addr = at;
	*size = src.size;
	return 0;
}

/* Tell a bzImage from a vmlinux by its first bytes and load it. */
static int load_kernel(const struct gmem *m, const struct image_src *src, struct boot_kernel *k, char *err,
		       size_t errlen)
{
	uint8_t head[4096];
	size_t headlen = src->size < sizeof(head) ? (size_t)src->size : sizeof(head);
	int r;

	r = src_read(src, head, headlen, 0);
	if (r < 0)
		return util_fail(err, errlen, r, "--kernel %s: %s", src->name, strerror(-r));
	if (headlen >= SELFMAG && !memcmp(head, ELFMAG, SELFMAG))
		return load_elf(m, src, head, headlen, k, err, errlen);
	if (headlen >= 0x206 && head[0x1fe] == 0x55 && head[0x1ff] == 0xaa && !memcmp(head + 0x202, "HdrS", 4))
		return load_bzimage(m, src, head, headlen, k, err, errlen);
	return util_fail(err, errlen, -EINVAL, "--kernel %s: neither a bzImage nor an ELF vmlinux", src->name);
}

int boot_load_kernel(const struct gmem *m, const uint8_t *img, uint64_t len, const char *name,
		     struct boot_kernel *k, char *err, size_t errlen)
{
	const struct image_src src = { -1, img, len, name };

	return load_kernel(m, &src, k, err, errlen);
}

int boot_load(struct gmem *m, const struct boot_files *f, const char *cmdline, uint64_t rsdp,
	      struct vcpu_boot_state *st, char *err, size_t errlen)
{
	struct image_src src = { f->kernel_fd, NULL, 0, f->kernel_name };
	struct boot_kernel k;
	struct boot_params *bp;
	uint64_t initrd_addr, initrd_size;
	size_t cmdlen = strlen(cmdline);
	int r;

	if (gmem_low_end(m) < 2 * BOOT_HIGH_MEM)
		return util_fail(err, errlen, -ENOSPC, "guest RAM too small to boot");
	r = file_size(f->kernel_fd, &src.size);
	if (r < 0)
		return util_fail(err, errlen, r, "--kernel %s: %s", f->kernel_name, strerror(-r));
	r = load_kernel(m, &src, &k, err, errlen);
	if (r < 0)
		return r;

	if (cmdlen + 1 > k.cmdline_size || cmdlen + 1 > BOOT_CMDLINE_MAX)
		return util_fail(err, errlen, -E2BIG, "--cmdline is %zu bytes; this kernel accepts at most %llu",
				 cmdlen, (unsigned long long)(k.cmdline_size - 1));
	r = gmem_write(m, BOOT_CMDLINE_ADDR, cmdline, cmdlen + 1);
	if (r < 0)
		return util_fail(err, errlen, r, "cannot write the command line");

	r = place_initrd(m, f, &k, &initrd_addr, &initrd_size, err, errlen);
	if (r < 0)
		return r;

	bp = gmem_ptr(m, BOOT_PARAMS_ADDR, sizeof(*bp));
	if (!bp)
		return util_fail(err, errlen, -ENOSPC, "no room for boot_params");
	memset(bp, 0, sizeof(*bp));
	bp->hdr = k.hdr;
	r = boot_fill_params(m, bp, BOOT_CMDLINE_ADDR, initrd_addr, initrd_size, rsdp);
	if (r == 0)
		r = build_page_tables(m);
	if (r == 0)
		r = build_gdt(m);
	if (r < 0)
		return util_fail(err, errlen, r, "cannot build the boot structures: %s", strerror(-r));

	*st = (struct vcpu_boot_state){ .entry = VCPU_ENTRY_LONG64, .cs = BOOT_CS, .ds = BOOT_DS };
	st->rip = k.entry;
	st->rsi = BOOT_PARAMS_ADDR;
	st->rsp = BOOT_STACK_TOP;
	st->cr0 = 0x80000033ull;	/* PG | NE | ET | MP | PE */
	st->cr3 = BOOT_PML4_ADDR;
	st->cr4 = 0x20;			/* PAE */
	st->efer = 0x500;		/* LMA | LME */
	st->gdt_base = BOOT_GDT_ADDR;
	st->gdt_limit = 4 * 8 - 1;
	return 0;
}
