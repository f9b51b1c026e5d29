/* Hashing: see hash.h. */
#include <stdlib.h>
#include <string.h>

#include "argtrace/atr_common.h"
#include "common/arena.h"
#include "common/hash.h"

uint64_t atr__hash_bytes(const void *p, size_t n, uint64_t seed) {
    const unsigned char *s = p;
    uint64_t h = seed ^ (n * UINT64_C(0x9e3779b97f4a7c15));
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ atr__mix64(w)) * UINT64_C(0x100000001b3);
        s += 8;
        n -= 8;
    }
    uint64_t w = 0;
    if (n) /* s may be NULL for an empty string: memcpy needs a valid pointer even for 0 */
        memcpy(&w, s, n);
    return atr__mix64(h ^ w ^ (uint64_t)n << 56);
}

/* ---- uint32 map ---- */

static int u32map_rehash(atr__u32map *m, uint32_t nslots) {
    if (!atr__budget_take((uint64_t)nslots * 8u))
        return ATR_ENOMEM;
    uint32_t *k = calloc(nslots, sizeof(uint32_t));
    uint32_t *v = malloc((size_t)nslots * sizeof(uint32_t));
    if (!k || !v) {
        free(k);
        free(v);
        return ATR_ENOMEM;
    }
    uint32_t mask = nslots - 1;
    if (m->keys) {
        for (uint32_t i = 0; i <= m->mask; i++) {
            if (!m->keys[i])
                continue;
            uint32_t j = (uint32_t)atr__mix64(m->keys[i]) & mask;
            while (k[j])
                j = (j + 1) & mask;
            k[j] = m->keys[i];
            v[j] = m->vals[i];
        }
    }
    free(m->keys);
    free(m->vals);
    m->keys = k;
    m->vals = v;
    m->mask = mask;
    return 0;
}

int atr__u32map_put(atr__u32map *m, uint32_t key, uint32_t val) {
    if (!m->keys || (uint64_t)(m->n + 1) * 4 > (uint64_t)(m->mask + 1) * 3) {
        uint32_t ns = m->keys ? (m->mask + 1) * 2 : 16;
        if (ns == 0 || u32map_rehash(m, ns))
            return ATR_ENOMEM;
    }
    uint32_t j = (uint32_t)atr__mix64(key + 1u) & m->mask;
    while (m->keys[j] && m->keys[j] != key + 1u)
        j = (j + 1) & m->mask;
    if (!m->keys[j])
        m->n++;
    m->keys[j] = key + 1u;
    m->vals[j] = val;
    return 0;
}

uint32_t *atr__u32map_get(const atr__u32map *m, uint32_t key) {
    if (!m->keys)
        return NULL;
    uint32_t j = (uint32_t)atr__mix64(key + 1u) & m->mask;
    while (m->keys[j]) {
        if (m->keys[j] == key + 1u)
            return &m->vals[j];
        j = (j + 1) & m->mask;
    }
    return NULL;
}

void atr__u32map_free(atr__u32map *m) {
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof(*m));
}
