/* Unit tests for payload.c: header layout, round trip, foreign data, stamping,
 * 48-bit latency arithmetic. */
#include "payload.h"
#include "test.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define TS_WRAP (UINT64_C(1) << 48)

static int header_eq(const struct payload_header *a, const struct payload_header *b)
{
    return a->run_tag == b->run_tag && a->pub_index == b->pub_index &&
           a->seq == b->seq && a->ts_ns48 == b->ts_ns48;
}

static void test_layout(void)
{
    static const uint8_t want[16] = {
        0xB1, 0x34, 0x12, 0x9A, 0x78, 0x56, 0xEF, 0xBE,
        0xAD, 0xDE, 0xAB, 0x89, 0x67, 0x45, 0x23, 0x01,
    };
    struct payload_header h = { 0x1234, 0x56789A, 0xDEADBEEFu, UINT64_C(0x0123456789AB) };
    uint8_t buf[16];

    CHECK("payload header size is 16", PAYLOAD_HEADER_SIZE == 16);
    CHECK("payload magic byte is 0xB1", PAYLOAD_MAGIC_BYTE == 0xB1);
    payload_encode(buf, &h);
    CHECK("payload encode byte layout (little-endian)", memcmp(buf, want, 16) == 0);
}

static void test_round_trip(void)
{
    static const struct payload_header cases[] = {
        { 0, 0, 0, 0 },
        { 1, 1, 1, 1 },
        { 0xFFFF, PAYLOAD_MAX_PUBLISHERS - 1, UINT32_MAX, TS_WRAP - 1 },
        { 0x8000, 0x800000, 0x80000000u, UINT64_C(1) << 47 },
        { 0xBEEF, 12345, 987654321u, UINT64_C(0x0000A5A5A5A5A5A5) },
    };
    int ok = 1;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t buf[16];
        struct payload_header out;
        payload_encode(buf, &cases[i]);
        if (payload_decode(buf, sizeof buf, &out) != 0 || !header_eq(&out, &cases[i])) {
            printf("  case %zu: pub %" PRIu32 " seq %" PRIu32 " ts %" PRIu64 "\n",
                   i, out.pub_index, out.seq, out.ts_ns48);
            ok = 0;
        }
    }
    CHECK("payload round trip of all fields incl. max values", ok);

    /* Fields wider than their slot are truncated, not smeared into neighbours. */
    struct payload_header wide = { 7, 0x01000005u, 9, UINT64_C(0xFFFF000000000042) };
    struct payload_header out;
    uint8_t buf[16];
    payload_encode(buf, &wide);
    CHECK("payload encode truncates pub_index to 24 bits and ts to 48 bits",
          payload_decode(buf, 16, &out) == 0 && out.pub_index == 5 && out.ts_ns48 == 0x42 &&
          out.seq == 9 && out.run_tag == 7);
}

static void test_decode_rejects(void)
{
    struct payload_header h = { 0xABCD, 42, 7, 123456789 };
    struct payload_header sentinel = { 1, 2, 3, 4 };
    struct payload_header out = sentinel;
    uint8_t buf[16];

    payload_encode(buf, &h);
    CHECK("payload decode rejects len 0 (NULL buf)", payload_decode(NULL, 0, &out) == -1);
    CHECK("payload decode rejects len 15", payload_decode(buf, 15, &out) == -1);
    CHECK("payload decode leaves out untouched on failure", header_eq(&out, &sentinel));
    CHECK("payload decode accepts len 16", payload_decode(buf, 16, &out) == 0 && header_eq(&out, &h));
    uint8_t longer[40];
    memset(longer, 'x', sizeof longer);
    memcpy(longer, buf, 16);
    CHECK("payload decode accepts len > 16", payload_decode(longer, sizeof longer, &out) == 0 && header_eq(&out, &h));

    /* A 15-byte heap buffer: ASan fails the run if decode reads byte 15. */
    uint8_t *shortbuf = malloc(15);
    if (shortbuf) {
        memcpy(shortbuf, buf, 15);
        CHECK("payload decode does not read a 15-byte buffer past its end",
              payload_decode(shortbuf, 15, &out) == -1);
        free(shortbuf);
    }

    buf[0] = 0xA1;
    CHECK("payload decode rejects wrong magic", payload_decode(buf, 16, &out) == -1);
    buf[0] = 0x1B;
    CHECK("payload decode rejects swapped nibbles", payload_decode(buf, 16, &out) == -1);
    buf[0] = 0xB2;
    CHECK("payload decode rejects version 2", payload_decode(buf, 16, &out) == -1);
    buf[0] = 0xB0;
    CHECK("payload decode rejects version 0", payload_decode(buf, 16, &out) == -1);
    memset(buf, 'a', sizeof buf);
    CHECK("payload decode rejects text", payload_decode(buf, 16, &out) == -1);
}

static void test_init(void)
{
    uint64_t run_id = UINT64_C(0x1122334455667788);
    uint8_t a[100], b[100];
    struct payload_header out;

    memset(a, 0, sizeof a);
    memset(b, 0xFF, sizeof b);
    payload_init(a, sizeof a, run_id, 77);
    payload_init(b, sizeof b, run_id, 77);
    CHECK("payload run tag is the low 16 bits of the run id", payload_run_tag(run_id) == 0x7788);
    CHECK("payload init is deterministic", memcmp(a, b, sizeof a) == 0);
    CHECK("payload init header fields",
          payload_decode(a, sizeof a, &out) == 0 && out.run_tag == 0x7788 &&
          out.pub_index == 77 && out.seq == 0 && out.ts_ns48 == 0);
    int filler_ok = 1;
    for (size_t i = PAYLOAD_HEADER_SIZE; i < sizeof a; i++)
        if (a[i] != (uint8_t)('a' + (i - PAYLOAD_HEADER_SIZE) % 26))
            filler_ok = 0;
    CHECK("payload init filler pattern", filler_ok);

    uint8_t exact[16];
    payload_init(exact, sizeof exact, run_id, 1);
    CHECK("payload init of exactly 16 bytes decodes",
          payload_decode(exact, sizeof exact, &out) == 0 && out.pub_index == 1);

    /* Smaller than a header: no write past the end (ASan), decodes as foreign. */
    uint8_t *tiny = malloc(8);
    if (tiny) {
        payload_init(tiny, 8, run_id, 1);
        CHECK("payload init of 8 bytes writes the header prefix only",
              tiny[0] == 0xB1 && tiny[1] == 0x88 && tiny[2] == 0x77);
        CHECK("payload of 8 bytes decodes as foreign", payload_decode(tiny, 8, &out) == -1);
        free(tiny);
    }
}

static void test_stamp(void)
{
    uint8_t before[64], after[64];
    struct payload_header out;

    payload_init(before, sizeof before, 0xCAFE, 0xABCDEF);
    memcpy(after, before, sizeof after);
    payload_stamp(after, 0xA1B2C3D4u, UINT64_C(0xFFEE112233445566));

    CHECK("payload stamp leaves bytes 0-5 alone", memcmp(before, after, 6) == 0);
    CHECK("payload stamp leaves bytes 16.. alone", memcmp(before + 16, after + 16, 48) == 0);
    CHECK("payload stamp sets seq and low 48 bits of ts",
          payload_decode(after, sizeof after, &out) == 0 && out.seq == 0xA1B2C3D4u &&
          out.ts_ns48 == UINT64_C(0x112233445566) && out.run_tag == 0xCAFE &&
          out.pub_index == 0xABCDEF);

    payload_stamp(after, 0, 0);
    CHECK("payload stamp back to 0 restores the initial buffer", memcmp(before, after, 64) == 0);

    /* Stamping must agree with encoding the same fields. */
    struct payload_header h = { 0xCAFE, 0xABCDEF, 99, UINT64_C(0x123456789ABC) };
    uint8_t enc[16];
    payload_encode(enc, &h);
    payload_stamp(after, 99, UINT64_C(0x123456789ABC));
    CHECK("payload stamp matches encode", memcmp(enc, after, 16) == 0);
}

static void test_latency(void)
{
    int64_t v;

    v = payload_latency_ns(1000, 400);
    CHECKF("payload latency simple", v == 600, "got %" PRId64, v);
    v = payload_latency_ns(400, 405);
    CHECKF("payload latency negative (receiver clock behind)", v == -5, "got %" PRId64, v);
    v = payload_latency_ns(5, 5);
    CHECKF("payload latency zero", v == 0, "got %" PRId64, v);

    /* Sender stamped just before the 48-bit wrap, receiver reads just after. */
    v = payload_latency_ns(TS_WRAP + 5, TS_WRAP - 10);
    CHECKF("payload latency across the 48-bit wrap", v == 15, "got %" PRId64, v);
    v = payload_latency_ns(5, TS_WRAP - 10);
    CHECKF("payload latency across the wrap, receiver clock truncated", v == 15, "got %" PRId64, v);
    v = payload_latency_ns(7 * TS_WRAP + 5, TS_WRAP - 10);
    CHECKF("payload latency with many wraps in the full clock", v == 15, "got %" PRId64, v);

    /* Sender's clock already wrapped, receiver slightly behind it. */
    v = payload_latency_ns(TS_WRAP - 2, 3);
    CHECKF("payload latency negative across the wrap", v == -5, "got %" PRId64, v);

    /* A realistic CLOCK_REALTIME value (~2024) with the stamp truncated. */
    uint64_t now = UINT64_C(1732492800123456789);
    v = payload_latency_ns(now, (now - 1234567) & PAYLOAD_TS_MASK);
    CHECKF("payload latency from a real epoch clock", v == 1234567, "got %" PRId64, v);
    v = payload_latency_ns(now, (now + 1000) & PAYLOAD_TS_MASK);
    CHECKF("payload latency negative from a real epoch clock", v == -1000, "got %" PRId64, v);

    /* The sign boundary: +-2^47. */
    uint64_t half = UINT64_C(1) << 47;
    v = payload_latency_ns(half - 1, 0);
    CHECKF("payload latency largest positive is 2^47-1", v == (int64_t)(half - 1), "got %" PRId64, v);
    v = payload_latency_ns(half, 0);
    CHECKF("payload latency 2^47 reads as -2^47", v == -(int64_t)half, "got %" PRId64, v);
    v = payload_latency_ns(0, TS_WRAP - 1);
    CHECKF("payload latency 1 ns across the wrap", v == 1, "got %" PRId64, v);
}

int main(void)
{
    test_layout();
    test_round_trip();
    test_decode_rejects();
    test_init();
    test_stamp();
    test_latency();
    return test_failures ? 1 : 0;
}
