/* optspec: the options of pub, sub and both as a table, one row per flag.
 *
 * A row holds everything mqttbench knows about a flag: its names, how its
 * value is read and where in struct mb_config it goes, its bounds and
 * default, the commands that take it, its --help line, its key in the
 * result's `config`, and whether it is part of the compared scenario. The
 * code that needs one of these works from the rows:
 *   options.c     getopt_long's table, parsing, "not an option of", --help,
 *                 the arguments of both --processes' children;
 *   result.c      `config` in the result, written and read back;
 *   metrics.c     the scenario keys of compare and merge.
 * Cross-option rules stay in options.c (validate, derive_defaults).
 *
 * Adding a flag:
 *   1. a field in struct mb_config (options.h);
 *   2. a row in opt_specs[] (optspec.c), at the end when it has a config
 *      key (the key order of `config` is the row order, and results already
 *      written keep theirs), flagged OPT_NEWER so that those results still
 *      read; a kind from enum opt_kind, or OPT_CUSTOM with a parse function
 *      beside the row's;
 *   3. its entry in docs/mqttbench.1, under the .SS named by the row's
 *      section, with "Default X." when the row has a default and "(pub only)"
 *      style marks when it is not for every command;
 *   4. its key in docs/results.md's config table.
 * tests/unit/test_options.c walks the table and the man page and fails when
 * one of these is missing or out of step.
 *
 * No libmosquitto and no cJSON here: the results half (RESULTS_SRCS) links it. */
#ifndef MB_OPTSPEC_H
#define MB_OPTSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "options.h"

/* How a value is read, and what it is read into. Bounds are min and max. */
enum opt_kind {
    OPT_INT,       /* digits only, in [min, max]: an int or a long */
    OPT_QOS,       /* 0, 1 or 2: an int */
    OPT_COUNT,     /* a count (1000, 10k, 1M) in [min, max]: a uint64_t */
    OPT_DURATION,  /* a duration (500ms, 30s, 2m) in [min, max] ns: a uint64_t of ns */
    OPT_RATE,      /* a rate per second (5000, 50k) up to max: a double; .unit names it */
    OPT_HEX,       /* 1 to 16 hex digits: a uint64_t, recorded as 16 lowercase digits */
    OPT_STRING,    /* at least min and (max > 0) at most max bytes: a pointer into argv */
    OPT_CHOICE,    /* one of .choices: its value into an int or a bool, its name into a string */
    OPT_FLAG,      /* no value: sets a bool */
    OPT_FLAG_OFF,  /* no value: clears a bool, which is true by default */
    OPT_CUSTOM,    /* .parse reads and stores the value */
    OPT_HELP,      /* no value, no field: print the command's options, exit 0 */
    OPT_VERSION,   /* no value, no field: print the version, exit 0 */
};

/* The C type of a row's field, found by the compiler (OPT_FIELD). */
enum opt_ctype { OPT_C_NONE, OPT_C_INT, OPT_C_LONG, OPT_C_U64, OPT_C_DOUBLE, OPT_C_BOOL, OPT_C_STR, OPT_C_OTHER };
#define OPT_CTYPE(x) _Generic((x), int: OPT_C_INT, long: OPT_C_LONG, uint64_t: OPT_C_U64, double: OPT_C_DOUBLE, \
                              bool: OPT_C_BOOL, const char *: OPT_C_STR, default: OPT_C_OTHER)
/* In a row: the field f of struct mb_config, and its type. */
#define OPT_FIELD(f) .offset = offsetof(struct mb_config, f), .ctype = OPT_CTYPE(((struct mb_config *)0)->f)

/* The commands that take a flag; the others refuse it (exit 2), except in a
 * child of both --processes, which ignores it. */
enum {
    OPT_PUB = 1u << MB_MODE_PUB,
    OPT_SUB = 1u << MB_MODE_SUB,
    OPT_BOTH = 1u << MB_MODE_BOTH,
    OPT_CONN = 1u << MB_MODE_CONN,
    OPT_ALL = OPT_PUB | OPT_SUB | OPT_BOTH,   /* the commands that publish or subscribe (not conn) */
    OPT_SWEEP = 1u << 4,   /* sweep only; sweep also takes every OPT_BOTH row */
};

/* Row flags. */
enum {
    OPT_SCENARIO = 1u << 0,    /* part of the scenario: compare and merge refuse results that differ in it */
    OPT_SECRET = 1u << 1,      /* a string never shown: `config` records only whether it was given (its
                                  key says so, "password_set"), a result read back holds OPT_NOT_RECORDED,
                                  and a refused value is not echoed */
    OPT_UNRECORDED = 1u << 2,  /* deliberately not in `config` (no key) */
    OPT_PARENT = 1u << 3,      /* both --processes sets it for its children instead of passing it on */
    OPT_HIDDEN = 1u << 4,      /* internal: not listed by --help */
    OPT_RECORD_NOT = 1u << 5,  /* a flag recorded as its negation (--no-control as "control") */
    OPT_UNSET_NEG = 1u << 6,   /* an OPT_INT that is -1 until given, and recorded so */
    OPT_NEWER = 1u << 7,       /* a key added after results were stored: one missing from a result reads
                                  as the row's default (or the flag not given) */
};

/* The --help sections, named as the man page's subsections of OPTIONS. */
enum opt_section {
    OPT_SEC_CONNECTION, OPT_SEC_TLS, OPT_SEC_TOPICS, OPT_SEC_MESSAGES, OPT_SEC_CLIENTS, OPT_SEC_PROCESSES,
    OPT_SEC_OUTPUT, OPT_SEC_SWEEP, OPT_SEC_CONN,
    OPT_NSECTIONS
};
extern const char *const opt_section_names[OPT_NSECTIONS];

/* One accepted word of an OPT_CHOICE, and its value (0 or more); the first
 * word of each value is how it is recorded and named in messages. */
struct opt_choice {
    const char *name;
    int value;
};

struct opt_spec;
/* OPT_CUSTOM: read arg into cfg; 0, or -1 with one line in err. shown is arg
 * as a message may echo it (sanitized; not the value of an OPT_SECRET row). */
typedef int (*opt_parse_fn)(const struct opt_spec *s, struct mb_config *cfg, const char *arg, const char *shown,
                            char *err, size_t errlen);

struct opt_spec {
    const char *name;           /* long name, without "--"; NULL ends the table */
    char short_name;            /* one-letter form, or 0; only for a flag with a value */
    enum opt_kind kind;
    size_t offset;              /* of the field (OPT_FIELD) */
    enum opt_ctype ctype;       /* its type; OPT_C_NONE: no field */
    size_t given_at;            /* a bool field set when the flag is given (OPT_GIVEN), or 0 */
    long long min, max;         /* bounds, as the kind says */
    const char *def;            /* the default, read as if given; NULL: zero, or what
                                   options.c's derive_defaults makes of it */
    const struct opt_choice *choices;  /* OPT_CHOICE: ends with a NULL name */
    const char *unit;           /* OPT_RATE: what is counted, for messages ("msgs/s") */
    opt_parse_fn parse;         /* OPT_CUSTOM */
    unsigned modes;             /* OPT_PUB | OPT_SUB | OPT_BOTH */
    unsigned flags;             /* OPT_SCENARIO ... */
    enum opt_section section;
    const char *key;            /* its key in the result's `config`; NULL with OPT_UNRECORDED */
    const char *arg;            /* the value's name in --help and the man page; NULL: takes no value */
    const char *help;           /* the --help text */
    const char *help_pub;       /* the text in pub, when it differs */
    const char *help_sub;       /* the text in sub, when it differs */
    const char *help_conn;      /* the text in conn, when it differs */
};
#define OPT_GIVEN(f) .given_at = offsetof(struct mb_config, f)

/* The rows, ending with one whose name is NULL; at most OPT_MAX_ROWS. */
#define OPT_MAX_ROWS 128
extern const struct opt_spec opt_specs[];
#define OPT_FOR_EACH(s) for (const struct opt_spec *s = opt_specs; s->name; s++)

/* What a result read back holds for a secret that was given. */
#define OPT_NOT_RECORDED "(not recorded)"

/* Bounds on every count, duration and rate, so that no sum or product made
 * from them wraps: a count above 2^53 would not even read back exactly from
 * the result file (JSON numbers are doubles), a year is longer than any
 * benchmark, and a message per nanosecond is faster than any broker. */
#define OPT_MAX_COUNT       9007199254740992LL
#define OPT_MAX_DURATION_NS (365LL * 24 * 3600 * 1000000000)
#define OPT_MAX_RATE        1000000000LL

/* Whether the row takes a value (--name VALUE). */
bool optspec_takes_value(const struct opt_spec *s);

/* The row with this long name, or NULL. */
const struct opt_spec *optspec_find(const char *name);

/* The field of row s in cfg (NULL when it has none). */
void *optspec_field(const struct opt_spec *s, struct mb_config *cfg);
const void *optspec_cfield(const struct opt_spec *s, const struct mb_config *cfg);

/* An integer field (int, long, bool) as a long long, and stored. */
long long optspec_get_int(const struct opt_spec *s, const struct mb_config *cfg);
void optspec_set_int(const struct opt_spec *s, struct mb_config *cfg, long long v);

/* OPT_CHOICE: the name the field's value is recorded as (NULL when none
 * matches), and the value of a word (-1 when it is not one of them). */
const char *optspec_choice_name(const struct opt_spec *s, const struct mb_config *cfg);
int optspec_choice_value(const struct opt_spec *s, const char *word);

/* OPT_CHOICE: the first word of each value, in order, into words (room for
 * max); returns how many. */
size_t optspec_choice_words(const struct opt_spec *s, const char **words, size_t max);

/* Read arg (the value given, "" for a flag) into cfg as row s says, and set
 * its given_at. 0, or -1 with one line in err naming the flag, echoing the
 * value sanitized (never an OPT_SECRET one). */
int optspec_apply(const struct opt_spec *s, struct mb_config *cfg, const char *arg, char *err, size_t errlen);

/* cfg zeroed, then every row's default for mode: OPT_FLAG_OFF fields true,
 * OPT_UNSET_NEG fields -1, .def read as if given. 0, or -1 with err (a
 * default the row's own parser refuses: a bug the unit test catches). */
int optspec_defaults(struct mb_config *cfg, enum mb_mode mode, char *err, size_t errlen);

#endif
