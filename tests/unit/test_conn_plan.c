/* Unit tests for src/conn_plan.c: conn's schedule, defaults and checks. */
#include "conn_plan.h"
#include "optspec.h"
#include "test.h"

#include <string.h>

static void conn_cfg(struct mb_config *c)
{
    char err[200];
    optspec_defaults(c, MB_MODE_CONN, err, sizeof(err));
    c->mode = MB_MODE_CONN;
}

static void test_defaults(void)
{
    struct mb_config c;
    conn_cfg(&c);
    conn_defaults(&c);
    CHECKF("defaults: 100 clients, 100/s, 10 s", c.conn_clients == 100 && c.rate == 100 &&
           c.duration_ns == 10000000000ull, "%d %g %llu", c.conn_clients, c.rate, (unsigned long long)c.duration_ns);
    CHECK("defaults: 1000 connects", conn_total(&c) == 1000);
    conn_cfg(&c);
    c.count = 50, c.count_given = true;
    conn_defaults(&c);
    CHECK("defaults: --count leaves --duration unset", c.duration_ns == 0 && conn_total(&c) == 50);
    conn_cfg(&c);
    c.rate = 0, c.rate_given = true;
    conn_defaults(&c);
    char err[200] = "";
    CHECKF("--rate 0 given: refused, not replaced", c.rate == 0 && conn_validate(&c, err, sizeof(err)) == -1 &&
           strstr(err, "--rate: conn needs a rate above 0"), "%s", err);
}

static void test_schedule(void)
{
    struct mb_config c;
    char err[200] = "";
    conn_cfg(&c);
    c.rate = 400, c.rate_given = true, c.duration_ns = 2500000000ull;
    conn_defaults(&c);
    CHECK("400/s for 2.5 s: 1000 connects", conn_total(&c) == 1000);
    CHECK("400/s: 2.5 ms apart", conn_interval_ns(&c) == 2500000);
    c.rate = 3, c.duration_ns = 1000000000ull;
    CHECK("3/s for 1 s: 3 connects (no rounding loss)", conn_total(&c) == 3);
    c.rate = 0.5;
    CHECKF("0.5/s for 1 s: no connect, refused", conn_total(&c) == 0 && conn_validate(&c, err, sizeof(err)) == -1 &&
           strstr(err, "holds no connect"), "%s", err);
    c.rate = 10, c.count = 5, c.count_given = true;
    CHECK("--count with --duration: refused", conn_validate(&c, err, sizeof(err)) == -1);
}

static void test_ids(void)
{
    struct mb_config c;
    conn_cfg(&c);
    CHECK("ids unique without a pool", conn_id_number(&c, 12345) == 12345);
    c.id_pool = 5;
    CHECK("ids cycle over the pool", conn_id_number(&c, 0) == 0 && conn_id_number(&c, 5) == 0 &&
          conn_id_number(&c, 7) == 2);
}

int main(void)
{
    test_defaults();
    test_schedule();
    test_ids();
    return test_failures ? 1 : 0;
}
