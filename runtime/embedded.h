/*
** The scripts built into the binary (cmake/EmbedScripts.cmake writes the
** table): path relative to scripts/ with '/' separators, bytes, length. The
** host loads from here when no scripts folder is found.
*/
#ifndef DK_EMBEDDED_H
#define DK_EMBEDDED_H

#include <stddef.h>

typedef struct dk_embedded_file {
  const char *path; /* "diagkit/cli.lua", "playbooks/exit-code.lua"; NULL ends the table */
  const unsigned char *data;
  size_t size;
} dk_embedded_file;

extern const dk_embedded_file dk_embedded_files[];

#endif
