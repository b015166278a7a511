/* reader: loads result files (schema mqttbench.result.v1) defensively and
 * reads their values through validating getters: the byte-level half of the
 * one result reader (result_from_json in result.h is the typed half).
 *
 * Every error is one line in err, without a trailing newline. reader_load and
 * reader_parse start it with the file's name ("PATH: what is wrong"); the
 * getters start it with the dotted key ("publish.messages: missing"), so a
 * caller prefixes the file name. err may be NULL when errlen is 0. */
#ifndef MB_READER_H
#define MB_READER_H

#include <stddef.h>
#include <stdint.h>

struct cJSON;
struct hist;

#define READER_MAX_BYTES ((size_t)64 << 20)   /* largest result file accepted: 64 MiB */
#define READER_MAX_DEPTH 64                   /* deepest nesting of arrays/objects accepted */
#define READER_MAX_COUNT 9007199254740992.0   /* 2^53: the largest count a double holds exactly */

/* Read the file at path (a regular file, a pipe or a device; never a
 * directory) and parse it with reader_parse. A regular file's size is checked
 * before reading; anything else is read in a bounded loop and refused past
 * READER_MAX_BYTES. On success *out is the document (the caller frees it with
 * cJSON_Delete) and 0 is returned. On failure *out is NULL, err holds
 * "PATH: what is wrong" and -1 is returned. */
int reader_load(const char *path, struct cJSON **out, char *err, size_t errlen);

/* Every byte of path ("-": standard input), for reader_split: a stream of
 * results as `kubectl logs` or `srun` prints them. *buf (NUL after *len
 * bytes) is the caller's to free. Refused: what reader_load refuses of a
 * file (cannot open, a directory, empty), and more than
 * READER_MAX_STREAM_BYTES. 0, or -1 with err "PATH: problem". */
#define READER_MAX_STREAM_BYTES ((size_t)256 << 20)
int reader_load_stream(const char *path, char **buf, size_t *len, char *err, size_t errlen);

/* One document found by reader_split: bytes start .. start+len of the
 * stream, beginning on line `line` (from 1). */
struct reader_doc {
    size_t start, len, line;
};

/* The documents in len bytes at buf: each `{` that begins a line (or
 * follows the end of the document before it) begins one, which ends at its
 * matching `}` (brackets inside strings do not count) or, when it never
 * closes, at the end of the stream (reader_parse then calls it truncated).
 * Other lines are text, such as a summary on stderr: *text_lines counts
 * those that are not blank. The bytes are not parsed here (reader_parse
 * each document). Fills docs[0..*ndocs); -1 when there are more than max. */
int reader_split(const char *buf, size_t len, struct reader_doc *docs, size_t max, size_t *ndocs,
                 size_t *text_lines);

/* Parse len bytes at buf (need not be NUL-terminated; may hold anything) as
 * a result document named name in messages. Refused: no bytes or only
 * whitespace, more than READER_MAX_BYTES, a NUL byte, nesting deeper than
 * READER_MAX_DEPTH (checked on the bytes before cJSON sees them, so deep input
 * cannot exhaust the stack), invalid JSON (with line and column), a top level
 * that is not an object, an object with the same key twice, and a "schema"
 * that is missing or is not RESULT_SCHEMA (naming the schema found).
 * Returns 0 with *out owned by the caller (cJSON_Delete), or -1 with *out
 * NULL and err filled. */
int reader_parse(const char *buf, size_t len, const char *name, struct cJSON **out,
                 char *err, size_t errlen);

/* The item at dotted_path ("subscribe.lost") below obj, or NULL when obj is
 * not an object, a step is missing or a step is not an object. Keys are
 * case-sensitive; a path longer than 255 bytes finds nothing. */
const struct cJSON *reader_find(const struct cJSON *obj, const char *dotted_path);

/* The number at dotted_path, which must be a finite JSON number in [lo, hi].
 * Returns 0 with *out set, or -1 with err naming the key and the problem
 * (missing, wrong type, not finite, negative, out of range). */
int reader_number(const struct cJSON *obj, const char *dotted_path, double lo, double hi,
                  double *out, char *err, size_t errlen);

/* A count at dotted_path: an integer in [0, 2^53] (larger doubles are not
 * exact). Returns 0 with *out set, or -1 with err filled. */
int reader_count(const struct cJSON *obj, const char *dotted_path, uint64_t *out,
                 char *err, size_t errlen);

/* The string at dotted_path. *out points into obj (valid while obj lives).
 * Returns 0, or -1 with err filled when missing or not a string. */
int reader_string(const struct cJSON *obj, const char *dotted_path, const char **out,
                  char *err, size_t errlen);

/* The object at dotted_path. With nullable, a JSON null is accepted and gives
 * *out = NULL. Returns 0, or -1 with err filled (missing, or another type). */
int reader_object(const struct cJSON *obj, const char *dotted_path, int nullable,
                  const struct cJSON **out, char *err, size_t errlen);

/* Rebuild h (caller's storage, ~30 KiB) from latency_obj, a result's
 * "latency_us" object: its "histogram" must have layout "log-linear-v1" and
 * unit "ns", and a flat "buckets" array [index, count, ...] of even length
 * with strictly increasing indices below HIST_BUCKETS and counts that are
 * integers <= 2^53; min_ns/max_ns must lie in the lowest/highest non-empty
 * bucket (hist_restore's checks), and the sums must fit values in [min_ns,
 * max_ns]: sum_ns within count * [min_ns, max_ns], sumsq_ns within count *
 * [min_ns^2, max_ns^2], and count * sumsq_ns >= sum_ns^2 (so mean and stdev
 * are never absurd). The keys derived from the buckets (counts, percentiles)
 * are result_from_json's to check. Returns 0, or -1 with err filled and h
 * left empty. */
int reader_histogram(const struct cJSON *latency_obj, struct hist *h, char *err, size_t errlen);

/* v as the shortest decimal text (15 to 17 significant digits) that reads
 * back as exactly v, for messages and exact JSON: 152.576, not
 * 152.57599999999999. buf should hold 32 bytes. */
void reader_number_text(double v, char *buf, size_t len);

/* x as it reads in a message: a number as reader_number_text, a string as
 * reader_sanitize (40 characters), other JSON compact and cut, a missing
 * value (NULL) "(none)". */
void reader_show_value(const struct cJSON *x, char *buf, size_t len);

/* errmsg_sanitize (src/errmsg.h), kept under this name for its callers. */
void reader_sanitize(const char *s, size_t max, char *buf, size_t len);

#endif
