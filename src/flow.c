/* Pacing and flow control: the arithmetic, and the shared counters. */
#include "flow.h"

#include <stdlib.h>
#include <string.h>

#include "errmsg.h"

bool flow_enabled(const struct mb_config *cfg)
{
    return cfg->mode == MB_MODE_BOTH && cfg->backlog && cfg->rate <= 0;
}

uint64_t flow_default_backlog(const struct mb_config *cfg)
{
    if (cfg->mode != MB_MODE_BOTH) return 0;
    if (cfg->pub_qos == 2) return 100;
    return cfg->pub_qos == 0 && cfg->sub_qos == 0 ? 500 : 10;
}

#define FLOW_COALESCE_NS 100000ull

uint64_t flow_default_coalesce_ns(const struct mb_config *cfg)
{
    bool flood = cfg->mode == MB_MODE_BOTH && cfg->rate <= 0;
    return flood && cfg->pub_qos == 0 && cfg->sub_qos == 0 ? FLOW_COALESCE_NS : 0;
}

uint64_t flow_due_ns(uint64_t t0_ns, uint64_t slot_ns, uint32_t publishers, uint32_t index, uint32_t seq)
{
    uint64_t offset = slot_ns * index / (publishers ? publishers : 1);
    return t0_ns + offset + (uint64_t)seq * slot_ns;
}

/* backlog - behind, at least 0. */
static uint64_t remaining(uint64_t backlog, uint64_t issued, uint64_t progress)
{
    uint64_t behind = issued > progress ? issued - progress : 0;
    return behind >= backlog ? 0 : backlog - behind;
}

static uint64_t share(uint64_t rem, uint64_t n)
{
    return n ? rem / n + (rem % n ? 1 : 0) : rem;
}

uint64_t flow_uniform_room(uint64_t backlog, uint64_t issued, uint64_t min_frontier, uint64_t publishers,
                           uint64_t mine)
{
    if (min_frontier == UINT64_MAX) return UINT64_MAX;
    uint64_t rem = remaining(backlog, issued, min_frontier);
    if (!publishers || mine >= publishers) return rem;
    return share(rem * mine, publishers);   /* rem <= backlog: no overflow in practice */
}

uint64_t flow_uniform_allowance(uint64_t backlog, uint64_t issued, uint64_t min_frontier, uint64_t publishers)
{
    return flow_uniform_room(backlog, issued, min_frontier, publishers, 1);
}

size_t flow_deal(uint64_t room, size_t n, uint64_t burst, const bool *ready, size_t start, uint64_t *out)
{
    if (!n) return 0;
    size_t next = start % n;
    for (size_t k = 0; k < n; k++) {
        size_t i = (start + k) % n;
        uint64_t g = ready[i] ? (room < burst ? room : burst) : 0;
        out[i] = g;
        room -= g;
        if (g) next = (i + 1) % n;   /* the next deal starts after the last one served */
    }
    return next;
}

void flow_receiver_progress(const struct topology *t, const uint64_t *sub_frontier, const uint64_t *sub_received,
                            uint64_t *progress)
{
    for (size_t r = 0; r < t->nreceivers; r++) progress[r] = 0;
    for (size_t j = 0; j < t->nsubs; j++) {
        uint32_t r = t->sub_receiver[j];
        progress[r] += t->receiver_members[r] == 1 ? sub_frontier[j] : sub_received[j];
    }
}

void flow_allowances(const struct topology *t, uint64_t backlog, const uint64_t *pub_issued,
                     const uint64_t *progress, uint64_t *allow)
{
    uint64_t total = 0;
    for (size_t i = 0; i < t->npubs; i++) {
        total += pub_issued[i];
        allow[i] = UINT64_MAX;
    }
    uint64_t all_min = UINT64_MAX;   /* the least share among receivers that hear everyone */
    for (size_t r = 0; r < t->nreceivers; r++) {
        const struct topology_match *m = &t->matches[r];
        if (m->all) {
            uint64_t s = share(remaining(backlog, total, progress[r]), t->npubs);
            if (s < all_min) all_min = s;
            continue;
        }
        uint64_t issued = 0;
        for (uint32_t k = 0; k < m->n; k++) issued += pub_issued[m->pubs[k]];
        uint64_t s = share(remaining(backlog, issued, progress[r]), m->n);
        for (uint32_t k = 0; k < m->n; k++)
            if (s < allow[m->pubs[k]]) allow[m->pubs[k]] = s;
    }
    if (all_min != UINT64_MAX)
        for (size_t i = 0; i < t->npubs; i++)
            if (all_min < allow[i]) allow[i] = all_min;
}

int flow_init(struct flow *f, uint64_t backlog, const struct topology *t, size_t nworkers, char *err, size_t errlen)
{
    memset(f, 0, sizeof(*f));
    f->backlog = backlog;
    f->topo = t;
    f->uniform = t->uniform;
    f->nworkers = nworkers;
    f->workers = calloc(nworkers ? nworkers : 1, sizeof(*f->workers));
    f->pub_issued = calloc(t->npubs ? t->npubs : 1, sizeof(*f->pub_issued));
    f->sub_frontier = calloc(t->nsubs ? t->nsubs : 1, sizeof(*f->sub_frontier));
    f->sub_received = calloc(t->nsubs ? t->nsubs : 1, sizeof(*f->sub_received));
    if (!f->workers || !f->pub_issued || !f->sub_frontier || !f->sub_received) {
        flow_free(f);
        errmsg_set(err, errlen, "out of memory setting up flow control");
        return -1;
    }
    for (size_t i = 0; i < nworkers; i++) atomic_init(&f->workers[i].min_frontier, UINT64_MAX);
    return 0;
}

void flow_free(struct flow *f)
{
    free(f->workers);
    free(f->pub_issued);
    free(f->sub_frontier);
    free(f->sub_received);
    memset(f, 0, sizeof(*f));
}

bool flow_half_free(uint64_t room, uint64_t empty)
{
    return room >= empty - empty / 2;
}

bool flow_paced_by_window(double held_s, double pub_duration_s)
{
    return pub_duration_s > 0 && held_s > pub_duration_s / 2;
}
