/* topology: who publishes where and who should receive what.
 * Expands topic patterns (%i client index, %c client id, %h hostname) for
 * every publisher and subscriber, applies --shape, groups shared
 * subscriptions ($share/GROUP/FILTER) and works out, for every receiver (a
 * plain subscriber, or a whole share group), which publishers it should hear.
 * That is what makes loss exact in every layout. */
#ifndef MB_TOPOLOGY_H
#define MB_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "options.h"

/* The publishers one receiver should hear: all of them, or a sorted list. */
struct topology_match {
    bool all;
    uint32_t *pubs;
    uint32_t n;
};

struct topology {
    size_t npubs, nsubs;
    char **pub_topics;              /* [npubs], expanded */
    char **sub_filters;             /* [nsubs], expanded, with any $share/ prefix */
    size_t nreceivers;
    uint32_t *sub_receiver;         /* [nsubs]: the receiver a subscriber belongs to */
    uint32_t *receiver_members;     /* [nreceivers]: subscribers in it (1 unless shared) */
    bool *receiver_shared;          /* [nreceivers] */
    struct topology_match *matches; /* [nreceivers] */
    uint32_t *pub_fanout;           /* [npubs]: receivers that should hear each publisher */
    bool uniform;                   /* no share groups, every receiver hears every publisher */
};

/* The client id of role 'p', 's' or 'x' number index into buf (len bytes). */
void topology_client_id(const struct mb_config *cfg, uint16_t run_tag, char role, uint32_t index,
                        char *buf, size_t len);

/* Build the topology of cfg (publishers and subscribers it runs; a `pub` or
 * `sub` process only knows its own side). Returns 0, or -1 with err filled.
 * Free with topology_free. */
int topology_build(struct topology *t, const struct mb_config *cfg, const char *hostname,
                   uint16_t run_tag, char *err, size_t errlen);

/* Before anything connects: builds cfg's topology (hostname from
 * gethostname, for %h) and returns 0, or -1 with one line in err: an
 * --id-prefix that is not UTF-8, a topic or filter that is not valid (every
 * mode), or in `both` "subscriber N's filter 'F' matches no publisher topic
 * (...)": every receiver must hear some publisher. */
int topology_check(const struct mb_config *cfg, char *err, size_t errlen);

/* True when a receiver with match m should hear publisher index pub (m->all:
 * any; the caller bounds the index). */
static inline bool topology_match_has(const struct topology_match *m, uint32_t pub)
{
    if (m->all) return true;
    uint32_t lo = 0, hi = m->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (m->pubs[mid] < pub) lo = mid + 1;
        else hi = mid;
    }
    return lo < m->n && m->pubs[lo] == pub;
}

void topology_free(struct topology *t);

#endif
