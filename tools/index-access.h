/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* index-access.h: the room's index, opened for the archive verbs. */
#pragma once

#include "archive/segment-index.h"
#include "config/config.h"

G_BEGIN_DECLS

char *describe_access (const char *path);
CrSegmentIndex *open_index (const CrConfig *config, gboolean for_writing, char **index_path, int *exit_code);
CrSegmentIndex *open_index_quietly (const CrConfig *config);

G_END_DECLS
