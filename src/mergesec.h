/* mergesec: the sections of a merged result (merge.h), each combined from
 * the inputs by its own rule: counts summed, histograms merged exactly, rates
 * recomputed, the timeseries on the wall clock. merge.c validates the inputs
 * and decides the kind of merge; this file builds the document. */
#ifndef MB_MERGESEC_H
#define MB_MERGESEC_H

#include <stdbool.h>
#include <stddef.h>

struct cJSON;

#define MERGE_MAX_SECONDS 1e9       /* largest t, duration or phase accepted, s (~31 years) */

/* One input, as merge.c validated it. */
struct mergesec_input {
    const struct cJSON *doc;
    const char *name;           /* for messages */
    bool pub, sub;              /* the result has that side */
    int status;                 /* 0 ok, 1 aborted, 2 failed */
    double start_s;             /* environment.start_time + phases.connect_s, seconds since the epoch */
};

/* Merge state: the inputs, where errors go, and whether memory ran out. */
struct mergesec {
    struct mergesec_input *in;
    size_t n;
    char *err;                  /* "NAME: problem" */
    size_t errlen;
    bool oom;                   /* set instead of failing; the caller checks it */
};

/* Write fmt to m->err; returns -1 (for `return mergesec_fail(...)`). */
__attribute__((format(printf, 2, 3)))
int mergesec_fail(struct mergesec *m, const char *fmt, ...);

/* Add every section of the merged result to root, in the writer's key order,
 * then "merged" and "sources". split: pub inputs and sub inputs of one run
 * (mode "both"; publish from the pub inputs, the rest of the sub side from
 * the sub inputs). Returns 0 (check m->oom), or -1 with m->err naming the
 * input and key that could not be combined. */
int mergesec_build(struct mergesec *m, struct cJSON *root, bool split);

#endif
