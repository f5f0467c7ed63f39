/* SPDX-License-Identifier: MIT */
/* GUIDs as VMBus carries them: the first three fields little-endian. */
#ifndef HVKVM_VMBUS_GUID_H
#define HVKVM_VMBUS_GUID_H

#include <stdbool.h>

#include "vmbus_proto.h"

#define VMBUS_GUID_STRLEN 37	/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" and NUL */

/* Parse the usual text form; -EINVAL if it is not one. */
int vmbus_guid_parse(const char *s, struct vmbus_guid *g);
void vmbus_guid_format(const struct vmbus_guid *g, char out[VMBUS_GUID_STRLEN]);
bool vmbus_guid_equal(const struct vmbus_guid *a, const struct vmbus_guid *b);

#endif
