/* sweep: the objective, the rates, the search and the "sweep" section (see sweep.h). */
#include "sweep.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "units.h"

/* A plain decimal number: digits, optionally '.' and digits; nothing else. */
static int parse_decimal(const char *s, size_t n, double *out)
{
    size_t i = 0, digits = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++, digits++;
    if (i < n && s[i] == '.') {
        size_t f = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
        if (i == f) return -1;
    }
    if (!digits || i != n || n > 30) return -1;
    char buf[32];
    memcpy(buf, s, n);
    buf[n] = '\0';
    *out = strtod(buf, NULL);
    return 0;
}

/* A count or "N%" (fraction) into t. */
static int parse_amount(const char *v, struct sweep_term *t)
{
    size_t n = strlen(v);
    t->fraction = n > 0 && v[n - 1] == '%';
    if (t->fraction) {
        if (parse_decimal(v, n - 1, &t->limit) != 0 || t->limit > 100) return -1;
        t->limit /= 100;
        return 0;
    }
    uint64_t c;
    if (units_parse_count(v, &c) != 0) return -1;
    t->limit = (double)c;
    return 0;
}

/* One term "name OP value" of n bytes at s. */
static int parse_term(const char *s, size_t n, struct sweep_term *t, char *err, size_t errlen)
{
    char term[96], shown[ERRMSG_SHOWN(64)];
    snprintf(term, sizeof(term), "%.*s", (int)(n < 95 ? n : 95), s);
    errmsg_sanitize(term, 64, shown, sizeof(shown));
    size_t name_len = strcspn(term, "<>=");
    if (name_len == strlen(term))
        return errmsg_set(err, errlen, "--slo: '%s' has no comparison (expected p99<10ms, loss=0, dup=0 or "
                          "rate>=95%%)", shown);
    char name[32], op[3] = "";
    snprintf(name, sizeof(name), "%.*s", (int)(name_len < 31 ? name_len : 31), term);
    const char *p = term + name_len;
    size_t op_len = strspn(p, "<>=");
    if (op_len > 2) return errmsg_set(err, errlen, "--slo: '%s': bad comparison", shown);
    memcpy(op, p, op_len);
    op[op_len] = '\0';
    const char *val = p + op_len;
    memset(t, 0, sizeof(*t));
    bool upper = !strcmp(op, "<") || !strcmp(op, "<=") || !strcmp(op, "=");
    t->strict = !strcmp(op, "<") || !strcmp(op, ">");
    if (name[0] == 'p' || !strcmp(name, "max")) {
        t->what = SWEEP_LATENCY;
        if (!strcmp(name, "max")) t->pct = 100;
        else if (!strcmp(name, "p999")) t->pct = 99.9;
        else if (!strcmp(name, "p9999")) t->pct = 99.99;
        else if (parse_decimal(name + 1, strlen(name + 1), &t->pct) != 0 || t->pct <= 0 || t->pct >= 100)
            return errmsg_set(err, errlen, "--slo: '%s': expected a percentile such as p50, p99 or p99.9", shown);
        if (strcmp(op, "<") && strcmp(op, "<="))
            return errmsg_set(err, errlen, "--slo: '%s': a latency takes < or <=", shown);
        uint64_t ns;
        if (units_parse_duration_ns(val, &ns) != 0 || ns == 0)
            return errmsg_set(err, errlen, "--slo: '%s': expected a duration such as 10ms or 500us", shown);
        t->limit = (double)ns / 1e3;
        return 0;
    }
    if (!strcmp(name, "loss") || !strcmp(name, "dup")) {
        t->what = !strcmp(name, "loss") ? SWEEP_LOSS : SWEEP_DUP;
        if (!upper) return errmsg_set(err, errlen, "--slo: '%s': %s takes =, < or <=", shown, name);
        if (parse_amount(val, t) != 0)
            return errmsg_set(err, errlen, "--slo: '%s': expected a count such as 0 or a percentage such as 0.1%%",
                              shown);
        if (t->strict && t->limit == 0)
            return errmsg_set(err, errlen, "--slo: '%s': nothing is below 0 (use %s=0)", shown, name);
        return 0;
    }
    if (!strcmp(name, "rate")) {
        t->what = SWEEP_RATE;
        size_t vl = strlen(val);
        if (strcmp(op, ">=") && strcmp(op, ">"))
            return errmsg_set(err, errlen, "--slo: '%s': rate takes >= or >", shown);
        if (vl < 2 || val[vl - 1] != '%' || parse_decimal(val, vl - 1, &t->limit) != 0 || t->limit <= 0 ||
            t->limit > 100)
            return errmsg_set(err, errlen, "--slo: '%s': expected a percentage of the target such as 95%%", shown);
        t->limit /= 100;
        return 0;
    }
    return errmsg_set(err, errlen, "--slo: unknown term '%s' (expected pN, max, loss, dup or rate)", shown);
}

int sweep_parse_objective(const char *s, struct sweep_objective *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof(*o));
    size_t used = 0;
    for (const char *a = s; *a;) {
        while (*a == ' ') a++;
        size_t n = strcspn(a, ",");
        while (n > 0 && a[n - 1] == ' ') n--;
        char term[96];
        size_t k = 0;
        for (size_t i = 0; i < n && k < sizeof(term) - 1; i++)
            if (a[i] != ' ') term[k++] = a[i];
        term[k] = '\0';
        if (k == 0) return errmsg_set(err, errlen, "--slo: an empty term (expected e.g. 'p99<10ms,loss=0')");
        if (o->n == SWEEP_MAX_TERMS) return errmsg_set(err, errlen, "--slo: at most %d terms", SWEEP_MAX_TERMS);
        if (parse_term(term, k, &o->terms[o->n], err, errlen) != 0) return -1;
        o->n++;
        int w = snprintf(o->text + used, sizeof(o->text) - used, "%s%s", used ? "," : "", term);
        if (w < 0 || (size_t)w >= sizeof(o->text) - used) return errmsg_set(err, errlen, "--slo: too long");
        used += (size_t)w;
        a += strcspn(a, ",");
        if (*a == ',') {
            a++;
            if (!*a) return errmsg_set(err, errlen, "--slo: an empty term after the last ','");
        }
    }
    if (!o->n) return errmsg_set(err, errlen, "--slo: expected terms such as 'p99<10ms,loss=0'");
    return 0;
}

int sweep_parse_rates(const char *s, double *rates, size_t max, char *err, size_t errlen)
{
    size_t n = 0;
    for (const char *a = s;;) {
        size_t len = strcspn(a, ",");
        char one[64], shown[ERRMSG_SHOWN(64)];
        snprintf(one, sizeof(one), "%.*s", (int)(len < 63 ? len : 63), a);
        errmsg_sanitize(one, 64, shown, sizeof(shown));
        double r;
        if (units_parse_rate(one, &r) != 0 || len >= 63)
            return errmsg_set(err, errlen, "--rates: expected rates such as 10k,20k,50k, got '%s'", shown);
        if (r <= 0) return errmsg_set(err, errlen, "--rates: a rate must be above 0, got '%s'", shown);
        if (r > 1e9) return errmsg_set(err, errlen, "--rates: at most 1000M msgs/s, got '%s'", shown);
        if (n && r <= rates[n - 1])
            return errmsg_set(err, errlen, "--rates: must rise from one rate to the next, got '%s' after %.0f",
                              shown, rates[n - 1]);
        if (n == max) return errmsg_set(err, errlen, "--rates: at most %zu rates", max);
        rates[n++] = r;
        a += len;
        if (!*a) break;
        a++;
    }
    return (int)n;
}

int sweep_geometric(double from, double to, long steps, double *rates, size_t max, char *err, size_t errlen)
{
    if (from <= 0) return errmsg_set(err, errlen, "--from: must be above 0");
    if (to <= from) return errmsg_set(err, errlen, "--to: must be above --from (%.0f)", from);
    if (steps < 2 || (size_t)steps > max) return errmsg_set(err, errlen, "--steps: from 2 to %zu", max);
    for (long i = 0; i < steps; i++) {
        rates[i] = round(from * pow(to / from, (double)i / (double)(steps - 1)));
        if (i && rates[i] <= rates[i - 1])
            return errmsg_set(err, errlen, "--steps: %ld steps from %.0f to %.0f msgs/s repeat a whole rate; "
                              "give fewer", steps, from, to);
    }
    return (int)steps;
}

static double term_value(const struct sweep_term *t, const struct sweep_step *st, const struct run_result *r)
{
    double expected = r->expected_known ? (double)r->expected : 0;
    switch (t->what) {
    case SWEEP_LATENCY: return t->pct >= 100 ? (double)r->total.lat.max_ns / 1e3 : result_percentile_us(&r->total.lat, t->pct);
    case SWEEP_LOSS: return t->fraction ? (expected > 0 ? st->loss / expected : 0) : st->loss;
    case SWEEP_DUP: return t->fraction ? (expected > 0 ? st->duplicates / expected : 0) : st->duplicates;
    case SWEEP_RATE: return st->target > 0 ? st->published / st->target : 0;
    }
    return 0;
}

static void term_name(const struct sweep_term *t, char *buf, size_t len)
{
    switch (t->what) {
    case SWEEP_LATENCY:
        if (t->pct >= 100) snprintf(buf, len, "max");
        else snprintf(buf, len, "p%g", t->pct);
        break;
    case SWEEP_LOSS: snprintf(buf, len, "loss"); break;
    case SWEEP_DUP: snprintf(buf, len, "dup"); break;
    case SWEEP_RATE: snprintf(buf, len, "rate"); break;
    }
}

void sweep_judge(const struct sweep_objective *o, const struct run_result *r, bool tool_limited,
                 struct sweep_step *st)
{
    memset(st, 0, sizeof(*st));
    const struct stats *t = &r->total;
    st->target = r->cfg->rate;
    st->published = result_rate(t->pub_done, r->pub_duration_s);
    st->delivered = result_rate(t->sub_unique, r->sub_duration_s);
    st->p50_us = result_percentile_us(&t->lat, 50);
    st->p99_us = result_percentile_us(&t->lat, 99);
    st->p999_us = result_percentile_us(&t->lat, 99.9);
    st->max_us = (double)t->lat.max_ns / 1e3;
    st->service_p99_us = result_percentile_us(&t->service_lat, 99);
    st->loss = (double)(r->lost + r->in_flight);
    st->duplicates = (double)r->duplicates;
    st->cpu_s = r->cpu_user_s + r->cpu_sys_s;   /* each run's own (run.c) */
    st->tool_limited = tool_limited;
    st->pass = true;
    if (r->status != RESULT_OK) {
        st->pass = false;
        snprintf(st->why, sizeof(st->why), "the run %s: %.120s", result_status_name(r->status), r->error);
        return;
    }
    for (size_t i = 0; i < o->n; i++) {
        const struct sweep_term *tm = &o->terms[i];
        double v = term_value(tm, st, r);
        bool ok = tm->what == SWEEP_RATE ? (tm->strict ? v > tm->limit : v >= tm->limit)
                                         : (tm->strict ? v < tm->limit : v <= tm->limit);
        if (ok) continue;
        char name[16];
        term_name(tm, name, sizeof(name));
        st->pass = false;
        if (tm->what == SWEEP_LATENCY) {
            char a[32], b[32];
            snprintf(st->why, sizeof(st->why), "%s %s, objective %s %s", name,
                     units_format_duration((uint64_t)(v * 1e3), a, sizeof(a)), tm->strict ? "<" : "<=",
                     units_format_duration((uint64_t)(tm->limit * 1e3), b, sizeof(b)));
        } else if (tm->what == SWEEP_RATE) {
            snprintf(st->why, sizeof(st->why), "published %.0f msgs/s, %.1f%% of the target (objective %s %g%%)",
                     st->published, 100 * v, tm->strict ? ">" : ">=", 100 * tm->limit);
        } else if (tm->fraction) {
            snprintf(st->why, sizeof(st->why), "%s %.3g%% of the expected messages, objective %s %g%%", name,
                     100 * v, tm->strict ? "<" : "<=", 100 * tm->limit);
        } else {
            snprintf(st->why, sizeof(st->why), "%s %.0f messages, objective %s %.0f", name, v,
                     tm->strict ? "<" : "<=", tm->limit);
        }
        return;
    }
}

void sweep_knee(const struct sweep_step *steps, size_t n, struct sweep_knee *k)
{
    k->pass = k->fail = -1;
    k->tool_limited = false;
    for (size_t i = 0; i < n; i++)
        if (!steps[i].pass && (k->fail < 0 || steps[i].target < steps[k->fail].target)) k->fail = (long)i;
    for (size_t i = 0; i < n; i++)
        if (steps[i].pass && (k->fail < 0 || steps[i].target < steps[k->fail].target) &&
            (k->pass < 0 || steps[i].target > steps[k->pass].target))
            k->pass = (long)i;
    if (k->fail >= 0) k->tool_limited = steps[k->fail].tool_limited;
    else if (k->pass >= 0) k->tool_limited = steps[k->pass].tool_limited;
}

int sweep_next(const struct sweep *s, const struct sweep_step *steps, size_t n, double *next)
{
    if (n >= SWEEP_MAX_STEPS) return 0;
    struct sweep_knee k;
    sweep_knee(steps, n, &k);
    /* mqttbench's own limit, or a run that did not complete: nothing above
     * it says anything about the broker, and a failing broker is not loaded
     * again. */
    for (size_t i = 0; i < n; i++)
        if (!steps[i].pass && (steps[i].tool_limited || !strncmp(steps[i].why, "the run ", 8))) return 0;
    if (k.fail < 0) {
        if (n < s->nrates) {
            *next = s->rates[n];
            return 1;
        }
        return 0;
    }
    if (!s->find_max || k.pass < 0) return 0;
    double lo = steps[k.pass].target, hi = steps[k.fail].target;
    if (hi / lo - 1 <= s->resolution) return 0;
    double mid = round(sqrt(lo * hi));
    if (mid <= lo || mid >= hi) return 0;
    *next = mid;
    return 1;
}

size_t sweep_execute(struct sweep *s, const struct mb_config *base, struct mb_config *cfgs, struct run_result *runs,
                     struct sweep_step *steps, sweep_step_fn fn, void *ctx, FILE *log)
{
    size_t n = 0;
    double rate;
    while (sweep_next(s, steps, n, &rate)) {
        struct mb_config *c = &cfgs[n];
        *c = *base;
        c->rate = rate;
        c->count = 0;
        c->count_given = false;
        c->duration_ns = (uint64_t)(s->step_s * 1e9 + 0.5);
        c->warmup_ns = (uint64_t)(s->warmup_s * 1e9 + 0.5);
        c->run_id = base->run_id + n;
        bool tool = false;
        result_init(&runs[n], c);
        int rc = fn(ctx, c, &runs[n], &tool);
        s->tool_limited[n] = tool;
        sweep_judge(&s->obj, &runs[n], tool, &steps[n]);
        n++;
        if (log) {
            const struct sweep_step *st = &steps[n - 1];
            fprintf(log, "mqttbench: sweep step %zu at %.0f msgs/s: %s, delivered %.0f msgs/s, p99 %.1f us, "
                    "lost %.0f%s%s%s\n", n, rate, st->pass ? "pass" : "FAIL", st->delivered, st->p99_us, st->loss,
                    st->why[0] ? " (" : "", st->why, st->why[0] ? ")" : "");
            if (tool) fprintf(log, "mqttbench: sweep step %zu: mqttbench itself set the pace (its NOTE above)\n", n);
        }
        if (rc != 0) break;
    }
    return n;
}

void sweep_verdict(const struct sweep *s, const struct sweep_step *steps, size_t n, char *buf, size_t len)
{
    struct sweep_knee k;
    sweep_knee(steps, n, &k);
    if (!n) {
        snprintf(buf, len, "no step ran");
    } else if (k.fail >= 0 && k.tool_limited) {
        if (k.pass >= 0)
            snprintf(buf, len, "the objective held up to %.0f msgs/s; at %.0f msgs/s mqttbench itself could not keep "
                     "up, so the broker's knee is at least %.0f msgs/s, beyond what this generator measures",
                     steps[k.pass].target, steps[k.fail].target, steps[k.pass].target);
        else
            snprintf(buf, len, "mqttbench itself could not keep up at %.0f msgs/s, the lowest rate: nothing is known "
                     "of the broker; use fewer clients, more --threads or another host", steps[k.fail].target);
    } else if (k.fail >= 0 && k.pass >= 0) {
        snprintf(buf, len, "knee: the objective holds at %.0f msgs/s and fails at %.0f msgs/s (%s)%s",
                 steps[k.pass].target, steps[k.fail].target, steps[k.fail].why,
                 s->find_max && steps[k.fail].target / steps[k.pass].target - 1 > s->resolution
                     ? "; the search stopped before the resolution" : "");
    } else if (k.fail >= 0) {
        snprintf(buf, len, "the objective fails at the lowest rate, %.0f msgs/s (%s): start lower",
                 steps[k.fail].target, steps[k.fail].why);
    } else {
        snprintf(buf, len, "the objective held at every rate, up to %.0f msgs/s%s: the knee is higher; raise --to "
                 "or add rates", steps[k.pass].target,
                 k.tool_limited ? " (where mqttbench itself set the pace)" : "");
    }
}

void sweep_print(FILE *f, const struct sweep *s, const struct run_result *runs, size_t n)
{
    struct sweep_step steps[SWEEP_MAX_STEPS];
    for (size_t i = 0; i < n; i++) sweep_judge(&s->obj, &runs[i], s->tool_limited[i], &steps[i]);
    fprintf(f, "\nsweep          objective %s; %zu step%s of %.3g s (warm-up %.3g s)\n", s->obj.text, n,
            n == 1 ? "" : "s", s->step_s, s->warmup_s);
    fprintf(f, "  %12s %12s %12s %10s %10s %10s %8s %6s  %s\n", "target/s", "published/s", "delivered/s", "p50 ms",
            "p99 ms", "svc p99 ms", "lost", "cpu s", "verdict");
    for (size_t i = 0; i < n; i++) {
        const struct sweep_step *st = &steps[i];
        fprintf(f, "  %12.0f %12.0f %12.0f %10.3f %10.3f %10.3f %8.0f %6.2f  %s%s\n", st->target, st->published,
                st->delivered, st->p50_us / 1e3, st->p99_us / 1e3, st->service_p99_us / 1e3, st->loss, st->cpu_s,
                st->pass ? "pass" : "FAIL", st->tool_limited ? " (mqttbench set the pace)" : "");
    }
    char v[600];
    sweep_verdict(s, steps, n, v, sizeof(v));
    fprintf(f, "  %s\n", v);
}

/* ---- JSON ---- */

static const char *what_name(enum sweep_what w)
{
    switch (w) {
    case SWEEP_LATENCY: return "latency";
    case SWEEP_LOSS: return "loss";
    case SWEEP_DUP: return "dup";
    case SWEEP_RATE: return "rate";
    }
    return "?";
}

cJSON *sweep_to_json(const struct run_result *r)
{
    const struct sweep *s = r->sweep;
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "objective", s->obj.text);
    cJSON *terms = cJSON_AddArrayToObject(o, "terms");
    for (size_t i = 0; i < s->obj.n; i++) {
        const struct sweep_term *t = &s->obj.terms[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "metric", what_name(t->what));
        if (t->what == SWEEP_LATENCY) cJSON_AddNumberToObject(e, "percentile", t->pct);
        cJSON_AddStringToObject(e, "op", t->what == SWEEP_RATE ? (t->strict ? ">" : ">=") : (t->strict ? "<" : "<="));
        cJSON_AddNumberToObject(e, t->what == SWEEP_LATENCY ? "limit_us" : t->fraction || t->what == SWEEP_RATE
                                ? "limit_fraction" : "limit_messages", t->limit);
        cJSON_AddItemToArray(terms, e);
    }
    cJSON *rates = cJSON_AddArrayToObject(o, "planned_rates");
    for (size_t i = 0; i < s->nrates; i++) cJSON_AddItemToArray(rates, cJSON_CreateNumber(s->rates[i]));
    cJSON_AddBoolToObject(o, "find_max", s->find_max);
    cJSON_AddNumberToObject(o, "resolution", s->resolution);
    cJSON_AddNumberToObject(o, "step_s", s->step_s);
    cJSON_AddNumberToObject(o, "warmup_s", s->warmup_s);
    struct sweep_step steps[SWEEP_MAX_STEPS];
    size_t n = r->nruns < SWEEP_MAX_STEPS ? r->nruns : SWEEP_MAX_STEPS;
    cJSON *sa = cJSON_AddArrayToObject(o, "steps");
    for (size_t i = 0; i < n; i++) {
        struct sweep_step *st = &steps[i];
        sweep_judge(&s->obj, &r->runs[i], s->tool_limited[i], st);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "target_msgs_per_s", st->target);
        cJSON_AddNumberToObject(e, "published_msgs_per_s", st->published);
        cJSON_AddNumberToObject(e, "delivered_msgs_per_s", st->delivered);
        cJSON_AddNumberToObject(e, "p50_us", st->p50_us);
        cJSON_AddNumberToObject(e, "p99_us", st->p99_us);
        cJSON_AddNumberToObject(e, "p999_us", st->p999_us);
        cJSON_AddNumberToObject(e, "max_us", st->max_us);
        cJSON_AddNumberToObject(e, "service_p99_us", st->service_p99_us);
        cJSON_AddNumberToObject(e, "lost", st->loss);
        cJSON_AddNumberToObject(e, "duplicates", st->duplicates);
        cJSON_AddNumberToObject(e, "cpu_s", st->cpu_s);
        cJSON_AddBoolToObject(e, "generator_saturated", r->runs[i].generator_saturated);
        cJSON_AddBoolToObject(e, "schedule_lagging", r->runs[i].schedule_lagging);
        cJSON_AddNumberToObject(e, "self_stalls", (double)r->runs[i].self_stall.count);
        cJSON_AddBoolToObject(e, "tool_limited", st->tool_limited);
        cJSON_AddBoolToObject(e, "pass", st->pass);
        if (st->why[0]) cJSON_AddStringToObject(e, "why", st->why);
        else cJSON_AddNullToObject(e, "why");
        cJSON_AddItemToArray(sa, e);
    }
    struct sweep_knee k;
    sweep_knee(steps, n, &k);
    cJSON *kn = cJSON_AddObjectToObject(o, "knee");
    if (k.pass >= 0) {
        cJSON_AddNumberToObject(kn, "max_passing_msgs_per_s", steps[k.pass].target);
        cJSON_AddNumberToObject(kn, "max_passing_delivered_msgs_per_s", steps[k.pass].delivered);
    } else {
        cJSON_AddNullToObject(kn, "max_passing_msgs_per_s");
        cJSON_AddNullToObject(kn, "max_passing_delivered_msgs_per_s");
    }
    if (k.fail >= 0) cJSON_AddNumberToObject(kn, "first_failing_msgs_per_s", steps[k.fail].target);
    else cJSON_AddNullToObject(kn, "first_failing_msgs_per_s");
    cJSON_AddBoolToObject(kn, "tool_limited", k.tool_limited);
    char v[600];
    sweep_verdict(s, steps, n, v, sizeof(v));
    cJSON_AddStringToObject(kn, "verdict", v);
    return o;
}

int sweep_from_json(const cJSON *x, size_t nruns, struct sweep *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof(*s));
    if (!cJSON_IsObject(x)) return errmsg_set(err, errlen, "sweep: expected an object");
    const cJSON *obj = cJSON_GetObjectItemCaseSensitive(x, "objective");
    if (!cJSON_IsString(obj)) return errmsg_set(err, errlen, "sweep.objective: expected a string");
    char why[300];
    if (sweep_parse_objective(obj->valuestring, &s->obj, why, sizeof(why)) != 0)
        return errmsg_set(err, errlen, "sweep.objective: %s", why);
    const cJSON *rates = cJSON_GetObjectItemCaseSensitive(x, "planned_rates");
    if (!cJSON_IsArray(rates) || cJSON_GetArraySize(rates) > SWEEP_MAX_RATES)
        return errmsg_set(err, errlen, "sweep.planned_rates: expected an array of at most %d rates", SWEEP_MAX_RATES);
    for (const cJSON *e = rates->child; e; e = e->next) {
        if (!cJSON_IsNumber(e) || !(e->valuedouble > 0) || e->valuedouble > 1e9 ||
            (s->nrates && e->valuedouble <= s->rates[s->nrates - 1]))
            return errmsg_set(err, errlen, "sweep.planned_rates[%zu]: expected a rising rate above 0", s->nrates);
        s->rates[s->nrates++] = e->valuedouble;
    }
    const cJSON *fm = cJSON_GetObjectItemCaseSensitive(x, "find_max");
    if (!cJSON_IsBool(fm)) return errmsg_set(err, errlen, "sweep.find_max: expected true or false");
    s->find_max = cJSON_IsTrue(fm);
    static const char *const nums[] = { "resolution", "step_s", "warmup_s" };
    double *dst[] = { &s->resolution, &s->step_s, &s->warmup_s };
    for (size_t i = 0; i < 3; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(x, nums[i]);
        if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) || v->valuedouble > 1e9)
            return errmsg_set(err, errlen, "sweep.%s: expected a number from 0", nums[i]);
        *dst[i] = v->valuedouble;
    }
    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(x, "steps");
    if (!cJSON_IsArray(steps) || (size_t)cJSON_GetArraySize(steps) != nruns || nruns > SWEEP_MAX_STEPS)
        return errmsg_set(err, errlen, "sweep.steps: expected one entry per run (%zu, at most %d)", nruns,
                          SWEEP_MAX_STEPS);
    size_t i = 0;
    for (const cJSON *e = steps->child; e; e = e->next, i++) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "tool_limited");
        if (!cJSON_IsBool(t)) return errmsg_set(err, errlen, "sweep.steps[%zu].tool_limited: expected true or false", i);
        s->tool_limited[i] = cJSON_IsTrue(t);
    }
    return 0;
}

double sweep_knee_rate(const struct run_result *r)
{
    if (!r->sweep) return NAN;
    struct sweep_step steps[SWEEP_MAX_STEPS];
    size_t n = r->nruns < SWEEP_MAX_STEPS ? r->nruns : SWEEP_MAX_STEPS;
    for (size_t i = 0; i < n; i++) sweep_judge(&r->sweep->obj, &r->runs[i], r->sweep->tool_limited[i], &steps[i]);
    struct sweep_knee k;
    sweep_knee(steps, n, &k);
    return k.pass >= 0 ? steps[k.pass].target : NAN;
}

void sweep_steps_of(const struct run_result *r, struct sweep_step *steps, size_t *n, struct sweep_knee *k)
{
    *n = r->nruns < SWEEP_MAX_STEPS ? r->nruns : SWEEP_MAX_STEPS;
    for (size_t i = 0; i < *n; i++) sweep_judge(&r->sweep->obj, &r->runs[i], r->sweep->tool_limited[i], &steps[i]);
    sweep_knee(steps, *n, k);
}

/* One side's row of the Markdown table. */
static void md_side(FILE *f, const char *name, double knee, double fail, bool tool)
{
    fprintf(f, "| %s | %.0f%s | ", name, knee, tool ? " (mqttbench set the pace)" : "");
    if (isinf(fail)) fputs("none failed |\n", f);
    else fprintf(f, "%.0f |\n", fail);
}

int sweep_compare(const struct run_result *base, const struct run_result *nw, double max_drop_pct, bool markdown,
                  FILE *f, struct sweep_verdict *v, char *why, size_t len)
{
    static struct sweep_step bs[SWEEP_MAX_STEPS], ns[SWEEP_MAX_STEPS];
    size_t bn, nn;
    struct sweep_knee bk, nk;
    memset(v, 0, sizeof(*v));
    sweep_steps_of(base, bs, &bn, &bk);
    sweep_steps_of(nw, ns, &nn, &nk);
    if (strcmp(base->sweep->obj.text, nw->sweep->obj.text)) {
        snprintf(why, len, "the sweeps have different objectives ('%s' and '%s')", base->sweep->obj.text,
                 nw->sweep->obj.text);
        return 2;
    }
    if (bk.pass < 0 || bk.tool_limited) {
        snprintf(why, len, "the base sweep has no knee to compare with (%s)",
                 bk.pass < 0 ? "no step passed" : "mqttbench set the pace at its knee");
        return 2;
    }
    double b_lo = bs[bk.pass].target, b_hi = bk.fail >= 0 ? bs[bk.fail].target : INFINITY;
    double n_lo = nk.pass >= 0 ? ns[nk.pass].target : 0, n_hi = nk.fail >= 0 ? ns[nk.fail].target : INFINITY;
    double drop = b_lo > 0 ? 100 * (b_lo - n_lo) / b_lo : 0;
    *v = (struct sweep_verdict){ .judged = true, .base_knee = b_lo, .base_fail = b_hi, .new_knee = n_lo,
                                 .new_fail = n_hi, .drop_pct = drop, .new_tool_limited = nk.tool_limited };
    if (markdown) {
        fprintf(f, "### mqttbench compare (sweeps)\n\nobjective `%s`\n\n| sweep | knee (msgs/s) | first failing "
                   "(msgs/s) |\n|---|---:|---:|\n", base->sweep->obj.text);
        md_side(f, "base", b_lo, b_hi, false);
        md_side(f, "new", n_lo, n_hi, nk.tool_limited);
    } else {
        fprintf(f, "mqttbench compare (sweeps)\n  objective %s\n", base->sweep->obj.text);
        fprintf(f, "  base      knee %.0f msgs/s%s\n", b_lo, isinf(b_hi) ? " (no step failed)" : "");
        if (!isinf(b_hi)) fprintf(f, "            first failing %.0f msgs/s\n", b_hi);
        fprintf(f, "  new       knee %.0f msgs/s%s\n", n_lo, nk.tool_limited ? " (mqttbench set the pace)" : "");
        if (!isinf(n_hi)) fprintf(f, "            first failing %.0f msgs/s\n", n_hi);
    }
    bool worse = drop > max_drop_pct && n_hi <= b_lo && !(nk.fail >= 0 && ns[nk.fail].tool_limited);
    const char *bold = markdown ? "**" : "";
    if (worse) {
        snprintf(why, len, "the knee dropped %.1f%% (%.0f to %.0f msgs/s; limit %g%%), and the new sweep fails at "
                 "%.0f msgs/s, which the base passed", drop, b_lo, n_lo, max_drop_pct, n_hi);
        fprintf(f, "\n%sverdict: REGRESSION%s (%s)\n", bold, bold, why);
        return 1;
    }
    fprintf(f, "\n%sverdict: OK%s (knee %+.1f%%, within the limit or the base's bracket)\n", bold, bold,
            drop ? -drop : 0.0);
    return 0;
}
