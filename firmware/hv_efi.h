/* SPDX-License-Identifier: MIT */
/*
 * The Hyper-V layer of hvkvm's UEFI driver: the hypervisor check, the guest OS ID, the
 * hypercall page and the SynIC of VP 0 with SINT 2 in polling mode, and a struct
 * vmbusc_host over them for the VMBus client (vmbusc.h). Boot services only; the
 * teardown runs inside the ExitBootServices notification and neither allocates nor
 * prints.
 */
#ifndef HVKVM_FW_HV_EFI_H
#define HVKVM_FW_HV_EFI_H

#include <efi.h>

#include "vmbusc.h"

/* Checks the hypervisor ("Microsoft Hv", the MSRs and hypercalls VMBus needs) and sets
 * the partition and VP 0's SynIC up. EFI_UNSUPPORTED on another hypervisor; the
 * reason is in *why (a static string). */
EFI_STATUS hv_efi_init(const char **why);
/* The environment of the VMBus client; valid after hv_efi_init succeeded. */
const struct vmbusc_host *hv_efi_host(void);
/* Everything hv_efi_init set, undone in the order an OS expects to find it: SINT 2
 * masked, SynIC off, SIMP/SIEFP off, hypercall page off, guest OS ID 0. No
 * allocation, no output: callable from the ExitBootServices notification. */
void hv_efi_teardown(void);

/* The VMBus connection the driver keeps until ExitBootServices (NULL before Start
 * connected it): the storage code finds its offers and opens its channels here. */
extern struct vmbusc *hv_efi_bus;

#endif
