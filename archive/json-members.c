/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* json-members.c: see json-members.h. */
#include "archive/json-members.h"

#include "archive/utc.h"

void
cr_json_add_text (JsonBuilder *builder, const char *name, const char *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

void
cr_json_add_time (JsonBuilder *builder, const char *name, gint64 utc_us)
{
  g_autofree char *text = utc_us > 0 ? cr_format_utc (utc_us) : NULL;

  cr_json_add_text (builder, name, text);
}

void
cr_json_add_int (JsonBuilder *builder, const char *name, gint64 value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}
