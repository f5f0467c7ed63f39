/* SPDX-License-Identifier: MIT */
/*
 * The machine on the management socket: the vm.*, guest.* and disk.* methods, and
 * the events the layers below report (state changes, resets, guest crashes,
 * heartbeat lost and regained).
 */
#ifndef HVKVM_MGMT_METHODS_H
#define HVKVM_MGMT_METHODS_H

#include <stdbool.h>
#include <stdint.h>

struct mgmt;
struct mgmt_call;
struct machine;
struct mgmt_methods;
struct vm;

/* Register the methods and hook the events; before the VM starts. NULL on failure. */
struct mgmt_methods *mgmt_methods_new(struct mgmt *m, struct machine *machine);
/* Unhook, and answer calls still waiting (vm.shutdown) with an error; before
 * mgmt_free(), with the vCPUs stopped. */
void mgmt_methods_free(struct mgmt_methods *mm);

/* For methods that need a VM started and not stopped for good: true, or false
 * after answering call with MGMT_ERR_VM_STATE. */
bool mgmt_vm_alive(struct mgmt_call *call, struct vm *vm);

/* params (NULL or an object) holds only the keys in known (NULL-terminated): true, or
 * false after answering -32602 naming the first other key. */
struct json_object;
bool mgmt_params_ok(struct mgmt_call *call, struct json_object *params, const char *const *known);
/* An HRESULT as the replies show it: "0x80004005". */
struct json_object *mgmt_hresult(uint32_t status);
/* An error's data: {errno: -r}. */
struct json_object *mgmt_errno_data(int r);
/* A device entry of vm.devices for a VMBus device: kind, id, its channel's class and
 * instance GUIDs, and whether the guest opened it and its protocol is connected. */
struct json_object *mgmt_vmbus_device(const char *kind, const char *id, const char *class_id,
				      const char *instance_id, bool open);
/*
 * Why the guest's integration component ic (NULL: VMBus is off) cannot be asked, as an
 * error to call (name as in vm.info, e.g. "kvp"; what its driver needs when it has not
 * answered the version negotiation): false if it can be asked.
 */
struct ic;
bool mgmt_ic_unavailable(struct mgmt_call *call, struct machine *m, struct ic *ic, const char *name,
			 const char *label, const char *not_answering);

/* A parameter against its setting's rule (a config_rule_*() result): true if it keeps
 * it (broken NULL), or false after answering -32602 naming key and the rule. */
bool mgmt_param_keeps(struct mgmt_call *call, const char *key, const char *broken);

/*
 * Each device family registers its methods from a file of its own, named after its
 * prefix, and mgmt_methods_new() calls it: disk_methods.c for disk.add and
 * disk.remove, net_methods.c for net.add, net.remove and net.set_link.
 */
int mgmt_disk_methods_register(struct mgmt *m, struct machine *machine);
int mgmt_net_methods_register(struct mgmt *m, struct machine *machine);
/* cdrom.eject and cdrom.insert: cdrom_methods.c; and the drive as vm.info shows it
 * (NULL without one). */
int mgmt_cdrom_methods_register(struct mgmt *m, struct machine *machine);
struct json_object *mgmt_cdrom_json(struct machine *m);
/* input.send_keys and input.pointer: input_methods.c. */
int mgmt_input_methods_register(struct mgmt *m, struct machine *machine);
/* screen.screenshot and screen.info: screen_methods.c. */
int mgmt_screen_methods_register(struct mgmt *m, struct machine *machine);
/* guest.info, guest.ip and kvp.*: guest_methods.c. Its calls wait for the guest; free
 * answers those still waiting. */
struct mgmt_guest;
struct mgmt_guest *mgmt_guest_methods_new(struct mgmt *m, struct machine *machine);
void mgmt_guest_methods_free(struct mgmt_guest *mg);
/* How often the guest's pools are read while a client subscribes to kvp events
 * (5 s by default; loop thread or before the loop runs). */
void mgmt_guest_set_watch_period(struct mgmt_guest *mg, unsigned ms);
/* guest.copy_file: fcopy_methods.c. Its calls wait for the guest; free answers those
 * still waiting and cancels their copies. */
struct mgmt_fcopy;
struct mgmt_fcopy *mgmt_fcopy_methods_new(struct mgmt *m, struct machine *machine);
void mgmt_fcopy_methods_free(struct mgmt_fcopy *mf);
/* guest.freeze, guest.thaw and guest.fsfreeze_status (the VSS IC), and its fsfreeze
 * events: vss_methods.c. free answers the calls still waiting. */
struct mgmt_vss;
struct mgmt_vss *mgmt_vss_methods_new(struct mgmt *m, struct machine *machine);
void mgmt_vss_methods_free(struct mgmt_vss *mv);
/* An adapter as net.* methods and vm.info show it: id, tap, mac, mtu, link. */
struct machine_net;
struct json_object *mgmt_net_json(const struct machine_net *n);
/* The keyboard and mouse as vm.info shows them, appended to devs. */
void mgmt_input_devices(struct machine *m, struct json_object *devs);
/* The video device as vm.info shows it, appended to devs: screen_methods.c. */
void mgmt_screen_devices(struct machine *m, struct json_object *devs);
/* vm.info's "vnc": the VNC server's address and viewers, or null without --vnc. */
struct json_object *mgmt_screen_vnc(struct machine *m);

#endif
