/*
** Reading integers out of untrusted bytes. Callers check the bounds first
** (these never do): every parser keeps "offset + width <= size" next to the
** read it guards, where a reader can see it.
*/
#ifndef DK_BYTES_H
#define DK_BYTES_H

#include <stdint.h>

static inline uint16_t dk_rd16le(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t dk_rd32le(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t dk_rd64le(const uint8_t *p) { return dk_rd32le(p) | ((uint64_t)dk_rd32le(p + 4) << 32); }
static inline uint16_t dk_rd16be(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t dk_rd32be(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}
static inline uint64_t dk_rd64be(const uint8_t *p) { return ((uint64_t)dk_rd32be(p) << 32) | dk_rd32be(p + 4); }

#endif
