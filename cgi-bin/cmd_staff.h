/* cmd_staff.h - `bakery-api create-staff NAME`: the way staff accounts come
 * to exist (there is no default account or password). */
#ifndef BAKERY_CMD_STAFF_H
#define BAKERY_CMD_STAFF_H

#include "config.h"

/* Reads the password (stdin, or BAKERY_STAFF_PASSWORD when stdin is not a
 * terminal), refuses one under STAFF_PASSWORD_MIN characters, stores the
 * account. Returns the process exit status: 0 created, 1 refused or failed. */
int cmd_create_staff(const struct config *cfg, const char *name);

#endif
