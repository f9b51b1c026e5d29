/* Hashing: a 64-bit mixer, a byte hash, and a uint32 -> uint32 hash map. */
#ifndef ATR_COMMON_HASH_H
#define ATR_COMMON_HASH_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t atr__mix64(uint64_t x) {
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return x;
}

uint64_t atr__hash_bytes(const void *p, size_t n, uint64_t seed);

/* ---- uint32 -> uint32 hash map (open addressing) ---- */
typedef struct atr__u32map {
    uint32_t *keys; /* key + 1; 0 = empty slot */
    uint32_t *vals;
    uint32_t mask, n;
} atr__u32map;

int atr__u32map_put(atr__u32map *m, uint32_t key, uint32_t val); /* 0 or ATR_ENOMEM */
/* Pointer to the value of key, or NULL. Keys must be < UINT32_MAX. */
uint32_t *atr__u32map_get(const atr__u32map *m, uint32_t key);
void atr__u32map_free(atr__u32map *m);

#endif /* ATR_COMMON_HASH_H */
